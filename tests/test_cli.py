"""Every ``wargame`` command through Typer's CliRunner, including its errors."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import SCENARIOS, SMALL_DAYS
from typer.testing import CliRunner

import sim.runner as R
from sim.cli import app

RUNS = 4


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Invoke ``wargame`` in an empty working folder (so default ``results/`` lands there)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def small(*extra: str) -> list[str]:
    return ["--runs", str(RUNS), "--days", str(SMALL_DAYS), "--workers", "1", "--quiet", *extra]


def assert_user_error(result, *words: str) -> None:
    """Exit 2, one line on stderr starting with 'error:', no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_version_and_help(cli):
    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.startswith("wargame ")
    r = cli("--help")
    assert r.exit_code == 0
    for command in ("run", "validate", "show"):
        assert command in r.stdout


def test_run_writes_a_batch_and_prints_the_summary(cli, tmp_path):
    r = cli("run", SCENARIOS / "reinforce.yaml", "--runs", RUNS, "--days", 30, "--workers", 2)
    assert r.exit_code == 0, r.output
    out = tmp_path / "results" / "reinforce"
    for name in R.BATCH_FILES:
        assert (out / name).is_file(), name
    assert "Kursk held by Ukraine" in r.stdout and "day 30" in r.stdout
    assert "Ceasefire" in r.stdout and "Russian losses" in r.stdout
    assert f"wrote {Path('results') / 'reinforce'}" in r.stdout
    m = R.read_manifest(out)
    assert m.status == "complete" and m.n_runs == RUNS and m.days == 30
    assert m.command.startswith("wargame")
    assert pq.read_table(out / "daily.parquet").num_rows == RUNS * 31
    # the same folder again: refused without --resume/--force, nothing changed
    before = (out / "manifest.json").read_text()
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--days", 30))
    assert_user_error(r, "already holds a batch", "--resume", "--force")
    assert (out / "manifest.json").read_text() == before
    r = cli("run", SCENARIOS / "reinforce.yaml", "--runs", RUNS, "--days", 30, "--resume", "-q")
    assert r.exit_code == 0, r.output
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--force"))
    assert r.exit_code == 0, r.output
    assert R.read_manifest(out).days == SMALL_DAYS
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--resume", "--force"))
    assert_user_error(r, "--resume", "--force")


def test_run_several_scenarios_one_folder_each(cli, tmp_path):
    files = [SCENARIOS / "reinforce.yaml", SCENARIOS / "donetsk_focus.yaml"]
    r = cli("run", *files, *small("--out", tmp_path / "both"))
    assert r.exit_code == 0, r.output
    for f in files:
        name = yaml.safe_load(f.read_text())["name"]
        assert R.read_manifest(tmp_path / "both" / name).status == "complete"
    a = pq.read_table(tmp_path / "both" / "reinforce" / "runs.parquet").column("seed")
    b = pq.read_table(tmp_path / "both" / "donetsk_focus" / "runs.parquet").column("seed")
    assert a.equals(b)  # common random numbers


def test_run_with_set_changes_the_scenario(cli, tmp_path):
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--set", "days=12", "--seed", 7))
    assert r.exit_code == 0, r.output
    m = R.read_manifest(tmp_path / "results" / "reinforce")
    assert m.master_seed == 7
    assert m.days == SMALL_DAYS  # --days wins over --set days
    r = cli("run", SCENARIOS / "reinforce.yaml", "--runs", 2, "--set", "days=12", "--workers",
            1, "-q", "--out", tmp_path / "twelve")
    assert r.exit_code == 0, r.output
    assert R.read_manifest(tmp_path / "twelve").days == 12


def test_run_failed_run_exits_1_and_resume_retries(cli, tmp_path, monkeypatch):
    from sim.model import model
    from sim.runner import replicate_seed
    from sim.scenario import load_scenario

    seed = load_scenario(SCENARIOS / "reinforce.yaml").seed
    bad = replicate_seed(seed, 1)
    real_run = model.run

    def flaky(scn, seed, days=None):
        if seed == bad:
            raise ValueError("boom")
        return real_run(scn, seed=seed, days=days)

    monkeypatch.setattr(model, "run", flaky)
    r = cli("run", SCENARIOS / "reinforce.yaml", *small())
    assert r.exit_code == 1
    assert "1 run(s) failed" in r.stderr and "boom" in r.stderr
    out = tmp_path / "results" / "reinforce"
    assert R.read_manifest(out).runs[1].status == "failed"
    monkeypatch.setattr(model, "run", real_run)
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--resume"))
    assert r.exit_code == 0, r.output
    assert R.load_results(out).done_runs() == list(range(RUNS))


