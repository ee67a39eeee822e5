"""The values of an outcome of the registry (:mod:`sim.runner.outcomes`) on a day, one per
run, from a batch's daily-record and runs tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.runner.outcomes import Outcome


def compute_outcome(outcome: Outcome, daily_on_day: Mapping[str, Any],
                    runs: Mapping[str, Any], day: int) -> np.ndarray:
    """One value per run of ``outcome`` on day ``day`` (NaN where it has none).

    ``daily_on_day`` holds the runs' daily-record rows of day ``day`` and ``runs`` their
    runs-table rows, aligned (row *i* of both is the same run): DataFrames or mappings of
    column → array (a model's own record). A missing column gives NaN (a batch written
    before that column existed).
    """
    if outcome.columns:
        if not all(c in daily_on_day for c in outcome.columns):
            return np.full(_rows(daily_on_day), np.nan)
        return pd.DataFrame({c: np.asarray(daily_on_day[c], dtype=float)
                             for c in outcome.columns}).sum(axis=1, min_count=1).to_numpy()
    if outcome.runs_column not in runs:
        return np.full(_rows(runs), np.nan)
    x = np.asarray(runs[outcome.runs_column], dtype=float)
    if outcome.kind == "share":  # an event day: did it happen on or before day D?
        return (x <= day).astype(float)
    if outcome.kind == "days":
        return np.where(x <= day, x, float(day))
    return x  # at_ceasefire: frozen when the ceasefire started, NaN without one


def _rows(table: Mapping[str, Any]) -> int:
    """Rows of a DataFrame or of a mapping of equally long columns."""
    if isinstance(table, pd.DataFrame):
        return len(table)
    return len(next(iter(table.values()), ()))
