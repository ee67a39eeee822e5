"""The rolling-origin backtest: scores on hand-worked cases, the origin cut, the CLI."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, SCENARIOS
from typer.testing import CliRunner

from sim.analysis import Observation, load_observations
from sim.analysis.backtest import (
    Condition,
    attempt_seeds,
    covers,
    crps,
    forecast_task,
    naive_forecasts,
    observations_until,
    prefit_scenario,
    restart_at,
    run_backtest,
    score_forecasts,
    skill,
    summarize_scores,
)
from sim.cli import app
from sim.scenario import get_path, load_scenario

OBS = REPO / "seeds" / "observations.csv"
SEP_DONETSK = "2024-09-30,donetsk,ru_gain_month,344,321,399"
AUG_DONETSK = "2024-08-31,donetsk,ru_gain_month,358,334,415"
#: A 60-day hindcast cut on 15 Sep: the fit sees Kursk 08-12/08-20 and Donetsk August; the
#: horizon alone would also let September's month (15 of its days simulated) into the fit.
TINY = dict(origins=[dt.date(2024, 9, 15)], params=["combat.lethality", "advance.max_km_per_day"],
            population=3, generations=2, budget=None, draws=2, seed=7, workers=1)


def _obs(d: str, v: float) -> Observation:
    return Observation(date=dt.date.fromisoformat(d), front="kursk", quantity="ua_held_area",
                       value=v, low=v, high=v, unit="km2")


# --------------------------------------------------------------------------- scores by hand


def test_a_forecast_equal_to_the_truth_scores_zero_and_a_point_its_absolute_error():
    assert crps(482.0, np.full(50, 482.0)) == 0.0
    assert crps(482.0, np.array([560.0])) == pytest.approx(78.0)


def test_a_wider_band_scores_worse_on_a_point_inside_it():
    # CRPS = E|X - y| - E|X - X'| / 2 over the ensemble's members (pairs with themselves
    # included): {-1, 1} around 0 gives 1 - 1/2 = 0.5; {-3, 3} gives 3 - 3/2 = 1.5
    assert crps(0.0, np.array([-1.0, 1.0])) == pytest.approx(0.5)
    assert crps(0.0, np.array([-3.0, 3.0])) == pytest.approx(1.5)
    narrow, wide = np.linspace(-1, 1, 41), np.linspace(-3, 3, 41)
    assert crps(0.5, narrow) < crps(0.5, wide)


def test_an_observation_error_widens_each_member_into_a_normal():
    # one member m with error SD 0.1 x m is N(100, 10²): CRPS at its mean is
    # σ (2 φ(0) - 1/√π) = 10 x (0.797885 - 0.564190) = 2.33695
    assert crps(100.0, np.array([100.0]), 0.1) == pytest.approx(2.33695, abs=1e-5)
    # an error of ~0 is the ensemble scored as it is; a point still scores worse when wider
    ens = np.array([90.0, 100.0, 130.0])
    assert crps(110.0, ens, 1e-12) == pytest.approx(float(crps(110.0, ens)))
    assert crps(100.0, np.array([100.0]), 0.2) > crps(100.0, np.array([100.0]), 0.1)
    # 0 km² (no salient) is exact: scores its absolute error
    assert crps(5.0, np.array([0.0]), 0.1) == pytest.approx(5.0)
    # N(100, 10²)'s 90 % interval is 100 ± 16.45: 115 is inside, 117 outside; without the
    # error a one-member ensemble covers only its own value
    assert covers(115.0, np.array([100.0]), 0.9, 0.1)
    assert not covers(117.0, np.array([100.0]), 0.9, 0.1)
    assert not covers(115.0, np.array([100.0]), 0.9)


def test_persistence_and_trend_on_a_three_point_series():
    series = [_obs("2024-08-11", 200), _obs("2024-08-01", 100), _obs("2024-08-21", 150)]
    # last value 150; line through (08-11, 200) and (08-21, 150): -5 km2/day
    assert naive_forecasts(series, dt.date(2024, 8, 31)) == {"persistence": 150.0,
                                                            "trend": 100.0}
    # 40 days on the line reaches -50: clipped at 0
    assert naive_forecasts(series, dt.date(2024, 9, 30))["trend"] == 0.0
    # one observation: the trend has no slope and is the persistence forecast
    assert naive_forecasts(series[:1], dt.date(2024, 9, 30)) == {"persistence": 200.0,
                                                                "trend": 200.0}


def test_skill_and_coverage():
    assert skill(50.0, 100.0) == pytest.approx(0.5)
    assert skill(100.0, 100.0) == 0.0
    assert skill(200.0, 100.0) == pytest.approx(-1.0)
    ens = np.arange(101.0)   # quantiles are the values: 50 % = [25, 75], 90 % = [5, 95]
    assert covers(25.0, ens, 0.5) and not covers(80.0, ens, 0.5)
    assert covers(80.0, ens, 0.9) and not covers(96.0, ens, 0.9)


def test_scores_against_the_record_by_hand():
    """Donetsk October 2024 (458) forecast from 30 Sep: a perfect ensemble scores 0; the naive
    forecasts from August (358, 08-31) and September (344, 09-30) are 344 and 344 - 14 x 31/30."""
    obs = load_observations(OBS)
    f = pd.DataFrame({"origin": "2024-09-30", "target_date": "2024-10-31", "front": "donetsk",
                      "quantity": "ru_gain_month", "draw": range(20), "value": 458.0})
    s = score_forecasts(f, obs, 0.0).iloc[0]
    assert s.observed == 458 and s.crps_model == 0.0 and s.in50 and s.in90
    assert s.persistence == 344 and s.crps_persistence == pytest.approx(114.0)
    assert s.trend == pytest.approx(344 - 14 * 31 / 30)
    assert s.crps_trend == pytest.approx(458 - (344 - 14 * 31 / 30))
    # with the default observation error (SD 0.0608 x value) the perfect ensemble is
    # N(458, 27.85²): 0.233695 x 27.85 = 6.51; persistence N(344, 20.92²), z = 114 / 20.92
    # = 5.45, scores 20.92 x (5.45 - 1/√π) = 102.2 (the φ and Φ terms vanish at that z)
    e = score_forecasts(f, obs).iloc[0]
    assert e.crps_model == pytest.approx(6.51, abs=0.01)
    assert e.crps_persistence == pytest.approx(102.2, abs=0.1)
    # a second origin, 10 km2/month too high everywhere: pooled = mean over the origins
    g = f.assign(origin="2024-10-15", value=468.0)
    summary = summarize_scores(score_forecasts(pd.concat([f, g]), obs, 0.0))
    pooled = summary[summary.origin == "pooled"].iloc[0]
    assert pooled.n == 2 and pooled.best_naive == "persistence"
    # from 10-15 the last Donetsk months known are still Aug and Sep: the same naive errors
    assert pooled.crps_model == pytest.approx(5.0)
    assert pooled.skill == pytest.approx(1 - 5.0 / 114.0)
    assert pooled.cover90 == 0.5


def test_status_clause_reads_the_pooled_rows(tmp_path):
    from sim.analysis import backtest_clause

    path = tmp_path / "summary.csv"
    path.write_text("origin,front,n,crps_model,skill,cover50,cover90\n"
                    "2024-09-30,kursk,4,300,-0.9,0,0.25\n"
                    "pooled,donetsk,3,120,0.25,0.333333,1\n"
                    "pooled,kursk,7,250,-0.5,0.142857,0.285714\n", encoding="utf-8")
    # 90 %: 3 of 3 Donetsk and 2 of 7 Kursk observations inside the band
    assert backtest_clause(path) == ("backtest skill vs naive Donetsk +0.25, Kursk -0.50, "
                                     "90 % band covers 5/10")
    assert backtest_clause(tmp_path / "missing.csv") == "no backtest"


# --------------------------------------------------------------------------- the origin cut


def _variant(tmp_path, name: str, old: str, new: str):
    text = OBS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_an_observation_after_the_origin_cannot_change_the_fit(tmp_path):
    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml", overrides=["days=60"])
    base = run_backtest(scn, OBS, **TINY)
    later = run_backtest(scn, _variant(tmp_path, "later.csv", SEP_DONETSK,
                                       "2024-09-30,donetsk,ru_gain_month,600,321,700"), **TINY)
    parts = base.particles["2024-09-15"]
    pd.testing.assert_frame_equal(parts, later.particles["2024-09-15"], check_exact=True)
    pd.testing.assert_frame_equal(base.forecasts, later.forecasts, check_exact=True)
    # ... but it is the truth it is scored against
    assert base.scores.observed.tolist() == [344] and later.scores.observed.tolist() == [600]
    # control: an observation before the origin does change the fit
    before = run_backtest(scn, _variant(tmp_path, "before.csv", AUG_DONETSK,
                                        "2024-08-31,donetsk,ru_gain_month,600,334,700"), **TINY)
    assert not parts.equals(before.particles["2024-09-15"])
    # nothing of the shipped fit is used: every calibration parameter is fitted or drawn from
    # its prior (the scenario the draws override holds the prior midpoints)
    drawn = base.manifest["drawn_from_prior"]
    assert set(drawn) | set(TINY["params"]) == set(scn.calibration)
    assert drawn["exhaustion.effect"] == [0.0, 0.7]     # the hindcast's prior range
    held = prefit_scenario(scn, TINY["params"])
    assert get_path(held, "operations.pause_days") == 16
    assert get_path(held, "exhaustion.effect") == 0.35


# --------------------------------------------------------------------------- conditioning


def test_the_first_attempt_is_the_unconditioned_forecast_and_attempts_differ():
    from sim.runner import replicate_seeds

    seeds = attempt_seeds(11, 3, 5)
    assert seeds[0] == replicate_seeds(11, 10)[3] and len(set(seeds)) == 5
    assert attempt_seeds(11, 3, 2) == seeds[:2]   # more tries only add seeds


def test_a_forecast_run_is_kept_by_its_path_up_to_the_origin():
    """The kept run is the first within epsilon; if none is, the closest of the tries."""
    from sim.analysis.calibration import build_targets, distance, summaries
    from sim.model import run

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml", overrides=["days=30"])
    known = [o for o in load_observations(OBS) if o.date <= dt.date(2024, 8, 31)]
    fit = build_targets(known, scn.start_date, 25)
    later = build_targets([_obs("2024-09-05", 900.0)], scn.start_date, 30)
    seeds = attempt_seeds(5, 0, 4)
    dist = [float(distance(summaries(run(scn, seed=s, days=30).daily, fit), fit))
            for s in seeds]
    shared = (scn, later, Condition(fit, np.inf, 4), 30)
    assert forecast_task(shared, (0, {}, seeds[:1]))[1:3] == (dist[0], 1)
    never = (scn, later, Condition(fit, -1.0, 4), 30)
    _, d, tried, _ = forecast_task(never, (0, {}, seeds))
    assert (d, tried) == (min(dist), 4)
    second = sorted(dist)[1]   # a threshold only the two closest runs meet
    first_ok = next(i for i, x in enumerate(dist) if x <= second)
    _, d, tried, _ = forecast_task((scn, later, Condition(fit, second, 4), 30), (0, {}, seeds))
    assert (d, tried) == (dist[first_ok], first_ok + 1)


# --------------------------------------------------------------------------- restart


def test_the_restart_is_the_last_kursk_area_known_at_the_origin():
    obs = load_observations(OBS)
    start = dt.date(2024, 8, 6)
    # 15 Oct (660 km2) is the last Kursk area by 31 Oct; 22 Nov (560) is not known yet
    r = restart_at(observations_until(obs, dt.date(2024, 10, 31)), start)
    assert (r.day, r.kursk_area_km2) == (70, 660.0)
    assert restart_at(observations_until(obs, dt.date(2024, 11, 30)), start).kursk_area_km2 == 560
    # the 6 Aug row (0 km2, the start line itself) is no state to restart from
    assert restart_at(observations_until(obs, dt.date(2024, 8, 10)), start) is None


def test_set_kursk_area_scales_every_held_depth_by_one_factor():
    from sim.model import WarModel

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml", overrides=["days=40"])
    m = WarModel(scn, rng=3)
    while m.day < 30:
        m.step()
    before, gains = m.line[:4].copy(), m.front_gain_km2[m.day].copy()
    cell = m.maps["kursk"].cell_area_km2
    k = m.set_kursk_area(700.0)
    # the map's area to its step: scaling moves whole cells, two at once where two sectors
    # cross a cell at the same factor
    assert abs(m.kursk_ua_km2 - 700.0) <= 2 * cell
    held = before < 0
    np.testing.assert_allclose(m.line[:4][held], before[held] * k)
    np.testing.assert_array_equal(m.line[:4][~held], before[~held])   # Russian-held: untouched
    np.testing.assert_array_equal(m.front_gain_km2[m.day], gains)     # nobody's gain
    assert m.event_frame().kind.iloc[-1] == "observed_state"
    m.step()   # and the day after runs from the redrawn line
    assert abs(m.kursk_ua_km2 - 700.0) < 60


def test_set_kursk_area_in_order_takes_the_ground_off_the_sectors_in_turn():
    from sim.model import WarModel

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml", overrides=["days=40"])
    m = WarModel(scn, rng=3)
    while m.day < 30:
        m.step()
    before = m.line[:4].copy()      # west, north, east, south: all held on day 30 of seed 3
    assert (before < 0).all() and m.kursk_ua_km2 > 1000
    cell = m.maps["kursk"].cell_area_km2
    k = m.set_kursk_area(700.0, ["west", "north", "east"])
    assert abs(m.kursk_ua_km2 - 700.0) <= 2 * cell
    # west and north given up to the border, east scaled to meet the area, south untouched
    np.testing.assert_array_equal(m.line[:2], [0.0, 0.0])
    assert 0 < k < 1 and m.line[2] == pytest.approx(before[2] * k)
    assert m.line[3] == before[3]
    assert "ground taken off west, north, east first" in m.event_frame().detail.iloc[-1]


# --------------------------------------------------------------------------- CLI


def test_cli_backtest_writes_rescore_checks_and_rejects_bad_input(tmp_path):
    runner = CliRunner()
    out = tmp_path / "bt"
    common = ["--scenario", str(SCENARIOS / "hindcast_2024.yaml"), "--set", "days=60",
              "--observations", str(OBS), "--quiet"]
    r = runner.invoke(app, ["backtest", *common, "--out", str(out), "--origins", "2024-09-15",
                            "--params", "combat.lethality", "--population", "3",
                            "--generations", "1", "--draws", "2", "--workers", "1",
                            "--seed", "3"])
    assert r.exit_code == 0, r.output
    names = {p.name for p in out.iterdir()}
    assert {"forecasts.parquet", "scores.csv", "summary.csv", "summary_first_seed.csv",
            "fan.png", "manifest.json", "particles_2024-09-15.csv"} <= names
    f = pd.read_parquet(out / "forecasts.parquet")
    assert list(f.columns) == ["origin", "target_date", "front", "quantity", "draw", "value",
                               "value_first_seed", "attempts"]
    # a draw kept on its first seed forecasts what the unconditioned draw does
    first = f[f.attempts == 1]
    assert (first.value == first.value_first_seed).all() and (f.attempts >= 1).all()
    assert set(zip(f.front, f.quantity, strict=True)) == {("donetsk", "ru_gain_month")}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["draws"] == 2 and manifest["fits"][0]["fit_days"] == 40
    assert "skill" in r.stdout
    ok = runner.invoke(app, ["backtest", "--check", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    # a scores.csv that no longer follows from forecasts.parquet is caught
    scores = pd.read_csv(out / "scores.csv")
    scores.loc[0, "crps_model"] += 1.0
    scores.to_csv(out / "scores.csv", index=False)
    bad = runner.invoke(app, ["backtest", "--check", "--out", str(out)])
    assert bad.exit_code == 1 and "scores.csv" in bad.stderr
    # bad input: one line, exit 2, nothing written
    for args, words in ((["--origins", "2023-01-01"], "must lie after"),
                        (["--origins", "30/09/2024"], "--origins"),
                        (["--origins", "2024-09-15", "--params", "combat.nope"], "combat.nope")):
        target = tmp_path / f"never-{len(args)}-{words[:5]}"
        r = runner.invoke(app, ["backtest", *common, "--out", str(target), *args])
        assert r.exit_code == 2, (args, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
        assert not target.exists()


def test_by_default_the_backtest_fits_the_shipped_posteriors_parameters():
    """The variant the backtest chose (docs/VALIDATION.md): the shipped posterior's parameters,
    in its order; without a posterior, every parameter of the calibration: section."""
    from sim.analysis.backtest import default_params
    from sim.runner import load_posterior

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml")
    names = load_posterior(scn.calibration_posterior).names
    assert default_params(scn) == list(names) and len(names) < len(scn.calibration)
    bare = scn.model_copy(update={"calibration_posterior": None})
    assert default_params(bare) == list(scn.calibration)


def test_nuisance_parameters_are_drawn_per_run_from_their_priors():
    """``--held prior``: a parameter neither fitted nor fixed gets a fresh value from its
    uniform prior in every run, from a stream of the run's seed (the same seed, the same
    value); with none, nothing is drawn, so the default fits keep their dice."""
    from sim.analysis.smc import Nuisance

    scn = load_scenario(SCENARIOS / "hindcast_2024.yaml")
    n = Nuisance.of(scn, ["exhaustion.effect", "sides.ua.replacements_per_day"])
    a, b, c = (n.draw(Nuisance.rng(s)) for s in (5, 5, 6))
    assert a == b and a != c
    for v in (a, c):
        assert 0.0 <= v["exhaustion.effect"] <= 0.7            # its prior range in the file
        assert 50 <= v["sides.ua.replacements_per_day"] <= 400
        assert isinstance(v["sides.ua.replacements_per_day"], int)   # troops/day
    np.random.seed(1)
    assert Nuisance().draw(np.random) == {}
    after = np.random.random()
    np.random.seed(1)
    assert np.random.random() == after


def test_the_shipped_backtest_is_what_the_defaults_run():
    """``wargame backtest`` with no options re-runs ``validation/backtest/`` (the table of
    docs/VALIDATION.md): its manifest holds the library's and the CLI's defaults."""
    import inspect

    from sim.analysis import backtest as bt
    from sim.cli.backtesting import backtest as cli

    manifest = json.loads((REPO / "validation" / "backtest" / "manifest.json").read_text())
    library = inspect.signature(bt.run_backtest).parameters
    command = inspect.signature(cli).parameters
    for key in ("population", "generations", "budget", "draws", "seed"):
        assert manifest[key] == library[key].default == command[key].default, key
    assert manifest["origins"] == [d.isoformat() for d in bt.DEFAULT_ORIGINS] \
        == command["origins"].default.split(",")
