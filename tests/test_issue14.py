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
    holder = m if name == "line" else m.forces  # the grouping arrays live in the force state
    getattr(holder, name)[0] = value
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


# ------------------------------------------------ shared: a small reference batch

SMALL = ["--runs", "6", "--days", "8", "--workers", "1", "-q"]


@pytest.fixture(scope="module")
def reference_batch(tmp_path_factory):
    """An uninterrupted batch every repaired folder must equal."""
    out = tmp_path_factory.mktemp("issue14") / "ref"
    res = cli("run", REINFORCE, *SMALL, "--out", out)
    assert res.exit_code == 0, res.output
    return out


def tables(path):
    import pyarrow.parquet as pq

    return {t: pq.read_table(path / f"{t}.parquet").to_pandas() for t in ("daily", "runs",
                                                                         "events")}


def assert_same_tables(a, b):
    import pandas as pd

    ta, tb = tables(a), tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_like=False)


def copy_batch(src, dst):
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("figures", ".lock"))
    return dst


def assert_stderr_one_line(res, *words):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


# ------------------------------------------------ 1: a refused run deletes the other's lock


@pytest.mark.slow
def test_defect1_refused_batch_neither_unlocks_nor_clobbers_the_running_one(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from conftest import REPO

    from sim.runner import load_results

    out = tmp_path / "X"
    args = ["run", str(REINFORCE), "--runs", "60", "--days", "60", "--workers", "1", "-q",
            "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen([sys.executable, "-m", "sim", *args], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the first batch ended before the race could be tried"
    for extra in (["--resume"], ["--resume"], ["--force"]):
        res = cli(*args, *extra)
        assert_stderr_one_line(res, "another batch is writing")
        assert (out / ".lock").exists()
    assert first.poll() is None, "the first batch ended too early to prove anything"
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr
    res = load_results(out)  # verifies every checksum
    assert res.status == "complete" and len(res.done_runs()) == 60
    assert sorted(res.daily["run"].unique()) == list(range(60))
    assert cli("check", out).exit_code == 0


# ------------------------------------------------ 2: damaged results go unnoticed


def _drop_runs(path, keep):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    pq.write_table(t.filter(pc.is_in(t.column("run"), value_set=__import__("pyarrow").array(
        keep, "int32"))), path)


@pytest.mark.parametrize("damage", ["drop_runs", "swap_seed", "truncate", "empty", "delete"])
def test_defect2_damaged_results_are_detected_and_resume_repairs_them(
        damage, reference_batch, tmp_path, monkeypatch):
    import shutil

    from sim.runner import ResultsError, load_results

    monkeypatch.chdir(tmp_path)
    x = copy_batch(reference_batch, tmp_path / "X")
    daily = x / "daily.parquet"
    if damage == "drop_runs":
        _drop_runs(daily, [0, 1, 2])
    elif damage == "swap_seed":  # the same scenario, another master seed
        other = tmp_path / "other"
        assert cli("run", REINFORCE, *SMALL, "--seed", "7", "--out", other).exit_code == 0
        shutil.copy(other / "daily.parquet", daily)
    elif damage == "truncate":
        data = daily.read_bytes()
        daily.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        daily.write_bytes(b"")
    else:
        daily.unlink()
    with pytest.raises(ResultsError, match="daily.parquet"):
        load_results(x)
    for command in (["compare", x], ["plot", x, "--kind", "fan", "--out", tmp_path / "f"],
                    ["report", x, "--out", tmp_path / "r.html"]):
        assert_stderr_one_line(cli(*command), "daily.parquet")
    assert not (tmp_path / "f").exists() and not (tmp_path / "r.html").exists()
    res = cli("check", x)
    assert res.exit_code == 1 and "daily.parquet" in res.output and "Traceback" not in res.output
    res = cli("run", REINFORCE, *SMALL, "--out", x, "--resume")
    assert res.exit_code == 0, res.output
    assert cli("check", x).exit_code == 0
    assert_same_tables(x, reference_batch)


def test_defect2_resume_redoes_only_the_damaged_runs(reference_batch, tmp_path, monkeypatch):
    import sim.runner as R
    from sim.runner import batch as B
    from sim.runner import load_results

    x = copy_batch(reference_batch, tmp_path / "X")
    _drop_runs(x / "daily.parquet", [0, 1, 2, 3])
    assert R.damaged_runs(x, R.read_manifest(x)) == {4, 5}
    computed = []
    real = R.daily_table
    monkeypatch.setattr(B, "daily_table", lambda df, run, seed: computed.append(run) or real(
        df, run, seed))
    assert cli("run", REINFORCE, *SMALL, "--out", x, "--resume").exit_code == 0
    assert sorted(computed) == [4, 5]
    load_results(x)
    assert_same_tables(x, reference_batch)


@pytest.mark.parametrize("damage", ["empty", "truncate", "not_json", "wrong_shape"])
def test_defect2_damaged_manifest_is_one_line(damage, reference_batch, tmp_path):
    x = copy_batch(reference_batch, tmp_path / "X")
    m = x / "manifest.json"
    text = m.read_text(encoding="utf-8")
    m.write_text({"empty": "", "truncate": text[: len(text) // 2], "not_json": "{runs: [",
                  "wrong_shape": '{"runs": 3, "status": 1}'}[damage], encoding="utf-8")
    assert_stderr_one_line(cli("compare", x), "manifest.json")
    res = cli("check", x)
    assert res.exit_code == 1 and "manifest.json" in res.output
    assert_stderr_one_line(cli("run", REINFORCE, *SMALL, "--out", x, "--resume"),
                           "manifest.json", "--force")
    assert cli("run", REINFORCE, *SMALL, "--out", x, "--force").exit_code == 0
    assert_same_tables(x, reference_batch)


def test_defect2_check_usage(tmp_path):
    assert cli("check", tmp_path / "nope").exit_code == 2
    assert cli("check").exit_code == 2


# ------------------------------------------------ 4: output problems (one line, resumable)


@pytest.mark.parametrize("out", ["/proc", "/proc/wargame-x", "a" * 300, "x\0y",
                                 "/".join(["d"] * 2000), "/dev/null"])
def test_defect4_unusable_out_is_one_line_nothing_written(out, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli("run", REINFORCE, *SMALL, "--out", out)
    assert_stderr_one_line(res)
    assert list(tmp_path.iterdir()) == []


def test_defect4_symlink_loop_as_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert_stderr_one_line(cli("run", REINFORCE, *SMALL, "--out", "loop/x"))
    assert_stderr_one_line(cli("run", REINFORCE, *SMALL, "--out", "loop"))


def test_defect4_read_only_file_system_is_one_line(tmp_path, monkeypatch):
    import errno
    import pathlib

    monkeypatch.chdir(tmp_path)

    def read_only(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    assert_stderr_one_line(cli("run", REINFORCE, *SMALL), "Read-only file system")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("where", ["first_manifest", "part", "consolidate"])
def test_defect4_disk_full_is_one_line_and_resumable(where, reference_batch, tmp_path,
                                                     monkeypatch):
    import errno

    from sim.runner import batch as B

    monkeypatch.chdir(tmp_path)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = {"first_manifest": (B, "write_manifest"), "part": (B, "atomic_write_table"),
              "consolidate": (B, "consolidate")}[where]
    with monkeypatch.context() as mp:
        mp.setattr(*target, full)
        res = cli("run", REINFORCE, *SMALL, "--out", "X")
    assert_stderr_one_line(res, "no space left")
    x = tmp_path / "X"
    if where == "first_manifest":
        assert not x.exists()  # nothing written
        assert "nothing was written" in res.stderr
        return
    assert "--resume" in res.stderr
    res = cli("run", REINFORCE, *SMALL, "--out", "X", "--resume")
    assert res.exit_code == 0, res.output
    assert cli("check", x).exit_code == 0
    assert_same_tables(x, reference_batch)


# ------------------------------------------------ 5: the scenario name used as a path


@pytest.mark.parametrize("name, folder", [
    ("../escaped", "escaped"),
    ("/tmp/abs-name", "tmp-abs-name"),
    ("..", "unnamed"),
    (".", "unnamed"),
    ("a/../../b", "a-..-..-b"),  # one name: the dots are no longer a path step
    ("x" * 200, "x" * 100),
    ("Курск 2025", "Курск-2025"),
])
def test_defect5_name_is_a_name_not_a_path(name, folder, tmp_path, monkeypatch):
    from sim.runner import folder_name

    assert folder_name(name) == folder
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    res = cli("run", REINFORCE, *SMALL, "--set", f"name={name!r}".replace("'", '"'))
    assert res.exit_code == 0, res.output
    assert (work / "results" / folder / "manifest.json").is_file()
    assert sorted(p.name for p in work.iterdir()) == ["results"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    assert not __import__("pathlib").Path("/tmp/abs-name").exists()


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_defect8_device_or_fifo_as_map_is_named_not_missing(kind, tmp_path):
    import os

    path = {"device": "/dev/zero", "fifo": tmp_path / "fifo", "folder": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(REINFORCE, [f"fronts.kursk.map={path}"])
    assert "does not exist" not in str(exc.value)
    msg = str(exc.value)
    assert ("directory" in msg) if kind == "folder" else ("FIFO" in msg or "pipe" in msg)


def test_defect5_sweep_folder_name_is_sanitised_too():
    from sim.runner import folder_name

    assert folder_name("../x", prefix="sweep-") == "sweep-x"
    assert folder_name("/", prefix="sweep-") == "sweep-unnamed"


def test_defect2_damaged_sweep_folder_is_one_line(tmp_path):
    (tmp_path / "sweep.json").write_text("{", encoding="utf-8")
    assert_stderr_one_line(cli("sensitivity", tmp_path), "damaged sweep folder")
