"""Plain-data views of a scenario: the resolved tree, its YAML and hash, dotted-path lookups."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.schema import Scenario


def scenario_dict(scn: Scenario) -> dict:
    """The fully resolved scenario as plain JSON-able data (no ``game`` key unless the scenario
    is a saved game, so the resolved YAML and hash of every other scenario stay as they were)."""
    data = scn.model_dump(mode="json")
    if data.get("game") is None:
        data.pop("game", None)
    return data


def resolved_yaml(scn: Scenario) -> str:
    return yaml.safe_dump(scenario_dict(scn), sort_keys=False, allow_unicode=True)


def scenario_hash(scn: Scenario) -> str:
    """sha256 of the resolved scenario, with each map file's path replaced by the hash of its
    content: the same inputs give the same hash wherever the project is checked out."""
    data = scenario_dict(scn)
    for front in data["fronts"]:
        data["fronts"][front]["map"] = hashlib.sha256(scn.map_path(front).read_bytes()).hexdigest()
    post = data.get("calibration_posterior")
    if post:  # the posterior's content, not where it lies
        data["calibration_posterior"] = hashlib.sha256(Path(post).read_bytes()).hexdigest()
    else:  # a scenario without one hashes as it did before the field existed
        data.pop("calibration_posterior", None)
    canon = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def get_path(scn: Scenario, key: str) -> float | None:
    """The numeric value at a dotted path (list items by index or name), or None."""
    node: Any = scenario_dict(scn)
    for part in key.split("."):
        if isinstance(node, list):
            idx = list_index(node, part)
            if idx is None:
                return None
            node = node[idx]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None



def list_index(node: list, part: str) -> int | None:
    if re.fullmatch(r"-?\d+", part):  # 0..n-1 only, as the messages say: no -1 from the end
        idx = int(part)
        return idx if 0 <= idx < len(node) else None
    for i, item in enumerate(node):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return i
    return None
