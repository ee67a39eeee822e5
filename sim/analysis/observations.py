"""The dated record the model is calibrated on: ``seeds/observations.csv`` loaded and checked.

Columns: ``date, front, quantity, value, low, high, unit, source, note``. ``front`` is
``kursk``, ``donetsk`` or ``all`` (whole front / whole war). Numeric rows need
``low <= value <= high``; rows with ``unit = date`` are events (``value`` names the place,
``low``/``high`` are the date window). Errors are :class:`ObservationError` naming the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

COLUMNS = ("date", "front", "quantity", "value", "low", "high", "unit", "source", "note")
FRONTS = ("kursk", "donetsk", "all")
#: The quantities the record holds, each with its unit (a row with another quantity would be
#: silently unused by the fit, so it is an error with a "did you mean").
QUANTITIES = {
    "ua_held_area": "km2", "ru_gain_month": "km2", "ru_gain_year": "km2",
    "ua_personnel": "troops", "ru_personnel": "troops", "dprk_personnel": "troops",
    "ru_personnel_three_axes": "troops", "ru_casualties_month": "troops",
    "dprk_casualties_per_day": "troops/day", "ru_casualties_per_day": "troops/day",
    "dprk_casualties": "troops", "ru_casualties": "troops",  # cumulative counts (issue 20)
    "ru_casualties_per_km2": "troops/km2", "advance_speed": "km/day",
    "advance_speed_kurakhove": "km/day", "ru_distance_to_pokrovsk": "km",
    "artillery_ratio_ru_ua": "ratio", "place_captured": "date",
}
SIGNED = ("ru_gain_month", "ru_gain_year")  # ground gained may be lost; all else is >= 0
MAX_ABS = 1e9  # no quantity of the record comes near: larger is a typo or a unit slip
MAX_FIELD_CHARS = 2000  # one field of a row; the file itself is at most MAX_FILE_BYTES
MAX_FILE_BYTES = 5_000_000


class ObservationError(ValueError):
    """An observations file that cannot be used; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _clip(text: object, limit: int = 60) -> str:
    text = repr(text) if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Observation(BaseModel):
    """One row of the record. Numeric rows: finite ``low <= value <= high`` in ``unit``; event
    rows (``unit = date``): ``value`` names the place, ``low``/``high`` the date window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    front: Literal["kursk", "donetsk", "all"]
    quantity: str
    value: float | str
    low: float | dt.date
    high: float | dt.date
    unit: str
    source: str = ""
    note: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> object:
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"expected a date YYYY-MM-DD, got {_clip(v)}") from None
        return v

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, v: str) -> str:
        if v not in QUANTITIES:
            hint = difflib.get_close_matches(v, list(QUANTITIES), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ValueError(f"unknown quantity {_clip(v)}{did}; allowed: "
                             f"{', '.join(QUANTITIES)}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _typed(cls, row: dict) -> dict:
        """Parse value/low/high as dates (events) or finite numbers, from the unit."""
        row = dict(row)
        event = row.get("unit") == "date"
        for k in ("value", "low", "high") if not event else ("low", "high"):
            text = row.get(k)
            if not isinstance(text, str):
                continue
            try:
                row[k] = dt.date.fromisoformat(text.strip()) if event else float(text)
            except ValueError:
                what = "a date YYYY-MM-DD" if event else "a number"
                raise ValueError(f"{k}: expected {what}, got {_clip(text)}") from None
            if not event and not math.isfinite(row[k]):
                raise ValueError(f"{k}: expected a finite number, got {_clip(text)}")
            if not event and abs(row[k]) > MAX_ABS:
                raise ValueError(f"{k}: expected at most {MAX_ABS:g} in magnitude (km², troops, "
                                 f"km...), got {_clip(text)}")
        return row

    @model_validator(mode="after")
    def _consistent(self) -> Observation:
        want = QUANTITIES[self.quantity]
        if self.unit != want:
            raise ValueError(f"unit: {self.quantity} is in {want}, got {_clip(self.unit)}")
        if self.is_event:
            if not isinstance(self.value, str) or not self.value:
                raise ValueError("value: expected the name of the place")
            if self.low > self.high:
                raise ValueError(f"low {self.low} is after high {self.high}")
            return self
        if not self.low <= self.value <= self.high:
            raise ValueError(f"expected low <= value <= high, got {self.low} / {self.value} / "
                             f"{self.high}")
        if self.quantity not in SIGNED and self.low < 0:
            raise ValueError(f"low: {self.quantity} cannot be negative, got {self.low}")
        return self

    @property
    def is_event(self) -> bool:
        return self.unit == "date"

    @property
    def key(self) -> str:
        """A short unique label, e.g. ``kursk.ua_held_area@2024-08-20``."""
        what = f"{self.quantity}:{self.value}" if self.is_event else self.quantity
        return f"{self.front}.{what}@{self.date.isoformat()}"


def _describe(err: dict) -> str:
    loc = ".".join(str(x) for x in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "literal_error":
        msg = f"expected one of {', '.join(FRONTS)}, got {_clip(err.get('input'))}"
    return f"{loc}: {msg}" if loc else msg


def _text(path: Path) -> str:
    """The file as text, or one line saying why it is not a UTF-8 CSV file."""
    try:
        size = os.stat(path).st_size
        if not path.is_file():
            raise ObservationError([f"{path}: not a regular file"])
        if size > MAX_FILE_BYTES:
            raise ObservationError([f"{path}: file is {size} bytes; at most {MAX_FILE_BYTES}"])
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ObservationError([f"{path}: file not found"]) from None
    except ValueError:  # NUL byte in the name
        raise ObservationError([f"{str(path)[:200]!r}: not a valid file name"]) from None
    except OSError as exc:
        raise ObservationError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if b"\x00" in data:
        raise ObservationError([f"{path}: not a text file (holds NUL bytes; a UTF-16 or "
                                "binary file?); expected a UTF-8 CSV file"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ObservationError([f"{path}: not UTF-8 text (byte {exc.start}); save it as a "
                                "UTF-8 CSV file"]) from None


def load_observations(path: str | Path) -> list[Observation]:
    """Read and validate the observations table; raise :class:`ObservationError` naming the
    file and line of every problem (never quoting more than a field's start)."""
    path = Path(path)
    text = _text(path)
    problems: list[str] = []
    out: list[Observation] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ObservationError([f"{path}: missing column(s) {', '.join(missing)}; "
                                    f"expected {', '.join(COLUMNS)}"])
        for fields in reader:
            n = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                problems.append(f"{path}:{n}: {len(fields)} fields, expected {len(header)} "
                                f"({', '.join(header)})")
                continue
            long = next((h for h, f in zip(header, fields, strict=True)
                         if len(f) > MAX_FIELD_CHARS), None)
            if long:
                problems.append(f"{path}:{n}: {long}: longer than {MAX_FIELD_CHARS} characters")
                continue
            row = {h: f.strip() for h, f in zip(header, fields, strict=True) if h in COLUMNS}
            try:
                out.append(Observation.model_validate(row))
            except ValidationError as exc:
                problems.extend(f"{path}:{n}: {_describe(e)}" for e in exc.errors())
    except csv.Error as exc:
        raise ObservationError([f"{path}:{reader.line_num}: not a valid CSV row "
                                f"({_clip(str(exc), 100)})"]) from None
    keys = [o.key for o in out]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"{path}: duplicate observation {_clip(k, 120)}")
    if problems:
        raise ObservationError(problems)
    if not out:
        raise ObservationError([f"{path}: no observations"])
    return out


def select(obs: list[Observation], front: str, quantity: str) -> list[Observation]:
    """Observations of one quantity on one front, by date."""
    return sorted((o for o in obs if o.front == front and o.quantity == quantity),
                  key=lambda o: o.date)
