"""Can the hindcast's priors produce the 2024 Kursk record at all? (issue 20, backtest diagnosis)

    python experiments/prior_predictive_kursk.py [--draws 300] [--workers 2]

Each draw takes every parameter of hindcast_2024.yaml's ``calibration:`` section uniformly from
its prior range (the backtest's starting point, :func:`sim.analysis.prefit_scenario`; integer
parameters rounded) and runs to 2024-11-22 (day 108) with its own seed. Prints the Ukrainian-
held Kursk area on 20 Aug (day 14), 15 Oct (day 70) and 22 Nov, the corridor interdiction and
Ukraine's Kursk supply on 15 Oct, the share of draws within reach of the record (660 km² on
15 Oct), and each parameter's correlation with the 15 Oct area. Measured 2026-12-02 (300 draws,
92 s on 2 cores at load 0-2): docs/VALIDATION.md, "Why the backtest fails".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import is_integer_param, prefit_scenario
from sim.model import run
from sim.runner import make_executor
from sim.scenario import Scenario, load_scenario, with_values

REPO = Path(__file__).resolve().parent.parent
DAYS = {"area_0820": 14, "area_1015": 70, "area_1122": 108}


def draw(shared: tuple[Scenario, set[str]], i: int) -> dict[str, float]:
    """Draw ``i``: prior values from ``SeedSequence(i)``, the run's seed ``i``."""
    scenario, integer = shared
    rng = np.random.default_rng(i)
    values: dict[str, float] = {}
    for p, box in scenario.calibration.items():
        v = float(rng.uniform(box.low, box.high))
        values[p] = int(round(v)) if p in integer else v
    daily = run(with_values(scenario, values), seed=i, days=max(DAYS.values())).daily
    out = {**values, **{k: float(daily.kursk_ua_km2.iloc[d]) for k, d in DAYS.items()}}
    out["interdiction_1015"] = float(daily.kursk_corridor_interdiction.iloc[DAYS["area_1015"]])
    out["supply_days_1015"] = float(daily.ua_kursk_supply_days.iloc[DAYS["area_1015"]])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    hindcast = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml")
    base = prefit_scenario(hindcast, list(hindcast.calibration))
    rows: list[dict[str, float]] = []
    with make_executor("local", args.workers) as ex:
        integer = {p for p in base.calibration if is_integer_param(base, p)}
        ex.map(draw, (base, integer), list(range(args.draws)),
               lambda item, result, error: rows.append(result) if error is None else None)
    df = pd.DataFrame(rows)
    cols = [*DAYS, "interdiction_1015", "supply_days_1015"]
    print(df[cols].describe(percentiles=[0.05, 0.5, 0.95]).round(2).to_string())
    print(f"draws run: {len(df)} of {args.draws}")
    print(f"15 Oct below 1,000 km2: {(df.area_1015 < 1000).mean():.1%}; below 800: "
          f"{(df.area_1015 < 800).mean():.1%}; 20 Aug inside 1,188-1,514: "
          f"{df.area_0820.between(1188, 1514).mean():.1%}")
    # with the 20 Aug area: does anything after August shrink the salient?
    corr = df.corr(numeric_only=True)["area_1015"].drop(["area_1015", "area_1122"])
    print("correlation with the 15 Oct area:")
    print(corr.sort_values().round(2).to_string())


if __name__ == "__main__":
    main()
