"""Benchmark of the batch runner: wall time, 1-vs-2-worker throughput, main-process memory.

    python benchmarks/bench_batch.py                    # the full benchmark (~4 min on 2 cores)
    python benchmarks/bench_batch.py --quick            # smaller batches, for a smoke test
    python benchmarks/bench_batch.py --scenario scenarios/ceasefire.yaml

Each configuration runs in a fresh Python process so that the peak RSS it reports
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the main process only, not the workers) belongs
to that batch alone. Targets (issue 3): 1,000 runs of reinforce.yaml (120 days) in at most
2 minutes with 2 workers; 2 workers at least 1.8x the throughput of 1; main-process peak
memory at most 1 GiB and not growing with the number of runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one(scenario: str, runs: int, workers: int, days: int) -> dict:
    """Run one batch in this process and report time and peak RSS (MiB)."""
    from sim.runner import read_manifest, run_batch
    from sim.scenario import load_scenario

    scn = load_scenario(scenario)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        c0 = time.process_time()
        res = run_batch(scn, Path(tmp) / "out", runs=runs, workers=workers, days=days,
                        command="bench", params="fixed")  # as before the posterior shipped
        seconds = time.perf_counter() - t0
        main_cpu = time.process_time() - c0
        size = sum(p.stat().st_size for p in (Path(tmp) / "out").iterdir()) / 2**20
        manifest = read_manifest(Path(tmp) / "out")
    assert res.complete, res
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    run_cpu = sum(r.cpu_seconds or 0.0 for r in manifest.runs)
    return {"runs": runs, "workers": workers, "days": days, "seconds": seconds,
            "runs_per_s": runs / seconds, "rss_before_mib": rss0, "peak_rss_mib": rss,
            "folder_mib": size, "run_cpu_s": run_cpu, "main_cpu_s": main_cpu}


def in_subprocess(scenario: str, runs: int, workers: int, days: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", scenario, str(runs), str(workers), str(days)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "reinforce.yaml"))
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--quick", action="store_true", help="100/300 runs instead of 200/1000")
    ap.add_argument("--one", nargs=4, metavar=("SCENARIO", "RUNS", "WORKERS", "DAYS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        s, n, w, d = args.one
        print(json.dumps(one(s, int(n), int(w), int(d))))
        return

    small, big = (100, 300) if args.quick else (200, 1000)
    load0 = os.getloadavg()[0]
    rows = [
        in_subprocess(args.scenario, small, 2, args.days),
        in_subprocess(args.scenario, big, 1, args.days),
        in_subprocess(args.scenario, big, 2, args.days),
    ]
    load1 = os.getloadavg()[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"scenario {args.scenario}, {args.days} days, {cores} cores, "
          f"load average {load0:.1f} before / {load1:.1f} after")
    if load0 > 0.5:  # (the "after" figure includes this benchmark's own workers)
        print("warning: the machine was busy with other work; wall times are inflated")
    print(f"{'runs':>6} {'workers':>7} {'wall s':>8} {'runs/s':>8} {'main RSS MiB':>13} "
          f"{'(at start)':>10} {'folder MiB':>10} {'CPU ms/run':>10} {'main CPU s':>10}")
    for r in rows:
        print(f"{r['runs']:>6} {r['workers']:>7} {r['seconds']:>8.1f} {r['runs_per_s']:>8.2f} "
              f"{r['peak_rss_mib']:>13.0f} {r['rss_before_mib']:>10.0f} {r['folder_mib']:>10.1f} "
              f"{1000 * r['run_cpu_s'] / r['runs']:>10.1f} {r['main_cpu_s']:>10.1f}")
    print("CPU ms/run: CPU time of one run in its worker (model + its Parquet rows); main CPU s:"
          " the main process (scheduling, manifest, consolidation, summary)")
    w2, w1big, w2big = rows
    ratio = w2big["runs_per_s"] / w1big["runs_per_s"]
    print(f"throughput at {big} runs, 2 workers / 1 worker: {ratio:.2f}x (target >= 1.8x)")
    print(f"{big} runs with 2 workers: {w2big['seconds']:.1f} s (target <= 120 s)")
    print(f"main-process peak RSS with 2 workers: {w2['peak_rss_mib']:.0f} MiB at {small} runs, "
          f"{w2big['peak_rss_mib']:.0f} MiB at {big} runs (target <= 1024 MiB, flat)")


if __name__ == "__main__":
    main()
