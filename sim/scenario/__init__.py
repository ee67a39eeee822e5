"""Scenario files: a validated pydantic schema, YAML loading with ``extends:``, unit strings and
``--set`` overrides.

A scenario is a YAML mapping. ``extends: base.yaml`` (relative to the file) deep-merges the file
over its parent: mappings merge key by key, everything else (lists included) is replaced. Every
numeric parameter declares a unit; a value may be a bare number in that unit or a string with a
unit, e.g. ``"300 m/day"`` for a ``km/day`` field or ``"5 %"`` for a fraction.

Errors are :class:`ScenarioError`: one line per problem, naming the file that set the key, the
key path and what is allowed.

Modules: ``errors``, ``units``, ``schema``, ``tree`` (plain-data views), ``overrides``,
``loading``; ``paramdoc`` generates ``docs/PARAMETERS.md``. Others use the names below.
"""

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import (
    load_scenario,
    read_yaml,
    scenario_from_text,
    validate_tree,
    with_values,
)
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import (
    ORDER_KINDS,
    Game,
    GameOrder,
    GroupingSpec,
    RussianPolicy,
    Scenario,
    UkrainianPolicy,
)
from sim.scenario.tree import (
    get_path,
    list_index,
    relative_path,
    resolved_yaml,
    scenario_dict,
    scenario_hash,
)

__all__ = [
    "ORDER_KINDS", "Game", "GameOrder", "GroupingSpec", "RussianPolicy", "Scenario",
    "ScenarioError", "UkrainianPolicy",
    "apply_overrides", "get_path", "list_index", "load_scenario", "read_yaml", "relative_path",
    "resolved_yaml",
    "scenario_dict", "scenario_from_text", "scenario_hash", "validate_tree", "with_values",
]
