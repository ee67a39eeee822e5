"""Plain-data views of a scenario: the resolved tree, its YAML and hash, dotted-path lookups."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from sim.scenario.schema import Scenario, list_index


def scenario_dict(scn: Scenario) -> dict:
    """The fully resolved scenario as plain JSON-able data (no ``game`` key unless the scenario
    is a saved game, so the resolved YAML and hash of every other scenario stay as they were)."""
    data = scn.model_dump(mode="json")
    if data.get("game") is None:
        data.pop("game", None)
    return data


def resolved_yaml(scn: Scenario, relative_to: Path | str | None = None) -> str:
    """The resolved scenario as YAML; with ``relative_to`` (a batch folder) the map files and
    the posterior are named relative to that folder, so the text holds no absolute path and
    reads back (:func:`sim.scenario.scenario_from_text`) wherever the project lies."""
    data = scenario_dict(scn)
    if relative_to is not None:
        base = Path(relative_to).resolve()
        for front in data["fronts"]:
            data["fronts"][front]["map"] = relative_path(scn.map_path(front), base)
        if data.get("calibration_posterior"):
            data["calibration_posterior"] = relative_path(Path(data["calibration_posterior"]), base)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def relative_path(path: Path, base: Path) -> str:
    """``path`` named relative to the folder ``base`` (both resolved), so that a saved file
    holds no absolute path; absolute only when there is no relative name (another drive)."""
    try:
        return os.path.relpath(path.resolve(), base)
    except ValueError:  # another drive (Windows): keep it absolute
        return str(path)


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
    return scn.value_at(key)


__all__ = ["get_path", "list_index", "resolved_yaml", "scenario_dict", "scenario_hash"]
