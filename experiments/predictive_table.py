"""The posterior-predictive fit table of docs/VALIDATION.md: for a hindcast batch (one
posterior draw per run), each Kursk and Donetsk observation against the median and 5-95 % of
the runs, whether the median matches (Kursk inside its range, Donetsk within 35 %), and the
run ensemble scored as a forecast of the point value with the observation's stated error, as
the backtest scores (CRPS, in the observation's unit, and whether the point lies in the 90 %
band; ``sim.analysis.crps``, ``OBSERVATION_ERROR``), with each front's mean CRPS.

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
    from sim.analysis import OBSERVATION_ERROR, covers, crps, history_data, matched

    _, targets, sims = history_data(a.batch, a.observations)
    print(f"{len(sims)} runs\n\n| observation | observed [range] | median [5–95 %] | matched "
          f"| CRPS | in 90 % |")
    print("| --- | --- | --- | --- | --- | --- |")
    scores: dict[str, list[tuple[float, bool]]] = {"kursk": [], "donetsk": []}
    for i, t in enumerate(targets):
        if t.group not in scores:
            continue
        lo, med, hi = np.percentile(sims[:, i], [5, 50, 95])
        rel = (med - t.value) / t.value
        score = float(crps(t.value, sims[:, i], OBSERVATION_ERROR))
        inside = covers(t.value, sims[:, i], 0.9, OBSERVATION_ERROR)
        scores[t.group].append((score, inside))
        print(f"| {t.label} | {t.value:,.0f} [{t.low:,.0f}–{t.high:,.0f}] | {med:,.0f} "
              f"[{lo:,.0f}–{hi:,.0f}] | {'yes' if matched(t, med) else 'no'} ({rel:+.0%}) "
              f"| {score:,.0f} | {'yes' if inside else 'no'} |")
    for group, rows in scores.items():
        print(f"\n{group}: mean CRPS {np.mean([r[0] for r in rows]):,.0f} over {len(rows)} "
              f"observations, {sum(r[1] for r in rows)} of {len(rows)} in the 90 % band "
              f"(observation error {OBSERVATION_ERROR:.4f} relative SD)")


if __name__ == "__main__":
    main()
