"""docs/PARAMETERS.md is generated from the schema and must not drift from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario, paramdoc

DOC = Path(__file__).parent.parent / "docs" / "PARAMETERS.md"
REGEN = "python -m sim.scenario.paramdoc > docs/PARAMETERS.md"


def test_committed_reference_equals_generated():
    generated = paramdoc.render()
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if committed != generated:
        old, new = committed.splitlines(), generated.splitlines()
        diff = next((f"line {i + 1}:\n  committed: {a}\n  generated: {b}"
                     for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                    f"length differs ({len(old)} vs {len(new)} lines)")
        pytest.fail(f"docs/PARAMETERS.md is out of date with sim/scenario.py; run `{REGEN}` "
                    f"and commit it. First difference at {diff}")


def test_every_parameter_has_a_unit_or_needs_none():
    missing = [p.path for p in paramdoc.parameters() if paramdoc.needs_unit(p) and not p.unit]
    assert not missing, f"numeric parameters without a unit (use Q(unit, ...)): {missing}"


def test_every_parameter_has_a_description():
    missing = [p.path for p in paramdoc.parameters() if not p.description.strip()]
    assert not missing, ("parameters without a description (add Field(description=...) in "
                         f"sim/scenario.py or an entry in paramdoc.FALLBACK_DOC): {missing}")


def test_fallback_and_exemption_tables_name_real_parameters():
    paths = {p.path for p in paramdoc.parameters()}
    for table in (paramdoc.FALLBACK_DOC, paramdoc.UNITLESS_OK):
        for key in table:
            real = ({key.replace("*", s) for s in ("ru", "ua")} if "*" in key else {key})
            assert real <= paths, f"{key} is not a parameter of the schema any more"


def test_fallback_only_where_schema_is_silent():
    # A description in the schema wins; a stale fallback for a described field is an error.
    stale = [p.path for p in paramdoc.parameters()
             if p.described_in_schema and paramdoc.lookup(paramdoc.FALLBACK_DOC, p.path)]
    assert not stale, f"remove these from paramdoc.FALLBACK_DOC, the schema describes them: {stale}"


def test_walk_covers_schema_leaves_with_units():
    params = {p.path: p for p in paramdoc.parameters()}
    # spot checks against the schema itself (not against the generated text)
    leth = Scenario.model_fields["combat"].annotation.model_fields["lethality"]
    assert params["combat.lethality"].unit == leth.json_schema_extra["unit"]
    assert params["combat.lethality"].default == f"{leth.default:.10g}"
    assert params["combat.lethality"].range == "≥ 0, ≤ 1"
    assert params["advance.half_force_ratio"].range == "> 0, ≤ 1000"  # the ratio cap
    assert params["groupings.<name>.personnel"].default == "required"
    assert "sides.ru.transfer_days" in params and "sides.ua.transfer_days" in params
    assert "policy.ru.reinforce_kursk.groupings" in params
    assert "source_path" not in params  # excluded from the schema's dump


def test_render_has_a_row_per_parameter():
    text = paramdoc.render()
    for p in paramdoc.parameters():
        assert f"| `{p.path}` |" in text
