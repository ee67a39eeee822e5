"""Unit strings for numeric parameters: ``"300 m/day"`` for a ``km/day`` field, ``"5 %"`` for a
fraction; ``Q(unit, default, ...)`` declares such a field."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _unit_parser(unit: str):
    dim, canon = _UNITS[unit]

    def parse(value: Any) -> Any:
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
    field = Field(default, ge=ge, le=le, gt=gt, lt=lt, description=doc,
                  json_schema_extra={"unit": unit})
    return Annotated[kind, BeforeValidator(_unit_parser(unit)), field]


def unit_of(model: type[BaseModel], name: str) -> str | None:
    """The declared unit of ``model.name`` (for docs and error messages)."""
    extra = model.model_fields[name].json_schema_extra
    return extra.get("unit") if isinstance(extra, dict) else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


__all__ = ["Q", "Strict", "unit_of"]
