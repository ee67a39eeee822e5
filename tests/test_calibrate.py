"""Calibration: observations table, summary statistics, parameter recovery on synthetic data,
reproducibility, and the issue's acceptance test of the calibrated hindcast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.analysis import ObservationError, load_observations
from sim.analysis.calibration import (
    CalibrationError,
    Target,
    build_targets,
    calibrate,
    overlay_values,
    summaries,
)
from sim.scenario import load_scenario, with_values

REPO = Path(__file__).parent.parent
OBS = REPO / "seeds" / "observations.csv"
HINDCAST = REPO / "scenarios" / "hindcast_2024.yaml"
CALIBRATED = REPO / "scenarios" / "calibrated.yaml"


def test_observations_load_and_cover_the_record():
    obs = load_observations(OBS)
    kursk = [o for o in obs if o.front == "kursk" and o.quantity == "ua_held_area"]
    assert len(kursk) == 8   # 6 Aug (0 km², the start) to 5 Jan 2025
    assert all(o.low <= o.value <= o.high for o in kursk)
    months = [o for o in obs if o.front == "donetsk" and o.quantity == "ru_gain_month"]
    assert sorted(o.date.month for o in months) == [8, 9, 10, 11, 12]
    events = {o.value for o in obs if o.is_event}
    assert {"Vuhledar", "Selydove", "Kurakhove"} <= events
    assert all(o.source for o in obs)


def test_observations_errors_name_the_line(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text("date,front,quantity,value,low,high,unit,source,note\n"
                   "2024-08-12,kursk,ua_held_area,800,900,1000,km2,x,\n"
                   "2024-13-01,mars,a,1,0,2,km2,x,\n")
    with pytest.raises(ObservationError) as exc:
        load_observations(bad)
    text = str(exc.value)
    assert ":2:" in text and "low <= value <= high" in text
    assert ":3:" in text


def test_summaries_month_gain_is_scaled_to_the_whole_month():
    import pandas as pd

    t = Target("k", "donetsk", "month_gain", "g", 0, 10, 31.0, 100.0, 90.0, 110.0, "x")
    daily = pd.DataFrame({"g": np.arange(11) * 2.0})
    assert summaries(daily, [t])[0] == pytest.approx(20.0 * 31 / 10)


def test_targets_follow_the_horizon():
    scn = load_scenario(HINDCAST)
    obs = load_observations(OBS)
    full = build_targets(obs, scn.start_date, scn.days)
    short = build_targets(obs, scn.start_date, 30)
    assert sum(t.group == "kursk" for t in full) == 7      # 08-06 is day 0: not a statistic
    assert sum(t.group == "donetsk" for t in full) == 5
    assert {t.label for t in short if t.fitted} == {
        "Kursk UA-held 2024-08-12", "Kursk UA-held 2024-08-20", "Donetsk RU gain Aug 2024"}


def test_unknown_parameter_is_a_clear_error():
    scn = load_scenario(HINDCAST)
    with pytest.raises(CalibrationError, match="no range"):
        calibrate(scn, OBS, ["combat.no_such"], budget=4, replicates=1)


# --------------------------------------------------------------------------- recovery

SHORT = 45
TRUE = {"advance.max_km_per_day": 0.45}


def _synthetic(tmp_path: Path) -> tuple[object, list]:
    """Observations simulated by the model itself (median of 8 runs) with known parameters,
    over a short horizon; ranges ±10 %."""
    from sim.model import run

    scn = load_scenario(HINDCAST, overrides=[f"days={SHORT}"])
    truth = with_values(scn, TRUE)
    obs = load_observations(OBS)
    targets = build_targets(obs, scn.start_date, SHORT)
    sims = np.stack([summaries(run(truth, seed=s).daily, targets) for s in range(100, 108)])
    med = np.median(sims, axis=0)
    synth = []
    by_key = {o.key: o for o in obs}
    for t, v in zip(targets, med, strict=True):
        o = by_key[t.key]
        synth.append(o.model_copy(update={"value": float(v), "low": 0.9 * float(v),
                                          "high": 1.1 * float(v)}))
    return scn, synth


def test_parameter_recovery_within_reported_uncertainty(tmp_path):
    scn, synth = _synthetic(tmp_path)
    cal = calibrate(scn, synth, list(TRUE), budget=40, replicates=2, accept=0.2, seed=3,
                    workers=1, check_replicates=0)
    post = cal.posterior.set_index("param")
    for p, v in TRUE.items():
        assert post.loc[p, "p5"] <= v <= post.loc[p, "p95"], post
        # and the posterior is narrower than the prior
        lo, hi = cal.prior[p]
        assert post.loc[p, "p95"] - post.loc[p, "p5"] < 0.6 * (hi - lo)


def test_calibration_is_reproducible_for_a_seed():
    scn = load_scenario(HINDCAST, overrides=["days=30"])
    kw = dict(budget=6, replicates=1, seed=11, check_replicates=0)
    a = calibrate(scn, OBS, ["combat.lethality", "advance.max_km_per_day"], workers=1, **kw)
    b = calibrate(scn, OBS, ["combat.lethality", "advance.max_km_per_day"], workers=2, **kw)
    np.testing.assert_array_equal(a.design, b.design)
    np.testing.assert_array_equal(a.sims, b.sims)
    assert a.values == b.values
    assert a.to_overlay_yaml() == b.to_overlay_yaml()


def test_overlay_holds_only_fitted_parameters_and_loads():
    scn = load_scenario(HINDCAST, overrides=["days=20"])
    cal = calibrate(scn, OBS, ["advance.max_km_per_day"], budget=4, replicates=1, seed=5,
                    workers=1, check_replicates=0)
    import yaml

    tree = yaml.safe_load(cal.to_overlay_yaml())
    assert tree == {"advance": {"max_km_per_day": cal.values["advance.max_km_per_day"]}}


def test_period_facts_are_rounded_and_kept_out_of_the_overlay():
    """Replacement streams fitted on the hindcast are integers and facts of 2024: the overlay
    lists them as comments only (the option scenarios start in 2025)."""
    import yaml

    scn = load_scenario(HINDCAST, overrides=["days=20"])
    ps = ["advance.max_km_per_day", "sides.ua.replacements_per_day"]
    cal = calibrate(scn, OBS, ps, budget=4, replicates=1, seed=5, workers=1,
                    check_replicates=0)
    assert np.all(cal.design[:, 1] == np.round(cal.design[:, 1]))
    assert isinstance(cal.values["sides.ua.replacements_per_day"], int)
    text = cal.to_overlay_yaml()
    assert set(yaml.safe_load(text)) == {"advance"}
    assert "#   sides.ua.replacements_per_day:" in text


# --------------------------------------------------------------------------- acceptance


def test_calibrated_hindcast_matches_the_record():
    """Issue 10's acceptance: the shipped hindcast (which extends base.yaml and so the fitted
    overlay) run as it is puts every Kursk observation but one inside its range (5 of the 6
    it was fitted to; 6 of 7 with the 12 Sep 2024 reading added after the fit) and
    every Donetsk month within 35 %, on the medians of 32 seeds the fit never saw (it selected
    on seeds 100-195; the same holds on five other seed sets, docs/VALIDATION.md)."""
    from sim.model import run

    values = overlay_values(CALIBRATED) if CALIBRATED.exists() else {}
    scn = with_values(load_scenario(HINDCAST), values)
    obs = load_observations(OBS)
    targets = build_targets(obs, scn.start_date, scn.days)
    sims = np.stack([summaries(run(scn, seed=s).daily, targets) for s in range(32)])
    med = np.median(sims, axis=0)
    kursk = [(t, m) for t, m in zip(targets, med, strict=True) if t.group == "kursk"]
    inside = sum(t.low <= m <= t.high for t, m in kursk)
    assert len(kursk) == 7 and inside >= 6, [(t.label, round(m)) for t, m in kursk]
    for t, m in zip(targets, med, strict=True):
        if t.group == "donetsk":
            assert abs(m - t.value) <= 0.35 * t.value, (t.label, m, t.value)


def test_hindcast_ends_in_the_state_the_options_start_from():
    """Issue 20: the hindcast's median Russian (incl. North Korean) troops in Kursk on
    2024-11-22 and 2025-01-05 lie within 20 % of the record (70,000 and 60,000 in
    seeds/observations.csv), on 8 seeds: the fit may not lean on a front that has grown past
    the reported order of battle."""
    from sim.model import run

    values = overlay_values(CALIBRATED) if CALIBRATED.exists() else {}
    scn = with_values(load_scenario(HINDCAST), values)
    targets = [t for t in build_targets(load_observations(OBS), scn.start_date, scn.days)
               if t.column == "ru_kursk_personnel"]
    assert [t.value for t in targets] == [70000, 60000]
    sims = np.stack([summaries(run(scn, seed=s).daily, targets) for s in range(8)])
    for t, m in zip(targets, np.median(sims, axis=0), strict=True):
        assert abs(m - t.value) <= 0.2 * t.value, (t.label, round(m), t.value)


# --------------------------------------------------------------------------- fit figure


def test_history_figure_of_a_hindcast_batch(tmp_path):
    """`wargame plot --kind history` draws the fit figure of a hindcast batch; `all` skips it."""
    from sim.analysis import history_data
    from sim.runner import run_batch
    from sim.viz import NOT_IN_ALL, make_plots

    scn = load_scenario(HINDCAST, overrides=["days=40"])
    run_batch(scn, tmp_path / "b", runs=2, master_seed=1, workers=1)
    daily, targets, sims = history_data(tmp_path / "b", OBS)
    assert sims.shape == (2, len(targets)) and "day" in daily
    files = make_plots([tmp_path / "b"], kind="history", out=tmp_path / "fig", formats=("png",))
    assert [f.name for f in files] == ["history.png"] and files[0].stat().st_size > 10_000
    assert "history" in NOT_IN_ALL   # a batch of the option scenarios has no record to show


def test_history_table_text_stays_inside_its_cells(tmp_path):
    """Every observation of the record (the whole hindcast, so the long DPRK labels are in),
    drawn in the fit figure's table, fits its cell: equal column widths cut
    "DPRK casualties to 2024-12-23" under the next column."""
    import matplotlib.pyplot as plt

    from sim.runner import run_batch
    from sim.viz import fig_history

    run_batch(load_scenario(HINDCAST), tmp_path / "b", runs=1, master_seed=1, workers=1)
    fig = fig_history(tmp_path / "b", OBS)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (table,) = [t for ax in fig.axes for t in ax.tables]
    cells = table.get_celld()
    assert any(c.get_text().get_text().startswith("DPRK casualties to") for c in cells.values())
    for (row, col), cell in cells.items():
        text, box = cell.get_text().get_window_extent(renderer), cell.get_window_extent(renderer)
        assert box.x0 <= text.x0 and text.x1 <= box.x1, (row, col, cell.get_text().get_text())
    plt.close(fig)


# --------------------------------------------------------------------------- ABC-SMC


def test_smc_parameter_recovery_and_fit_outputs(tmp_path):
    """ABC-SMC recovers the synthetic truth inside its 90 % interval (a small population over
    45 days), and writes the weighted particles with the fit record that batches read."""
    pytest.importorskip("pyabc")
    from sim.analysis import calibrate_smc, write_fit
    from sim.runner import load_posterior

    scn, synth = _synthetic(tmp_path)
    cal = calibrate_smc(scn, synth, list(TRUE), tmp_path / "fit", population=16,
                        generations=3, seed=3, workers=1, check_replicates=2)
    post = cal.posterior.set_index("param")
    for p, v in TRUE.items():
        assert post.loc[p, "p5"] <= v <= post.loc[p, "p95"], post
        lo, hi = cal.prior[p]
        assert post.loc[p, "p95"] - post.loc[p, "p5"] < 0.6 * (hi - lo)
    assert list(cal.populations["t"]) == [0, 1, 2]
    assert cal.populations["eps"].is_monotonic_decreasing
    files = write_fit(cal, tmp_path / "fit", OBS)
    p = load_posterior(files[0])
    assert p.names == tuple(TRUE) and abs(p.weights.sum() - 1) < 1e-12
    assert p.fit["method"] == "ABC-SMC" and p.fit["groups"]["kursk"][1] == 3
    # the record's figures come from posterior-predictive runs a user can reproduce: check run
    # i is the particle a --dice-per-draw 1 batch with master seed seed + 1 draws for run i,
    # with that batch's dice
    from sim.model import run
    from sim.runner import draw_index, replicate_seeds

    assert p.fit["check"].startswith("posterior-predictive")
    row = cal.particles.iloc[draw_index(4, 1, cal.particles["weight"].to_numpy())]
    scn_1 = with_values(scn, {k: float(row[k]) for k in TRUE})
    expect = summaries(run(scn_1, seed=replicate_seeds(4, 2)[1]).daily, cal.targets)
    np.testing.assert_array_equal(cal.check_sims[1], expect)
    assert p.medians() == cal.values
    import yaml

    tree = yaml.safe_load(cal.to_overlay_yaml("fit/posterior.parquet"))
    assert tree["calibration_posterior"] == "fit/posterior.parquet"
    assert tree["advance"]["max_km_per_day"] == pytest.approx(cal.values[list(TRUE)[0]])

    # the report's check batch is posterior-predictive: each run its own particle
    from sim.runner import load_results
    from sim.viz import write_calibration_report

    rfiles = write_calibration_report(cal, scn, tmp_path / "report", OBS, runs=4, workers=1,
                                      posterior=files[0])
    assert [f.name for f in rfiles][-2:] == ["history.png", "pairwise.png"]
    assert rfiles[-2].stat().st_size > 10_000 and rfiles[-1].stat().st_size > 5_000
    man = load_results(tmp_path / "report").manifest
    assert man.parameters.mode == "posterior"
    assert man.parameters.dice_per_draw == 1
    used = [r.params[list(TRUE)[0]] for r in man.runs]
    assert len(set(used)) > 1 and set(used) <= set(cal.particles[list(TRUE)[0]])


def test_early_rejection_stops_only_runs_that_must_be_rejected():
    """A run stopped early (its distance so far, the targets not yet reached counted as
    matched, above the threshold) is one whose full run lies above it too; what it reached
    is what the full run has there, the rest NaN; a run not stopped is the full run."""
    from sim.analysis.calibration import distance, rejection_stop
    from sim.model import run

    days = 60
    scn = load_scenario(HINDCAST, overrides=[f"days={days}"])
    targets = build_targets(load_observations(OBS), scn.start_date, days)
    assert len({t.day1 for t in targets if t.fitted}) >= 3   # several days to stop on
    stopped = kept = 0
    for seed, lethality in [(1, 0.002), (2, 0.004), (3, 0.008), (4, 0.016), (5, 0.03)]:
        s = with_values(scn, {"combat.lethality": lethality})
        full = summaries(run(s, seed=seed, days=days).daily, targets)
        d = float(distance(full, targets))
        for threshold in (0.5 * d, 0.9 * d, d, 2 * d):
            stop = rejection_stop(targets, threshold)
            early = summaries(run(s, seed=seed, days=days, stop=stop).daily, targets)
            if np.isnan(early).any():
                stopped += 1
                assert d > threshold
                reached = ~np.isnan(early)
                np.testing.assert_array_equal(early[reached], full[reached])
            else:
                kept += 1
                np.testing.assert_array_equal(early, full)
    assert stopped and kept


def test_smc_with_early_rejection_is_the_same_fit(tmp_path, monkeypatch):
    """Early rejection stops runs from population 1 on, and the fit (particles, thresholds,
    evaluation counts) is the one every run taken to its end gives."""
    pytest.importorskip("pyabc")
    import pandas as pd

    import sim.analysis.smc as smc

    calls = {"stopped": 0}
    make_stop = smc.rejection_stop

    def counting(targets, threshold):
        stop = make_stop(targets, threshold)

        def spy(model):
            out = stop(model)
            calls["stopped"] += out
            return out

        return spy

    monkeypatch.setattr(smc, "rejection_stop", counting)
    scn = load_scenario(HINDCAST, overrides=["days=40"])   # five fitted targets to stop on
    ps = ["advance.max_km_per_day", "combat.lethality"]
    kw = dict(population=8, generations=3, seed=5, workers=1, check_replicates=0)
    fast = smc.calibrate_smc(scn, OBS, ps, tmp_path / "early", **kw)
    assert calls["stopped"] > 0
    calls["stopped"] = 0
    slow = smc.calibrate_smc(scn, OBS, ps, tmp_path / "full", early_reject=False, **kw)
    assert calls["stopped"] == 0
    pd.testing.assert_frame_equal(fast.particles, slow.particles, check_exact=True)
    pd.testing.assert_frame_equal(fast.populations, slow.populations, check_exact=True)
    assert fast.simulations == slow.simulations and fast.computed == slow.computed


@pytest.mark.slow
def test_interrupted_smc_resumes_to_the_same_result(tmp_path):
    """Stopped by Ctrl-C after population 1 and resumed from the database, the fit ends where
    an uninterrupted one with the same seed ends (and a second worker changes nothing)."""
    pytest.importorskip("pyabc")
    from sim.analysis import calibrate_smc

    scn = load_scenario(HINDCAST, overrides=["days=15"])
    ps = ["advance.max_km_per_day", "combat.lethality"]
    kw = dict(population=8, generations=3, seed=11, check_replicates=0)
    whole = calibrate_smc(scn, OBS, ps, tmp_path / "whole", workers=1, **kw)

    def stop(event):
        if event["kind"] == "population" and event["t"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate_smc(scn, OBS, ps, tmp_path / "cut", workers=1, progress=stop, **kw)
    with pytest.raises(CalibrationError, match="--resume"):
        calibrate_smc(scn, OBS, ps, tmp_path / "cut", workers=1, **kw)
    resumed = calibrate_smc(scn, OBS, ps, tmp_path / "cut", workers=2, resume=True, **kw)
    import pandas as pd

    pd.testing.assert_frame_equal(whole.particles, resumed.particles)
    pd.testing.assert_frame_equal(whole.populations.drop(columns="ess"),
                                  resumed.populations.drop(columns="ess"))
    with pytest.raises(CalibrationError, match="seed"):
        calibrate_smc(scn, OBS, ps, tmp_path / "cut", workers=1, resume=True,
                      **{**kw, "seed": 12})


def test_a_population_whose_weight_collapses_ends_the_fit_instead_of_a_traceback(
        tmp_path, monkeypatch):
    """pyABC stores a population and then fits the next proposal to it; when all the weight
    sits on one particle that covariance is NaN and scipy raises ValueError. Measured in the
    backtest's 2024-10-31 fit (24 parameters, 100 particles, population 4). The stored
    population stands and the fit ends there, on a fresh start and on --resume."""
    pyabc = pytest.importorskip("pyabc")
    from sim.analysis import calibrate_smc

    fits = {"n": 0}
    real_fit = pyabc.MultivariateNormalTransition.fit

    def collapse_at_third(self, X, w):
        # fits: after population 0 is stored; when the next run loads it; after population 1
        fits["n"] += 1
        if fits["n"] >= 3:
            raise ValueError("array must not contain infs or NaNs")
        return real_fit(self, X, w)

    monkeypatch.setattr(pyabc.MultivariateNormalTransition, "fit", collapse_at_third)
    scn = load_scenario(HINDCAST, overrides=["days=15"])
    ps = ["advance.max_km_per_day", "combat.lethality"]
    kw = dict(population=6, generations=4, seed=11, check_replicates=0, workers=1)
    cal = calibrate_smc(scn, OBS, ps, tmp_path / "fit", **kw)
    assert len(cal.populations) == 2 and len(cal.particles) == 6
    again = calibrate_smc(scn, OBS, ps, tmp_path / "fit", resume=True, **kw)
    import pandas as pd

    pd.testing.assert_frame_equal(cal.particles, again.particles)


def test_a_fit_marginal_over_nuisance_records_their_priors_for_its_batches(tmp_path):
    """``calibrate --held prior``: the fit record names the parameters drawn from their priors
    (with the priors of the scenario's calibration: section), and the overlay it writes makes
    the posterior's batches draw the model parameters among them; facts of the hindcast's
    period (``sides.*``) are recorded but not drawn by the options."""
    pytest.importorskip("pyabc")
    from sim.analysis import calibrate_smc, write_fit, write_overlay
    from sim.runner import load_posterior, make_plan

    scn = load_scenario(HINDCAST, overrides=[f"days={SHORT}"])
    nuisance = ["exhaustion.effect", "sides.ua.replacements_per_day"]
    cal = calibrate_smc(scn, OBS, list(TRUE), tmp_path / "fit", population=4,
                        generations=1, seed=3, workers=1, check_replicates=2,
                        nuisance=nuisance)
    files = write_fit(cal, tmp_path / "fit", OBS)
    post = load_posterior(files[0])
    assert post.nuisance == {"exhaustion.effect": (0.0, 0.7),      # hindcast_2024.yaml
                             "sides.ua.replacements_per_day": (50.0, 400.0)}
    assert post.nuisance_integer == {"sides.ua.replacements_per_day"}
    overlay = tmp_path / "fit" / "overlay.yaml"
    write_overlay(cal, overlay, files[0])
    assert "calibration_nuisance: [exhaustion.effect]" in overlay.read_text()
    option = tmp_path / "option.yaml"
    option.write_text(f"extends: {REPO / 'scenarios' / 'baseline.yaml'}\n"
                      f"calibration_posterior: {files[0]}\n"
                      "calibration_nuisance: [exhaustion.effect]\n")
    plan = make_plan(load_scenario(option), None, 42, dice_per_draw=2)
    assert set(plan.values(0)) == {*TRUE, "exhaustion.effect"}


def test_a_fit_stores_the_nuisance_values_each_particle_ran_with(tmp_path):
    """The joint posterior: a simulation returns the nuisance values it drew beside its
    summaries, and those values, run again with the same seed, give the same summaries (they
    are the values that ran); the fit's particles carry them as columns, inside their priors
    and whole where the prior says so, and the posterior table keeps them out of the fitted
    names."""
    pytest.importorskip("pyabc")
    from sim.analysis import calibrate_smc, write_fit
    from sim.analysis.smc import HindcastModel, Nuisance
    from sim.model import run
    from sim.runner import load_posterior

    scn = load_scenario(HINDCAST, overrides=[f"days={SHORT}"])
    names = ["exhaustion.effect", "sides.ua.replacements_per_day"]
    nuisance = Nuisance.of(scn, names)
    targets = build_targets(load_observations(OBS), scn.start_date, SHORT)
    model = HindcastModel(scn, targets, list(TRUE), [], 1, SHORT, nuisance)
    np.random.seed(5)
    out = model({"p0": 0.45})
    stored = dict(zip(names, out["nuisance"].tolist(), strict=True))
    np.random.seed(5)
    assert nuisance.draw(np.random) == stored
    seed = int(np.random.randint(0, 2**62, size=1)[0])
    again = run(with_values(scn, {**TRUE, **stored}), seed=seed, days=SHORT).daily
    np.testing.assert_array_equal(summaries(again, targets), out["s"])

    cal = calibrate_smc(scn, OBS, list(TRUE), tmp_path / "fit", population=6,
                        generations=2, seed=3, workers=1, check_replicates=2, nuisance=names)
    parts = cal.particles
    assert list(parts.columns) == [*TRUE, *names, "weight", "distance"]
    assert parts["exhaustion.effect"].between(0.0, 0.7).all()
    assert parts["exhaustion.effect"].nunique() == len(parts)
    whole = parts["sides.ua.replacements_per_day"]
    assert whole.between(50, 400).all() and (whole == whole.round()).all()
    post = load_posterior(write_fit(cal, tmp_path / "fit", OBS)[0])
    assert post.names == tuple(TRUE) and post.joint == tuple(names)
    np.testing.assert_array_equal(post.joint_values, parts[names].to_numpy())
    # the fit's check runs take a particle's nuisance values with its fitted ones
    from sim.runner import draw_index, replicate_seeds

    row = parts.iloc[draw_index(4, 0, parts["weight"].to_numpy())]   # check seed: seed + 1
    values = {p: float(row[p]) for p in TRUE} | {names[0]: float(row[names[0]]),
                                                  names[1]: int(row[names[1]])}
    check = run(with_values(scn, values), seed=replicate_seeds(4, 2)[0], days=SHORT).daily
    np.testing.assert_array_equal(summaries(check, cal.targets), cal.check_sims[0])


def test_run_fit_is_wargame_calibrate_as_one_call(tmp_path):
    """A notebook reproduces ``wargame calibrate`` with one call: the fit folder's files, the
    overlay naming its posterior, the status line; a bad input is refused before anything
    is written."""
    from dataclasses import replace

    from sim.viz import FitJob, plan_fit, run_fit

    job = FitJob(HINDCAST, OBS, ["combat.lethality"], method="rejection", budget=2,
                 replicates=1, workers=1, overrides=["days=20"], fit_dir=tmp_path / "fit")
    out = run_fit(job)
    assert out.files[0] == tmp_path / "fit" / "posterior.parquet"
    assert {"fit.json", "posterior.csv", "fit_table.csv"} <= {f.name for f in out.files}
    assert all(f.is_file() for f in out.files)
    assert out.overlay == tmp_path / "fit" / "overlay.yaml"
    assert "calibration_posterior: posterior.parquet" in out.overlay.read_text()
    assert out.calibration.params == ["combat.lethality"]
    assert out.status.startswith("calibrated (ABC rejection")
    assert out.report_files == []

    for bad in (replace(job, params=["combat.no_such"]), replace(job, resume=True),
                replace(job, report=tmp_path / "elsewhere")):
        with pytest.raises(CalibrationError if bad.report is None else ValueError):
            plan_fit(replace(bad, fit_dir=tmp_path / "other"))
        assert not (tmp_path / "other").exists()
