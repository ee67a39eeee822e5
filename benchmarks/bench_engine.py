"""The engine's figures of issue 21 in one run, with the machine load beside each.

    python benchmarks/bench_engine.py                      # everything (~10 min on 2 idle cores)
    python benchmarks/bench_engine.py --only crn --runs 200
    python benchmarks/bench_engine.py --only batch --sizes 100 400 2000

Sections (``--only`` picks some):
- ``batch``: per-run CPU inside N-run batches on one worker: the CPU of a fresh
  ``wargame run --runs N --workers 1 --params fixed`` process tree minus that of a 1-run batch,
  over N - 1 (start-up, imports and writing cancel out); target <= 8 ms.
- ``startup``: wall time of a 1-run batch (fresh process, files and fan chart included);
  target <= 1.5 s.
- ``mesa``: the same runs through ``mesa.batch_run`` and through ``wargame run``, alternately
  (benchmarks/bench_vs_mesa.py); target: wargame run >= 3x as fast.
- ``crn``: common random numbers: baseline against reinforce on the same seeds, SD of the paired
  difference over the SD of an unpaired one on days 30 and 60, with posterior draws (the
  default) and at fixed values; targets <= 0.6 (Kursk) and <= 0.7 (Donetsk) on day 60. A
  second line says how much of the paired variance the 5 % of pairs farthest from the mean
  difference carry (options that part ways: a salient cleared in one run of a pair only, a
  Donetsk breakthrough), and the ratio without them; a third the lowest ratio any pairing of
  the two samples can reach (their sorted values paired rank by rank), the floor of any stream
  layout.
- ``calibrate``: simulations per minute of the 152-day hindcast through the calibration's
  evaluator (ABC rejection, all workers); target >= 10x the rate before the engine change.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCENARIOS = REPO / "scenarios"
sys.path.insert(0, str(HERE))


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _wargame(*args: str) -> tuple[float, float]:
    """Run ``wargame ARGS --quiet`` in a fresh process: (wall s, CPU s of it and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "run", *args, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def batch_cpu(sizes: list[int], tmp: Path) -> None:
    scn = str(SCENARIOS / "reinforce.yaml")
    common = ("--workers", "1", "--params", "fixed")
    _, one = _wargame(scn, "--runs", "1", "--out", str(tmp / "one"), *common)
    for n in sizes:
        _, cpu = _wargame(scn, "--runs", str(n), "--out", str(tmp / f"b{n}"), *common)
        print(f"  {n:5d}-run batch, 1 worker: {(cpu - one) / (n - 1) * 1e3:6.1f} ms CPU per run "
              f"(target <= 8 ms)   {_load()}", flush=True)


def startup(tmp: Path, repeats: int = 5) -> None:
    # the CPU beside the wall: on a shared machine the wall follows the load, the CPU much less
    walls, cpus = zip(*(_wargame(str(SCENARIOS / "baseline.yaml"), "--runs", "1", "--out",
                                 str(tmp / f"s{k}")) for k in range(repeats)), strict=True)
    print(f"  1-run batch: {statistics.median(walls):.2f} s wall ({min(walls):.2f}.."
          f"{max(walls):.2f}), {statistics.median(cpus):.2f} s CPU, median of {repeats} "
          f"(target <= 1.5 s wall)   {_load()}", flush=True)


def versus_mesa(runs: int, workers: int, tmp: Path) -> None:
    import bench_vs_mesa as vs

    from sim.runner import replicate_seeds
    from sim.scenario import load_scenario

    scn = load_scenario(vs.SCENARIO)
    seeds = replicate_seeds(scn.seed, runs)
    m = vs.time_mesa(seeds, workers, scn.days)
    print(f"  mesa.batch_run {runs} runs, {workers} workers: {m:6.2f} s   {_load()}", flush=True)
    o = vs.time_wargame(runs, workers, tmp / "vs")
    print(f"  wargame run    {runs} runs, {workers} workers: {o:6.2f} s   {_load()}", flush=True)
    print(f"  wargame run is {m / o:.2f}x as fast (target >= 3x)")


def _ratio(x: pd.Series, y: pd.Series) -> float:
    """SD of the paired difference over the SD of an unpaired one."""
    unpaired = np.sqrt(x.var() + y.var())
    return float((x - y).std() / unpaired) if unpaired > 0 else float("nan")


def comonotone_ratio(x: pd.Series, y: pd.Series) -> float:
    """The lowest paired/unpaired SD ratio any pairing of these two samples can reach: that of
    the sorted samples paired rank by rank (the comonotone coupling maximises the covariance
    for fixed marginals, Fréchet-Hoeffding, so it minimises the variance of the difference).
    A target below it cannot be met by any stream layout, only by a model whose options end
    with more alike distributions."""
    return _ratio(pd.Series(np.sort(x.to_numpy())), pd.Series(np.sort(y.to_numpy())))


def crn_ratios(folder_a: Path, folder_b: Path, days: tuple[int, ...] = (30, 60),
               tail: float = 0.05) -> dict[tuple[str, int], tuple[float, float, float, float]]:
    """Per outcome and day: the paired/unpaired SD ratio, the share of the paired difference's
    variance carried by the ``tail`` of pairs farthest from the mean difference, the ratio
    without them (a diagnosis of where the pairing is lost; the target is the first), and the
    lowest ratio any pairing of the two samples could reach (:func:`comonotone_ratio`)."""
    a, b = (pd.read_parquet(f / "daily.parquet") for f in (folder_a, folder_b))
    out = {}
    for day in days:
        for col in ("kursk_ua_km2", "donetsk_ru_gain_km2"):
            x = a[a.day == day].set_index("run")[col]
            y = b[b.day == day].set_index("run")[col]
            x, y = x.align(y, join="inner")
            sq = ((x - y) - (x - y).mean()) ** 2
            far = sq.rank(method="first", ascending=False) <= max(1, round(tail * len(sq)))
            out[col, day] = (_ratio(x, y), float(sq[far].sum() / sq.sum()) if sq.sum() else 0.0,
                             _ratio(x[~far], y[~far]), comonotone_ratio(x, y))
    return out


def crn(runs: int, tmp: Path) -> None:
    for params in ("posterior", "fixed"):
        out = tmp / f"crn-{params}"
        _wargame(str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "reinforce.yaml"), "--runs",
                 str(runs), "--params", params, "--out", str(out))
        r = crn_ratios(out / "baseline", out / "reinforce")
        print(f"  {params:9s} paired/unpaired SD, baseline vs reinforce, {runs} runs: "
              + ", ".join(f"{c.split('_')[0]} day {d} {v[0]:.2f}" for (c, d), v in r.items())
              + f"  (targets day 60: kursk <= 0.6, donetsk <= 0.7)   {_load()}", flush=True)
        print("            the 5 % of pairs farthest from the mean difference carry "
              + ", ".join(f"{c.split('_')[0]} day {d} {100 * v[1]:.0f} %"
                          for (c, d), v in r.items())
              + " of its variance; without them the ratio is "
              + ", ".join(f"{v[2]:.2f}" for v in r.values()), flush=True)
        print("            the lowest ratio any pairing of the same two samples reaches "
              "(sorted against sorted): "
              + ", ".join(f"{c.split('_')[0]} day {d} {v[3]:.2f}" for (c, d), v in r.items()),
              flush=True)


