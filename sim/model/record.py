"""The daily record of a run and the run's result.

Columns are fixed (``RECORD_COLUMNS``, then the line of contact per sector); one row per day from
day 0. The record is preallocated as one float array and filled in place each day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

RECORD_COLUMNS = (
    "kursk_ua_km2", "donetsk_ru_gain_km2",
    "ua_kursk_personnel", "ru_kursk_personnel", "ua_donetsk_personnel", "ru_donetsk_personnel",
    "ua_transit_personnel", "ru_transit_personnel",
    "ua_killed", "ua_wounded", "ua_captured", "ru_killed", "ru_wounded", "ru_captured",
    "ua_ammo", "ru_ammo", "ceasefire", "bargaining_value", "ru_domestic_confidence",
    # extras
    "talks_open", "ua_replacements", "ru_replacements", "ua_returned", "ru_returned",
    "ua_pool", "ru_pool",
    "ua_arrived", "ru_arrived",
    "ua_armour", "ru_armour", "ua_artillery", "ru_artillery", "ua_rounds_fired", "ru_rounds_fired",
    "dprk_casualties", "kursk_corridor_interdiction", "ua_kursk_supply_days",
    "ru_kursk_attack_sectors", "ru_donetsk_attack_sectors", "ua_kursk_attack_sectors",
    "ua_donetsk_attack_sectors",
    # cumulative killed, wounded and captured at each front (groupings in transit excluded)
    "ru_kursk_casualties", "ru_donetsk_casualties", "ua_kursk_casualties",
    "ua_donetsk_casualties",
)
BOOL_COLUMNS = ("ceasefire", "talks_open")
COLUMN = {c: k for k, c in enumerate(RECORD_COLUMNS)}


def side_columns(stem: str) -> tuple[int, int]:
    """Column indices of ``ru_<stem>`` and ``ua_<stem>`` (the model's side order)."""
    return COLUMN[f"ru_{stem}"], COLUMN[f"ua_{stem}"]


class DailyRecord:
    """``days + 1`` rows of ``RECORD_COLUMNS`` plus the line of contact per sector."""

    def __init__(self, days: int, n_sectors: int) -> None:
        self.values = np.zeros((days + 1, len(RECORD_COLUMNS)))
        self.line = np.zeros((days + 1, n_sectors))

    def column(self, name: str) -> np.ndarray:
        """A view of one column (all days)."""
        return self.values[:, COLUMN[name]]

    __getitem__ = column   # read like the daily DataFrame: ``rec["kursk_ua_km2"]``

    def columns(self, n_days: int, start: np.datetime64, line_columns: list[str]
                ) -> dict[str, np.ndarray]:
        """The first ``n_days`` rows as named columns (day, date, the columns, the lines)."""
        cols: dict[str, np.ndarray] = {
            "day": np.arange(n_days, dtype=np.int32),
            "date": start + np.arange(n_days).astype("timedelta64[D]"),
        }
        for c, k in COLUMN.items():
            v = self.values[:n_days, k]
            cols[c] = v.astype(bool) if c in BOOL_COLUMNS else v.copy()
        for j, name in enumerate(line_columns):
            cols[name] = self.line[:n_days, j].copy()
        return cols


@dataclass
class RunResult:
    """One run: its daily record (as columns, and as a DataFrame on first use), its events and
    the day each place changed hands."""

    columns: dict[str, np.ndarray] = field(repr=False)
    events: pd.DataFrame
    place_changes: dict[str, int | None]
    ceasefire_day: int | None
    ceasefire_lines: dict[str, float]

    @cached_property
    def daily(self) -> pd.DataFrame:
        """The daily record: one row per day from day 0."""
        return pd.DataFrame(self.columns)

    def summary(self) -> dict:
        """Final-day values, the ceasefire day and lines, and the day each place changed hands."""
        out = {c: v[-1].item() for c, v in self.columns.items() if c not in ("day", "date")}
        out["days"] = int(self.columns["day"][-1])
        out["ceasefire_day"] = self.ceasefire_day
        for key in ("kursk_ua_km2", "donetsk_ru_gain_km2"):
            out[f"ceasefire_{key}"] = self.ceasefire_lines.get(key)
        out.update({f"changed_{slug}_day": d for slug, d in self.place_changes.items()})
        return out


__all__ = ["BOOL_COLUMNS", "RECORD_COLUMNS", "DailyRecord", "RunResult", "side_columns"]
