"""The same batch on a dask.distributed LocalCluster (loopback): identical results, and a
worker killed mid-batch still leaves every run exactly once."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from sim.runner import load_results, run_batch  # noqa: E402
from sim.runner.executors import DaskExecutor  # noqa: E402

RUNS = 12


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       host="127.0.0.1", dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    res = load_results(folder)
    assert res.status == "complete", res.manifest.status
    return res.daily, res.runs, res.events


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory, request) -> Path:
    from sim.scenario import load_scenario

    scn = load_scenario(Path(__file__).parent.parent / "scenarios" / "reinforce.yaml",
                        overrides=["days=40"])
    out = tmp_path_factory.mktemp("local") / "b"
    run_batch(scn, out, runs=RUNS, workers=1)
    return out


def _scenario():
    from sim.scenario import load_scenario

    return load_scenario(Path(__file__).parent.parent / "scenarios" / "reinforce.yaml",
                         overrides=["days=40"])


def test_dask_equals_local(client, local_batch: Path, tmp_path: Path) -> None:
    with DaskExecutor(client=client) as ex:
        res = run_batch(_scenario(), tmp_path / "d", runs=RUNS, executor=ex)
    assert res.complete
    for a, b in zip(frames(local_batch), frames(tmp_path / "d"), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert load_results(tmp_path / "d").manifest.executor == "dask"


def test_worker_killed_mid_batch(client, local_batch: Path, tmp_path: Path) -> None:
    killed: list[str] = []

    def progress(finished: int, total: int) -> None:
        if killed or finished < 2:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        victim = busy[0]
        killed.append(victim)
        client.run(os._exit, 1, workers=[victim], on_error="ignore")  # dies during its run

    with DaskExecutor(client=client) as ex:
        res = run_batch(_scenario(), tmp_path / "k", runs=RUNS, executor=ex, progress=progress)
    assert killed, "no worker was killed"
    assert res.complete and not res.failed
    daily, runs, events = frames(tmp_path / "k")
    assert sorted(runs["run"]) == list(range(RUNS))  # every run exactly once
    assert daily.groupby("run").size().eq(41).all() and daily["run"].nunique() == RUNS
    for a, b in zip(frames(local_batch), (daily, runs, events), strict=True):
        pd.testing.assert_frame_equal(a, b)
    client.wait_for_workers(2, timeout=30)  # the nanny restarted the killed worker


def test_sweep_on_dask_equals_local(client, tmp_path: Path) -> None:
    from sim.analysis import load_experiment, run_sweep, sweep_outcomes

    exp = tmp_path / "e.yaml"
    exp.write_text(f"""
name: d
scenario: {(Path(__file__).parent.parent / "scenarios" / "baseline.yaml").resolve()}
parameters:
  combat.lethality: {{low: 0.003, high: 0.006}}
points: 3
runs: 2
days: 20
outcomes: [kursk_ua_km2@20]
""")
    lx = load_experiment(exp)
    run_sweep(lx, tmp_path / "l", workers=1)
    with DaskExecutor(client=client) as ex:
        run_sweep(lx, tmp_path / "d", executor=ex)
    pd.testing.assert_frame_equal(sweep_outcomes(tmp_path / "l"), sweep_outcomes(tmp_path / "d"))


def test_bad_executor_choices() -> None:
    from sim.runner import ExecutorError, ProcessExecutor, SerialExecutor, make_executor

    assert isinstance(make_executor("local"), ProcessExecutor)
    assert isinstance(make_executor("local", workers=1), SerialExecutor)
    with pytest.raises(ExecutorError, match="--executor"):
        make_executor("spark")
    with pytest.raises(ExecutorError, match="--scheduler needs"):
        make_executor("local", scheduler="tcp://127.0.0.1:1")


def test_cli_run_on_dask_scheduler(client, local_batch: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli import app

    scn = Path(__file__).parent.parent / "scenarios" / "reinforce.yaml"
    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["run", str(scn), "--days", "40", "--runs", str(RUNS), "--out",
                                 str(out), "--executor", "dask", "--scheduler",
                                 client.scheduler.address, "-q"])
    assert r.exit_code == 0, r.output
    for a, b in zip(frames(local_batch), frames(out), strict=True):
        pd.testing.assert_frame_equal(a, b)
