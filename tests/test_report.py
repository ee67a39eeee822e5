"""The HTML report is one self-contained file with every figure embedded."""

from __future__ import annotations

import re

import pytest
from conftest import SCENARIOS

from sim.viz import report as R


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    root = tmp_path_factory.mktemp("report")
    out = []
    for name in ("baseline", "reinforce"):
        # 100 days: discovery needs both classes. No reinforce run of these 8 clears Kursk
        # within 60 days; without Russian operations (base.yaml) they clear it on days 63, 92,
        # 96, 100, 104, 107, 107 and 109, so 4 of 8 by day 100 (all by day 120)
        scn = load_scenario(SCENARIOS / f"{name}.yaml", overrides=["days=100"])
        run_batch(scn, root / name, runs=8, workers=1, command="test")
        out.append(root / name)
    return out


def test_flatten_keys_lists_by_name():
    flat = R.flatten({"a": {"b": 1}, "g": [{"name": "X", "p": 2}], "l": [1, 2]})
    assert flat == {"a.b": 1, "g.X.p": 2, "l": [1, 2]}


def test_report_is_self_contained(dirs, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", *map(str, dirs), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    text = out.read_text(encoding="utf-8")
    imgs = re.findall(r"<img [^>]*src='([^']*)'", text)
    # fan, losses, outcomes, survival, two maps, P(event by day D) and scenario discovery (100
    # days: reinforce clears Kursk in some runs and not in others, so there are two classes)
    assert len(imgs) == 8 and "id='explain_event_curves'" in text
    assert "id='explain_discovery'" in text
    assert all(s.startswith("data:image/png;base64,") for s in imgs)
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)
    assert "<script" not in text and "<link" not in text
    # what the option changes, and the comparison table
    assert "policy.ru.reinforce_kursk.enabled" in text
    assert "Kursk held by Ukraine" in text and "reinforce.yaml" in text


def test_first_screen_states_question_status_findings_and_the_table(dirs):
    text = R.build_report(dirs)
    head = text[: text.index("<h2>Batches</h2>")]
    assert "The question" in head and "Calibration status: calibrated (ABC-SMC" in head
    assert "class='status ok'" in head  # green: the options run on the fitted overlay
    assert "<b>reinforce</b>: Kursk is cleared by day" in head and "Ceasefire lines" in head
    assert "Outcomes on days 30, 60" in head  # the batches here run 100 days
    assert "Why: causal chains" in text


def test_placeholder_triggers_read_never():
    assert R.display_value("policy.ru.reinforce_kursk.trigger_ua_area_km2", 1e9) == "never"
    assert R.display_value("policy.ru.reinforce_kursk.trigger_day", 10000) == "never"
    assert R.display_value("policy.ru.reinforce_kursk.trigger_day", 3) == 3