def test_run_ctrl_c_stops_cleanly_and_resume_finishes(cli, tmp_path, monkeypatch):
    from sim.model import model

    real_run = model.run
    calls = {"n": 0}

    def interrupted(scn, seed, days=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_run(scn, seed=seed, days=days)

    monkeypatch.setattr(model, "run", interrupted)
    r = cli("run", SCENARIOS / "reinforce.yaml", *small())
    assert r.exit_code == 130, r.output
    assert "interrupted: 2 of 4 runs saved" in r.stderr and "--resume" in r.stderr
    out = tmp_path / "results" / "reinforce"
    assert R.read_manifest(out).status == "interrupted"
    assert len(R.load_results(out).runs) == 2
    monkeypatch.setattr(model, "run", real_run)
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--resume"))
    assert r.exit_code == 0, r.output
    runs = R.load_results(out).runs
    assert runs["run"].tolist() == list(range(RUNS))


# --------------------------------------------------------------------------- bad input


def _nested(depth: int) -> str:
    return "name: deep\nx: " + "[" * depth + "]" * depth + "\n"


BAD_FILES = {
    "empty": "",
    "not_yaml": "name: [unclosed\n  - : :\n\t{",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
    "scalar": "just a string\n",
    "deep": _nested(5000),
    "huge": "name: huge\nx: [" + ", ".join(["1"] * 1_200_000) + "]\n",
    "wrong_type": f"extends: {SCENARIOS / 'reinforce.yaml'}\ncombat:\n  lethality: lots\n",
    "typo": f"extends: {SCENARIOS / 'reinforce.yaml'}\ndyas: 30\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_run_bad_file_exit_2_one_line_nothing_written(cli, tmp_path, kind):
    content = BAD_FILES[kind]
    path = tmp_path / f"{kind}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    r = cli("run", path, *small("--out", tmp_path / "out"))
    assert_user_error(r, kind)  # the message names the file
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "results").exists()


def test_run_missing_file_and_directory(cli, tmp_path):
    r = cli("run", tmp_path / "nope.yaml", *small())
    assert_user_error(r, "nope.yaml")
    (tmp_path / "adir").mkdir()
    r = cli("run", tmp_path / "adir", *small())
    assert_user_error(r, "adir")
    # a bad file among good ones: nothing runs at all
    r = cli("run", SCENARIOS / "reinforce.yaml", tmp_path / "nope.yaml", *small())
    assert_user_error(r, "nope.yaml")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "setting",
    ["dyas=3", "runs=lots", "combat.lethality=-5", "combat.nope=1", "seed", "seed=[1, 2"],
)
def test_run_bad_set_exit_2(cli, tmp_path, setting):
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--set", setting))
    assert_user_error(r)
    assert not (tmp_path / "results").exists()


def test_run_bad_options_exit_2(cli, tmp_path):
    for opts in (["--runs", "0"], ["--workers", "0"], ["--days", "x"], ["--seed", "-1"]):
        r = cli("run", SCENARIOS / "reinforce.yaml", *opts)
        assert_user_error(r, opts[0], "wargame run --help")
    (tmp_path / "afile").write_text("x")
    r = cli("run", SCENARIOS / "reinforce.yaml", *small("--out", tmp_path / "afile"))
    assert_user_error(r, "not a folder")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("args", "words"), [
    (["calibrate", "x.yaml", "--method", "foo"], ["--method", "'foo'", "smc"]),
    (["plot", "d", "--kind", "nope"], ["--kind", "'nope'"]),
    (["run", "--bogus"], ["No such option: --bogus"]),
    (["run"], ["Missing argument"]),
    (["frobnicate"], ["No such command 'frobnicate'", "wargame --help"]),
])
def test_usage_errors_are_one_line_too(cli, tmp_path, args, words):
    """What Click rejects before our code runs (a choice, an unknown option or command, a
    missing argument) gets the same one line and exit 2 as every other bad input."""
    assert_user_error(cli(*args), *words)
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- validate, show


def test_validate_ok_and_problems(cli, tmp_path):
    files = [SCENARIOS / f"{name}.yaml"
             for name in ("baseline", "reinforce", "donetsk_focus", "ceasefire")]
    r = cli("validate", *files)
    assert r.exit_code == 0, r.output
    assert r.stdout.count(": ok") == len(files)

    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SCENARIOS / 'reinforce.yaml'}\ndays: 0\nruns: lots\ndyas: 3\n")
    r = cli("validate", SCENARIOS / "reinforce.yaml", bad)
    assert r.exit_code == 1
    assert "reinforce.yaml: ok" in r.stdout
    assert "bad.yaml: 3 problem(s)" in r.stderr
    for key in ("days", "runs", "dyas"):
        assert any(line.strip().startswith("- ") and key in line
                   for line in r.stderr.splitlines()), key
    assert "Traceback" not in r.output

    r = cli("validate", tmp_path / "nope.yaml")
    assert r.exit_code == 1 and "nope.yaml" in r.stderr


def test_show_prints_the_resolved_scenario(cli):
    r = cli("show", SCENARIOS / "reinforce.yaml", "--set", "days=33")
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(r.stdout)
    assert data["name"] == "reinforce" and data["days"] == 33
    # no absolute path: the maps and the posterior are named from the working folder, so the
    # printed text saved here reads back as the same scenario
    assert not Path(data["fronts"]["kursk"]["map"]).is_absolute()
    from sim.scenario import load_scenario, scenario_from_text, scenario_hash

    again = scenario_from_text(r.stdout, Path.cwd() / "shown.yaml")
    assert scenario_hash(again) == scenario_hash(load_scenario(SCENARIOS / "reinforce.yaml",
                                                               overrides=["days=33"]))
    r = cli("show", SCENARIOS / "reinforce.yaml", "--set", "nope=1")
    assert_user_error(r, "nope")
    r = cli("show", "missing.yaml")
    assert_user_error(r, "missing.yaml")


