"""Reading scenario files: YAML with ``extends:`` (deep merge, remembering which file set each
key), overrides, validation into a :class:`Scenario` and cross-checks against the maps."""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, dotted
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import MAX_ARRIVAL_DAYS, Scenario, allowed_keys, unit_at
from sim.scenario.tree import get_path, scenario_dict
from sim.scenario.yamlio import parse_yaml

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 32
MAX_NODES = 200_000
MAX_EXTENDS = 8



def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except ValueError:  # embedded NUL byte
        raise ScenarioError([f"{str(path)!r}: not a valid file name"]) from None
    except OSError as exc:  # name too long, symlink loop, permission
        raise ScenarioError([f"{path}: {exc.strerror or exc}"]) from None


def read_yaml(path: Path) -> dict:
    st = _stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError([f"{path}: is a directory, not a scenario file"])
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError([f"{path}: not a regular file (a device, FIFO or socket)"])
    size = st.st_size
    if size == 0:
        raise ScenarioError([f"{path}: file is empty"])
    if size > MAX_FILE_BYTES:
        raise ScenarioError([f"{path}: file is {size} bytes; a scenario is at most "
                             f"{MAX_FILE_BYTES} bytes"])
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:
            raise ScenarioError([f"{path}: not a text file (holds NUL bytes)"])
        data = parse_yaml(text)
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ScenarioError([f"{path}: not a text file (expected UTF-8 YAML)"]) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise ScenarioError([f"{path}: not valid YAML{at}: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{path}: YAML nested too deeply"]) from None
    except ValueError as exc:
        raise ScenarioError([f"{path}: invalid value: {exc}"]) from None
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
    try:
        path = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loop, NUL byte
        raise ScenarioError([f"{path!s:.300}: cannot resolve the path: {exc}"]) from None
    if path in chain:
        raise ScenarioError([f"{path}: 'extends' loops back to itself"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([f"{path}: 'extends' chain longer than {MAX_EXTENDS}"])
    data = read_yaml(path)
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
    _anchor_posterior_path(tree, origin)
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


def _anchor_posterior_path(tree: dict, origin: dict[tuple, str]) -> None:
    """Make ``calibration_posterior`` absolute, relative to the file that named it (an overlay
    such as ``calibrated.yaml`` names the posterior next to it)."""
    value = tree.get("calibration_posterior")
    if isinstance(value, str) and value and not Path(value).is_absolute():
        named_in = origin.get(("calibration_posterior",), "--set")
        base = Path.cwd() if named_in.startswith("--set") else Path(named_in).parent
        tree["calibration_posterior"] = str((base / value).resolve())


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



def _describe(err: Mapping[str, Any], origin: dict[tuple, str], default: str) -> str:
    loc = tuple(err["loc"])
    file = _file_for(loc, origin, default)
    key = dotted(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"{file}: {key}: unknown key{did}; allowed: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{file}: {key}: required key is missing"
    unit = unit_at(loc)
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{file}: {key}: {msg}{shown}" + (f" [unit: {unit}]" if unit else "")



def cross_check(scn: Scenario, origin: dict[tuple, str], default: str) -> list[str]:
    """Checks that need more than one key: map files, sectors, places, dates, names."""
    from sim.space import MapError, load_map  # space imports nothing from here

    problems: list[str] = []

    def at(loc: tuple, msg: str) -> None:
        problems.append(f"{_file_for(loc, origin, default)}: {dotted(loc)}: {msg}")

    maps = {}
    for front in ("kursk", "donetsk"):
        loc = ("fronts", front, "map")
        try:  # load_map checks the file itself (missing, not a regular file, too large, ...)
            maps[front] = load_map(scn.map_path(front), getattr(scn.fronts, front).start_line)
        except MapError as exc:
            for line in exc.problems:
                at(loc, line)
    seen: set[str] = set()
    for i, g in enumerate(scn.groupings):
        if g.name in seen:
            at(("groupings", i, "name"), f"duplicate grouping name '{g.name}'")
        seen.add(g.name)
        if g.arrives is not None and g.arrives <= scn.start_date:
            at(("groupings", i, "arrives"), f"date {g.arrives} is not after the start date "
               f"{scn.start_date}; leave it out for groupings present on day 0")
        elif g.arrives is not None and (g.arrives - scn.start_date).days >= MAX_ARRIVAL_DAYS:
            at(("groupings", i, "arrives"), f"date {g.arrives} is {MAX_ARRIVAL_DAYS} days or "
               f"more after the start date {scn.start_date}")
        fmap = maps.get(g.front)
        if fmap is not None and g.sector not in fmap.sector_names:
            hint = difflib.get_close_matches(g.sector, fmap.sector_names, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            at(("groupings", i, "sector"), f"unknown sector '{g.sector}' on the {g.front} "
               f"front{did}; allowed: {', '.join(fmap.sector_names)}")
        if g.fronts is not None and g.front not in g.fronts:
            at(("groupings", i, "front"), f"'{g.front}' is not among the grouping's fronts "
               f"({', '.join(g.fronts)})")
    graded = scn.policy.ua.graded_defence
    kmap = maps.get("kursk")
    for j, name in enumerate(scn.policy.ru.strategic_reserve.sectors):
        if kmap is not None and name not in kmap.sector_names:
            at(("policy", "ru", "strategic_reserve", "sectors", j), f"unknown Kursk sector "
               f"'{name}'; allowed: {', '.join(kmap.sector_names)}")
    for j, name in enumerate(graded.order):
        if kmap is not None and name not in kmap.sector_names:
            at(("policy", "ua", "graded_defence", "order", j), f"unknown Kursk sector '{name}'; "
               f"allowed: {', '.join(kmap.sector_names)}")
    if len(graded.interdiction_steps) != len(graded.order):
        at(("policy", "ua", "graded_defence", "interdiction_steps"),
           f"{len(graded.interdiction_steps)} steps for {len(graded.order)} sectors; allowed: "
           "one step per sector of `order`")
    if any(not 0 <= x <= 1 for x in graded.interdiction_steps):
        at(("policy", "ua", "graded_defence", "interdiction_steps"),
           "allowed: fractions between 0 and 1")
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
    if scn.game is not None:
        _check_game(scn, maps, at)
    post = scn.calibration_posterior
    if post is not None and not post.is_file():
        at(("calibration_posterior",), f"file not found: {post}")
    for key, rng in scn.calibration.items():
        if rng.low >= rng.high:
            at(("calibration", key), f"low {rng.low} must be below high {rng.high}")
        elif get_path(scn, key) is None:
            at(("calibration", key), "not a numeric parameter of the scenario")
    return problems



def _check_game(scn: Scenario, maps: dict, at: Any) -> None:
    """The order log names the player's groupings and real sectors, within the played days."""
    game = scn.game
    if game.played_days > scn.days:
        at(("game", "played_days"), f"{game.played_days} is beyond the horizon of {scn.days} days")
    sides = {g.name: g.side for g in scn.groupings}
    for j, order in enumerate(game.orders):
        if order.day > game.played_days:
            at(("game", "orders", j, "day"), f"day {order.day} is after played_days "
               f"{game.played_days}")
        for name in order.groupings:
            if name not in sides:
                hint = difflib.get_close_matches(name, sorted(sides), n=1)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                at(("game", "orders", j, "groupings"), f"unknown grouping '{name}'{did}")
            elif sides[name] != game.player:
                at(("game", "orders", j, "groupings"), f"'{name}' is not a grouping of the "
                   f"player's side '{game.player}'")
        fmap = maps.get(order.front) if order.front else None
        if fmap is not None and order.sector and order.sector not in fmap.sector_names:
            at(("game", "orders", j, "sector"), f"unknown sector '{order.sector}' on the "
               f"{order.front} front; allowed: {', '.join(fmap.sector_names)}")
        if order.kind == "withdraw" and game.player != "ua":
            at(("game", "orders", j, "kind"), "only Ukraine withdraws from the Kursk salient")


def with_values(scn: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A copy of ``scn`` with dotted-path parameters set (validated like ``--set``)."""
    sets = [f"{k}={_yaml_scalar(v)}" for k, v in values.items()]
    tree = apply_overrides(scenario_dict(scn), sets)
    return validate_tree(tree, scn.source_path)


def _yaml_scalar(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()
