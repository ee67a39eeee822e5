"""Scenario files: a validated pydantic schema, YAML loading with ``extends:``, unit strings and
``--set`` overrides.

A scenario is a YAML mapping. ``extends: base.yaml`` (relative to the file) deep-merges the file
over its parent: mappings merge key by key, everything else (lists included) is replaced. Every
numeric parameter declares a unit; a value may be a bare number in that unit or a string with a
unit, e.g. ``"300 m/day"`` for a ``km/day`` field or ``"5 %"`` for a fraction.

Errors are :class:`ScenarioError`: one line per problem, naming the file that set the key, the
key path and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_EXTENDS = 8


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------

Side = Literal["ru", "ua"]
FrontName = Literal["kursk", "donetsk"]
Posture = Literal["attack", "defend", "reserve"]


class FrontSpec(Strict):
    map: Path = Field(description="map data file, relative to the scenario file")
    start_line: str = Field("2025-01-05", description="name of the start line in the map file")


class Fronts(Strict):
    kursk: FrontSpec
    donetsk: FrontSpec


class Switches(Strict):
    """Mechanisms that can be switched off (limiting cases and tests)."""

    manoeuvre: bool = True
    logistics: bool = True
    morale: bool = True
    diplomacy: bool = True
    commands: bool = True
    noise: bool = True


class CombatParams(Strict):
    lethality: Q("1/day", 0.009, ge=0, le=1,
                 doc="casualties inflicted per day per unit of effective enemy combat power")
    static_intensity: Q("fraction", 0.25, ge=0, le=1,
                        doc="intensity of fighting in a sector where nobody attacks")
    daily_noise_shape: Q("index", 4.0, gt=0,
                         doc="gamma shape of the sector's daily intensity multiplier (mean 1)")
    max_troops_per_km: Q("troops/km", 1200.0, gt=0,
                         doc="troops per km of the current line that can fight at once (per side)")
    min_frontage_km: Q("km", 4.0, gt=0,
                       doc="frontage a sector always offers, even where its line runs along its "
                           "edge (e.g. the state border before the incursion)")
    prepared_defence: Q("ratio", 2.5, ge=1, doc="defender multiplier for prepared positions")
    terrain_defence: dict[Literal["open", "urban", "forest", "river"], float] = Field(
        default_factory=lambda: {"open": 1.0, "urban": 1.6, "forest": 1.25, "river": 1.4},
        description="defender multiplier by terrain class of the ground being attacked (ratio)")
    armour_bonus_per_1000: Q("per 1000 troops", 0.02, ge=0,
                             doc="combat-power bonus per armoured vehicle per 1000 troops")
    artillery_share: Q("fraction", 0.5, ge=0, le=1,
                       doc="share of combat power that depends on artillery and its ammunition")
    reference_rounds_per_troop: Q("rounds/troop/day", 0.1, gt=0,
                                  doc="artillery fire at which the artillery term is 1")
    killed_share: Q("fraction", 0.3, ge=0, le=1, doc="share of casualties killed")
    captured_share: Q("fraction", 0.02, ge=0, le=1, doc="share captured in ordinary fighting")
    broken_captured_share: Q("fraction", 0.3, ge=0, le=1,
                             doc="share captured when the grouping is broken")
    enveloped_captured_share: Q("fraction", 0.7, ge=0, le=1,
                                doc="share captured when the grouping is cut off")
    enveloped_loss_rate: Q("1/day", 0.36, ge=0, le=1,
                           doc="daily loss fraction of a cut-off grouping under attack")
    broken_loss_multiplier: Q("ratio", 2.5, ge=1,
                              doc="losses of a broken grouping relative to an intact one")
    armour_loss_factor: Q("ratio", 1.5, ge=0,
                          doc="armour loss fraction per unit personnel loss fraction")
    artillery_loss_factor: Q("ratio", 0.5, ge=0,
                             doc="artillery loss fraction per unit personnel loss fraction")
    wounded_return_share: Q("fraction", 0.5, ge=0, le=1,
                            doc="share of wounded who return to duty")
    wounded_return_days: Q("days", 28, ge=1, le=365, kind=int, doc="delay before they return")
    transit_loss_rate: Q("1/day", 0.0005, ge=0, le=0.2,
                         doc="daily loss fraction of a grouping in transit (strikes on the move)")


class AdvanceParams(Strict):
    max_km_per_day: Q("km/day", 0.3, ge=0, le=20,
                      doc="attritional advance rate at an overwhelming force ratio")
    half_force_ratio: Q("ratio", 1.5, gt=0, doc="force ratio at which the rate is half the max")
    steepness: Q("index", 2.0, gt=0, doc="exponent of the force-ratio response")
    broken_km_per_day: Q("km/day", 0.3, ge=0, le=20,
                         doc="advance rate against a sector whose defenders have all broken")
    breakthrough_km_per_day: Q("km/day", 6.0, ge=0, le=20,
                               doc="advance rate into a sector with no defender at all")


class LogisticsParams(Strict):
    rounds_per_gun: dict[Literal["attack", "defend", "reserve", "transit", "withdrawing"],
                         float] = Field(
        default_factory=lambda: {"attack": 40.0, "defend": 20.0, "reserve": 0.0,
                                 "transit": 0.0, "withdrawing": 10.0},
        description="artillery rounds fired per gun per day by posture (rounds/gun/day)")
    stock_days: Q("days", 10, gt=0, doc="ammunition a grouping keeps, in days of defend use")
    delivery_share_per_day: Q("fraction", 0.35, gt=0, le=1,
                              doc="share of a grouping's ammo shortfall delivered per day")
    supply_max_days: Q("days", 10.0, gt=0, doc="general supply a grouping can hold")
    supply_full_days: Q("days", 4.0, gt=0, doc="supply level below which combat power falls")
    supply_floor: Q("fraction", 0.35, ge=0, le=1, doc="combat power factor with no supply")
    resupply_days_per_day: Q("days/day", 1.6, ge=0, doc="supply delivered per day on an open route")
    base_interdiction: Q("fraction", 0.1, ge=0, le=1,
                         doc="share of deliveries lost to drones and strikes anywhere")
    corridor_interdiction_max: Q("fraction", 0.9, ge=0, le=1,
                                 doc="interdiction of the corridor with the enemy on it")
    corridor_range_km: Q("km", 6.0, gt=0,
                         doc="e-folding distance of corridor interdiction from the enemy line")


class MoraleParams(Strict):
    loss_sensitivity: Q("ratio", 1.5, ge=0, doc="morale lost per unit daily loss fraction")
    supply_sensitivity: Q("1/day", 0.03, ge=0, doc="morale lost per day at zero supply")
    ground_sensitivity: Q("1/km", 0.02, ge=0, doc="morale lost per km of ground lost")
    recovery_rate: Q("1/day", 0.05, ge=0, le=1, doc="daily recovery toward the baseline")
    reserve_recovery_rate: Q("1/day", 0.08, ge=0, le=1, doc="recovery rate in reserve")
    break_threshold: Q("fraction", 0.2, ge=0, le=1, doc="morale below which a grouping breaks")
    rally_threshold: Q("fraction", 0.5, ge=0, le=1, doc="morale at which it can fight again")
    power_floor: Q("fraction", 0.5, ge=0, le=1, doc="combat-power factor at zero morale")


class DiplomacyParams(Strict):
    talks_open: dt.date | None = Field(None, description="date talks open; none = no talks")
    ru_seeks: bool = Field(False, description="Russia actively seeks a ceasefire")
    max_daily_probability: Q("1/day", 0.04, ge=0, le=1,
                             doc="daily agreement probability when both sides are willing")
    ru_willingness: Q("index", -1.0, doc="baseline Russian willingness (logit)")
    ua_willingness: Q("index", -0.5, doc="baseline Ukrainian willingness (logit)")
    seek_bonus: Q("index", 2.5, doc="added to Russian willingness when it seeks a ceasefire")
    bargaining_weight: Q("index", 1.0,
                         doc="Ukrainian willingness per unit bargaining value above zero")
    confidence_weight: Q("index", 1.5,
                         doc="Russian willingness per unit of lost domestic confidence")
    momentum_weight: Q("index", 0.15,
                       doc="willingness lost per km2/day the side gained over 14 days")
    lag_days: Q("days", 10, ge=0, le=120, kind=int, doc="agreement to ceasefire start")
    violation_intensity: Q("fraction", 0.05, ge=0, le=1,
                           doc="combat intensity during a ceasefire relative to war")
    freeze_advance_factor: Q("fraction", 0.02, ge=0, le=1,
                             doc="advance rate during a ceasefire relative to war")
    collapse_probability: Q("1/day", 0.004, ge=0, le=1, doc="daily chance the ceasefire fails")


class IndexParams(Strict):
    incursion_start: dt.date = Field(dt.date(2024, 8, 6), description="date Ukraine entered Kursk")
    reference_area_km2: Q("km2", 585.0, gt=0, doc="area at which bargaining value is 1")
    duration_weight: Q("index", 0.5, ge=0, doc="bargaining value added per year held")
    confidence_start: Q("index", 0.8, ge=0, le=1, doc="Russian domestic confidence on day 0")
    confidence_cost: Q("1/day", 0.002, ge=0,
                       doc="daily confidence lost per reference area held by Ukraine")
    confidence_recovery: Q("1/day", 0.01, ge=0, le=1,
                           doc="daily recovery toward 1 when no Russian ground is held")
    concession_cost: Q("index", 0.1, ge=0,
                       doc="confidence lost at a ceasefire per reference area left to Ukraine")


class SideParams(Strict):
    replacements_per_day: Q("troops/day", 0, ge=0, kind=int,
                            doc="new troops reaching these two fronts per day")
    ammo_production_per_day: Q("rounds/day", 0.0, ge=0,
                               doc="artillery rounds per day made available to these fronts")
    ammo_depot_rounds: Q("rounds", 0.0, ge=0, doc="rounds in the depots on day 0")
    transfer_days: Q("days", 7, ge=1, le=60, kind=int,
                     doc="days in transit between the two fronts")
    source: str = ""


class ReinforcePolicy(Strict):
    """Russia moves groupings from Donetsk to Kursk when a trigger fires."""

    enabled: bool = False
    trigger_ua_area_km2: Q("km2", 1e9, ge=0, doc="fires when Ukrainian-held Kursk area exceeds")
    trigger_day: Q("days", 10_000, ge=0, kind=int, doc="fires on this day at the latest")
    trigger_confidence_below: Q("index", 0.0, ge=0, le=1,
                                doc="fires when domestic confidence falls below")
    groupings: Q("index", 0, ge=0, le=50, kind=int, doc="Donetsk groupings to move")


class RussianPolicy(Strict):
    kursk_attack: bool = True
    kursk_min_force_ratio: Q("ratio", 1.3, ge=0, doc="attack a Kursk sector at this ratio")
    commit_reserve_force_ratio: Q("ratio", 1.0, ge=0,
                                  doc="commit a reserve where UA/RU local ratio exceeds")
    donetsk_attack: bool = True
    donetsk_min_force_ratio: Q("ratio", 1.0, ge=0, doc="attack a Donetsk sector at this ratio")
    replacement_share_kursk: Q("fraction", 0.25, ge=0, le=1,
                               doc="share of replacements sent to Kursk")
    reinforce_kursk: ReinforcePolicy = Field(default_factory=ReinforcePolicy)
    redeploy_when_kursk_cleared: bool = Field(
        True, description="send groupings beyond the garrison back to Donetsk once Kursk is clear")
    kursk_garrison_groupings: Q("index", 3, ge=0, kind=int,
                                doc="groupings kept in Kursk after it is cleared")


class UkrainianPolicy(Strict):
    kursk_counterattack: bool = True
    counterattack_days: Q("days", 12, ge=0, kind=int,
                          doc="days the Kursk counterattack lasts from day 0")
    counterattack_sectors: Q("index", 2, ge=1, le=4, kind=int,
                             doc="Kursk sectors attacked at once (the best local ratios)")
    counterattack_min_force_ratio: Q("ratio", 0.35, ge=0,
                                     doc="keeps attacking while UA/RU local ratio exceeds")
    donetsk_counterattack: bool = True
    donetsk_counter_force_ratio: Q("ratio", 0.9, ge=0,
                                   doc="attack a Donetsk sector when RU/UA local ratio is below")
    replacement_share_kursk: Q("fraction", 0.15, ge=0, le=1,
                               doc="share of replacements sent to Kursk")
    withdraw_from_kursk: bool = True
    withdraw_supply_days_below: Q("days", 1.5, ge=0, doc="withdraw when mean supply falls below")
    withdraw_area_below_km2: Q("km2", 60.0, ge=0, doc="withdraw when the salient shrinks below")
    withdraw_corridor_margin_km: Q("km", 2.0, ge=0,
                                   doc="withdraw when Russian ground is this close to the corridor")
    withdraw_on_places_lost: list[str] = Field(
        default_factory=list, description="withdraw when all of these places are lost")
    commit_reserve_force_ratio: Q("ratio", 2.0, ge=0,
                                  doc="commit a reserve where RU/UA local ratio exceeds")


class Policies(Strict):
    ru: RussianPolicy = Field(default_factory=RussianPolicy)
    ua: UkrainianPolicy = Field(default_factory=UkrainianPolicy)


class Sides(Strict):
    ru: SideParams
    ua: SideParams


class GroupingSpec(Strict):
    name: str
    side: Side
    front: FrontName
    sector: str
    personnel: Q("troops", ge=0, kind=int, doc="troops present on day 0")
    armour: Q("vehicles", 0, ge=0, kind=int, doc="tanks and armoured fighting vehicles")
    artillery: Q("guns", 0, ge=0, kind=int, doc="tube and rocket artillery pieces")
    quality: Q("index", 1.0, gt=0, le=3, doc="training and experience multiplier")
    morale: Q("fraction", 0.7, ge=0, le=1, doc="cohesion on day 0")
    posture: Posture = "defend"
    contingent: str = Field("regular", description="e.g. 'dprk' for North Korean troops")
    arrives: dt.date | None = Field(
        None, description="date the grouping enters the theatre (none = present on day 0)")
    source: str = ""


class CalibrationParam(Strict):
    low: float
    high: float


class Scenario(Strict):
    name: str
    description: str = ""
    start_date: dt.date = dt.date(2025, 1, 5)
    days: Q("days", 120, ge=1, le=1000, kind=int, doc="horizon")
    runs: Q("index", 200, ge=1, le=1_000_000, kind=int, doc="default replicates per batch")
    seed: int = Field(20250105, ge=0, description="default master seed")
    fronts: Fronts
    switches: Switches = Field(default_factory=Switches)
    combat: CombatParams = Field(default_factory=CombatParams)
    advance: AdvanceParams = Field(default_factory=AdvanceParams)
    logistics: LogisticsParams = Field(default_factory=LogisticsParams)
    morale: MoraleParams = Field(default_factory=MoraleParams)
    diplomacy: DiplomacyParams = Field(default_factory=DiplomacyParams)
    indices: IndexParams = Field(default_factory=IndexParams)
    sides: Sides
    policy: Policies = Field(default_factory=Policies)
    groupings: list[GroupingSpec] = Field(min_length=1)
    calibration: dict[str, CalibrationParam] = Field(
        default_factory=dict, description="parameter path -> fitting range")
    source_path: Path | None = Field(None, exclude=True)

    def map_path(self, front: str) -> Path:
        """Absolute path of a front's map file."""
        p = getattr(self.fronts, front).map
        base = self.source_path.parent if self.source_path else Path.cwd()
        return p if p.is_absolute() else (base / p).resolve()


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ScenarioError([f"{path}: file not found"])
    if path.is_dir():
        raise ScenarioError([f"{path}: is a directory, not a scenario file"])
    size = path.stat().st_size
    if size == 0:
        raise ScenarioError([f"{path}: file is empty"])
    if size > MAX_FILE_BYTES:
        raise ScenarioError([f"{path}: file is {size} bytes; a scenario is at most "
                             f"{MAX_FILE_BYTES} bytes"])
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a text file (expected UTF-8 YAML)"]) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise ScenarioError([f"{path}: not valid YAML{at}: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{path}: YAML nested too deeply"]) from None
    if data is None:
        raise ScenarioError([f"{path}: file holds no YAML mapping"])
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: expected a mapping of keys at top level, "
                             f"got {type(data).__name__}"])
    _check_size(path, data)
    return data


