"""The outcome registry: each kind of outcome computed from hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest

from sim.runner import (
    DAILY_OUTCOMES,
    HEADLINE_OUTCOMES,
    OUTCOME_BY_NAME,
    columns_needed,
    compute_outcome,
    place_outcome,
)

DAILY = {"ua_killed": np.array([10.0, 0]), "ua_wounded": np.array([5.0, 1]),
         "ua_captured": np.array([1.0, 0]), "ceasefire": np.array([True, False])}
RUNS = {"ceasefire_day": np.array([40.0, np.nan]), "changed_sudzha_day": np.array([70.0, 12]),
        "ceasefire_kursk_ua_km2": np.array([350.0, np.nan])}


def values(name: str, day: int = 60) -> list[float]:
    o = OUTCOME_BY_NAME[name] if not name.startswith("changed_") else place_outcome("sudzha")
    return compute_outcome(o, DAILY, RUNS, day).tolist()


def test_levels_sum_their_columns():
    assert values("ua_losses") == [16.0, 1.0]


def test_ceasefire_in_force_and_started_are_different_measures():
    assert values("ceasefire_in_force") == [1.0, 0.0]  # the boolean column of day D
    assert values("ceasefire_started", day=30) == [0.0, 0.0]  # started on day 40
    assert values("ceasefire_started", day=40) == [1.0, 0.0]
    assert values("ceasefire_day", day=30) == [30.0, 30.0]  # none by day D counts as D
    assert values("ceasefire_day", day=90) == [40.0, 90.0]


def test_places_and_frozen_lines_come_from_the_runs_table():
    assert values("changed_sudzha", day=60) == [0.0, 1.0]
    assert values("ceasefire_kursk_ua_km2") == pytest.approx([350.0, np.nan], nan_ok=True)


def test_a_missing_column_gives_nan_not_an_error():
    assert np.isnan(values("ru_losses")).all()


def test_registry_is_consistent():
    daily, runs = columns_needed(DAILY_OUTCOMES)
    assert "ceasefire" in daily and not runs
    assert len({o.name for o in HEADLINE_OUTCOMES}) == len(HEADLINE_OUTCOMES)
    assert OUTCOME_BY_NAME["ua_losses"].heading() == "Ukrainian losses (killed+wounded+captured)"
    assert OUTCOME_BY_NAME["ceasefire_started"].label_on(60) == "Ceasefire started by day 60"
    assert "ceasefire" not in OUTCOME_BY_NAME  # ambiguous: in force or started?
