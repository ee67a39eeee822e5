"""Crash trials for the batch folder (issue 14): kill -9 of the main process, kill -9 of a
worker, SIGINT, and a full disk, each at a random moment, N times each; after every trial the
batch is finished with ``--resume`` (the disk freed first) and its tables must equal an
uninterrupted batch's, with no process of the killed batch left behind.

    python benchmarks/trials_interrupt.py [--trials 10] [--smallfs /tmp/smallfs]

``--smallfs`` is a small file system (e.g. ``mount -t tmpfs -o size=3m tmpfs /tmp/smallfs``)
for the disk-full trials; they are skipped without it. Prints one line per trial and a summary.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
SCN = REPO / "scenarios" / "reinforce.yaml"
ARGS = ["--runs", "24", "--days", "40", "--workers", "2", "-q"]


def wargame(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **kw)


def tables(folder: Path) -> tuple[pd.DataFrame, ...]:
    from sim.runner import load_results

    r = load_results(folder)
    key = ["run", "day"]
    return (r.daily.sort_values(key).reset_index(drop=True),
            r.runs.sort_values("run").reset_index(drop=True)[["run", "seed", "kursk_ua_km2"]],
            r.events.sort_values(["run", "event_id"]).reset_index(drop=True))


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def finish(out: Path) -> None:
    p = wargame("run", str(SCN), *ARGS, "--out", str(out), "--resume")
    p.wait(timeout=600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.read().decode()[-500:])


def trial(kind: str, out: Path, ref: tuple, rng: random.Random, smallfs: Path | None) -> str:
    if kind == "disk_full":
        filler = smallfs / "filler"
        free = shutil.disk_usage(smallfs).free
        filler.write_bytes(b"\0" * max(0, free - rng.randint(20_000, 200_000)))
    p = wargame("run", str(SCN), *ARGS, "--out", str(out))
    if kind != "disk_full":
        time.sleep(rng.uniform(1.5, 4.0))
    if kind == "kill_main":
        os.kill(p.pid, signal.SIGKILL)
    elif kind == "sigint":
        os.kill(p.pid, signal.SIGINT)
    elif kind == "kill_worker":
        # a worker: forked by the fork server, so a grandchild of the main process (not the
        # fork server itself or the resource tracker, its children)
        kids = subprocess.run(["pgrep", "-g", str(p.pid)], capture_output=True, text=True)
        pids = [int(x) for x in kids.stdout.split()
                if int(x) != p.pid and _parent(int(x)) not in (p.pid, None)]
        if pids:
            os.kill(rng.choice(pids), signal.SIGKILL)
    p.wait(timeout=600)
    err = p.stderr.read().decode().strip().splitlines()
    deadline = time.monotonic() + 10
    while group_alive(p.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = group_alive(p.pid)
    if kind == "disk_full":
        (smallfs / "filler").unlink()
    finish(out)
    same = all(a.equals(b) for a, b in zip(tables(out), ref, strict=True))
    tb = any("Traceback" in line for line in err)
    line = (f"{kind:11s} exit {p.returncode:>3} | stderr lines {len(err)} | traceback {tb} | "
            f"processes left {left} | resumed tables identical {same}")
    return line, same and not left and not tb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--smallfs", type=Path)
    ap.add_argument("--kinds", default="kill_main,kill_worker,sigint,disk_full")
    a = ap.parse_args()
    rng = random.Random(20250105)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ref_dir = Path(tmp) / "ref"
        p = wargame("run", str(SCN), *ARGS, "--out", str(ref_dir))
        p.wait(timeout=600)
        ref = tables(ref_dir)
        kinds = [k for k in a.kinds.split(",") if k != "disk_full" or a.smallfs]
        ok = total = 0
        for kind in kinds:
            for k in range(a.trials):
                base = a.smallfs if kind == "disk_full" else Path(tmp)
                out = base / f"{kind}-{k}"
                line, good = trial(kind, out, ref, rng, a.smallfs)
                ok += good
                total += 1
                print(line, flush=True)
                shutil.rmtree(out, ignore_errors=True)
        print(f"{ok}/{total} trials resumed to identical tables with nothing left behind; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
