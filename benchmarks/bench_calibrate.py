"""Benchmark: a calibration with the default budget (``wargame calibrate`` defaults: 240
Latin-hypercube candidates x 4 replicates of the 152-day hindcast; the 11 parameters of the
documented run, docs/VALIDATION.md) must finish in under 15 minutes on the project
machine (2 cores). Prints the load average: other work on a shared machine inflates the time.

    python benchmarks/bench_calibrate.py [--budget N] [--replicates R] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAMS = ["combat.lethality", "combat.prepared_defence", "advance.max_km_per_day",
          "advance.half_force_ratio", "advance.breakthrough_km_per_day",
          "advance.broken_km_per_day", "morale.loss_sensitivity", "combat.max_troops_per_km",
          "combat.min_frontage_km", "sides.ru.replacements_per_day",
          "sides.ua.replacements_per_day"]
LIMIT_S = 15 * 60


def main() -> None:
    from sim.analysis import DEFAULT_BUDGET, DEFAULT_REPLICATES, calibrate
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    ap.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    cal = calibrate(scn, REPO / "seeds" / "observations.csv", PARAMS, budget=a.budget,
                    replicates=a.replicates, workers=a.workers)
    s = time.perf_counter() - t0
    runs = a.budget * a.replicates + (cal.check_sims.shape[0] if cal.check_sims is not None
                                      else 0)
    print(f"budget {a.budget} x {a.replicates} replicates ({runs} runs of {scn.days} days): "
          f"{s:.0f} s ({s / runs * 1000:.0f} ms/run wall); limit {LIMIT_S} s: "
          f"{'ok' if s < LIMIT_S else 'TOO SLOW'}; {os.cpu_count()} cores, load average "
          f"{load0:.1f} before / {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
