"""The pattern table's "pooled skill" column (issue 20): the rolling-origin backtest with each
mechanism switched off in turn.

    python experiments/backtest_variants.py [--out results/backtest_variants] [--workers 2]
        [--only "operations off" ...] [--off operations ...] [--no-restart]

A mechanism earns its place by out-of-sample skill: each variant runs ``wargame backtest``'s
default (the hindcast, the shipped posterior's parameters fitted at each origin, the others
drawn from their priors, forecasts conditioned and restarted from the last Kursk area known) with
one switch flipped (``--off`` switches others off in every variant: combinations), and writes
its folder under ``--out``. Prints one Markdown row per variant:
pooled skill against the best naive forecast per front and the 90 % band's coverage. Each
variant costs one backtest (~3-4 min on 2 cores at low load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "experiments"))
from pattern_table import VARIANTS  # noqa: E402  (the in-sample table's variants, the same switches)


def main() -> None:
    from sim.analysis import run_backtest, write_backtest
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "results" / "backtest_variants")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--only", action="append", choices=list(VARIANTS), default=None)
    ap.add_argument("--off", action="append", default=[], metavar="SWITCH",
                    help="also switch this mechanism off in every variant")
    ap.add_argument("--no-restart", dest="restart", action="store_false")
    a = ap.parse_args()
    print("| variant | pooled skill Kursk | pooled skill Donetsk | 90 % covered | wall s | load |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in a.only or VARIANTS:
        switch = VARIANTS[name]
        over = [f"switches.{x}=false" for x in a.off] + ([f"switches.{switch}"] if switch else [])
        scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml", overrides=over)
        t0 = time.perf_counter()
        bt = run_backtest(scn, REPO / "seeds" / "observations.csv", workers=a.workers,
                          restart=a.restart)
        wall = time.perf_counter() - t0
        stem = "+".join([name.split(" (")[0].replace(" ", "_"), *(f"{x}_off" for x in a.off)])
        write_backtest(bt, a.out / stem)
        pooled = bt.summary[bt.summary.origin == "pooled"].set_index("front")
        covered = int(bt.scores.in90.sum())
        label = " + ".join([name, *(f"{x} off" for x in a.off)])
        print(f"| {label} | {pooled.skill['kursk']:+.2f} | {pooled.skill['donetsk']:+.2f} | "
              f"{covered}/{len(bt.scores)} | {wall:.0f} | {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
