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
    st = C.unpaired_stats(x, y, n_resamples=500)
    assert st["p_value"] == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue)
    assert st["p_value_mw"] == pytest.approx(stats.mannwhitneyu(x, y).pvalue)
    assert st["p_higher"] == pytest.approx(2 / 9)  # 3>2 twice
    assert st["p_lower"] == pytest.approx(5 / 9)  # ties (2 vs 2, twice) in neither
    assert st["diff"] == pytest.approx(2 - 3)


def test_paired_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=30), rng.normal(size=30)
    st = C.paired_stats(a, b, n_resamples=500)
    assert st["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert st["diff"] == pytest.approx((a - b).mean())
    assert st["p_higher"] == pytest.approx(((a - b) > 0).mean())
    ref = stats.bootstrap(((a - b),), np.mean, n_resamples=500, method="BCa",
                          rng=np.random.default_rng(C.BOOT_SEED))
    assert (st["diff_lo"], st["diff_hi"]) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high))


def test_bootstrap_degenerate_data():
    assert C.bootstrap_ci(np.zeros(20)) == (0.0, 0.0)
    assert C.bootstrap_ci(np.ones(5), np.zeros(5)) == (1.0, 1.0)


# --------------------------------------------------------------------------- synthetic


def test_bootstrap_interval_covers_the_true_difference_at_about_95_percent():
    rng = np.random.default_rng(2025)
    true = 1.0
    hits = 0
    reps = 200
    for i in range(reps):
        base = rng.normal(10, 3, size=40)
        opt = base + true + rng.normal(0, 2, size=40)  # paired, known mean difference
        lo, hi = C.bootstrap_ci(opt - base, n_resamples=999, seed=i)
        hits += lo <= true <= hi
    assert 0.88 <= hits / reps <= 0.99


def test_unpaired_interval_covers_at_about_95_percent():
    rng = np.random.default_rng(7)
    hits = 0
    for i in range(200):
        x, y = rng.exponential(2.0, 50) + 0.5, rng.exponential(2.0, 60)
        lo, hi = C.bootstrap_ci(x, y, n_resamples=999, seed=i)
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
    cmp = C.compare([batches["base"], batches["opt"]], n_resamples=300)
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
                    metrics=["kursk_ua_km2", "ceasefire_started"], n_resamples=300)
    row = cmp.table.iloc[1]
    assert not row["paired"] and row["test"].startswith("Welch")
    assert any("do not match" in n for n in cmp.notes)
    assert cmp.day == 10 and cmp.date == "2025-01-15"


def test_compare_baseline_option_and_formats(batches):
    cmp = C.compare([batches["base"], batches["opt"]], baseline=batches["opt"],
                    metrics=["ru_losses", "changed_sudzha"], n_resamples=300)
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
                                                                  "kursk_ua_km2"],
                    n_resamples=300)
    for r in cmp.table.itertuples():
        if r.option != cmp.baseline and not r.separable:
            assert any("runs per option would be needed" in w or "no difference" in w
                       for w in cmp.warnings)


def test_shares_better_tie_worse_by_hand():
    st = C.paired_stats(np.array([3.0, 2, 2, 0]), np.array([1.0, 2, 2, 1]), n_resamples=200)
    assert (st["p_higher"], st["p_tie"], st["p_lower"]) == (0.25, 0.5, 0.25)
    # unpaired: x = [1, 2, 3] against y = [2, 2, 5]: 9 pairs, 2 higher, 2 tied, 5 lower
    u = C.unpaired_stats(np.array([1.0, 2, 3]), np.array([2.0, 2, 5]), n_resamples=200)
    assert u["p_tie"] == pytest.approx(2 / 9)
    assert C.btw(0.25, 0.5, 0.25) == "25 / 50 / 25 %"


def test_ceasefire_measures_have_distinct_names_and_frozen_lines(batches):
    with pytest.raises(C.CompareError, match="ambiguous; use ceasefire_started or "
                                              "ceasefire_in_force"):
        C.compare([batches["base"]], metrics=["ceasefire"])
    cmp = C.compare([batches["base"], batches["opt"]],
                    metrics=["ceasefire_started", "ceasefire_in_force",
                             "ceasefire_kursk_ua_km2", "ceasefire_donetsk_ru_gain_km2"],
                    n_resamples=200)
    labels = list(dict.fromkeys(cmp.table["label"]))
    assert labels[0].startswith("Ceasefire started by day") and labels[1].startswith(
        "Ceasefire in force on day")
    import pandas as pd

    runs = pd.read_parquet(batches["base"] / "runs.parquet")
    row = cmp.table[(cmp.table["metric"] == "ceasefire_kursk_ua_km2")].iloc[0]
    assert row["n"] == runs["ceasefire_kursk_ua_km2"].notna().sum()  # NaN: no ceasefire


def test_default_day_is_where_the_options_differ(batches):
    cmp = C.compare([batches["base"], batches["opt"]], metrics=["kursk_ua_km2"],
                    n_resamples=200)
    day, why = C.default_day([C.load_results(batches["base"]),
                              C.load_results(batches["opt"])], DAYS)
    # a 20-day batch: the last day is the only candidate, and nothing to explain
    assert cmp.day == day == DAYS and why == "" and not cmp.notes
    assert C.default_day([C.load_results(batches["base"])], DAYS)[0] == DAYS


def test_cli_table_fits_80_columns(batches):
    from sim.cli import app

    r = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["compare", str(batches["base"]),
                                                       str(batches["opt"]), str(batches["other"])])
    assert r.exit_code == 0, r.output
    table = [ln for ln in r.stdout.splitlines() if not ln.startswith(("note:", "warning:"))]
    assert max(len(ln) for ln in table) <= 80
    assert "better/tie/" in r.stdout and "n=6" in r.stdout


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