def _check_size(path: Path, data: Any) -> None:
    """Reject deeply nested or huge (e.g. alias-bomb) documents before walking them."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ScenarioError([f"{path}: YAML nested deeper than {MAX_DEPTH} levels"])
        if count > MAX_NODES:
            raise ScenarioError([f"{path}: YAML has more than {MAX_NODES} values"])
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _merge(base: Any, over: Any, origin: dict[tuple, str], path: tuple, file: str) -> Any:
    """Deep-merge ``over`` onto ``base``; record in ``origin`` which file set each key path."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v, origin, (*path, k), file)
        return out
    for key in [p for p in origin if p[: len(path)] == path]:
        del origin[key]
    _record_origin(over, origin, path, file)
    return over


def _record_origin(value: Any, origin: dict[tuple, str], path: tuple, file: str) -> None:
    origin[path] = file
    if isinstance(value, dict):
        for k, v in value.items():
            _record_origin(v, origin, (*path, k), file)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record_origin(v, origin, (*path, i), file)


def _load_tree(path: Path, origin: dict[tuple, str], chain: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in chain:
        raise ScenarioError([f"{path}: 'extends' loops back to itself"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([f"{path}: 'extends' chain longer than {MAX_EXTENDS}"])
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        _record_origin(data, origin, (), str(path))
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: expected a file name, got {parent!r}"])
    base = _load_tree(path.parent / parent, origin, (*chain, path))
    return _merge(base, data, origin, (), str(path))


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge (``extends``), override (``a.b=value``) and validate a scenario file."""
    path = Path(path)
    origin: dict[tuple, str] = {}
    tree = _load_tree(path, origin)
    tree = apply_overrides(tree, overrides, origin, str(path))
    _anchor_map_paths(tree, origin)
    return validate_tree(tree, path, origin)


def _anchor_map_paths(tree: dict, origin: dict[tuple, str]) -> None:
    """Make each front's map path absolute, relative to the file that named it (the current
    directory for ``--set``), so an option file anywhere can extend the shipped base."""
    fronts = tree.get("fronts")
    if not isinstance(fronts, dict):
        return
    for front, spec in fronts.items():
        if not (isinstance(spec, dict) and isinstance(spec.get("map"), str)):
            continue
        p = Path(spec["map"])
        if not p.is_absolute():
            named_in = origin.get(("fronts", front, "map"), "--set")
            base = Path.cwd() if named_in.startswith("--set") else Path(named_in).parent
            spec["map"] = str((base / p).resolve())


def validate_tree(tree: dict, path: Path | None, origin: dict[tuple, str] | None = None
                  ) -> Scenario:
    """Validate a merged tree into a :class:`Scenario`, then cross-check it against its maps."""
    origin = origin or {}
    name = str(path) if path else "<scenario>"
    try:
        scn = Scenario.model_validate({**tree, "source_path": path.resolve() if path else None})
    except ValidationError as exc:
        raise ScenarioError([_describe(err, origin, name) for err in exc.errors()]) from None
    problems = cross_check(scn, origin, name)
    if problems:
        raise ScenarioError(problems)
    return scn


def _file_for(loc: tuple, origin: dict[tuple, str], default: str) -> str:
    for n in range(len(loc), -1, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


def _dotted(loc: Iterable) -> str:
    return ".".join(str(p) for p in loc)


def _describe(err: Mapping[str, Any], origin: dict[tuple, str], default: str) -> str:
    loc = tuple(err["loc"])
    file = _file_for(loc, origin, default)
    key = _dotted(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"{file}: {key}: unknown key{did}; allowed: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{file}: {key}: required key is missing"
    unit = _unit_at(loc)
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{file}: {key}: {msg}{shown}" + (f" [unit: {unit}]" if unit else "")


def _model_at(loc: Sequence) -> tuple[type[BaseModel] | None, str | None]:
    """The pydantic model that holds the last element of ``loc``, and that field's name."""
    model: Any = Scenario
    for i, part in enumerate(loc):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        if part not in model.model_fields:
            return None, None
        if i == len(loc) - 1:
            return model, part
        ann = model.model_fields[part].annotation
        model = _inner_model(ann)
        if model is not None and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            loc = (*loc[: i + 1], *loc[i + 2:])  # a list index: step into the item type
    return None, None


def _inner_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(loc: Sequence) -> list[str]:
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
    if model is None:
        return []
    return [k for k in model.model_fields if k != "source_path"]


def _unit_at(loc: Sequence) -> str | None:
    clean = [p for p in loc if not isinstance(p, int)]
    model, field = _model_at(clean)
    return unit_of(model, field) if model else None


# --------------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------------


def apply_overrides(tree: dict, overrides: Sequence[str], origin: dict[tuple, str] | None = None,
                    file: str = "--set") -> dict:
    """Apply ``key.path=value`` strings to a merged tree (values parsed as YAML scalars).

    List items can be addressed by index or, for lists of named items, by name:
    ``groupings.RU-Kursk-1.personnel=9000``.
    """
    origin = origin if origin is not None else {}
    tree = json.loads(json.dumps(tree, default=str))  # a deep copy the caller can't see
    for text in overrides:
        if "=" not in text:
            raise ScenarioError([f"--set {text}: expected key.path=value"])
        key, raw = text.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ScenarioError([f"--set {text}: empty key path"])
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise ScenarioError([f"--set {text}: value is not a valid YAML scalar"]) from None
        node: Any = tree
        loc: list[Any] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                idx = _list_index(node, part)
                if idx is None:
                    names = [str(x.get("name")) for x in node if isinstance(x, dict)]
                    hint = difflib.get_close_matches(part, names, n=1)
                    did = f" (did you mean '{hint[0]}'?)" if hint else ""
                    raise ScenarioError([f"--set {text}: {_dotted([*loc, part])}: no such item"
                                         f"{did}; use an index 0..{len(node) - 1} or a name"])
                loc.append(idx)
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
                continue
            if not isinstance(node, dict):
                raise ScenarioError([f"--set {text}: {_dotted(loc)} is a value, not a section"])
            allowed = _allowed_keys(loc) or list(node)
            if part not in allowed and part not in node:
                hint = difflib.get_close_matches(part, allowed, n=1, cutoff=0.6)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ScenarioError([f"--set {text}: {_dotted([*loc, part])}: unknown key{did}; "
                                     f"allowed: {', '.join(allowed)}"])
            loc.append(part)
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        origin[tuple(loc)] = f"--set {text}"
    return tree


def _list_index(node: list, part: str) -> int | None:
    if re.fullmatch(r"-?\d+", part):
        idx = int(part)
        return idx if -len(node) <= idx < len(node) else None
    for i, item in enumerate(node):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return i
    return None


# --------------------------------------------------------------------------------------------
# Cross-checks against maps, dates, names
# --------------------------------------------------------------------------------------------


def cross_check(scn: Scenario, origin: dict[tuple, str], default: str) -> list[str]:
    """Checks that need more than one key: map files, sectors, places, dates, names."""
    from sim.space import MapError, load_map  # space imports nothing from here

    problems: list[str] = []

    def at(loc: tuple, msg: str) -> None:
        problems.append(f"{_file_for(loc, origin, default)}: {_dotted(loc)}: {msg}")

    maps = {}
    for front in ("kursk", "donetsk"):
        loc = ("fronts", front, "map")
        path = scn.map_path(front)
        if not path.is_file():
            at(loc, f"map file {path} does not exist")
            continue
        try:
            maps[front] = load_map(path, getattr(scn.fronts, front).start_line)
        except MapError as exc:
            at(loc, str(exc))
    seen: set[str] = set()
    for i, g in enumerate(scn.groupings):
        if g.name in seen:
            at(("groupings", i, "name"), f"duplicate grouping name '{g.name}'")
        seen.add(g.name)
        if g.arrives is not None and g.arrives <= scn.start_date:
            at(("groupings", i, "arrives"), f"date {g.arrives} is not after the start date "
               f"{scn.start_date}; leave it out for groupings present on day 0")
        fmap = maps.get(g.front)
        if fmap is not None and g.sector not in fmap.sector_names:
            hint = difflib.get_close_matches(g.sector, fmap.sector_names, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            at(("groupings", i, "sector"), f"unknown sector '{g.sector}' on the {g.front} "
               f"front{did}; allowed: {', '.join(fmap.sector_names)}")
    places = {p.name for m in maps.values() for p in m.places}
    for j, name in enumerate(scn.policy.ua.withdraw_on_places_lost):
        if len(maps) == 2 and name not in places:  # only when every map could be read
            hint = difflib.get_close_matches(name, sorted(places), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            at(("policy", "ua", "withdraw_on_places_lost", j), f"unknown place '{name}'{did}")
    talks = scn.diplomacy.talks_open
    if talks is not None and talks < scn.start_date:
        at(("diplomacy", "talks_open"), f"date {talks} is before the start date {scn.start_date}")
    if scn.indices.incursion_start > scn.start_date:
        at(("indices", "incursion_start"), f"date {scn.indices.incursion_start} is after the "
           f"start date {scn.start_date}")
    for side in ("ru", "ua"):
        if not any(g.side == side for g in scn.groupings):
            at(("groupings",), f"no grouping for side '{side}'")
    for key, rng in scn.calibration.items():
        if rng.low >= rng.high:
            at(("calibration", key), f"low {rng.low} must be below high {rng.high}")
        elif get_path(scn, key) is None:
            at(("calibration", key), "not a numeric parameter of the scenario")
    return problems


# --------------------------------------------------------------------------------------------
# Utilities for the batch runner and experiments
# --------------------------------------------------------------------------------------------


def scenario_dict(scn: Scenario) -> dict:
    """The fully resolved scenario as plain JSON-able data."""
    return scn.model_dump(mode="json")


def resolved_yaml(scn: Scenario) -> str:
    return yaml.safe_dump(scenario_dict(scn), sort_keys=False, allow_unicode=True)


def scenario_hash(scn: Scenario) -> str:
    """sha256 of the resolved scenario, with each map file's path replaced by the hash of its
    content: the same inputs give the same hash wherever the project is checked out."""
    data = scenario_dict(scn)
    for front in data["fronts"]:
        data["fronts"][front]["map"] = hashlib.sha256(scn.map_path(front).read_bytes()).hexdigest()
    canon = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def get_path(scn: Scenario, key: str) -> float | None:
    """The numeric value at a dotted path (list items by index or name), or None."""
    node: Any = scenario_dict(scn)
    for part in key.split("."):
        if isinstance(node, list):
            idx = _list_index(node, part)
            if idx is None:
                return None
            node = node[idx]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def with_values(scn: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A copy of ``scn`` with dotted-path parameters set (validated like ``--set``)."""
    sets = [f"{k}={_yaml_scalar(v)}" for k, v in values.items()]
    tree = apply_overrides(scenario_dict(scn), sets)
    return validate_tree(tree, scn.source_path)


def _yaml_scalar(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


__all__ = [
    "Scenario", "ScenarioError", "apply_overrides", "get_path", "load_scenario",
    "resolved_yaml", "scenario_dict", "scenario_hash", "with_values",
]
