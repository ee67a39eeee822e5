"""The pattern table of docs/VALIDATION.md: the shipped hindcast at the fixed calibrated values
with each issue-10 mechanism switched off in turn, fit per observation (medians over seeds).

    python experiments/pattern_table.py [--seeds 32] [--first-seed 0] [--workers 2]

Prints two Markdown tables: observations matched per variant, and the simulated median per
observation (✗ = not matched: a Kursk median outside its observed range, a Donetsk month off by
more than 35 %). Uses every core by default; 32 × 7 runs of 152 days (~30 s on 2 cores).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# variant -> the switch it flips (None: the shipped scenario as it is)
VARIANTS = {"all mechanisms": None, "operations off": "operations=false",
            "exhaustion off": "exhaustion=false",
            "soft frontage off (hard cap)": "soft_frontage=false",
            "graded defence off": "graded_defence=false",
            "terrain odds off (ratio main effort)": "terrain_odds=false",
            "replacement cap off (fronts grow)": "replace_losses_only=false"}


@functools.cache
def _setup(switch: str | None):
    """The variant's scenario and targets."""
    from sim.analysis import build_targets, load_observations
    from sim.scenario import load_scenario

    over = [f"switches.{switch}"] if switch else []
    scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml", overrides=over)
    return scn, build_targets(load_observations(REPO / "seeds" / "observations.csv"),
                              scn.start_date, scn.days)


def main() -> None:
    from sim.analysis import matched, run_candidates
    from sim.runner import make_executor

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    targets = _setup(None)[1]
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    sims = []
    with make_executor("local", a.workers) as ex:
        for switch in VARIANTS.values():  # each variant's scenario as it is: no values set
            scn, variant_targets = _setup(switch)
            sims.append(run_candidates([{}], scn, variant_targets, seeds, scn.days,
                                       executor=ex)[0])
    med = np.median(np.array(sims), axis=1)
    print(f"seeds {seeds.start}-{seeds.stop - 1}\n")
    print("| variant | Kursk inside (of 6) | Donetsk within ±35 % (of 5) |\n| --- | --- | --- |")
    for name, m in zip(VARIANTS, med, strict=True):
        k = sum(matched(t, v) for t, v in zip(targets, m, strict=True) if t.group == "kursk")
        d = sum(matched(t, v) for t, v in zip(targets, m, strict=True) if t.group == "donetsk")
        print(f"| {name} | {k} | {d} |")
    print("\n| observation | observed | " + " | ".join(VARIANTS) + " |")
    print("| --- | --- |" + " --- |" * len(VARIANTS))
    for j, t in enumerate(targets):
        if t.group not in ("kursk", "donetsk"):
            continue
        cells = [f"{med[v, j]:,.0f}" + ("" if matched(t, med[v, j]) else " ✗")
                 for v in range(len(VARIANTS))]
        print(f"| {t.label} | {t.value:,.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
