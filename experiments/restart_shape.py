"""What the backtest's restart does to the Kursk salient, uniform against ordered (issue 20).

    python experiments/restart_shape.py [--origin 2024-10-31] [--runs 30]

Runs ``--runs`` forecast runs of one origin's fit (``validation/backtest/particles_<origin>.csv``,
particles drawn by weight with a fixed generator; the other calibration parameters drawn from
their priors as the backtest does; first attempt seed of each draw, unconditioned) with each
restart shape, and prints the corridor interdiction on the restart day before and after the
redraw, how many runs give up two Kursk sectors or more within three days of it, and the
Ukrainian-held area 21 days after it and on the hindcast's last day (medians, 25-75 %).
Measured 2026-12-02 (origin 2024-10-31, 30 runs, ~1 min per shape at load ~2):
docs/VALIDATION.md, "The restart's loss where the graded defence gives ground".
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import (
    Nuisance,
    attempt_seeds,
    default_params,
    load_observations,
    observations_until,
    prefit_scenario,
    restart_at,
)
from sim.model import WarModel
from sim.scenario import load_scenario, with_values

REPO = Path(__file__).resolve().parent.parent
FORECAST_SEED = 20250106   # the backtest's forecast seed (its master seed + 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origin", default="2024-10-31")
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    origin = dt.date.fromisoformat(a.origin)
    scn = load_scenario(REPO / "scenarios" / "hindcast_2024.yaml")
    names = default_params(scn)
    base = prefit_scenario(scn, names)
    known = observations_until(load_observations(REPO / "seeds" / "observations.csv"), origin)
    restart = restart_at(known, scn.start_date)
    if restart is None:
        raise SystemExit(f"no Kursk area known by {origin} to restart from")
    nuisance = Nuisance.of(base, Nuisance.unfitted(scn, names))
    parts = pd.read_csv(REPO / "validation" / "backtest" / f"particles_{origin}.csv")
    weights = parts["weight"].to_numpy() / parts["weight"].sum()
    shapes = {"uniform": (), "ordered": tuple(base.policy.ua.graded_defence.order)}
    for shape, order in shapes.items():
        rng = np.random.default_rng(1)   # the same particles for both shapes
        before, after, quick, area21, end = [], [], 0, [], []
        for i in range(a.runs):
            row = parts.iloc[rng.choice(len(parts), p=weights)]
            seed = attempt_seeds(FORECAST_SEED, i, 1)[0]
            values = {p: float(row[p]) for p in names} | nuisance.draw(Nuisance.rng(seed))
            m = WarModel(with_values(base, values), rng=seed, days=int(base.days))
            while m.running:
                m.step()
                if m.day == restart.day:
                    before.append(m.corridor_interdiction)
                    m.set_kursk_area(restart.kursk_area_km2, order)
                elif m.day == restart.day + 1:
                    after.append(m.corridor_interdiction)
                elif m.day == restart.day + 21:
                    area21.append(m.kursk_ua_km2)
            end.append(m.kursk_ua_km2)
            ev = m.event_frame()
            given_up = ev[(ev.kind == "sector_given_up") & (ev.day > restart.day)
                          & (ev.day <= restart.day + 3)]
            quick += len(given_up) >= 2

        def q(x: list[float], digits: int = 0) -> str:
            lo, mid, hi = np.percentile(x, [25, 50, 75])
            return f"{mid:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"

        print(f"{shape:8s} restart on day {restart.day} to {restart.kursk_area_km2:.0f} km2: "
              f"interdiction {q(before, 2)} -> {q(after, 2)}; >= 2 sectors given up within 3 "
              f"days in {quick} of {a.runs}; area 21 days later {q(area21)} km2, on "
              f"{scn.start_date + dt.timedelta(days=int(base.days))} {q(end)} km2")


if __name__ == "__main__":
    main()
