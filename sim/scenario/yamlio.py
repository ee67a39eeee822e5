"""YAML parsing shared by scenario files and ``--set`` values: safe tags only, duplicate keys
rejected (the loader of :mod:`sim.space`, which reads the map files)."""

from __future__ import annotations

from typing import Any

from sim.space import load_yaml


def parse_yaml(text: str) -> Any:
    """YAML text to data: safe tags only, duplicate keys rejected. Raises ``yaml.YAMLError``
    or ``ValueError`` (an impossible date such as 2025-02-30, a number out of range)."""
    try:
        return load_yaml(text)
    except (OverflowError, TypeError) as exc:
        raise ValueError(str(exc)) from None


__all__ = ["parse_yaml"]
