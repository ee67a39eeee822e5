"""The dated record the model is calibrated on: ``seeds/observations.csv`` loaded and checked.

Columns: ``date, front, quantity, value, low, high, unit, source, note``. ``front`` is
``kursk``, ``donetsk`` or ``all`` (whole front / whole war). Numeric rows need
``low <= value <= high``; rows with ``unit = date`` are events (``value`` names the place,
``low``/``high`` are the date window). Errors are :class:`ObservationError` naming the line.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("date", "front", "quantity", "value", "low", "high", "unit", "source", "note")
FRONTS = ("kursk", "donetsk", "all")


class ObservationError(ValueError):
    """An observations file that cannot be used; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Observation:
    date: dt.date
    front: str
    quantity: str
    value: float | str
    low: float | dt.date
    high: float | dt.date
    unit: str
    source: str
    note: str

    @property
    def is_event(self) -> bool:
        return self.unit == "date"

    @property
    def key(self) -> str:
        """A short unique label, e.g. ``kursk.ua_held_area@2024-08-20``."""
        what = f"{self.quantity}:{self.value}" if self.is_event else self.quantity
        return f"{self.front}.{what}@{self.date.isoformat()}"


def load_observations(path: str | Path) -> list[Observation]:
    """Read and validate the observations table; raise :class:`ObservationError`."""
    path = Path(path)
    if not path.is_file():
        raise ObservationError([f"{path}: file not found"])
    problems: list[str] = []
    out: list[Observation] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ObservationError([f"{path}: missing column(s) {', '.join(missing)}; "
                                    f"expected {', '.join(COLUMNS)}"])
        for n, row in enumerate(reader, start=2):
            where = f"{path}:{n}"
            try:
                out.append(_parse(row))
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
    keys = [o.key for o in out]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"{path}: duplicate observation {k}")
    if problems:
        raise ObservationError(problems)
    if not out:
        raise ObservationError([f"{path}: no observations"])
    return out


def _date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what}: expected a date YYYY-MM-DD, got {text!r}") from None


def _num(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {text!r}") from None


def _parse(row: dict[str, str]) -> Observation:
    front = (row["front"] or "").strip()
    if front not in FRONTS:
        raise ValueError(f"front: expected one of {', '.join(FRONTS)}, got {front!r}")
    quantity = (row["quantity"] or "").strip()
    if not quantity:
        raise ValueError("quantity: empty")
    unit = (row["unit"] or "").strip()
    date = _date(row["date"] or "", "date")
    if unit == "date":
        low, high = _date(row["low"], "low"), _date(row["high"], "high")
        value: float | str = (row["value"] or "").strip()
        if low > high:
            raise ValueError(f"low {low} is after high {high}")
    else:
        value = _num(row["value"], "value")
        low, high = _num(row["low"], "low"), _num(row["high"], "high")
        if not low <= value <= high:
            raise ValueError(f"expected low <= value <= high, got {low} / {value} / {high}")
    return Observation(date, front, quantity, value, low, high, unit,
                       (row["source"] or "").strip(), (row["note"] or "").strip())


def select(obs: list[Observation], front: str, quantity: str) -> list[Observation]:
    """Observations of one quantity on one front, by date."""
    return sorted((o for o in obs if o.front == front and o.quantity == quantity),
                  key=lambda o: o.date)
