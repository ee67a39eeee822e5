"""Choose the fixed calibrated values (scenarios/calibrated.yaml) from an ABC-SMC posterior.

    python experiments/select_fixed_values.py scenarios/posterior/posterior.parquet [--top 40]
        [--selection-seeds 32] [--scenario scenarios/hindcast_2024.yaml]

The posterior-predictive batches draw from the whole posterior; a user who asks for one set of
values (``--params fixed``, the acceptance test, ``wargame app``) gets the particle that fits
the record best on **selection seeds** (100-131 by default): the ``--top`` particles of the
last population with the smallest ABC distance are each run on those seeds, ranked by the
observations their medians match (Kursk inside its range, Donetsk month within 35 %), then by
the distance of their medians. The winner is then checked on seeds 0-31, which the selection
never saw (what tests/test_calibrate.py's acceptance test runs). Prints the ranking, the
winner's values as overlay YAML and its check on seeds 0-31.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.runner import Executor

REPO = Path(__file__).resolve().parent.parent
HINDCAST = REPO / "scenarios" / "hindcast_2024.yaml"
OBS = REPO / "seeds" / "observations.csv"
CHECK = range(0, 32)


@functools.cache
def setup(path: Path):
    """The hindcast at ``path`` and its targets, loaded once (the values are parameters: the
    targets stay the same)."""
    from sim.analysis import build_targets, load_observations
    from sim.scenario import load_scenario

    scn = load_scenario(path)
    return scn, build_targets(load_observations(OBS), scn.start_date, scn.days)


def score(ex: Executor, path: Path, values: list[dict[str, float]], seeds: range
          ) -> list[tuple[int, int, float, np.ndarray]]:
    """Per candidate: (Kursk matched, Donetsk matched, distance, medians) over ``seeds``."""
    from sim.analysis import distance, matched, run_candidates

    scn, targets = setup(path)
    sims = run_candidates(values, scn, targets, seeds, scn.days, executor=ex)
    out = []
    for med in np.median(sims, axis=1):
        k = sum(matched(t, m) for t, m in zip(targets, med, strict=True) if t.group == "kursk")
        d = sum(matched(t, m) for t, m in zip(targets, med, strict=True) if t.group == "donetsk")
        out.append((k, d, float(distance(med, targets)), med))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("posterior", type=Path, help="a posterior table (posterior.parquet)")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--selection-seeds", type=int, default=32,
                    help="selection seeds 100, 101, ... (disjoint from the check seeds 0-31)")
    ap.add_argument("--scenario", type=Path, default=HINDCAST,
                    help="the hindcast the posterior was fitted on (its switches apply)")
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    selection = range(100, 100 + a.selection_seeds)
    from sim.runner import load_posterior, make_executor

    post = load_posterior(a.posterior)  # its particles round integer parameters
    top = pd.read_parquet(a.posterior, columns=["distance"]).nsmallest(a.top, "distance")
    values = [post.particle(i) for i in top.index]
    with make_executor("local", a.workers) as ex:
        scores = score(ex, a.scenario, values, selection)
        ranked = sorted(zip(scores, values, top.index, strict=True),
                        key=lambda x: (-(x[0][0] + x[0][1]), x[0][2]))
        print(f"top {a.top} particles on selection seeds {selection.start}-{selection.stop - 1}:")
        for (k, d, dist, _), _, idx in ranked[:10]:
            print(f"  particle {idx}: Kursk {k}/6, Donetsk {d}/5, distance {dist:.2f}")
        (k, d, dist, _), best, idx = ranked[0]
        print(f"\nchosen: particle {idx}\n")
        for n, v in best.items():
            print(f"{n}: {v:.6g}" if isinstance(v, float) else f"{n}: {v}")
        (k, d, dist, med), = score(ex, a.scenario, [best], CHECK)
    targets = setup(a.scenario)[1]
    print(f"\ncheck on seeds {CHECK.start}-{CHECK.stop - 1}: Kursk {k}/6, Donetsk {d}/5, "
          f"distance {dist:.2f}")
    for t, m in zip(targets, med, strict=True):
        if t.group in ("kursk", "donetsk"):
            print(f"  {t.label}: {t.value:,.0f} [{t.low:,.0f}-{t.high:,.0f}] -> {m:,.0f}")


if __name__ == "__main__":
    main()
