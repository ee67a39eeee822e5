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
from sim.scenario.schema import Scenario, allowed_keys, consistency_problems, unit_at
from sim.scenario.yamlio import parse_yaml

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
    """The YAML mapping of a scenario file (size, encoding and shape checked)."""
    # the size guard is the maps' (sim.space, the lower layer), imported here: at module level
    # it would add sim.space's numpy and scipy (~0.45 s) to every import of sim.scenario
    from sim.space import MAX_FILE_BYTES

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
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return parse_scenario_text(data, path)


def parse_scenario_text(data: bytes | str, path: Path) -> dict:
    """The YAML mapping in ``data`` (a file's bytes or an upload), errors naming ``path``.
    No message quotes the text: a file that is not a scenario is named, never shown."""
    from sim.space import MAX_FILE_BYTES  # see read_yaml

    if isinstance(data, bytes):
        if not data:
            raise ScenarioError([f"{path}: file is empty"])
        if len(data) > MAX_FILE_BYTES:
            raise ScenarioError([f"{path}: file is {len(data)} bytes; a scenario is at most "
                                 f"{MAX_FILE_BYTES} bytes"])
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError([f"{path}: not a text file (expected UTF-8 YAML)"]) from None
    if "\x00" in data:
        raise ScenarioError([f"{path}: not a text file (holds NUL bytes)"])
    try:
        tree = parse_yaml(data)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise ScenarioError([f"{path}: not valid YAML{at}: {clip(problem)}"]) from None
    except RecursionError:
        raise ScenarioError([f"{path}: YAML nested too deeply"]) from None
    except ValueError as exc:
        raise ScenarioError([f"{path}: invalid value: {clip(exc)}"]) from None
    if tree is None:
        raise ScenarioError([f"{path}: file holds no YAML mapping"])
    if not isinstance(tree, dict):
        raise ScenarioError([f"{path}: expected a mapping of keys at top level, "
                             f"got {type(tree).__name__}"])
    _check_size(path, tree)
    return tree


MAX_SHOWN = 80  # characters of a user's value quoted in an error


def clip(value: object, limit: int = MAX_SHOWN) -> str:
    """``str(value)`` cut to ``limit`` characters: an error quotes a value, never a file."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


SCENARIO_PATH_ENV = "WARGAME_SCENARIO_PATH"


def extends_roots(top: Path) -> list[Path]:
    """Folders ``extends:`` may reach from the scenario file ``top``: its own folder tree, the
    project's ``scenarios/`` (the shipped one and the working folder's) and the folders listed
    in ``$WARGAME_SCENARIO_PATH`` (``os.pathsep``-separated)."""
    shipped = Path(__file__).resolve().parents[2] / "scenarios"
    extra = [Path(p) for p in os.environ.get(SCENARIO_PATH_ENV, "").split(os.pathsep) if p]
    roots = []
    for p in (top.parent, shipped, Path.cwd() / "scenarios", *extra):
        try:
            roots.append(p.resolve())
        except (OSError, RuntimeError, ValueError):
            continue
    return roots


def _check_size(path: Path, data: Any) -> None:
    """Reject deeply nested or huge (alias-bomb) documents before walking them: the maps'
    guard (``sim.space.yaml_size_problem``), the error naming the scenario file."""
    from sim.space import yaml_size_problem  # see read_yaml

    problem = yaml_size_problem(data)
    if problem:
        raise ScenarioError([f"{path}: {problem}"])


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


def _load_tree(path: Path, origin: dict[tuple, str], chain: tuple[Path, ...] = (),
               text: bytes | str | None = None, roots: Sequence[Path] = ()) -> dict:
    """The merged tree of ``path`` and the files it extends; ``text`` is the content of
    ``path`` when it is an upload held in memory (nothing read from disk for it)."""
    try:
        path = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loop, NUL byte
        raise ScenarioError([f"{path!s:.300}: cannot resolve the path: {exc}"]) from None
    if path in chain:
        raise ScenarioError([f"{path}: 'extends' loops back to itself"])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([f"{path}: 'extends' chain longer than {MAX_EXTENDS}"])
    roots = roots or extends_roots(path)
    data = read_yaml(path) if text is None else parse_scenario_text(text, path)
    parent = data.pop("extends", None)
    if parent is None:
        _record_origin(data, origin, (), str(path))
        return data
    if not isinstance(parent, str) or not parent or "\x00" in parent:
        raise ScenarioError([f"{path}: extends: expected a file name, got "
                             f"{clip(repr(parent))}"])
    target = path.parent / parent
    try:
        inside = any(target.resolve().is_relative_to(r) for r in roots)
    except (OSError, RuntimeError, ValueError):
        inside = True  # _load_tree names the unusable path
    if not inside:
        raise ScenarioError([
            f"{path}: extends: {clip(repr(parent))} is outside the folders a scenario may "
            f"extend; allowed: files under {roots[0]} or the project's scenarios/ (more "
            f"folders: ${SCENARIO_PATH_ENV})"])
    base = _load_tree(target, origin, (*chain, path), roots=roots)
    return _merge(base, data, origin, (), str(path))


def load_scenario(path: str | Path, overrides: Sequence[str] = (),
                  text: bytes | str | None = None) -> Scenario:
    """Read, merge (``extends``), override (``a.b=value``) and validate a scenario file.
    With ``text``, that is the file's content (an upload in memory) and ``path`` only where it
    would be: ``extends:`` and map paths resolve from there; nothing is read at ``path``."""
    path = Path(path)
    origin: dict[tuple, str] = {}
    tree = _load_tree(path, origin, text=text)
    tree = apply_overrides(tree, overrides, origin, str(path))
    return _anchored(tree, path, origin)


def scenario_from_text(text: str, path: Path | str) -> Scenario:
    """The scenario of a resolved YAML text (a batch's ``scenario.yaml`` or its manifest's
    copy), its relative file names read from ``path``'s folder: the one reader of a batch's
    scenario."""
    path = Path(path).absolute()
    try:
        data = parse_yaml(text)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ScenarioError([f"{path}: not valid YAML ({type(exc).__name__})"]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: expected a mapping of keys at top level"])
    _check_size(path, data)
    origin: dict[tuple, str] = {}
    _record_origin(data, origin, (), str(path))
    return _anchored(data, path, origin)


def _anchored(tree: dict, path: Path, origin: dict[tuple, str]) -> Scenario:
    """Validate ``tree`` with its file names made absolute (the one place they are resolved)."""
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
            spec["map"] = _absolute(base / p)


def _anchor_posterior_path(tree: dict, origin: dict[tuple, str]) -> None:
    """Make ``calibration_posterior`` absolute, relative to the file that named it (an overlay
    such as ``calibrated.yaml`` names the posterior next to it)."""
    value = tree.get("calibration_posterior")
    if isinstance(value, str) and value and not Path(value).is_absolute():
        named_in = origin.get(("calibration_posterior",), "--set")
        base = Path.cwd() if named_in.startswith("--set") else Path(named_in).parent
        tree["calibration_posterior"] = _absolute(base / value)


def _absolute(path: Path) -> str:
    """``path`` resolved, or only made absolute when it cannot be resolved (a NUL byte, a
    symlink loop): the file's own check then names the problem in one line."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError, ValueError):
        return os.path.abspath(path)


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
        return f"{file}: {clip(key)}: unknown key{did}; allowed: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{file}: {key}: required key is missing"
    unit = unit_at(loc)
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {clip(repr(got))})"
    return f"{file}: {key}: {msg}{shown}" + (f" [unit: {unit}]" if unit else "")



