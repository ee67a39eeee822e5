"""Regression tests for issue 14 (hardening): one test (or a few) per numbered defect, named
after it. Each would fail at 43c33f1. The map-loader parts of defects 3 and 4 are tested in the
maps branch."""

from __future__ import annotations

import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import ScenarioError, load_scenario

REINFORCE = SCENARIOS / "reinforce.yaml"


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_usage_error(res) -> str:
    out = res.output
    assert res.exit_code == 2, out
    assert "Traceback" not in out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    return lines[0]


# ------------------------------------------------ 3: accepted inputs giving impossible numbers


@pytest.mark.parametrize("override", [
    "sides.ru.ammo_production_per_day=.inf",
    "sides.ru.ammo_production_per_day=.nan",
    "indices.duration_weight=1e308",
    "sides.ua.ammo_depot_rounds='1e999'",
    "sides.ua.ammo_depot_rounds=-1",
    "groupings.0.personnel=9000000000000000000",
    "groupings.0.artillery=1e12",
    "combat.terrain_defence={open: .inf}",
])
def test_defect3_nonfinite_and_absurd_values_rejected(override):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(REINFORCE, [override])
    assert override.split("=")[0].split(".")[-1].strip("'") in str(exc.value)


def test_defect3_duplicate_yaml_keys_rejected(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text(f"extends: {REINFORCE}\nname: a\ndays: 5\ndays: 6\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="duplicate key 'days'"):
        load_scenario(f)
    with pytest.raises(ScenarioError, match="duplicate key"):
        load_scenario(REINFORCE, ["combat={lethality: 0.01, lethality: 0.02}"])


# ------------------------------------------------ 4: tracebacks for user mistakes (not maps)


@pytest.mark.parametrize("args", [
    ["validate", REINFORCE, "--set", "start_date=2025-02-30"],
    ["run", REINFORCE, "--set", "start_date=2025-02-30", "--runs", "1", "--days", "1"],
    ["validate", "scen\0ario.yaml"],
    ["validate", "x" * 5000 + ".yaml"],
    ["validate", "/dev/zero"],
])
def test_defect4_user_mistakes_are_one_line_not_tracebacks(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(*args)
    assert res.exit_code in (1, 2), res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(
        res.exception, SystemExit), res.output
    assert not (tmp_path / "results").exists()


def test_defect4_symlink_loop_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    res = cli("validate", "loop.yaml")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "loop.yaml" in res.output


# ------------------------------------------------ 6: accepted, then every run fails


@pytest.mark.parametrize("override, words", [
    ("combat.prepared_defence=.inf", "finite"),
    ("logistics.rounds_per_gun={attack: 40}", "defend"),
    ("start_date=9999-12-31", "2200"),
    ("groupings.0.arrives=9999-12-31", "2200"),
    ("groupings.0.arrives=2150-01-01", "days"),
])
def test_defect6_rejected_at_validation_not_in_every_run(override, words, tmp_path,
                                                          monkeypatch):
    with pytest.raises(ScenarioError, match=words):
        load_scenario(REINFORCE, [override])
    monkeypatch.chdir(tmp_path)
    res = cli("run", REINFORCE, "--set", override, "--runs", "1", "--days", "2", "-w", "1", "-q")
    line = assert_one_line_usage_error(res)
    assert "failed" not in line
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("name, value, words", [
    ("personnel", -5.0, "personnel is negative"),
    ("ammo", float("inf"), "ammo is not finite"),
    ("line", float("nan"), "line is not finite"),
])
def test_defect3_model_checks_its_invariants_every_day(scenario, name, value, words):
    from sim.model import WarModel

    m = WarModel(scenario, rng=1, days=3)
    m.step()
    getattr(m, name)[0] = value
    with pytest.raises(FloatingPointError, match=words):
        m.check_invariants()


def test_defect3_model_invariant_names_an_area_off_the_map(scenario):
    from sim.model import WarModel

    m = WarModel(scenario, rng=1, days=3)
    m.kursk_ua_km2 = -2e18
    with pytest.raises(FloatingPointError, match="kursk_ua_km2"):
        m.check_invariants()
