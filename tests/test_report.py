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
        # 120 days: discovery needs both classes. On the posterior of 91464cb these 8 reinforce
        # runs clear Kursk on days 97, 117 and 118 (runs 5, 4, 6), on day 129 (run 7) or not
        # within 150 days (runs 0-3): 3 of 8 by day 120, 1 of 8 by day 100
        scn = load_scenario(SCENARIOS / f"{name}.yaml", overrides=["days=120"])
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
    # fan, losses, outcomes, survival, two maps, P(event by day D) and scenario discovery (120
    # days: reinforce clears Kursk in some runs and not in others, so there are two classes)
    assert len(imgs) == 8 and "id='explain_event_curves'" in text
    assert "id='explain_discovery'" in text
    assert all(s.startswith("data:image/png;base64,") for s in imgs)
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)
    assert "<script" not in text and "<link" not in text
    from sim.runner import package_version  # the footer names what made the report

    assert f"Source: model output (kursk-donetsk-wargame {package_version()})" in text
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


def test_findings_round_shares_half_up():
    """The findings paragraph prints shares like every other output: 25 of 200 runs (12.5 %)
    as 13 %, 29 of 200 (14.5 %) as 15 % (Python's round would print 12 % and 14 %)."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from sim.analysis import find_modes

    # 171 runs at 0 km² (85.5 % -> 86 %) and 29 holding ~460 km² (14.5 % -> 15 %)
    area = np.r_[np.zeros(171), np.random.default_rng(3).normal(460, 20, 29)]
    o = SimpleNamespace(class_day=60, shares={"Kursk cleared by day 60": 25 / 200},
                        modes=find_modes(area))
    metrics = ["kursk_ua_km2", "donetsk_ru_gain_km2", "ru_losses", "ua_losses"]
    st = pd.DataFrame({"median": [100.0, 200.0, 3000.0, 4000.0]},
                      index=pd.MultiIndex.from_product([metrics, [120]], names=["metric", "day"]))
    cf = {"share": 29 / 200, "day": 40.0, "ceasefire_kursk_ua_km2": 50.0,
          "ceasefire_donetsk_ru_gain_km2": 60.0}
    text = R.finding("reinforce", o, st, None, cf)
    assert "Kursk is cleared by day 60 in 13 % of runs;" in text
    assert "(near 0 km² in 86 %, held ~" in text and " km² in 15 %)" in text
    assert "A ceasefire starts in 15 % of runs (median day 40)" in text


def test_report_names_batch_folders_without_absolute_paths(dirs):
    """Issue 22: relative paths in every saved file. The batches table names each folder (given
    here as absolute paths) relative to the working folder, as it names the scenario file."""
    root = str(dirs[0].parent)
    text = R.build_report(dirs)
    assert root.startswith("/") and (dirs[0].name in text)
    # the absolute folder, not preceded by "..": a relative name ../../tmp/... contains it
    assert not re.search(r"(?<![.\w])" + re.escape(root), text)
