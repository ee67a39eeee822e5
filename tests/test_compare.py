"""Statistics of ``sim.compare`` against hand-computed values and scipy, their coverage on
synthetic data, the paired-versus-unpaired power gain, and ``wargame compare`` on tiny batches."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import SCENARIOS
from scipy import stats
from typer.testing import CliRunner

import sim.analysis.comparison as C

RUNS, DAYS = 6, 20


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """baseline, reinforce (same seeds) and reinforce with another master seed."""
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    root = tmp_path_factory.mktemp("cmp")
    out = {}
    for key, name, seed in (("base", "baseline", None), ("opt", "reinforce", None),
                            ("other", "reinforce", 999)):
        scn = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"days={DAYS}"])
        run_batch(scn, root / key, runs=RUNS, master_seed=seed, workers=1, command="test")
        out[key] = root / key
    return out


# --------------------------------------------------------------------------- hand-computed


def test_mean_ci_by_hand():
    m, lo, hi = C.mean_ci(np.array([1.0, 2, 3, 4, 5]))
    # sd = sqrt(2.5) = 1.58114, se = 0.70711, t(0.975, 4) = 2.77645 -> half-width 1.96324
    assert m == 3
    assert lo == pytest.approx(3 - 1.96324, abs=1e-4)
    assert hi == pytest.approx(3 + 1.96324, abs=1e-4)
    assert math.isnan(C.mean_ci(np.array([1.0]))[1])


def test_wilson_by_hand():
    p, lo, hi = C.wilson_ci(8, 10)
    # z = 1.95996: centre (0.8 + 0.19207)/1.38415 = 0.71674, half 0.22657
    assert p == 0.8
    assert lo == pytest.approx(0.4902, abs=2e-4)
    assert hi == pytest.approx(0.9433, abs=2e-4)
    assert C.wilson_ci(0, 100)[1] == 0.0 and C.wilson_ci(0, 100)[2] == pytest.approx(0.0370,
                                                                                    abs=2e-4)


def test_runs_needed_by_hand():
    # ((1.95996 + 0.84162) * 10 / 2)^2 = 196.2 -> 197 paired; unpaired twice that
    assert C.runs_needed(10, 2) == 197
    assert C.runs_needed(10, -2, paired=False) == 393
    assert math.isinf(C.runs_needed(10, 0))


def test_unpaired_matches_scipy_and_counts_superiority():
    x = np.array([1.0, 2, 3])
    y = np.array([2.0, 2, 5])
    st = C.unpaired_stats(x, y)
    assert st["p_value"] == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue)
    assert st["p_value_mw"] == pytest.approx(stats.mannwhitneyu(x, y).pvalue)
    assert st["p_higher"] == pytest.approx(2 / 9)  # 3>2 twice
    assert st["p_lower"] == pytest.approx(5 / 9)  # ties (2 vs 2, twice) in neither
    assert st["diff"] == pytest.approx(2 - 3)


def test_paired_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=30), rng.normal(size=30)
    st = C.paired_stats(a, b)
    assert st["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert st["diff"] == pytest.approx((a - b).mean())
    assert st["p_higher"] == pytest.approx(((a - b) > 0).mean())
    # the interval by hand: mean ± t(0.975, n-1) · sd / sqrt(n)
    d = a - b
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    assert (st["diff_lo"], st["diff_hi"]) == pytest.approx((d.mean() - half, d.mean() + half))


def test_interval_and_p_value_come_from_one_test():
    """Shown on one line, the interval excludes 0 exactly when p < 0.05 (same test)."""
    rng = np.random.default_rng(3)
    for i in range(60):
        a, b = rng.normal(0.3 * (i % 3), 1, 25), rng.normal(0, 1, 25)
        for st in (C.paired_stats(a, b), C.unpaired_stats(a, b)):
            assert (st["diff_lo"] > 0 or st["diff_hi"] < 0) == (st["p_value"] < 0.05)


def test_degenerate_data():
    st = C.paired_stats(np.ones(5), np.zeros(5))
    assert (st["diff_lo"], st["diff_hi"], st["p_value"]) == (1.0, 1.0, 0.0)
    st = C.unpaired_stats(np.zeros(20), np.zeros(20))
    assert (st["diff_lo"], st["diff_hi"], st["p_value"]) == (0.0, 0.0, 1.0)


# --------------------------------------------------------------------------- synthetic


def test_paired_interval_covers_the_true_difference_at_about_95_percent():
    rng = np.random.default_rng(2025)
    true = 1.0
    hits = 0
    reps = 200
    for _ in range(reps):
        base = rng.normal(10, 3, size=40)
        opt = base + true + rng.normal(0, 2, size=40)  # paired, known mean difference
        st = C.paired_stats(opt, base)
        lo, hi = st["diff_lo"], st["diff_hi"]
        hits += lo <= true <= hi
    assert 0.88 <= hits / reps <= 0.99


def test_unpaired_interval_covers_at_about_95_percent():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        x, y = rng.exponential(2.0, 50) + 0.5, rng.exponential(2.0, 60)
        st = C.unpaired_stats(x, y)
        lo, hi = st["diff_lo"], st["diff_hi"]
        hits += lo <= 0.5 <= hi
    assert 0.88 <= hits / 200 <= 0.99


def test_pairing_detects_a_small_difference_the_unpaired_test_misses():
    rng = np.random.default_rng(11)
    common = rng.normal(0, 10, size=100)  # the seed's shared luck (common random numbers)
    base = common + rng.normal(0, 1, size=100)
    opt = common + 0.5 + rng.normal(0, 1, size=100)
    p = C.paired_stats(opt, base)
    u = C.unpaired_stats(opt, base)
    assert p["diff_lo"] > 0 and p["p_value"] < 0.01
    assert u["diff_lo"] < 0 < u["diff_hi"] and u["p_value"] > 0.05 and u["p_value_mw"] > 0.05
    # and the power calculation says the unpaired design needs far more runs
    assert C.runs_needed(u["sd"], u["diff"], paired=False) > 10 * C.runs_needed(p["sd"],
                                                                                p["diff"])


# --------------------------------------------------------------------------- batches


def test_compare_pairs_matched_seeds(batches):
    cmp = C.compare([batches["base"], batches["opt"]])
    assert cmp.day == DAYS
    assert cmp.options == ["baseline", "reinforce"]
    t = cmp.table
    opt = t[t["option"] == "reinforce"].set_index("metric")
    assert opt.loc["kursk_ua_km2", "paired"] and opt.loc["kursk_ua_km2", "n_pairs"] == RUNS
    assert not cmp.notes
    # the paired difference is the mean of per-seed differences, read independently here
    import pandas as pd

    a = pd.read_parquet(batches["opt"] / "daily.parquet").query(f"day == {DAYS}")
    b = pd.read_parquet(batches["base"] / "daily.parquet").query(f"day == {DAYS}")
    d = a.set_index("seed")["ru_killed"] + a.set_index("seed")["ru_wounded"] + \
        a.set_index("seed")["ru_captured"] - (b.set_index("seed")["ru_killed"]
                                               + b.set_index("seed")["ru_wounded"]
                                               + b.set_index("seed")["ru_captured"])
    assert opt.loc["ru_losses", "diff"] == pytest.approx(d.mean())
    assert opt.loc["ru_losses", "p_better"] == pytest.approx((d < 0).mean())  # fewer = better
    base = t[t["option"] == "baseline"].set_index("metric")
    assert base.loc["kursk_ua_km2", "median"] == pytest.approx(
        b["kursk_ua_km2"].median())


def test_compare_unpaired_when_seeds_differ(batches):
    cmp = C.compare([batches["base"], batches["other"]], day=10,
                    metrics=["kursk_ua_km2", "ceasefire_started"])
    row = cmp.table.iloc[1]
    assert not row["paired"] and row["test"].startswith("Welch")
    assert any("do not match" in n for n in cmp.notes)
    assert cmp.day == 10 and cmp.date == "2025-01-15"


def test_compare_baseline_option_and_formats(batches):
    cmp = C.compare([batches["base"], batches["opt"]], baseline=batches["opt"],
                    metrics=["ru_losses", "changed_sudzha"])
    assert cmp.baseline == "reinforce"
    assert len(cmp.table) == 4
    doc = json.loads(cmp.to_json())
    assert doc["baseline"] == "reinforce" and len(doc["rows"]) == 4
    assert cmp.to_csv().count("\n") == 5
    md = cmp.to_markdown()
    assert md.startswith("| outcome |") and "Sudzha" in md
    with pytest.raises(C.CompareError, match="unknown metric"):
        C.compare([batches["base"]], metrics=["nonsense"])
    with pytest.raises(C.CompareError, match="outside"):
        C.compare([batches["base"]], day=DAYS + 1)


def test_warning_when_runs_cannot_separate(batches):
    cmp = C.compare([batches["base"], batches["other"]], metrics=["ru_domestic_confidence",
                                                                  "kursk_ua_km2"])
    for r in cmp.table.itertuples():
        if r.option != cmp.baseline and not r.separable:
            assert any("runs per option" in w or "no difference" in w for w in cmp.warnings)


def test_shares_better_tie_worse_by_hand():
    st = C.paired_stats(np.array([3.0, 2, 2, 0]), np.array([1.0, 2, 2, 1]))
    assert (st["p_higher"], st["p_tie"], st["p_lower"]) == (0.25, 0.5, 0.25)
    # unpaired: x = [1, 2, 3] against y = [2, 2, 5]: 9 pairs, 2 higher, 2 tied, 5 lower
    u = C.unpaired_stats(np.array([1.0, 2, 3]), np.array([2.0, 2, 5]))
    assert u["p_tie"] == pytest.approx(2 / 9)
    assert C.btw(0.25, 0.5, 0.25) == "25/50/25 %"
    # one rounding rule everywhere: 145 of 200 runs is 72.5 %, shown as 73 %
    assert C.btw(145 / 200, 0, 55 / 200) == "73/0/28 %"


def test_ceasefire_measures_have_distinct_names_and_frozen_lines(batches):
    # plain "ceasefire" names neither: the error lists both measures
    with pytest.raises(C.CompareError, match="unknown metric 'ceasefire'.*ceasefire_in_force, "
                                              ".*ceasefire_started"):
        C.compare([batches["base"]], metrics=["ceasefire"])
    cmp = C.compare([batches["base"], batches["opt"]],
                    metrics=["ceasefire_started", "ceasefire_in_force",
                             "ceasefire_kursk_ua_km2", "ceasefire_donetsk_ru_gain_km2"])
    labels = list(dict.fromkeys(cmp.table["label"]))
    assert labels[0].startswith("Ceasefire started by day") and labels[1].startswith(
        "Ceasefire in force on day")
    import pandas as pd

    runs = pd.read_parquet(batches["base"] / "runs.parquet")
    row = cmp.table[(cmp.table["metric"] == "ceasefire_kursk_ua_km2")].iloc[0]
    assert row["n"] == runs["ceasefire_kursk_ua_km2"].notna().sum()  # NaN: no ceasefire


def test_the_day_compared_is_stated_and_defaults_to_the_last_common_day(batches):
    cmp = C.compare([batches["base"], batches["opt"]], metrics=["kursk_ua_km2"])
    assert cmp.day == DAYS and cmp.day_rule == "the last day common to all batches"
    assert cmp.heading.startswith(f"Outcomes on day {DAYS} (2025-01-25), the last day common")
    cmp = C.compare([batches["base"], batches["opt"]], metrics=["kursk_ua_km2"], day=10)
    assert cmp.day_rule == "chosen with --day"
    for text in (cmp.to_text(), cmp.to_markdown(), cmp.to_html()):
        assert "day 10" in text and "chosen with --day" in text
    doc = json.loads(cmp.to_json())
    assert (doc["day"], doc["day_rule"]) == (10, "chosen with --day")


def test_cli_table_is_concise_and_fits_80_columns(batches):
    from sim.cli import app

    args = ["compare", str(batches["base"]), str(batches["opt"]), str(batches["other"])]
    r = CliRunner(env={"COLUMNS": "80"}).invoke(app, args)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= 80
    assert lines[0].startswith(f"Outcomes on day {DAYS} (2025-01-25), the last day common")
    # headline outcomes only, one line per option; places only with --places; issue 22's
    # bound is 80 lines for four options (the default output was 678)
    assert "taken by" not in r.stdout and len(lines) <= 80
    assert sum("differences have a 95 % CI" in ln for ln in lines) <= 1  # folded warnings
    r = CliRunner().invoke(app, [*args, "--places"])
    # (since attacks are called off before a unit breaks, Sudzha holds for 20 days; villages
    # on the salient's edge change hands)
    assert r.exit_code == 0 and "(kursk) taken by Russia by day 20" in r.stdout
    r = CliRunner().invoke(app, [*args, "--format", "markdown"])
    assert r.stdout.startswith("| outcome |")


def test_cli_compare(batches):
    from sim.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["compare", str(batches["base"]), str(batches["opt"]), "--format",
                            "json", "--metric", "kursk_ua_km2"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [x["option"] for x in doc["rows"]] == ["baseline", "reinforce"]
    r = runner.invoke(app, ["compare", str(batches["base"]), str(batches["opt"])])
    assert r.exit_code == 0 and "Kursk held by Ukraine" in r.stdout
    r = runner.invoke(app, ["compare", str(batches["base"]), "--metric", "bogus"])
    assert r.exit_code == 2 and "unknown metric" in r.stderr
    r = runner.invoke(app, ["compare", str(batches["base"]), "--format", "xml"])
    assert r.exit_code == 2


def test_place_names_are_optional_but_a_bug_is_not_swallowed(batches, monkeypatch):
    """``place_info``: a map that cannot be read leaves the places unnamed (the comparison
    goes on), but any other error surfaces (issue 22: it swallowed every error)."""
    import sim.space
    from sim.runner import load_results
    from sim.space import MapError

    assert C.place_info(load_results(batches["base"]))  # the shipped maps name the places

    def unreadable(*_a, **_k):
        raise MapError("kursk.yaml: (top level): damaged")

    monkeypatch.setattr(sim.space, "load_map", unreadable)
    assert C.place_info(load_results(batches["base"])) == {}

    def bug(*_a, **_k):
        raise TypeError("a bug")

    monkeypatch.setattr(sim.space, "load_map", bug)
    with pytest.raises(TypeError, match="a bug"):
        C.place_info(load_results(batches["base"]))
