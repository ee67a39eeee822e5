"""Generate the Markdown reference of every scenario parameter from the pydantic schema.

``python -m sim.scenario.paramdoc > docs/PARAMETERS.md`` regenerates ``docs/PARAMETERS.md``; a test
(``tests/test_paramdoc.py``) checks that the committed file equals the generated text, so the
defaults, units and ranges in the docs cannot drift from ``sim/scenario/schema.py``.

The walk visits :class:`sim.scenario.Scenario` and every nested model: one row per leaf
parameter with its dotted path (as used by ``--set``), type, unit (``json_schema_extra["unit"]``
of :func:`sim.scenario.Q`), default, allowed range (``ge``/``le``/``gt``/``lt``) and description.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.scenario.schema import Scenario

# Descriptions for schema fields that declare none (``Field(description=...)`` missing in
# sim/scenario/schema.py). Shown with a dagger in the table; the test checks every key still exists.
# Moving these into the schema makes this table unnecessary.
FALLBACK_DOC: dict[str, str] = {
    "name": "scenario name, shown in results and reports",
    "description": "free-text description of the scenario",
    "start_date": "calendar date of day 0",
    "switches.manoeuvre": "the line of contact moves (off: losses only, the line stays put)",
    "switches.logistics": "ammunition and supply are tracked (off: unlimited, full supply)",
    "switches.morale": "morale changes, groupings break (off: morale factor 1, never broken)",
    "switches.diplomacy": "the negotiation state machine runs",
    "switches.commands": "the commands issue orders (off: postures stay as on day 0)",
    "switches.noise": "gamma noise on each sector's daily intensity and advance",
    "sides.*.source": "where the side's numbers come from (free text)",
    "policy.ru.kursk_attack": "Russia may attack in Kursk sectors",
    "policy.ru.donetsk_attack": "Russia may attack in Donetsk sectors",
    "policy.ru.reinforce_kursk.enabled": "the Donetsk-to-Kursk transfer trigger is armed",
    "policy.ua.kursk_counterattack": "Ukraine counterattacks in Kursk from day 1",
    "policy.ua.donetsk_counterattack": "Ukraine may attack Donetsk sectors where it has the odds",
    "policy.ua.withdraw_from_kursk": "Ukraine withdraws the salient when a trigger fires",
    "groupings.<name>.name": "unique name of the grouping (also its --set key)",
    "groupings.<name>.side": "ru or ua (North Korean units are ru)",
    "groupings.<name>.front": "kursk or donetsk",
    "groupings.<name>.sector": "sector of the front's map the grouping starts in",
    "groupings.<name>.posture": "posture on day 0",
    "groupings.<name>.source": "where the grouping's numbers come from (free text)",
    "calibration.<parameter>.low": "lower end of the fitting range, in the parameter's unit",
    "calibration.<parameter>.high": "upper end of the fitting range, in the parameter's unit",
}

# Numeric fields without a unit, and why that is right.
UNITLESS_OK: dict[str, str] = {
    "seed": "an identifier for the random stream, not a quantity",
    "game.seed": "an identifier for the random stream, not a quantity",
    "calibration.<parameter>.low": "in the unit of the parameter it calibrates",
    "calibration.<parameter>.high": "in the unit of the parameter it calibrates",
}

# Types that need no unit.
_NO_UNIT_TYPES = (bool, dt.date, str, Path, list, dict)

SECTION_TITLES: dict[str, str] = {
    "": "Scenario (top level)",
    "fronts": "Fronts and maps",
    "switches": "Switches (mechanisms that can be turned off)",
    "combat": "Combat: power, attrition, casualties, equipment",
    "advance": "Advance of the line",
    "logistics": "Logistics: ammunition, supply, interdiction",
    "morale": "Morale and breaking",
    "diplomacy": "Diplomacy: talks, agreement, ceasefire",
    "indices": "Indices: bargaining value and domestic confidence",
    "sides": "Sides: replacements, ammunition, transfers",
    "policy": "Command policies",
    "groupings": "Groupings (order of battle; one list item per grouping)",
    "calibration": "Calibration ranges",
    "game": "Played game (a saved game from the app: player side, seed, order log)",
}


@dataclass(frozen=True)
class Param:
    """One leaf parameter of the schema."""

    path: str
    section: str
    type: str
    unit: str | None
    default: str
    range: str
    description: str
    described_in_schema: bool
    base_type: Any


def _strip_optional(ann: Any) -> tuple[Any, bool]:
    args = typing.get_args(ann)
    if typing.get_origin(ann) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else ann), True
    return ann, False


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _unannotated(ann: Any) -> Any:
    """``Annotated[date, check]`` -> ``date``."""
    return typing.get_args(ann)[0] if typing.get_origin(ann) is typing.Annotated else ann


def _type_name(ann: Any) -> tuple[str, Any]:
    """Readable type and the Python type used for the unit check."""
    ann, optional = _strip_optional(ann)
    ann = _unannotated(ann)
    origin = typing.get_origin(ann)
    if origin is Literal:
        text, base = "one of " + ", ".join(str(a) for a in typing.get_args(ann)), str
    elif origin is dict:
        k, v = typing.get_args(ann)
        v = _unannotated(v)
        key = ("/".join(typing.get_args(k)) if typing.get_origin(k) is Literal
               else getattr(k, "__name__", str(k)))
        text, base = f"map {key} → {getattr(v, '__name__', str(v))}", dict
    elif origin is list:
        (item,) = typing.get_args(ann)
        text, base = f"list of {getattr(item, '__name__', str(item))}", list
    elif ann is dt.date:
        text, base = "date", dt.date
    elif isinstance(ann, type) and issubclass(ann, Path):
        text, base = "path", Path
    else:
        text, base = getattr(ann, "__name__", str(ann)), ann
    return (text + " or none" if optional else text), base


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"' if value == "" else value
    return str(value)


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return _fmt(field.default_factory())
    if field.default is PydanticUndefined:
        return "required"
    return _fmt(field.default)


def _range(field: Any) -> str:
    lo = hi = None
    for m in field.metadata:
        if isinstance(m, at.Ge):
            lo = f"≥ {_fmt(m.ge)}"
        elif isinstance(m, at.Gt):
            lo = f"> {_fmt(m.gt)}"
        elif isinstance(m, at.Le):
            hi = f"≤ {_fmt(m.le)}"
        elif isinstance(m, at.Lt):
            hi = f"< {_fmt(m.lt)}"
        elif isinstance(m, at.MinLen):
            lo = f"at least {m.min_length} item{'s' if m.min_length != 1 else ''}"
    return ", ".join(p for p in (lo, hi) if p)


def lookup(table: dict[str, str], path: str) -> str | None:
    if path in table:
        return table[path]
    for side in ("ru", "ua"):  # sides.ru.x and sides.ua.x share one entry
        if path.startswith(f"sides.{side}."):
            return table.get("sides.*." + path.split(".", 2)[2])
    return None


def _walk(model: type[BaseModel], prefix: str, section: str) -> list[Param]:
    out: list[Param] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        path = f"{prefix}{name}"
        sec = section or (name if name in SECTION_TITLES else "")
        ann, _ = _strip_optional(field.annotation)
        origin = typing.get_origin(ann)
        if _is_model(ann):
            out += _walk(ann, f"{path}.", sec)
            continue
        if origin is list and _is_model(typing.get_args(ann)[0]):
            out += _walk(typing.get_args(ann)[0], f"{path}.<name>.", sec)
            continue
        if origin is dict and _is_model(typing.get_args(ann)[1]):
            out += _walk(typing.get_args(ann)[1], f"{path}.<parameter>.", sec)
            continue
        extra = field.json_schema_extra
        unit = extra.get("unit") if isinstance(extra, dict) else None
        text, base = _type_name(field.annotation)
        desc = (field.description or "").strip()
        in_schema = bool(desc)
        if not desc:
            desc = lookup(FALLBACK_DOC, path) or ""
        out.append(Param(path, sec, text, unit, _default(field), _range(field), desc, in_schema,
                         base))
    return out


def parameters() -> list[Param]:
    """Every leaf parameter of :class:`Scenario`, in schema order."""
    return _walk(Scenario, "", "")


def needs_unit(p: Param) -> bool:
    """A numeric parameter must declare a unit unless it is explicitly exempt."""
    base = p.base_type
    if isinstance(base, type) and issubclass(base, _NO_UNIT_TYPES):
        return False
    return lookup(UNITLESS_OK, p.path) is None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if text else "—"


def render() -> str:
    """The full Markdown text of docs/PARAMETERS.md."""
    params = parameters()
    lines = [
        "# Scenario parameters",
        "",
        "<!-- Generated by `python -m sim.scenario.paramdoc > docs/PARAMETERS.md`; "
        "do not edit by hand. -->",
        "",
        "Every parameter of a scenario file, generated from the schema in "
        "`sim/scenario/schema.py`:",
        "dotted path (as used by `--set path=value`), type, unit, default, allowed range and",
        "meaning. A numeric value may be written in its unit or as a string with a compatible",
        "unit (`\"300 m/day\"` for a `km/day` field, `\"5 %\"` for a fraction). Defaults are the",
        "schema's; `scenarios/base.yaml` and the option files override some of them. Grouping",
        "parameters are addressed by the grouping's name (`groupings.RU-K-west-1.personnel`) or",
        "index. Descriptions marked † are not in the schema but in `sim/scenario/paramdoc.py`",
        "(`FALLBACK_DOC`). Formulas and sources: [MODEL.md](MODEL.md).",
        "",
    ]
    order = list(SECTION_TITLES)
    for sec in order:
        rows = [p for p in params if p.section == sec]
        if not rows:
            continue
        lines += [f"## {SECTION_TITLES[sec]}", "",
                  "| parameter | type | unit | default | range | description |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for p in rows:
            mark = "" if p.described_in_schema else " †"
            lines.append(f"| `{p.path}` | {_cell(p.type)} | {_cell(p.unit or '')} | "
                         f"{_cell(p.default)} | {_cell(p.range)} | {_cell(p.description)}{mark} |")
        lines.append("")
    lines.append(f"{len(params)} parameters.")
    return "\n".join(lines) + "\n"


def main() -> None:
    import sys

    sys.stdout.write(render())


if __name__ == "__main__":
    main()
