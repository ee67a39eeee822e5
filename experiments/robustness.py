"""How robust the hindcast's fit is to the choice of seeds (docs/VALIDATION.md, "Fit per
observation, and how robust it is"): the shipped hindcast (or SCENARIO, optionally with the
fitted values of VALUES.yaml, a ``path: value`` map as experiments/terrain_round3.yaml) run on
the acceptance test's seeds 0-31 and on five other seed sets, medians per set.

    python experiments/robustness.py [SCENARIO] [--values VALUES.yaml] [--workers 2]

Prints a Markdown table: per seed set, Kursk observations inside their ranges, Donetsk months
within 35 %, and every median (✗ = not matched). 448 runs of 152 days, ~30 s on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from select_fixed_values import HINDCAST, score, setup

from sim.scenario import read_yaml

SEED_SETS = (range(0, 32), range(32, 64), range(64, 96), range(100, 196), range(200, 328),
             range(400, 528))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario", type=Path, nargs="?", default=HINDCAST)
    ap.add_argument("--values", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    from sim.analysis import matched
    from sim.runner import make_executor

    values = read_yaml(a.values) if a.values else {}
    targets = setup(a.scenario)[1]
    shown = [i for i, t in enumerate(targets) if t.group in ("kursk", "donetsk")]
    print("| seeds | Kursk | Donetsk | " + " | ".join(targets[i].label for i in shown) + " |")
    print("| --- | --- | --- |" + " --- |" * len(shown))
    print("| observed [range] | | | " + " | ".join(
        f"{targets[i].value:,.0f} [{targets[i].low:,.0f}–{targets[i].high:,.0f}]" for i in shown)
        + " |")
    with make_executor("local", a.workers) as ex:
        for seeds in SEED_SETS:
            (k, d, _, med), = score(ex, a.scenario, [values], seeds)
            cells = [f"{med[i]:,.0f}" + ("" if matched(targets[i], med[i]) else " ✗")
                     for i in shown]
            print(f"| {seeds.start}–{seeds.stop - 1} | {k}/6 | {d}/5 | " + " | ".join(cells) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
