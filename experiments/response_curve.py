"""The troop-response curve of docs/MODEL.md 3.3.24: Russian Donetsk gain on day 60 of the
baseline with 0 / 1 / 2 / 4 / 8 extra copies of the 10,000-troop grouping RU-D-pokrovsk-1 on
the Pokrovsk axis, paired seeds, with the operation's main effort chosen on the odds against the
ground ahead (the default) and on the force ratio (``switches.terrain_odds: false``;
docs/MODEL.md 3.3.22).

    python experiments/response_curve.py [--seeds 32] [--first-seed 0] [--workers 2]

Prints, per rule, the mean gain at each size and each step's paired mean +- standard error.
The first four sizes under the default rule are what tests/test_mechanisms.py's troop-response
test runs.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.runner import Executor

REPO = Path(__file__).resolve().parent.parent
EXTRA = (0, 1, 2, 4, 8)
RULES = {"odds against the ground ahead (default)": "true", "force ratio": "false"}


@functools.cache
def _scenario(terrain_odds: str, extra: int):
    from sim.scenario import load_scenario, scenario_dict, validate_tree

    base = load_scenario(REPO / "scenarios" / "baseline.yaml",
                         overrides=["days=60", f"switches.terrain_odds={terrain_odds}"])
    tree = scenario_dict(base)
    spec = next(g for g in tree["groupings"] if g["name"] == "RU-D-pokrovsk-1")
    tree["groupings"] += [{**spec, "name": f"RU-D-extra-{k}"} for k in range(extra)]
    return validate_tree(tree, base.source_path)


def _gain(_shared: None, job: tuple[str, int, int]) -> float:
    """Task: Russia's Donetsk gain on the last day (km2); scenarios built once per worker."""
    from sim.model import run

    rule, extra, seed = job
    return float(run(_scenario(rule, extra), seed).daily["donetsk_ru_gain_km2"].iloc[-1])


def _gains(ex: Executor, jobs: list[tuple[str, int, int]]) -> list[float]:
    """``_gain`` of every job, in order, on ``ex``."""
    out: dict[tuple[str, int, int], float] = {}

    def keep(job: tuple[str, int, int], gain: float, error: BaseException | None) -> None:
        if error is not None:
            raise RuntimeError(f"run {job} failed: {error}")
        out[job] = gain

    if ex.map(_gain, None, jobs, keep):
        raise KeyboardInterrupt
    return [out[j] for j in jobs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=32)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    from sim.runner import make_executor

    with make_executor("local", a.workers) as ex:
        for label, rule in RULES.items():
            jobs = [(rule, n, s) for n in EXTRA for s in seeds]
            g = np.array(_gains(ex, jobs)).reshape(len(EXTRA), -1)
            steps = np.diff(g, axis=0)
            se = steps.std(axis=1, ddof=1) / np.sqrt(g.shape[1])
            print(f"{label}, seeds {seeds.start}-{seeds.stop - 1}: "
                  + " / ".join(f"{m:.0f}" for m in g.mean(axis=1)) + " km2 with "
                  + " / ".join(map(str, EXTRA)) + " extra groupings; steps "
                  + ", ".join(f"{m:+.0f} ± {s:.0f}" for m, s in zip(steps.mean(axis=1), se,
                                                                    strict=True)))


if __name__ == "__main__":
    main()
