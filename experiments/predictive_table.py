"""The posterior-predictive fit table of docs/VALIDATION.md: for a hindcast batch (one
posterior draw per run), each Kursk and Donetsk observation against the median and 5-95 % of
the runs, and whether the median matches (Kursk inside its range, Donetsk within 35 %).

    python experiments/predictive_table.py BATCH_DIR [--observations seeds/observations.csv]

BATCH_DIR is e.g. the output of ``wargame run scenarios/hindcast_2024.yaml --runs 100
--dice-per-draw 1``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("batch", type=Path)
    ap.add_argument("--observations", type=Path, default=REPO / "seeds" / "observations.csv")
    a = ap.parse_args()
    from sim.analysis import history_data, matched

    _, targets, sims = history_data(a.batch, a.observations)
    print(f"{len(sims)} runs\n\n| observation | observed [range] | median [5–95 %] | matched |")
    print("| --- | --- | --- | --- |")
    for i, t in enumerate(targets):
        if t.group not in ("kursk", "donetsk"):
            continue
        lo, med, hi = np.percentile(sims[:, i], [5, 50, 95])
        rel = (med - t.value) / t.value
        print(f"| {t.label} | {t.value:,.0f} [{t.low:,.0f}–{t.high:,.0f}] | {med:,.0f} "
              f"[{lo:,.0f}–{hi:,.0f}] | {'yes' if matched(t, med) else 'no'} ({rel:+.0%}) |")


if __name__ == "__main__":
    main()
