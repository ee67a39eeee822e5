"""The project's runner against Mesa's generic one, on the same model and the same runs.

    python benchmarks/bench_vs_mesa.py [--runs 200] [--workers 2] [--repeats 2]

Mesa: ``mesa.batch_run`` drives ``WarModel`` with a DataCollector of nine model reporters
(collected every day), ``number_processes=workers``, no files written. Project: the
``wargame run SCENARIO --runs N --workers W --quiet`` command (a fresh process: start-up,
workers, records, Parquet files, summary and fan chart included). Both use the same seeds
(replicate *i* of the master seed). They are timed alternately so both see the same
background load; the load average is printed beside the figures. Target (issue 9): wargame
run at least 2x faster.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

from sim.model import WarModel
from sim.runner import replicate_seeds
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "reinforce.yaml"
REPORTERS = ("kursk_ua_km2", "donetsk_gain_km2", "confidence", "dprk_casualties",
             "corridor_interdiction", "corridor_margin_km")


@functools.cache
def _scenario(path: str):
    return load_scenario(path)


class MesaWarModel(WarModel):
    """WarModel as ``mesa.batch_run`` wants it: keyword parameters and a ``datacollector``."""

    def __init__(self, scenario_file: str = str(SCENARIO), rng: int | None = None) -> None:
        super().__init__(_scenario(scenario_file), rng=rng)
        reporters = {name: name for name in REPORTERS}
        reporters.update({
            "ru_killed": lambda m: float(m.killed[0]),
            "ua_killed": lambda m: float(m.killed[1]),
            "ru_personnel": lambda m: float(m.forces.personnel[m.forces.is_side[0]].sum()),
        })
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def time_mesa(seeds: list[int], workers: int, days: int) -> float:
    t0 = time.perf_counter()
    rows = mesa.batch_run(MesaWarModel, parameters={"scenario_file": str(SCENARIO)}, rng=seeds,
                          number_processes=workers, data_collection_period=1, max_steps=days,
                          display_progress=False)
    seconds = time.perf_counter() - t0
    assert len({r["RunId"] for r in rows}) == len(seeds)
    return seconds


def time_wargame(runs: int, workers: int, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--runs", str(runs), "--workers",
           str(workers), "--out", str(out), "--quiet",
           # the scenario's own values, as mesa.batch_run runs them (not posterior draws)
           "--params", "fixed"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    scn = _scenario(str(SCENARIO))
    seeds = replicate_seeds(scn.seed, a.runs)
    print(f"{a.runs} runs of {SCENARIO.name} ({scn.days} days), {a.workers} workers; "
          f"{os.cpu_count()} cores; load average before: {_load()}", flush=True)
    mesa_s, ours_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.repeats):
            mesa_s.append(time_mesa(seeds, a.workers, scn.days))
            print(f"  [{k}] mesa.batch_run: {mesa_s[-1]:6.2f} s   (load {_load()})", flush=True)
            ours_s.append(time_wargame(a.runs, a.workers, Path(tmp) / "b"))
            print(f"  [{k}] wargame run:    {ours_s[-1]:6.2f} s   (load {_load()})", flush=True)
    m, o = statistics.median(mesa_s), statistics.median(ours_s)
    print(f"median: mesa.batch_run {m:.2f} s, wargame run {o:.2f} s: wargame run is "
          f"{m / o:.2f}x as fast (target >= 2x); load average after: {_load()}")


if __name__ == "__main__":
    main()