def calibration_rate(budget: int) -> None:
    from bench_calibrate import PARAMS

    from sim.analysis import calibrate
    from sim.scenario import load_scenario

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml")
    t0 = time.perf_counter()
    calibrate(scn, REPO / "seeds" / "observations.csv", PARAMS, budget=budget, replicates=1,
              seed=1)
    s = time.perf_counter() - t0
    print(f"  calibration: {budget} hindcast simulations in {s:.0f} s = {budget / s * 60:.0f} "
          f"per minute (all workers)   {_load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", default=["batch", "startup", "mesa", "crn", "calibrate"],
                    choices=["batch", "startup", "mesa", "crn", "calibrate"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[100, 400])
    ap.add_argument("--runs", type=int, default=200, help="runs for mesa and crn")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget", type=int, default=200, help="calibration simulations")
    a = ap.parse_args()
    print(f"{os.cpu_count()} cores; before: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for part in a.only:
            print(part, flush=True)
            {"batch": lambda: batch_cpu(a.sizes, tmp), "startup": lambda: startup(tmp),
             "mesa": lambda: versus_mesa(a.runs, a.workers, tmp),
             "crn": lambda: crn(a.runs, tmp),
             "calibrate": lambda: calibration_rate(a.budget)}[part]()
    print(f"after: {_load()}")


if __name__ == "__main__":
    main()
