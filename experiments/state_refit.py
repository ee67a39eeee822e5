"""Issue 20's re-fit after the hindcast's state was pinned (replacements replace losses, attacks
called off before a unit breaks): a Latin hypercube over the four parameters that the too-large
Russian Kursk force had pushed (docs/VALIDATION.md, "Re-fit on the pinned state").

    python experiments/state_refit.py [--candidates 36] [--seed 20] [--workers 2]

The shipped values and ``--candidates`` points of the box below (hindcast_2024.yaml's priors,
narrowed to the plausible span around the shipped fit) are run on selection seeds 100-111 and
ranked by observations matched (medians; Kursk inside its range, Donetsk within 35 %), then by
the ABC distance; the best four are re-ranked on seeds 112-143. Prints the ranking and the
choice. Measured 2026-12-01: 36 candidates, 332 s on 2 cores at load ~9; a second round (30
candidates within +-10 % of the box around the choice, adding operations.tempo and
morale.loss_sensitivity) kept the same choice. Both ran before the per-mechanism random streams
(main bccbf67), so a re-run now draws other dice; the choice was re-measured on the new
streams (VALIDATION.md).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import qmc

if TYPE_CHECKING:
    from sim.runner import Executor

REPO = Path(__file__).resolve().parent.parent
BOX = {"advance.half_force_ratio": (1.5, 3.0), "advance.max_km_per_day": (0.35, 0.8),
       "combat.prepared_defence": (1.5, 3.0), "combat.lethality": (0.008, 0.02)}
SELECTION, WIDER = range(100, 112), range(112, 144)


@functools.cache
def _setup():
    from sim.analysis import build_targets, load_observations
    from sim.scenario import load_scenario

    scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml")
    return scn, build_targets(load_observations(REPO / "seeds" / "observations.csv"),
                              scn.start_date, scn.days)


def _score(ex: Executor, cands: list[dict[str, float]], seeds: range) -> list:
    from sim.analysis import distance, matched, run_candidates

    scn, targets = _setup()
    med = np.median(run_candidates(cands, scn, targets, seeds, scn.days, executor=ex), axis=1)
    return [(sum(matched(t, v) for t, v in zip(targets, m, strict=True) if t.fitted),
             float(distance(m, targets)), m) for m in med]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--candidates", type=int, default=36)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    scn = _setup()[0]
    names = list(BOX)
    shipped = {n: float(getattr(getattr(scn, n.split(".")[0]), n.split(".")[1])) for n in names}
    x = qmc.scale(qmc.LatinHypercube(d=len(names), seed=a.seed).random(a.candidates),
                  [BOX[n][0] for n in names], [BOX[n][1] for n in names])
    cands = [shipped] + [dict(zip(names, map(float, row), strict=True)) for row in x]
    from sim.runner import make_executor

    with make_executor("local", a.workers) as ex:
        res = _score(ex, cands, SELECTION)
        top = sorted(range(len(cands)), key=lambda i: (-res[i][0], res[i][1]))[:4]
        res2 = _score(ex, [cands[i] for i in top], WIDER)
    for j in sorted(range(len(top)), key=lambda j: (-res2[j][0], res2[j][1])):
        i = top[j]
        print(f"candidate {i}: matched {res[i][0]}/11 on seeds 100-111, {res2[j][0]}/11 on "
              f"112-143 (distance {res2[j][1]:.2f}); "
              + ", ".join(f"{n} {v:.6g}" for n, v in cands[i].items()))


if __name__ == "__main__":
    main()
