"""Benchmark: a production-size ABC-SMC calibration of the 152-day hindcast (the 9 model
parameters of the shipped posterior, docs/VALIDATION.md) must run at least 10,000 simulations
in at most 15 minutes on the project machine (2 cores). Prints the load average beside the
figures: other work on a shared machine inflates the time.

Production budget (docs/VALIDATION.md, "Method"): populations of 500 particles x 1 replicate,
at most 30 populations, stopping before a population once 10,000 simulations were counted
(the population under way finishes, so a fit counts more than 10,000 simulations: the last
population's evaluations grow as its acceptance rate falls; the ordered sampler also runs a
few discarded candidates per population).

    python benchmarks/bench_calibrate.py                        # production size
    python benchmarks/bench_calibrate.py --population 20 --generations 2 --days 60   # smoke
    python benchmarks/bench_calibrate.py --method rejection --budget 600
    python benchmarks/bench_calibrate.py --population 100 --generations 4 --full-runs
        # smc without early rejection (every rejected run to its end): the same fit, slower
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The model parameters of the shipped posterior (docs/VALIDATION.md): not the period facts of
# the hindcast (replacement streams, policy shares), which the option scenarios must not inherit.
PARAMS = ["combat.lethality", "combat.prepared_defence", "advance.max_km_per_day",
          "advance.half_force_ratio", "advance.breakthrough_km_per_day",
          "advance.broken_km_per_day", "morale.loss_sensitivity", "combat.max_troops_per_km",
          "combat.min_frontage_km"]
LIMIT_S = 15 * 60
# Populations of 500: with 17 parameters, populations of 300 collapsed to an effective sample
# of 2 and populations of 1,000 stopped at epsilon 5.4 (VALIDATION.md, "The ABC-SMC posterior").
PRODUCTION = {"population": 500, "generations": 30, "budget": 10_000, "replicates": 1}


def main() -> None:
    from sim.analysis import calibrate, calibrate_smc
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser()
    ap.add_argument("--method", choices=("smc", "rejection"), default="smc")
    ap.add_argument("--population", type=int, default=PRODUCTION["population"])
    ap.add_argument("--generations", type=int, default=PRODUCTION["generations"])
    ap.add_argument("--budget", type=int, default=PRODUCTION["budget"],
                    help="smc: simulations before the last population; rejection: candidates")
    ap.add_argument("--replicates", type=int, default=PRODUCTION["replicates"])
    ap.add_argument("--days", type=int, default=None, help="horizon (default: 152)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=20240806)
    ap.add_argument("--full-runs", action="store_true",
                    help="smc: no early rejection (the same fit, every run to its last day)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="smc: keep the fit folder (abc.db) here instead of a temporary one; "
                         "`wargame calibrate --fit-dir DIR --resume` then writes its outputs")
    a = ap.parse_args()
    over = [f"days={a.days}"] if a.days else []
    scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml", overrides=over)
    obs = REPO / "seeds" / "observations.csv"
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    if a.method == "smc":
        out = a.keep or Path(tempfile.mkdtemp(prefix="bench-smc-"))
        try:
            cal = calibrate_smc(scn, obs, PARAMS, out, population=a.population,
                                generations=a.generations, budget=a.budget, seed=a.seed,
                                replicates=a.replicates, workers=a.workers,
                                early_reject=not a.full_runs, progress=lambda e: print(
                                    f"  population {e['t']}: eps {e['eps']:.3g}, "
                                    f"{e['evaluations']} evaluations, {e['seconds']:.0f} s, "
                                    f"load {os.getloadavg()[0]:.1f}", flush=True)
                                if e["kind"] == "population" else None)
        finally:
            if a.keep is None:
                shutil.rmtree(out, ignore_errors=True)
        counted, ran = cal.simulations, cal.computed * a.replicates
        what = (f"ABC-SMC {len(cal.populations)} populations x {a.population} particles x "
                f"{a.replicates} replicate(s), "
                + ("every run to its end" if a.full_runs else "early rejection"))
    else:
        cal = calibrate(scn, obs, PARAMS, budget=a.budget, replicates=a.replicates,
                        workers=a.workers, seed=a.seed)
        counted = ran = a.budget * a.replicates
        what = f"ABC rejection {a.budget} candidates x {a.replicates} replicates"
    check = cal.check_sims.shape[0] if cal.check_sims is not None else 0
    s = time.perf_counter() - t0
    runs = ran + check
    workers = a.workers or len(os.sched_getaffinity(0))
    print(f"{what} ({counted} simulations counted, {ran} run + {check} check runs of "
          f"{scn.days} days): {s:.0f} s wall, {s / runs * 1000:.0f} ms/run wall, "
          f"{s * workers / runs * 1000:.0f} ms/run x {workers} workers; limit {LIMIT_S} s "
          f"for >= 10,000: {'ok' if s < LIMIT_S and counted >= 10_000 else 'not shown'}; "
          f"{os.cpu_count()} cores, load average {load0[0]:.1f} before / "
          f"{os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