def test_python_dash_m_sim_is_wargame():
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "sim", "--version"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("wargame ")


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="the fork server is what lets one run leave the main process")
def test_one_run_on_two_workers_leaves_the_model_to_the_worker(tmp_path):
    """A 1-run batch: with a fork server (importing the model while this process checks the
    inputs) the run goes to a worker and this process never imports mesa; the record is the
    one the run gives in this process (--workers 1). Neither imports scipy.stats (~0.7 s),
    which only calibration needs."""
    import subprocess
    import sys

    probe = ("import atexit, runpy, sys; atexit.register(lambda: print('MESA', 'mesa' in "
             "sys.modules, 'scipy.stats' in sys.modules)); sys.argv = ['wargame', "
             "*sys.argv[1:]]; runpy.run_module('sim', run_name='__main__')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    seen = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        r = subprocess.run([sys.executable, "-c", probe, "run", str(SCENARIOS / "baseline.yaml"),
                            "--runs", "1", "--workers", workers, "--days", str(SMALL_DAYS),
                            "--quiet", "--out", str(out)],
                           capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        seen[workers] = r.stdout.split("MESA ")[-1].strip()
    assert seen == {"1": "True False", "2": "False False"}
    daily = [pq.read_table(tmp_path / f"w{w}" / "daily.parquet") for w in ("1", "2")]
    assert daily[0].num_rows == SMALL_DAYS + 1 and daily[0].equals(daily[1])


def test_sigint_to_the_process_group_stops_cleanly_and_resume_completes(tmp_path):
    """A real Ctrl-C: SIGINT to the whole process group (main process and workers)."""
    import signal
    import subprocess
    import sys
    import time

    from sim.runner import replicate_seeds

    out = tmp_path / "sig"
    n = 48
    # 120-day runs: ~2 s of work on 2 workers, so the Ctrl-C lands mid-batch (with 30-day
    # runs the whole batch took ~0.5 s and could finish before the signal arrived)
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIOS / "reinforce.yaml"), "--runs",
           str(n), "--days", "120", "--workers", "2", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # the child gets SIGINT's default disposition, as in a terminal: a test run started in the
    # background by a non-interactive shell (`.ci/run &`) inherits SIGINT ignored, and Python
    # then installs no KeyboardInterrupt handler, so the batch would run to the end
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            m = R.read_manifest(out)
        except (FileNotFoundError, ValueError):
            m = None
        if m and sum(r.status == "done" for r in m.runs) >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted:" in err
    m = R.read_manifest(out)
    assert m.status == "interrupted"
    done = [r.run for r in m.runs if r.status == "done"]
    assert 1 <= len(done) < n
    assert sorted(pq.read_table(out / "runs.parquet").column("run").to_pylist()) == done

    r = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    runs = pq.read_table(out / "runs.parquet").to_pandas()
    assert runs["run"].tolist() == list(range(n))
    assert runs.seed.tolist() == replicate_seeds(m.master_seed, n)
    daily = pq.read_table(out / "daily.parquet").to_pandas()
    assert len(daily) == n * 121 and not daily.duplicated(["run", "day"]).any()


@pytest.fixture
def paused_gc(monkeypatch):
    """The collector paused as ``python -m sim`` pauses it for a command's start-up (without
    freezing this test process's objects), and left on afterwards whatever the test did."""
    import gc

    from sim.cli.common import pause_gc, resume_gc

    monkeypatch.setattr(gc, "freeze", lambda: None)
    pause_gc()
    assert not gc.isenabled()
    yield
    resume_gc()
    gc.enable()


def test_run_collects_garbage_again_once_its_inputs_are_checked(cli, tmp_path, paused_gc):
    import gc

    collections = []

    def seen(phase: str, info: dict) -> None:
        collections.append(phase)

    gc.callbacks.append(seen)
    try:  # the model's runs leave cycles: the collector must be running again by then
        r = cli("run", SCENARIOS / "baseline.yaml", *small("--out", tmp_path / "b"))
    finally:
        gc.callbacks.remove(seen)
    assert r.exit_code == 0, r.output
    assert "start" in collections and gc.isenabled()


def test_other_commands_collect_garbage_from_the_start(cli, paused_gc):
    import gc

    r = cli("validate", SCENARIOS / "baseline.yaml")
    assert r.exit_code == 0, r.output
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(monkeypatch):
    import gc

    from sim.cli.common import pause_gc, resume_gc

    monkeypatch.setattr(gc, "freeze", lambda: None)
    gc.disable()
    try:
        pause_gc()
        resume_gc()
        assert not gc.isenabled()
    finally:
        gc.enable()
