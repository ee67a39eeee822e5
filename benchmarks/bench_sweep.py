"""Benchmark of sweeps and of the Dask executor (issue 6).

    python benchmarks/bench_sweep.py             # 64-point LHS x 20 runs + dask overhead
    python benchmarks/bench_sweep.py --quick       # small sizes, a smoke test
    python benchmarks/bench_sweep.py --no-sweep    # only the dask-vs-local overhead

Targets: the 64 x 20 LHS sweep within 5 minutes on this 2-core machine; Dask overhead per run
below 5 % of the local executor's time for the default scenario (reinforce.yaml, 120 days).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def bench_sweep(points: int, runs: int, days: int, workers: int) -> dict:
    from sim.analysis import load_experiment, run_sweep

    lx = load_experiment(REPO / "experiments" / "transfer.yaml", design="lhs", points=points,
                         runs=runs, days=days)
    lx.experiment.outcomes = [o.text for o in lx.outcomes if (o.day or 0) <= days]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_sweep(lx, Path(tmp) / "sweep", workers=workers, command="bench")
        seconds = time.perf_counter() - t0
    assert res.complete, res
    return {"points": points, "runs_per_point": runs, "days": days, "workers": workers,
            "total_runs": points * runs, "seconds": round(seconds, 1),
            "runs_per_s": round(points * runs / seconds, 2), "target_s": 300}


def bench_dask(runs: int, days: int, workers: int, rounds: int = 2) -> dict:
    """Local pool vs Dask LocalCluster on the same batch, alternated ``rounds`` times so that
    other load on the machine hits both alike; both warmed up first."""
    from distributed import Client, LocalCluster

    from sim.runner import run_batch
    from sim.runner.executors import DaskExecutor, ProcessExecutor
    from sim.scenario import load_scenario

    scn = load_scenario(REPO / "scenarios" / "reinforce.yaml")
    out: dict = {"runs": runs, "days": days, "workers": workers, "rounds": rounds}
    local_s = dask_s = pool_s = 0.0
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        with (tempfile.TemporaryDirectory() as tmp, DaskExecutor(client=client) as ex,
              ProcessExecutor(workers) as pool):
            run_batch(scn, Path(tmp) / "warm", runs=workers * 2, days=days, workers=workers)
            run_batch(scn, Path(tmp) / "dwarm", runs=workers * 2, days=days, executor=ex)
            run_batch(scn, Path(tmp) / "pwarm", runs=workers * 2, days=days, executor=pool)
            for i in range(rounds):
                t0 = time.perf_counter()
                res = run_batch(scn, Path(tmp) / f"local{i}", runs=runs, days=days,
                                workers=workers)
                local_s += time.perf_counter() - t0
                assert res.complete, res.failed
                t0 = time.perf_counter()
                res = run_batch(scn, Path(tmp) / f"dask{i}", runs=runs, days=days, executor=ex)
                dask_s += time.perf_counter() - t0
                assert res.complete, next(iter(res.failed.values()), res)
                t0 = time.perf_counter()  # local workers kept warm, as dask's are
                res = run_batch(scn, Path(tmp) / f"pool{i}", runs=runs, days=days,
                                executor=pool)
                pool_s += time.perf_counter() - t0
                assert res.complete, res.failed
    finally:
        client.close()
        cluster.close()
    n = runs * rounds
    out["local_ms_per_run"] = round(1000 * local_s / n, 1)
    out["dask_ms_per_run"] = round(1000 * dask_s / n, 1)
    out["warm_pool_ms_per_run"] = round(1000 * pool_s / n, 1)
    out["overhead_pct"] = round(100 * (dask_s / local_s - 1), 1)  # vs wargame run's pool
    out["overhead_vs_warm_pool_pct"] = round(100 * (dask_s / pool_s - 1), 1)
    out["local_s"], out["dask_s"] = round(local_s, 1), round(dask_s, 1)
    out["warm_pool_s"] = round(pool_s, 1)
    out["target_pct"] = 5
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    if not a.no_sweep:
        args = (8, 4, 90) if a.quick else (64, 20, 120)
        print(json.dumps({"sweep": bench_sweep(*args, workers=a.workers)}), flush=True)
    if not a.no_dask:
        runs = 40 if a.quick else 150
        print(json.dumps({"dask_overhead": bench_dask(runs, 120, a.workers)}), flush=True)


if __name__ == "__main__":
    main()
