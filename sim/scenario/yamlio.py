"""YAML parsing shared by scenario files and ``--set`` values: safe tags only, duplicate keys
rejected."""

from __future__ import annotations

from typing import Any

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a mapping holding the same key twice (PyYAML silently
    keeps the last one, so a typo'd copy of a section would override the first unseen)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                dup = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                dup = False
            if dup:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark)
            if not isinstance(key, list | dict):
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """YAML text to data: safe tags only, duplicate keys rejected. Raises ``yaml.YAMLError``
    or ``ValueError`` (an impossible date such as 2025-02-30, a number out of range)."""
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except (OverflowError, TypeError) as exc:
        raise ValueError(str(exc)) from None


__all__ = ["UniqueKeyLoader", "parse_yaml"]
