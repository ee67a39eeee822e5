"""Scenario files: inheritance, units, overrides, and one clear error per bad input, naming the
file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCENARIOS

from sim.scenario import (
    ScenarioError,
    get_path,
    load_scenario,
    resolved_yaml,
    scenario_from_text,
    scenario_hash,
    with_values,
)

BASE = (SCENARIOS / "base.yaml").resolve()


def _option(tmp_path: Path, body: str, name: str = "option.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {BASE}\nname: test\n{body}")
    return path


def _error(path: Path, *sets: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, sets)
    assert len(exc.value.problems) == 1, exc.value.problems
    return str(exc.value)


def test_options_extend_base_and_override_only_what_they_change():
    base = load_scenario(SCENARIOS / "base.yaml")
    rein = load_scenario(SCENARIOS / "reinforce.yaml")
    assert rein.name == "reinforce" and rein.policy.ru.reinforce_kursk.enabled
    assert not base.policy.ru.reinforce_kursk.enabled
    assert rein.groupings == base.groupings and rein.combat == base.combat
    cease = load_scenario(SCENARIOS / "ceasefire.yaml")
    assert str(cease.diplomacy.talks_open) == "2025-01-20" and cease.diplomacy.ru_seeks


def test_unit_strings_convert_to_the_declared_unit(tmp_path):
    scn = load_scenario(_option(tmp_path, "advance: {max_km_per_day: 300 m/day}\n"
                                          "combat: {killed_share: 25 %}\n"))
    assert scn.advance.max_km_per_day == pytest.approx(0.3)
    assert scn.combat.killed_share == pytest.approx(0.25)


def test_wrong_unit_is_rejected_naming_file_key_and_allowed_units(tmp_path):
    path = _option(tmp_path, "advance: {max_km_per_day: 5 km}\n")
    msg = _error(path)
    assert str(path) in msg and "advance.max_km_per_day" in msg
    assert "unit 'km' is not allowed" in msg and "km/day" in msg and "m/day" in msg


def test_misspelled_key_gets_did_you_mean(tmp_path):
    path = _option(tmp_path, "combat: {lethalty: 0.01}\n")
    msg = _error(path)
    assert str(path) in msg and "combat.lethalty" in msg
    assert "did you mean 'lethality'?" in msg


def test_error_names_the_file_that_set_the_key(tmp_path):
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"extends: {BASE}\nmorale: {{break_threshold: 7}}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\n")
    msg = _error(child)
    assert msg.startswith(str(parent.resolve())) and "morale.break_threshold" in msg
    assert "less than or equal to 1" in msg


def test_negative_personnel(tmp_path):
    path = _option(tmp_path, "")
    msg = _error(path, "groupings.UA-K-east.personnel=-5")
    assert "groupings.12.personnel" in msg and "greater than or equal to 0" in msg
    assert "--set groupings.UA-K-east.personnel=-5" in msg


def test_date_before_the_start(tmp_path):
    msg = _error(_option(tmp_path, "diplomacy: {talks_open: 2024-12-25}\n"))
    assert "diplomacy.talks_open" in msg and "before the start date 2025-01-05" in msg
    msg = _error(_option(tmp_path, "", "o2.yaml"), "groupings.RU-D-reserve-1.arrives=2025-01-01")
    assert "groupings.31.arrives" in msg and "not after the start date" in msg
    msg = _error(_option(tmp_path, "", "o3.yaml"), "fronts.donetsk.fighting_since=2025-02-01")
    assert "fronts.donetsk.fighting_since" in msg and "after the start date 2025-01-05" in msg


def test_unknown_place_name(tmp_path):
    path = _option(tmp_path, "policy: {ua: {withdraw_on_places_lost: [Sudja]}}\n")
    msg = _error(path)
    assert str(path) in msg and "policy.ua.withdraw_on_places_lost.0" in msg
    assert "unknown place 'Sudja'" in msg and "did you mean 'Sudzha'?" in msg


def test_unknown_sector(tmp_path):
    msg = _error(_option(tmp_path, ""), "groupings.0.sector=westt")
    assert "groupings.0.sector" in msg and "did you mean 'west'?" in msg


def test_map_file_that_does_not_exist(tmp_path):
    path = _option(tmp_path, "fronts: {kursk: {map: maps/nowhere.yaml}}\n")
    msg = _error(path)
    assert str(path) in msg and "fronts.kursk.map" in msg and "does not exist" in msg


@pytest.mark.parametrize(("content", "expected"), [
    (None, "file not found"),
    ("", "file is empty"),
    ("a: [1, 2\n", "not valid YAML"),
    ("- 1\n- 2\n", "expected a mapping"),
    ("a:" + " [" * 40 + " ]" * 40 + "\n", "nested deeper than 32 levels"),
    (b"\xff\xfe\x00binary", "not a text file"),
    # the guard maps and scenarios share (sim.space): 10^6 values through aliases, 2 MB + 1
    ("l0: &l0 [" + ", ".join(["1"] * 10) + "]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 6)),
     "YAML has more than 200000 values (aliases expanded)"),
    ("#" * 2_000_001, "file is 2000001 bytes; a scenario is at most 2000000 bytes"),
])
def test_bad_files(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert expected in _error(path)


def test_directory_is_not_a_scenario(tmp_path):
    assert "is a directory" in _error(tmp_path)


def test_override_errors():
    path = SCENARIOS / "baseline.yaml"
    assert "did you mean 'max_km_per_day'?" in _error(path, "advance.max_km_per_dy=1")
    assert "expected key.path=value" in _error(path, "days")
    assert "no such item" in _error(path, "groupings.NOPE.personnel=1")
    assert "days" in _error(path, "days=many")


def test_overrides_resolved_yaml_hash_and_paths():
    a = load_scenario(SCENARIOS / "baseline.yaml")
    b = load_scenario(SCENARIOS / "baseline.yaml", ["combat.lethality=0.01"])
    assert b.combat.lethality == 0.01 and scenario_hash(a) != scenario_hash(b)
    assert scenario_hash(a) == scenario_hash(load_scenario(SCENARIOS / "baseline.yaml"))
    assert get_path(b, "combat.lethality") == 0.01
    assert get_path(b, "groupings.UA-K-east.personnel") == 5000
    assert get_path(b, "combat.nothing") is None
    c = with_values(a, {"combat.lethality": 0.01})
    assert scenario_hash(c) == scenario_hash(b)
    assert "lethality: 0.01" in resolved_yaml(b)


def test_replace_sets_validated_values_like_set():
    a = load_scenario(SCENARIOS / "baseline.yaml")
    b = a.replace({"combat.lethality": 0.01, "groupings.UA-K-east.personnel": 6000})
    assert b.combat.lethality == 0.01 and b.value_at("groupings.UA-K-east.personnel") == 6000
    assert a.combat.lethality != 0.01  # a copy
    same = load_scenario(SCENARIOS / "baseline.yaml",
                         ["combat.lethality=0.01", "groupings.UA-K-east.personnel=6000"])
    assert scenario_hash(b) == scenario_hash(same)
    with pytest.raises(ScenarioError, match=r"combat\.lethality: Input should be less than"):
        a.replace({"combat.lethality": 1.5})  # a fraction per day: 0..1
    with pytest.raises(ScenarioError, match="not a parameter"):
        a.replace({"combat.lethalty": 0.01})
    assert a.value_problems("combat.lethality", [0.1, 2.0, -1.0], item="particle") == [
        "particle 1: combat.lethality: Input should be less than or equal to 1 (got 2.0)",
        "particle 2: combat.lethality: Input should be greater than or equal to 0 (got -1.0)"]
    assert "whole number" in a.value_problems("combat.lethality", [0], integer=True)[0]


def test_a_resolved_text_names_files_relative_to_its_folder(tmp_path):
    """What a batch folder stores: no absolute path, and it reads back to the same scenario
    wherever the project lies (issue 22)."""
    a = load_scenario(SCENARIOS / "reinforce.yaml")
    folder = tmp_path / "results" / "x"
    folder.mkdir(parents=True)
    text = resolved_yaml(a, relative_to=folder)
    assert all(not line.split(": ", 1)[1].startswith("/") for line in text.splitlines()
               if line.strip().startswith(("map:", "calibration_posterior:")))
    back = scenario_from_text(text, folder / "scenario.yaml")
    assert back.map_path("kursk") == a.map_path("kursk")
    assert back.calibration_posterior == a.calibration_posterior
    assert scenario_hash(back) == scenario_hash(a)


def test_a_scenario_error_from_a_worker_process_keeps_its_lines():
    """Errors raised in batch or calibration workers are pickled back to the caller: the user
    must see the same lines, not the message split into single characters."""
    import pickle

    err = ScenarioError(["a.yaml: combat.lethality: must be >= 0", "a.yaml: days: required"])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems
    assert str(back) == "a.yaml: combat.lethality: must be >= 0\na.yaml: days: required"