def cross_check(scn: Scenario, origin: dict[tuple, str], default: str) -> list[str]:
    """Checks that need more than one key: map files, sectors, places, dates, names."""
    from sim.space import MapError  # space imports nothing from here

    problems: list[str] = []

    def at(loc: tuple, msg: str) -> None:
        problems.append(f"{_file_for(loc, origin, default)}: {dotted(loc)}: {msg}")

    maps = {}
    for front in ("kursk", "donetsk"):
        loc = ("fronts", front, "map")
        try:  # load_map checks the file itself (missing, not a regular file, too large, ...)
            maps[front] = scn.front_map(front)
        except MapError as exc:
            for line in exc.problems:
                at(loc, line)
    for i, g in enumerate(scn.groupings):
        fmap = maps.get(g.front)
        if fmap is not None and g.sector not in fmap.sector_names:
            hint = difflib.get_close_matches(g.sector, fmap.sector_names, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            at(("groupings", i, "sector"), f"unknown sector '{g.sector}' on the {g.front} "
               f"front{did}; allowed: {', '.join(fmap.sector_names)}")
    kmap = maps.get("kursk")
    for j, name in enumerate(scn.policy.ru.strategic_reserve.sectors):
        if kmap is not None and name not in kmap.sector_names:
            at(("policy", "ru", "strategic_reserve", "sectors", j), f"unknown Kursk sector "
               f"'{name}'; allowed: {', '.join(kmap.sector_names)}")
    for j, name in enumerate(scn.policy.ua.graded_defence.order):
        if kmap is not None and name not in kmap.sector_names:
            at(("policy", "ua", "graded_defence", "order", j), f"unknown Kursk sector '{name}'; "
               f"allowed: {', '.join(kmap.sector_names)}")
    places = {p.name for m in maps.values() for p in m.places}
    for j, name in enumerate(scn.policy.ua.withdraw_on_places_lost):
        if len(maps) == 2 and name not in places:  # only when every map could be read
            hint = difflib.get_close_matches(name, sorted(places), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            at(("policy", "ua", "withdraw_on_places_lost", j), f"unknown place '{name}'{did}")
    for j, order in enumerate(scn.game.orders if scn.game is not None else ()):
        fmap = maps.get(order.front) if order.front else None
        if fmap is not None and order.sector and order.sector not in fmap.sector_names:
            at(("game", "orders", j, "sector"), f"unknown sector '{order.sector}' on the "
               f"{order.front} front; allowed: {', '.join(fmap.sector_names)}")
    for loc, msg in consistency_problems(scn):
        at(loc, msg)
    post = scn.calibration_posterior
    if post is not None and not post.is_file():
        at(("calibration_posterior",), f"file not found: {post}")
    return problems



def with_values(scn: Scenario, values: Mapping[str, Any]) -> Scenario:
    """A copy of ``scn`` with dotted-path values set: :meth:`Scenario.replace` (also for the
    app's switches, dates and ``None``)."""
    return scn.replace(values)
