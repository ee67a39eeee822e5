"""Speed of the core model on one core: building a model from a loaded scenario, and one full
run of reinforce.yaml (120 days).

    python benchmarks/bench_model.py [--repeats 50] [--profile]

Targets (issue 9): build <= 2 ms, one 120-day run <= 50 ms median. Maps are loaded once per
process (the first build pays for it and is reported separately). Wall time is what a user
waits; CPU time (this process only) is less disturbed by other work on a shared machine, so
both are printed with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from sim.model import WarModel, run
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "reinforce.yaml"


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--profile", action="store_true", help="cProfile 10 runs, top 20 functions")
    args = ap.parse_args()

    print(f"before: {_load()} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    scn = load_scenario(SCENARIO)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    WarModel(scn, rng=0)
    first_build_s = time.perf_counter() - t0
    run(scn, 0)  # warm up

    builds, runs, cpus = [], [], []
    for seed in range(args.repeats):
        t0 = time.perf_counter()
        WarModel(scn, rng=seed)
        builds.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        run(scn, seed)
        runs.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)

    ms = lambda xs: f"{statistics.median(xs) * 1e3:7.2f} ms"  # noqa: E731
    print(f"scenario load (incl. maps, once per process): {load_s * 1e3:7.1f} ms")
    print(f"first model build:                            {first_build_s * 1e3:7.1f} ms")
    print(f"model build, median of {args.repeats}:              {ms(builds)}   (target <= 2 ms)")
    print(f"120-day run, median of {args.repeats}:              {ms(runs)}   (target <= 50 ms)")
    print(f"120-day run, CPU time, median:               {ms(cpus)}")
    print(f"120-day run, 90th percentile:                 "
          f"{sorted(runs)[int(0.9 * len(runs))] * 1e3:7.2f} ms")
    print(f"after: {_load()}")

    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for seed in range(10):
            run(scn, seed)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
