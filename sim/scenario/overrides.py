"""``--set key.path=value`` overrides applied to a merged scenario tree."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError, dotted
from sim.scenario.schema import allowed_keys
from sim.scenario.tree import list_index
from sim.scenario.yamlio import parse_yaml


def apply_overrides(tree: dict, overrides: Sequence[str], origin: dict[tuple, str] | None = None,
                    file: str = "--set") -> dict:
    """Apply ``key.path=value`` strings to a merged tree (values parsed as YAML scalars).

    List items can be addressed by index or, for lists of named items, by name:
    ``groupings.RU-Kursk-1.personnel=9000``.
    """
    origin = origin if origin is not None else {}
    tree = json.loads(json.dumps(tree, default=str))  # a deep copy the caller can't see
    for text in overrides:
        shown = text if len(text) <= 120 else text[:119] + "…"  # messages quote, never dump
        if "=" not in text:
            raise ScenarioError([f"--set {shown}: expected key.path=value"])
        key, raw = text.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ScenarioError([f"--set {shown}: empty key path"])
        try:
            value = parse_yaml(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            why = getattr(exc, "problem", None)
            raise ScenarioError([f"--set {shown}: value is not valid YAML"
                                 + (f": {why}" if why else "")]) from None
        except ValueError as exc:  # e.g. start_date=2025-02-30
            raise ScenarioError([f"--set {shown}: invalid value: {exc}"]) from None
        except RecursionError:
            raise ScenarioError([f"--set {shown}: value nested too deeply"]) from None
        node: Any = tree
        loc: list[Any] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                idx = list_index(node, part)
                if idx is None:
                    names = [str(x.get("name")) for x in node if isinstance(x, dict)]
                    hint = difflib.get_close_matches(part, names, n=1)
                    did = f" (did you mean '{hint[0]}'?)" if hint else ""
                    raise ScenarioError([f"--set {shown}: {dotted([*loc, part])}: no such item"
                                         f"{did}; use an index 0..{len(node) - 1} or a name"])
                loc.append(idx)
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
                continue
            if not isinstance(node, dict):
                raise ScenarioError([f"--set {shown}: {dotted(loc)} is a value, not a section"])
            allowed = allowed_keys(loc) or list(node)
            if part not in allowed and part not in node:
                hint = difflib.get_close_matches(part, allowed, n=1, cutoff=0.6)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ScenarioError([f"--set {shown}: {dotted([*loc, part])}: unknown key{did}; "
                                     f"allowed: {', '.join(allowed)}"])
            loc.append(part)
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        origin[tuple(loc)] = f"--set {shown}"
    return tree
