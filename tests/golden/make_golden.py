"""Regenerate the golden daily records pinned by ``tests/test_golden.py``.

Run from the repository root, only when a change is *meant* to alter the model's behaviour
(say which commit and why in the commit message): ``python tests/golden/make_golden.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
REPO = HERE.parent.parent
OPTIONS = ("baseline", "reinforce", "donetsk_focus", "ceasefire", "hindcast_2024")
SEEDS = (1, 2, 3)


def records() -> dict[str, pd.DataFrame]:
    """One frame per option: the daily records of ``SEEDS`` stacked, and their events."""
    sys.path.insert(0, str(REPO))
    from sim import load_scenario, run

    out = {}
    for name in OPTIONS:
        scn = load_scenario(REPO / "scenarios" / f"{name}.yaml")
        daily, events = [], []
        for seed in SEEDS:
            res = run(scn, seed)
            daily.append(res.daily.assign(seed=seed))
            # causes as text ("3 5"): a list column would not compare after a Parquet round trip
            ev = res.events.assign(seed=seed)
            ev["causes"] = [" ".join(map(str, c)) for c in ev["causes"]]
            events.append(ev)
        out[f"{name}.daily"] = pd.concat(daily, ignore_index=True)
        out[f"{name}.events"] = pd.concat(events, ignore_index=True)
    return out


if __name__ == "__main__":
    for key, frame in records().items():
        frame.to_parquet(HERE / f"{key}.parquet", index=False)
        print(key, frame.shape)
