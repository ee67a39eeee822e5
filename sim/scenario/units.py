"""Unit strings for numeric parameters: ``"300 m/day"`` for a ``km/day`` field, ``"5 %"`` for a
fraction; ``Q(unit, default, ...)`` declares such a field.

Every ``Q`` value must be a finite number (NaN and ±inf, including strings such as ``"1e999"``,
are rejected) and lie within a physical range. A field without an explicit upper bound gets the
cap of its unit from :data:`MAX_BY_UNIT` (``DEFAULT_MAX`` otherwise): generous for any real
campaign, small enough that the model's sums and products stay finite in float64.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# unit -> (dimension, factor to the dimension's canonical unit)
_UNITS: dict[str, tuple[str, float]] = {
    "km": ("length", 1.0),
    "m": ("length", 1e-3),
    "km/day": ("speed", 1.0),
    "m/day": ("speed", 1e-3),
    "km2": ("area", 1.0),
    "km²": ("area", 1.0),
    "days": ("time", 1.0),
    "day": ("time", 1.0),
    "weeks": ("time", 7.0),
    "week": ("time", 7.0),
    "fraction": ("fraction", 1.0),
    "%": ("fraction", 0.01),
    "1/day": ("rate", 1.0),
    "%/day": ("rate", 0.01),
    "fraction/day": ("rate", 1.0),
    "troops": ("troops", 1.0),
    "troops/day": ("troops_rate", 1.0),
    "troops/km": ("troop_density", 1.0),
    "rounds": ("rounds", 1.0),
    "rounds/day": ("rounds_rate", 1.0),
    "rounds/gun/day": ("gun_rate", 1.0),
    "rounds/troop/day": ("troop_fire", 1.0),
    "vehicles": ("vehicles", 1.0),
    "guns": ("guns", 1.0),
    "index": ("index", 1.0),
    "ratio": ("ratio", 1.0),
    "1/km": ("per_length", 1.0),
    "days/day": ("supply_rate", 1.0),
    "per 1000 troops": ("per_thousand", 1.0),
}
#: Upper bound of a ``Q`` field without its own ``le``/``lt``, by unit: no front holds more than
#: two million troops in one grouping, no side fires 10^9 rounds a day.
MAX_BY_UNIT: dict[str, float] = {
    "troops": 2_000_000,
    "troops/day": 100_000,
    "vehicles": 100_000,
    "guns": 100_000,
    "rounds": 1e12,
    "rounds/day": 1e9,
    "rounds/gun/day": 10_000,
    "rounds/troop/day": 1_000,
    "ratio": 1_000,
    "index": 1e6,
    "days": 100_000,
    "days/day": 1_000,
    "km": 10_000,
    "1/km": 1_000,
    "1/day": 1_000,
    "per 1000 troops": 1_000,
}
DEFAULT_MAX = 1e9

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _unit_parser(unit: str):
    dim, canon = _UNITS[unit]

    def parse(value: Any) -> Any:
        if isinstance(value, bool):  # YAML true/false: pydantic would read it as 1.0/0.0
            raise ValueError(f"expected a number in {unit}, not {str(value).lower()}")
        if isinstance(value, str):
            m = _QUANTITY.match(value)
            if not m:
                raise ValueError(f"expected a number in {unit} (e.g. 12 or '12 {unit}')")
            number, given = float(m.group(1)), m.group(2) or unit
            if given not in _UNITS or _UNITS[given][0] != dim:
                same = sorted(u for u, (d, _) in _UNITS.items() if d == dim)
                raise ValueError(f"unit '{given}' is not allowed here; use {' or '.join(same)}")
            return number * _UNITS[given][1] / canon
        return value

    return parse


def Q(unit: str, default: Any = ..., *, ge: float | None = None, le: float | None = None,
      gt: float | None = None, lt: float | None = None, doc: str = "", kind: type = float) -> Any:
    """A numeric parameter with a unit: annotated type plus pydantic ``Field``."""
    if le is None and lt is None:
        le = MAX_BY_UNIT.get(unit, DEFAULT_MAX)
    if ge is None and gt is None:
        ge = -le  # e.g. the willingness logits, which may be negative
    field = Field(default, ge=ge, le=le, gt=gt, lt=lt, description=doc, allow_inf_nan=False,
                  json_schema_extra={"unit": unit})
    parse = _unit_parser(unit)
    return Annotated[kind, BeforeValidator(lambda v: finite(parse(v))), field,
                     AfterValidator(normal)]


def finite(value: Any) -> Any:
    """Reject NaN and ±inf (also as ``"1e999"`` after unit parsing) with a clear message."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    return value


def normal(value: Any) -> Any:
    """Reject subnormal floats (e.g. 1e-320): they pass a "> 0" bound, then a run divides by
    them and overflows. Checked after the bounds, so a bounded field names its range first."""
    if isinstance(value, float) and 0 < abs(value) < sys.float_info.min:
        raise ValueError(f"{value} is below the smallest normal number "
                         f"{sys.float_info.min:.3g}; a run cannot compute with it")
    return value


def unit_of(model: type[BaseModel], name: str) -> str | None:
    """The declared unit of ``model.name`` (for docs and error messages)."""
    extra = model.model_fields[name].json_schema_extra
    return extra.get("unit") if isinstance(extra, dict) else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


__all__ = ["DEFAULT_MAX", "MAX_BY_UNIT", "Q", "Strict", "finite", "unit_of"]
