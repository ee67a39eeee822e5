"""Posterior-predictive batches: each replicate group gets one posterior draw chosen by the
master seed, the same in every option and whatever the worker count; ``--params median``
reproduces the fixed-parameter batch bit for bit; the variance split recovers a known split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.runner import (
    BatchError,
    DrawError,
    load_posterior,
    load_results,
    make_plan,
    run_batch,
    weighted_quantile,
    write_posterior,
)
from sim.scenario import load_scenario, with_values

REPO = Path(__file__).parent.parent
SCN = REPO / "scenarios"
NAMES = ["combat.lethality", "advance.max_km_per_day"]


def _posterior(path: Path, n: int = 12) -> Path:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"combat.lethality": rng.uniform(0.005, 0.015, n),
                       "advance.max_km_per_day": rng.uniform(0.2, 0.6, n),
                       "weight": rng.uniform(0.5, 1.5, n)})
    fit = {"method": "ABC-SMC", "date": "2026-11-27", "observations": 11,
           "first": "2024-08-06", "last": "2025-01-05",
           "groups": {"kursk": [5, 6], "donetsk": [5, 5]}}
    return write_posterior(path, df, fit)


def _scn(name: str, post: Path, days: int = 8):
    return load_scenario(SCN / f"{name}.yaml",
                         overrides=[f"days={days}", f"calibration_posterior={post}"])


def test_weighted_quantile_is_a_particle_value():
    v = np.array([3.0, 1.0, 2.0, 10.0])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    assert weighted_quantile(v, w, 0.5) == 2.0   # sorted 1, 2, 3, 10: cumulative .2, .5, ...
    assert weighted_quantile(v, w, 0.51) == 3.0
    assert weighted_quantile(v, w, 0.05) == 1.0
    assert weighted_quantile(v, w, 0.95) == 10.0


def test_posterior_reference_is_relative_to_its_file(tmp_path):
    post = _posterior(tmp_path / "post.parquet")
    overlay = tmp_path / "option.yaml"
    overlay.write_text(f"extends: {SCN / 'baseline.yaml'}\ncalibration_posterior: post.parquet\n")
    scn = load_scenario(overlay)
    assert scn.calibration_posterior == post.resolve()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SCN / 'baseline.yaml'}\ncalibration_posterior: nope.parquet\n")
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(bad)


@pytest.mark.slow
def test_replicate_gets_the_same_draw_in_every_option_and_worker_count(tmp_path):
    post = _posterior(tmp_path / "post.parquet")
    got = {}
    for name, workers in (("baseline", 1), ("baseline", 2), ("reinforce", 2),
                          ("donetsk_focus", 1)):
        out = tmp_path / f"{name}-{workers}"
        res = run_batch(_scn(name, post), out, runs=10, master_seed=42, workers=workers)
        assert res.complete
        r = load_results(out)
        assert r.manifest.parameters.mode == "posterior"
        assert r.manifest.calibration["method"] == "ABC-SMC"
        by_run = {e.run: (e.particle, e.params) for e in r.manifest.runs}
        runs = r.runs.set_index("run")
        for i, (_, params) in by_run.items():   # runs.parquet records the same values
            for n in NAMES:
                assert runs.loc[i, f"param.{n}"] == params[n]
        got[(name, workers)] = by_run
    first = next(iter(got.values()))
    for v in got.values():
        assert v == first
    # groups of 4 consecutive replicates share a draw (dice_per_draw default), and the draw is
    # the documented weighted choice from SeedSequence(master, spawn_key=(group, 1))
    p = load_posterior(post)
    for i, (k, _) in first.items():
        rng = np.random.default_rng(np.random.SeedSequence(42, spawn_key=(i // 4, 1)))
        assert k == rng.choice(len(p.weights), p=p.weights)
    assert len({first[i][0] for i in range(10)}) > 1


@pytest.mark.slow
def test_params_median_reproduces_the_fixed_batch_bit_for_bit(tmp_path):
    post = _posterior(tmp_path / "post.parquet")
    scn = _scn("baseline", post)
    run_batch(scn, tmp_path / "median", runs=3, master_seed=5, workers=1, params="median")
    medians = load_posterior(post).medians()
    fixed = with_values(load_scenario(SCN / "baseline.yaml", overrides=["days=8"]), medians)
    run_batch(fixed, tmp_path / "fixed", runs=3, master_seed=5, workers=2, params="fixed")
    a, b = load_results(tmp_path / "median"), load_results(tmp_path / "fixed")
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.runs[b.runs.columns], b.runs)
    assert a.manifest.parameters.mode == "median"
    assert all(r.params == medians for r in a.manifest.runs)
    assert b.manifest.parameters.mode == "fixed" and b.manifest.parameters.posterior is None
    # a fixed batch states the fit record of the overlay its values come from (base.yaml's)
    assert b.manifest.calibration == fixed.calibration_fit
    # fixed on a scenario that names a posterior: the posterior is ignored
    run_batch(scn, tmp_path / "ignored", runs=2, master_seed=5, workers=1, params="fixed")
    assert "param.combat.lethality" not in load_results(tmp_path / "ignored").runs


def test_median_without_a_posterior_is_a_clear_error(tmp_path):
    scn = load_scenario(SCN / "baseline.yaml", overrides=["days=3", "calibration_posterior=null"])
    assert make_plan(scn, None, 1) is None
    with pytest.raises(BatchError, match="names no calibration_posterior"):
        run_batch(scn, tmp_path / "x", runs=1, workers=1, params="median")


def test_resume_refuses_another_parameter_mode(tmp_path):
    post = _posterior(tmp_path / "post.parquet")
    scn = _scn("baseline", post, days=3)
    run_batch(scn, tmp_path / "b", runs=2, master_seed=1, workers=1, params="median")
    with pytest.raises(BatchError, match="parameters"):
        run_batch(scn, tmp_path / "b", runs=3, master_seed=1, workers=1, resume=True)


def test_variance_split_recovers_a_known_split():
    """Y = a_group + e: parameter variance 4, dice variance 1 (share 0.8), groups of 4."""
    from sim.analysis import variance_split

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(3000), 4)
    y = rng.normal(0, 2, 3000)[groups] + rng.normal(0, 1, groups.size)
    split = variance_split(y, groups.tolist())
    assert split.param_share == pytest.approx(0.8, abs=0.02)
    assert split.dice_var == pytest.approx(1.0, abs=0.05)
    assert variance_split(rng.normal(size=40), [None] * 40).param_share != \
        variance_split(rng.normal(size=40), [None] * 40).param_share   # NaN: no groups
    # no parameter effect: share near 0
    assert variance_split(rng.normal(size=8000), np.repeat(np.arange(2000), 4).tolist()
                          ).param_share < 0.03


def test_status_line_of_batches_and_scenarios(tmp_path):
    from sim.analysis import ENVELOPE, backtest_clause, calibration_status, status_line

    post = _posterior(tmp_path / "post.parquet")
    run_batch(_scn("baseline", post, days=3), tmp_path / "p", runs=2, master_seed=1, workers=1)
    line = status_line(tmp_path / "p")
    # the committed backtest's skill and the validity envelope sit between fit and mode
    assert line == ("calibrated (ABC-SMC, 2026-11-27) to 11 observations "
                    f"2024-08-06..2025-01-05; hindcast 5/6 Kursk, 5/5 Donetsk; "
                    f"{backtest_clause()}; {ENVELOPE}; posterior draws (4 runs per draw)")
    assert status_line(_scn("baseline", post)).startswith("calibrated (ABC-SMC, 2026-11-27)")
    shipped = load_scenario(SCN / "baseline.yaml", overrides=["days=3"])  # the fitted overlay
    assert status_line(shipped).startswith("calibrated (ABC-SMC")
    assert status_line(shipped).endswith("; posterior draws")
    run_batch(shipped, tmp_path / "s", runs=1, master_seed=1, workers=1, params="fixed")
    assert status_line(tmp_path / "s").endswith("fixed best-fit values (no parameter "
                                                 "uncertainty)")
    from sim.scenario import scenario_dict, validate_tree

    tree = scenario_dict(shipped)
    # the same scenario without a fit record or a posterior
    tree["calibration_fit"] = tree["calibration_posterior"] = None
    plain = validate_tree(tree, shipped.source_path)
    assert status_line(plain).startswith("UNCALIBRATED")
    run_batch(plain, tmp_path / "f", runs=1, master_seed=1, workers=1)
    st = calibration_status(tmp_path / "f")
    assert not st.calibrated and st.line.startswith("UNCALIBRATED")
    assert str(st.rich()).startswith("UNCALIBRATED")
    # the figures' source line carries it
    from sim.viz import load_batches, source_line

    assert "Calibration: UNCALIBRATED" in source_line(load_batches([tmp_path / "f"]))


def test_a_fitted_parameter_set_on_purpose_is_not_drawn(tmp_path):
    """`--set combat.lethality=...` (or a sweep's design) on a posterior batch keeps the set
    value in every run; the other fitted parameters are still drawn."""
    post = _posterior(tmp_path / "post.parquet")
    scn = load_scenario(SCN / "baseline.yaml", overrides=[
        "days=3", f"calibration_posterior={post}", "combat.lethality=0.0123"])
    run_batch(scn, tmp_path / "b", runs=8, master_seed=2, workers=1,
              pinned=["combat.lethality", "days"])
    res = load_results(tmp_path / "b")
    assert res.manifest.parameters.pinned == ["combat.lethality"]
    assert all("combat.lethality" not in r.params for r in res.manifest.runs)
    assert len({r.params["advance.max_km_per_day"] for r in res.manifest.runs}) > 1
    from typer.testing import CliRunner

    from sim.cli import app

    r = CliRunner().invoke(app, ["run", str(SCN / "baseline.yaml"), "--runs", "2", "--days",
                                 "2", "--quiet", "--out", str(tmp_path / "cli"), "--set",
                                 f"calibration_posterior={post}", "--set",
                                 "combat.lethality=0.0123", "--workers", "1"])
    assert r.exit_code == 0, r.output
    man = load_results(tmp_path / "cli").manifest
    assert man.parameters.pinned == ["combat.lethality"]
    # ... and every output says the runs are off the calibration (issue 20, item 5)
    from sim.analysis import status_line

    for line in (status_line(man), status_line(tmp_path / "b")):
        assert line.startswith("off-calibration: combat.lethality set by hand (the other "
                               "parameters calibrated ("), line
    assert not status_line(load_results(tmp_path / "b").manifest).startswith("calibrated")


def _nuisance_posterior(path: Path) -> Path:
    """The posterior of :func:`_posterior` from a fit that drew exhaustion.effect from U(0, 0.7)
    and operations.pause_days from U(3, 30) (whole days) in every simulation."""
    post = _posterior(path)
    table = load_posterior(post)
    df = pd.DataFrame(table.values, columns=list(table.names)).assign(weight=table.weights)
    fit = table.fit | {"nuisance": {"exhaustion.effect": [0.0, 0.7],
                                    "operations.pause_days": [3, 30]},
                       "nuisance_integer": ["operations.pause_days"]}
    return write_posterior(path, df, fit)


def _with_nuisance(name: str, post: Path, nuisance: str):
    return load_scenario(SCN / f"{name}.yaml", overrides=[
        "days=8", f"calibration_posterior={post}", f"calibration_nuisance={nuisance}"])


def test_nuisance_parameters_are_drawn_per_group_and_leave_the_particles_alone(tmp_path):
    """A scenario listing the fit's nuisance parameters draws each group's values from their
    priors: inside the prior, one value per group, the same in every option for one master
    seed, whole numbers where the fit says so; the particles drawn are those of a batch
    without them, and --params median leaves the scenario's values."""
    post = _nuisance_posterior(tmp_path / "post.parquet")
    names = "[exhaustion.effect, operations.pause_days]"
    plain = make_plan(_scn("baseline", post), None, 42, dice_per_draw=2)
    base = make_plan(_with_nuisance("baseline", post, names), None, 42, dice_per_draw=2)
    other = make_plan(_with_nuisance("reinforce", post, names), None, 42, dice_per_draw=2)
    values = [base.values(r) for r in range(40)]
    assert values == [other.values(r) for r in range(40)]
    assert [base.draw(r) for r in range(40)] == [plain.draw(r) for r in range(40)]
    for r, v in enumerate(values):
        assert 0.0 <= v["exhaustion.effect"] <= 0.7
        assert isinstance(v["operations.pause_days"], int) and 3 <= v["operations.pause_days"] <= 30
        assert {k: v[k] for k in NAMES} == {k: plain.values(r)[k] for k in NAMES}
    assert values[0] == values[1] and values[0] != values[2]          # groups of 2
    assert len({v["exhaustion.effect"] for v in values}) == 20
    assert base.describe()["nuisance"] == {"exhaustion.effect": [0.0, 0.7],
                                           "operations.pause_days": [3, 30]}
    median = make_plan(_with_nuisance("baseline", post, names), "median", 42)
    assert "exhaustion.effect" not in median.values(0)


def _joint_posterior(path: Path, pause_days: list[int]) -> Path:
    """The nuisance posterior with each particle's exhaustion.effect and pause_days stored
    (what a fit since 2026-12-03 writes): the joint posterior."""
    post = _nuisance_posterior(path)
    table = load_posterior(post)
    n = len(table.weights)
    df = pd.DataFrame(table.values, columns=list(table.names)).assign(
        **{"exhaustion.effect": np.linspace(0.05, 0.65, n),
           "operations.pause_days": pause_days[:n] + [10] * (n - len(pause_days))},
        weight=table.weights)
    return write_posterior(path, df, table.fit)


def test_nuisance_values_stored_with_the_particles_are_drawn_with_them(tmp_path):
    """A posterior carrying each particle's nuisance values (the joint posterior) gives a
    group its particle's values, not a fresh prior draw: the same particle, the same values,
    in every option; they are not fitted parameters (not among the names, not in the
    medians); a value the scenario cannot take is one clear error."""
    post = _joint_posterior(tmp_path / "post.parquet", [4, 29])
    table = load_posterior(post)
    assert table.names == tuple(NAMES) and table.joint == ("exhaustion.effect",
                                                           "operations.pause_days")
    assert set(table.medians()) == set(NAMES)
    names = "[exhaustion.effect, operations.pause_days]"
    base = make_plan(_with_nuisance("baseline", post, names), None, 42, dice_per_draw=2)
    other = make_plan(_with_nuisance("reinforce", post, names), None, 42, dice_per_draw=2)
    effect = np.linspace(0.05, 0.65, len(table.weights))
    for r in range(40):
        v, k = base.values(r), base.draw(r)
        assert v == other.values(r)
        assert v["exhaustion.effect"] == effect[k]
        assert v["operations.pause_days"] == ([4, 29] + [10] * 10)[k]
        assert isinstance(v["operations.pause_days"], int)
    bad = _joint_posterior(tmp_path / "bad.parquet", [-3])
    with pytest.raises(DrawError, match=r"nuisance particle of operations.pause_days does not "
                                        r"fit baseline"):
        make_plan(_with_nuisance("baseline", bad, names), None, 42)


def test_a_misspelled_nuisance_parameter_is_one_clear_error_and_one_not_drawn_is_kept(tmp_path):
    post = _nuisance_posterior(tmp_path / "post.parquet")
    with pytest.raises(DrawError, match=r"calibration_nuisance exhaustion.rate_per_dy: not "
                                        r"a numeric parameter"):
        make_plan(_with_nuisance("baseline", post, "[exhaustion.rate_per_dy]"), None, 42)
    # listed but not drawn by this fit (the shipped calibrated.yaml lists five): kept
    plan = make_plan(_with_nuisance("baseline", post, "[exhaustion.rate_per_day]"), None, 42)
    assert "exhaustion.rate_per_day" not in plan.values(0) and plan.nuisance == ()
    plan = make_plan(load_scenario(SCN / "baseline.yaml", overrides=[
        "days=8", f"calibration_posterior={post}", "calibration_nuisance=[exhaustion.effect]",
        "exhaustion.effect=0.5"]), None, 42, pinned=["exhaustion.effect"])
    assert "exhaustion.effect" not in plan.values(0)                 # set by hand: kept
