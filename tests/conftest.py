"""Shared fixtures: the shipped scenarios and a small, fast batch size."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent  # not resolved: the tests may be run from a linked tree
SCENARIOS = REPO / "scenarios"

SMALL_RUNS = 8
SMALL_DAYS = 20


@pytest.fixture
def scenario_file() -> Path:
    return SCENARIOS / "reinforce.yaml"


@pytest.fixture
def scenario(scenario_file: Path):
    """reinforce.yaml with a short horizon, for fast batches."""
    from sim.scenario import load_scenario

    return load_scenario(scenario_file, overrides=[f"days={SMALL_DAYS}"])
