"""The outcome registry: every outcome a batch is summarised, compared, plotted or explained by.

One :class:`Outcome` per measurable result of a run, with its unit, label, the side a higher
value favours, and how it is computed from a batch's tables:

* ``level``: the sum of daily-record columns on day D (``daily.parquet``), e.g. Ukrainian
  losses = killed + wounded + captured;
* ``share``: a yes/no per run whose mean over runs is a share: a boolean daily column on day D
  (a ceasefire *in force* on day D) or an event day of the runs table on or before D (a
  ceasefire *started* by day D, a place changed hands by day D);
* ``days``: the day of an event, runs without one by day D counting as D;
* ``at_ceasefire``: a value frozen when the ceasefire started (runs table, missing without a
  ceasefire; the same whatever day is compared).

Every table, figure and report reads its outcomes from here: the run summary and the ECDF
figure show :data:`DAILY_OUTCOMES`; ``compare`` and ``--robustness`` look names up in
:data:`OUTCOME_BY_NAME` and add one :func:`place_outcome` per place that changed hands;
:func:`~sim.runner.outcome_values.compute_outcome` computes them. No numpy or pandas here: the
CLI's help texts list these names, and ``wargame`` must start without paying for those.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["level", "share", "days", "at_ceasefire"]



@dataclass(frozen=True)
class Outcome:
    """One outcome of a run. ``label`` may contain ``day D``, replaced by the day compared."""

    name: str
    label: str
    unit: str
    kind: Kind = "level"
    #: daily-record columns summed on day D (``level``; a ``share`` with one boolean column)
    columns: tuple[str, ...] = ()
    #: runs-table column (``share`` of an event day on or before D, ``days``, ``at_ceasefire``)
    runs_column: str = ""
    #: +1 a higher value is better for Russia (worse for Ukraine), -1 better for Ukraine,
    #: 0 neither side's objective (a ceasefire)
    ru_sign: int = 0

    @property
    def is_share(self) -> bool:
        """A probability over runs (shown as a percentage, Wilson interval), not a level."""
        return self.kind == "share"

    def label_on(self, day: int | None = None) -> str:
        """The label on day ``day`` (``… by day 60``), or without a day (``None``: for a
        table with one column per day)."""
        if day is None:
            return self.label.replace(" on day D", "").replace(" by day D", "")
        return self.label.replace("day D", f"day {day}")

    def heading(self, day: int | None = None) -> str:
        """The label with its unit: ``Kursk held by Ukraine (km²)``."""
        return f"{self.label_on(day)} ({self.unit})" if self.unit else self.label_on(day)


#: The outcomes of the daily record, in the order tables and figures show them.
DAILY_OUTCOMES: tuple[Outcome, ...] = (
    Outcome("kursk_ua_km2", "Kursk held by Ukraine", "km²", columns=("kursk_ua_km2",),
            ru_sign=-1),
    Outcome("donetsk_ru_gain_km2", "Donetsk gained by Russia", "km²",
            columns=("donetsk_ru_gain_km2",), ru_sign=+1),
    Outcome("ua_losses", "Ukrainian losses", "killed+wounded+captured",
            columns=("ua_killed", "ua_wounded", "ua_captured"), ru_sign=+1),
    Outcome("ru_losses", "Russian losses", "killed+wounded+captured",
            columns=("ru_killed", "ru_wounded", "ru_captured"), ru_sign=-1),
    Outcome("ua_ammo", "Ukrainian ammunition in stock", "rounds", columns=("ua_ammo",),
            ru_sign=-1),
    Outcome("ru_ammo", "Russian ammunition in stock", "rounds", columns=("ru_ammo",),
            ru_sign=+1),
    Outcome("ceasefire_in_force", "Ceasefire in force on day D", "share of runs", "share",
            columns=("ceasefire",)),
    Outcome("bargaining_value", "Ukraine's bargaining value", "index",
            columns=("bargaining_value",), ru_sign=-1),
    Outcome("ru_domestic_confidence", "Russian domestic confidence", "index",
            columns=("ru_domestic_confidence",), ru_sign=+1),
)
#: Outcomes of the runs table (one row per run): the ceasefire's start and its frozen lines.
RUN_OUTCOMES: tuple[Outcome, ...] = (
    Outcome("ceasefire_started", "Ceasefire started by day D", "share of runs", "share",
            runs_column="ceasefire_day"),
    Outcome("ceasefire_day", "Ceasefire start day (day D if none)", "days", "days",
            runs_column="ceasefire_day"),
    Outcome("ceasefire_kursk_ua_km2", "Kursk held by Ukraine when the ceasefire started",
            "km²", "at_ceasefire", runs_column="ceasefire_kursk_ua_km2", ru_sign=-1),
    Outcome("ceasefire_donetsk_ru_gain_km2",
            "Donetsk gained by Russia when the ceasefire started", "km²", "at_ceasefire",
            runs_column="ceasefire_donetsk_ru_gain_km2", ru_sign=+1),
)
#: The headline outcomes ``compare`` shows by default (the daily ones and the ceasefire's
#: start and day; the frozen lines only when asked for).
HEADLINE_OUTCOMES: tuple[Outcome, ...] = (*DAILY_OUTCOMES[:6], DAILY_OUTCOMES[6],
                                          *RUN_OUTCOMES[:2], *DAILY_OUTCOMES[7:])
OUTCOME_BY_NAME: dict[str, Outcome] = {o.name: o for o in (*DAILY_OUTCOMES, *RUN_OUTCOMES)}
PLACE_PREFIX = "changed_"
#: The events ``explain --run`` traces back to their causes: event kind → label.
EVENT_OUTCOMES: dict[str, str] = {
    "kursk_cleared": "Kursk cleared of Ukrainian-held ground",
    "sudzha_lost": "Sudzha lost to Russia",
    "withdrawal": "Ukraine withdraws from the Kursk salient",
    "ceasefire": "ceasefire starts",
    "reinforcement": "Russia sends Donetsk forces to Kursk",
    "redeployment": "Russia sends Kursk forces back to Donetsk",
    "ceasefire_collapsed": "ceasefire collapses",
}


def place_outcome(slug: str, name: str | None = None, ru_sign: int = 0) -> Outcome:
    """``changed_<slug>``: the share of runs in which a place first changed hands by day D.
    ``ru_sign`` +1 when Ukraine held it on day 0 (the change is a Russian capture), -1 when
    Russia did (a Ukrainian one), 0 unknown (no map)."""
    label = name or slug.replace("_", " ").title()
    what = {+1: "taken by Russia", -1: "taken by Ukraine"}.get(ru_sign, "changed hands")
    return Outcome(f"{PLACE_PREFIX}{slug}", f"{label} {what} by day D", "share of runs",
                   "share", runs_column=f"{PLACE_PREFIX}{slug}_day", ru_sign=ru_sign)


def fmt_number(x: float | None) -> str:
    """A number for tables: ``18,140``; fewer decimals as it grows (``3.4``, ``0.27``); from a
    million ``1.23 M`` (ammunition stocks), so that a range stays on one line."""
    if x is None or x != x:  # missing or NaN
        return "–"
    if x == 0:  # exactly none (Kursk cleared), not a rounded small number
        return "0"
    ax = abs(x)
    if ax >= 999_500:
        return f"{x / 1e6:.3g} M"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}"


def percent(x: float) -> int:
    """A share as a whole percentage, halves rounded up: 145 of 200 runs (72.5 %) → 73, the
    same in every table, figure and report."""
    return math.floor(round(100 * x, 9) + 0.5)


def fmt_percent(x: float | None) -> str:
    """``73 %`` (see :func:`percent`); ``–`` when missing."""
    return "–" if x is None or x != x else f"{percent(x)} %"


def wrap(text: str, width: int = 80) -> list[str]:
    """``text`` wrapped to ``width`` columns, continuation lines indented by two, never
    splitting a number from its ``%`` nor ``day`` from its number."""
    import textwrap

    kept = text.replace(" %", "\0%").replace("day ", "day\0")
    return [ln.replace("\0", " ") for ln in textwrap.wrap(kept, width, subsequent_indent="  ")]


def columns_needed(outcomes: Sequence[Outcome]) -> tuple[list[str], list[str]]:
    """The daily-record and runs-table columns that ``outcomes`` are computed from."""
    daily = sorted({c for o in outcomes for c in o.columns})
    runs = sorted({o.runs_column for o in outcomes if o.runs_column})
    return daily, runs
