"""Shared fixtures: the shipped scenarios and a small, fast batch size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles for tests/test_fuzz.py: "default" keeps the fuzz file under about a minute
# on two cores; "long" (``--hypothesis-profile=long``) runs well over 2000 generated inputs for
# nightly use. test_fuzz.py scales each test's examples from the profile's max_examples.
_FUZZ = dict(deadline=None, print_blob=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                    HealthCheck.filter_too_much])
# the default profile draws the same inputs on every run (a CI result depends on the code, not
# on the day's dice); the long profile draws new ones each time, to find what the default misses
settings.register_profile("default", max_examples=40, derandomize=True, **_FUZZ)
settings.register_profile("long", max_examples=600, derandomize=False, **_FUZZ)
# WARGAME_FUZZ_PROFILE=long selects the long profile too (e.g. in CI's nightly job)
settings.load_profile(os.environ.get("WARGAME_FUZZ_PROFILE", "default"))

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
