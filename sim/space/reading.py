"""Reading a map file at the door: a regular, non-empty UTF-8 text file of bounded size holding
one YAML mapping, with no duplicate keys and bounded nesting and size (alias bombs). Every
failure is a :class:`MapError` with one line; nothing here raises anything else."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from sim.space.errors import MapError

#: The size guard of every YAML file the project reads (maps here, scenarios in
#: sim.scenario.loading): bytes, nesting levels and values once aliases are expanded.
MAX_FILE_BYTES = 2_000_000  # the shipped maps are ~11 and ~15 kB, the scenarios under 10 kB
MAX_DEPTH = 32  # the shipped maps nest 7 levels
MAX_NODES = 200_000  # values after expanding aliases

_MERGE_TAG = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key written twice in one mapping (PyYAML keeps the
    last one silently, so a typo'd copy of a section would override the first unseen). The one
    loader of every YAML file and ``--set`` value the project reads."""


def _construct_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode):
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark
    data: dict = {}  # built like SafeLoader's own mappings, so recursive aliases still work
    yield data
    data.update(loader.construct_mapping(node))


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

#: The same loader on libyaml's parser, where PyYAML was built with it (None otherwise): the
#: shipped maps and the scenario tree of a batch (~45 kB) parse in ~9 ms instead of ~70 ms.
FastUniqueKeyLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class FastUniqueKeyLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """:class:`UniqueKeyLoader`'s rules (safe tags, duplicate keys rejected) on libyaml."""

    FastUniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                        _construct_mapping)

_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _nesting(text: str) -> int | None:
    """How deep ``text`` nests, from libyaml's events (an iterative parse, no recursion), or
    None where libyaml finds a problem (the Python loader then reports it)."""
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, _OPEN):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, _CLOSE):
                depth -= 1
    except yaml.YAMLError:
        return None
    return deepest


def load_yaml(text: str) -> Any:
    """``text`` parsed with :class:`UniqueKeyLoader`'s rules: on libyaml when it is there and the
    document nests at most ``MAX_DEPTH`` levels (deeper ones are refused by every reader), else
    (and for any document libyaml finds a problem in) by the Python loader, so every error, its
    message and a ``RecursionError`` are the Python loader's: libyaml's composer recurses in C,
    past Python's recursion limit, and a deep enough file would crash the process. Raises what
    ``yaml.load`` raises."""
    if FastUniqueKeyLoader is not None:
        deepest = _nesting(text)
        if deepest is not None and deepest <= MAX_DEPTH:
            try:
                return yaml.load(text, Loader=FastUniqueKeyLoader)  # noqa: S506 - safe loader
            except yaml.YAMLError:
                pass  # reported below, in the Python loader's words
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def check_file(path: Path) -> os.stat_result:
    """The file's ``stat`` if it is a regular file of 1..MAX_FILE_BYTES bytes, else MapError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MapError(f"{path}: map file does not exist") from None
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise MapError(f"{path}: cannot read the map file ({why})") from None
    if stat.S_ISDIR(st.st_mode):
        raise MapError(f"{path}: is a directory, not a map file")
    if not stat.S_ISREG(st.st_mode):
        raise MapError(f"{path}: not a regular file (a device, pipe or socket); "
                       "a map is a YAML file")
    if st.st_size == 0:
        raise MapError(f"{path}: file is empty; a map is a YAML mapping (see docs/MAPS.md)")
    if st.st_size > MAX_FILE_BYTES:
        raise MapError(f"{path}: file is {st.st_size} bytes; a map is at most "
                       f"{MAX_FILE_BYTES} bytes")
    return st


def read_map_yaml(path: Path) -> dict[str, Any]:
    """Parse the (checked) file into a dict, or raise MapError with one line."""
    check_file(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise MapError(f"{path}: cannot read the map file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise MapError(f"{path}: file is empty; a map is a YAML mapping (see docs/MAPS.md)")
    if len(raw) > MAX_FILE_BYTES:
        raise MapError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes; a map is at most "
                       f"{MAX_FILE_BYTES} bytes")
    if b"\x00" in raw:
        raise MapError(f"{path}: not a text file (binary data); a map is a UTF-8 YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MapError(f"{path}: not a text file (not UTF-8); a map is a UTF-8 YAML file") \
            from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or "invalid syntax"
        raise MapError(f"{path}: not valid YAML{at}: {what}") from None
    except RecursionError:
        raise MapError(f"{path}: YAML nested too deeply; a map nests at most {MAX_DEPTH} "
                       "levels") from None
    if data is None:
        raise MapError(f"{path}: file holds no YAML mapping (see docs/MAPS.md)")
    if not isinstance(data, dict):
        raise MapError(f"{path}: (top level): expected a mapping of keys, got "
                       f"{type(data).__name__}; allowed: a map file (see docs/MAPS.md)")
    check_size(path, data)
    return data


def yaml_size_problem(data: Any) -> str | None:
    """Why a parsed YAML document is too big to walk (nested deeper than ``MAX_DEPTH`` or
    more than ``MAX_NODES`` values: an alias bomb), or None; the caller names the file."""
    count = 0
    todo: list[tuple[Any, int]] = [(data, 0)]
    while todo:
        node, depth = todo.pop()
        count += 1
        if depth > MAX_DEPTH:
            return f"YAML nested deeper than {MAX_DEPTH} levels"
        if count > MAX_NODES:
            return f"YAML has more than {MAX_NODES} values (aliases expanded)"
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node)
    return None


def check_size(path: Path, data: Any) -> None:
    """Reject deeply nested or huge (alias-bomb) documents before anything walks them."""
    problem = yaml_size_problem(data)
    if problem:
        raise MapError(f"{path}: {problem}")


__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "FastUniqueKeyLoader",
           "UniqueKeyLoader", "check_file", "check_size", "load_yaml", "read_map_yaml",
           "yaml_size_problem"]
