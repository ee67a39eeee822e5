"""Regression tests for issue 14 (hardening): one test (or a few) per numbered defect, named
after it. Each would fail at 43c33f1. The map-loader parts of defects 3 and 4 are tested in the
maps branch."""

from __future__ import annotations

import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import ScenarioError, load_scenario

REINFORCE = SCENARIOS / "reinforce.yaml"


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_usage_error(res) -> str:
    out = res.output
    assert res.exit_code == 2, out
    assert "Traceback" not in out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    return lines[0]


# ------------------------------------------------ 3: accepted inputs giving impossible numbers


@pytest.mark.parametrize("override", [
    "sides.ru.ammo_production_per_day=.inf",
    "sides.ru.ammo_production_per_day=.nan",
    "indices.duration_weight=1e308",
    "sides.ua.ammo_depot_rounds='1e999'",
    "sides.ua.ammo_depot_rounds=-1",
    "groupings.0.personnel=9000000000000000000",
    "groupings.0.artillery=1e12",
    "combat.terrain_defence={open: .inf}",
])
def test_defect3_nonfinite_and_absurd_values_rejected(override):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(REINFORCE, [override])
    assert override.split("=")[0].split(".")[-1].strip("'") in str(exc.value)


def test_defect3_duplicate_yaml_keys_rejected(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text(f"extends: {REINFORCE}\nname: a\ndays: 5\ndays: 6\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="duplicate key 'days'"):
        load_scenario(f)
    with pytest.raises(ScenarioError, match="duplicate key"):
        load_scenario(REINFORCE, ["combat={lethality: 0.01, lethality: 0.02}"])


# ------------------------------------------------ 4: tracebacks for user mistakes (not maps)


@pytest.mark.parametrize("args", [
    ["validate", REINFORCE, "--set", "start_date=2025-02-30"],
    ["run", REINFORCE, "--set", "start_date=2025-02-30", "--runs", "1", "--days", "1"],
    ["validate", "scen\0ario.yaml"],
    ["validate", "x" * 5000 + ".yaml"],
    ["validate", "/dev/zero"],
])
def test_defect4_user_mistakes_are_one_line_not_tracebacks(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(*args)
    assert res.exit_code in (1, 2), res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(
        res.exception, SystemExit), res.output
    assert not (tmp_path / "results").exists()


def test_defect4_symlink_loop_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    res = cli("validate", "loop.yaml")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "loop.yaml" in res.output


# ------------------------------------------------ 6: accepted, then every run fails


@pytest.mark.parametrize("override, words", [
    ("combat.prepared_defence=.inf", "finite"),
    ("logistics.rounds_per_gun={attack: 40}", "defend"),
    ("start_date=9999-12-31", "2200"),
    ("groupings.0.arrives=9999-12-31", "2200"),
    ("groupings.0.arrives=2150-01-01", "days"),
])
def test_defect6_rejected_at_validation_not_in_every_run(override, words, tmp_path,
                                                          monkeypatch):
    with pytest.raises(ScenarioError, match=words):
        load_scenario(REINFORCE, [override])
    monkeypatch.chdir(tmp_path)
    res = cli("run", REINFORCE, "--set", override, "--runs", "1", "--days", "2", "-w", "1", "-q")
    line = assert_one_line_usage_error(res)
    assert "failed" not in line
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("name, value, words", [
    ("personnel", -5.0, "personnel is negative"),
    ("ammo", float("inf"), "ammo is not finite"),
    ("line", float("nan"), "line is not finite"),
])
def test_defect3_model_checks_its_invariants_every_day(scenario, name, value, words):
    from sim.model import WarModel

    m = WarModel(scenario, rng=1, days=3)
    m.step()
    getattr(m, name)[0] = value
    with pytest.raises(FloatingPointError, match=words):
        m.check_invariants()


def test_defect3_model_invariant_names_an_area_off_the_map(scenario):
    from sim.model import WarModel

    m = WarModel(scenario, rng=1, days=3)
    m.kursk_ua_km2 = -2e18
    with pytest.raises(FloatingPointError, match="kursk_ua_km2"):
        m.check_invariants()


# ------------------------------------------------ 7: orphans after kill -9 of the main process


def _descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively, from /proc (ppid links)."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="Linux /proc")
@pytest.mark.parametrize("when", ["starting", "running"])
def test_defect7_kill_9_of_main_leaves_no_process_behind(tmp_path, when):
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(REINFORCE), "--runs", "400", "--days", "60",
         "--workers", "2", "-q", "--out", str(tmp_path / "out")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids: set[int] = set()
    deadline = time.monotonic() + 60
    # "starting": while the fork server is still importing; "running": workers are busy
    want = 2 if when == "starting" else 4
    while time.monotonic() < deadline and proc.poll() is None:
        kids |= set(_descendants(proc.pid))
        if len(kids) >= want and (when == "starting" or (tmp_path / "out" / "parts").is_dir()):
            break
        time.sleep(0.05)
    assert proc.poll() is None and kids, "the batch did not start its pool"
    kids |= set(_descendants(proc.pid))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and any(_alive(k) for k in kids):
        time.sleep(0.1)
    left = [k for k in kids if _alive(k)]
    for k in left:  # do not leave them to the next test
        os.kill(k, signal.SIGKILL)
    assert not left, f"processes left behind after kill -9 of the main process: {left}"


# ------------------------------------------------ 8: one killed worker fails the whole pool


def suicidal_task(marker_dir, item):
    """Kills its own worker the first time it sees item 3 (a marker file remembers)."""
    import os
    import pathlib
    import signal

    marker = pathlib.Path(marker_dir) / f"seen-{item}"
    if item == 3 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return item * 10


def test_defect8_killed_worker_only_redoes_its_own_chunk(tmp_path):
    from sim.runner import ProcessExecutor

    reported = []
    with ProcessExecutor(2) as ex:
        stopped = ex.map(suicidal_task, str(tmp_path), list(range(12)),
                         lambda item, result, error: reported.append((item, result, error)))
    assert not stopped
    assert sorted(i for i, _, _ in reported) == list(range(12))  # each exactly once
    assert all(e is None and r == 10 * i for i, r, e in reported), reported
    assert (tmp_path / "seen-3").exists()


def always_dies(_, item):
    import os
    import signal

    if item == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_defect8_a_task_that_always_kills_its_worker_fails_after_the_retries():
    from sim.runner import ProcessExecutor

    reported = []
    with ProcessExecutor(2) as ex:
        ex.max_restarts = 2
        ex.map(always_dies, None, [0, 1, 2, 3],
               lambda item, result, error: reported.append((item, result, error)))
    assert sorted(i for i, _, _ in reported) == [0, 1, 2, 3]
    failed = [i for i, _, e in reported if e is not None]
    assert 1 in failed
