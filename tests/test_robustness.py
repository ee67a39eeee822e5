"""Regret and satisficing of ``sim.analysis.regret`` on hand-made paired outcomes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.regret import parse_condition, regret_summary, regrets, satisficing


def test_regret_by_hand_more_is_better():
    # 4 replicates (same seed across options), 3 options; more is better.
    v = pd.DataFrame({"a": [10.0, 5, 8, 0], "b": [7.0, 9, 8, 3], "c": [10.0, 1, 2, 4]})
    # best per replicate: 10, 9, 8, 4 -> regrets a: 0,4,0,4  b: 3,0,0,1  c: 0,8,6,0
    r = regrets(v, +1)
    assert r["a"].tolist() == [0, 4, 0, 4]
    assert r["b"].tolist() == [3, 0, 0, 1]
    assert r["c"].tolist() == [0, 8, 6, 0]
    s = regret_summary(v, +1)
    assert s.loc["a", "mean_regret"] == 2 and s.loc["b", "mean_regret"] == 1
    assert s.loc["c", "max_regret"] == 8
    # 90th percentile (linear, position 0.9*3 = 2.7 of the sorted regrets):
    # a [0,0,4,4] -> 4; b [0,0,1,3] -> 1 + 0.7*2 = 2.4; c [0,0,6,8] -> 6 + 0.7*2 = 7.4
    assert s["p90_regret"].tolist() == pytest.approx([4.0, 2.4, 7.4])
    assert s["minimax"].tolist() == [False, True, False]
    assert s["min_p90"].tolist() == [False, True, False]


def test_regret_by_hand_less_is_better_and_missing_rows():
    v = pd.DataFrame({"a": [1.0, 5, np.nan], "b": [2.0, 3, 0]})
    r = regrets(v, -1)  # the replicate with a missing value is dropped
    assert r["a"].tolist() == [0, 2] and r["b"].tolist() == [1, 0]
    s = regret_summary(v, -1)
    assert s["minimax"].tolist() == [False, True] and (s["n"] == 2).all()


def test_satisficing_and_conditions():
    c = parse_condition("donetsk_ru_gain_km2 >= 800")
    assert (c.metric, c.op, c.value) == ("donetsk_ru_gain_km2", ">=", 800.0)
    t = satisficing({"a": pd.Series([700.0, 800, 900, np.nan]), "b": pd.Series([1.0, 2])}, c)
    assert t["share"].tolist() == pytest.approx([2 / 3, 0.0]) and t["n"].tolist() == [3, 2]
    from sim.analysis import CompareError

    with pytest.raises(CompareError, match="expected METRIC>=VALUE"):
        parse_condition("donetsk=5")
    with pytest.raises(CompareError, match="unknown metric"):
        parse_condition("nope>=5")


def test_cli_robustness(tmp_path):
    from conftest import SCENARIOS

    from sim.cli import app
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    dirs = []
    for name in ("baseline", "reinforce"):
        scn = load_scenario(SCENARIOS / f"{name}.yaml", overrides=["days=10"])
        run_batch(scn, tmp_path / name, runs=4, workers=1, command="test")
        dirs.append(str(tmp_path / name))
    r = CliRunner().invoke(app, ["compare", *dirs, "--robustness", "--satisfice",
                                 "kursk_ua_km2<=500", "-f", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {x["side"] for x in doc["regret"]} == {"Russia", "Ukraine"}
    assert len(doc["regret"]) == 2 * 4 * 2 and len(doc["satisfice"]) == 2
    assert all(x["max_regret"] >= x["p90_regret"] >= 0 for x in doc["regret"])
    r = CliRunner().invoke(app, ["compare", *dirs, "--satisfice", "kursk_ua_km2<=500"])
    assert r.exit_code == 2 and "needs --robustness" in r.stderr
    # --format is honoured as for the main table: the default (table) is the plain text of
    # docs/ANALYSIS.md (80 columns, no markdown pipes); markdown only when asked for.
    table = CliRunner().invoke(app, ["compare", *dirs, "--robustness"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].startswith("Robustness on day 10")
    assert not any(line.startswith("|") for line in lines)
    assert max(len(line) for line in lines) <= 80
    md = CliRunner().invoke(app, ["compare", *dirs, "--robustness", "-f", "markdown"])
    assert md.exit_code == 0 and md.stdout.startswith("| objective | option |")
