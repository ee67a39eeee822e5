"""Experiment files, designs and sweeps (issue 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.experiments import (
    design_table,
    load_experiment,
    load_sweep,
    make_design,
    point_dir,
    run_sweep,
    sweep_outcomes,
)
from sim.runner import load_results
from sim.scenario import ScenarioError

REPO = Path(__file__).parent.parent
SCENARIOS = (REPO / "scenarios").resolve()

PROBLEM = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1], [-5, 5], [10, 20]]}


def write_experiment(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "exp.yaml"
    p.write_text(text.replace("SCEN", str(SCENARIOS / "baseline.yaml")))
    return p


GOOD = """
name: t
scenario: SCEN
set: {policy.ru.reinforce_kursk.enabled: true, policy.ru.reinforce_kursk.trigger_day: 1}
parameters:
  policy.ru.reinforce_kursk.groupings: {low: 0, high: 6}
  combat.lethality: {low: 0.003, high: 0.006}
design: lhs
points: 8
runs: 4
days: 60
outcomes: [kursk_ua_km2@60, ua_losses@30]
"""


# --------------------------------------------------------------------------- designs


@pytest.mark.parametrize(("design", "points", "rows"), [
    ("lhs", 16, 16), ("sobol", 8, 8 * (3 + 2)), ("morris", 5, 5 * (3 + 1)), ("grid", 3, 27),
])
def test_design_shapes_and_bounds(design: str, points: int, rows: int) -> None:
    X = make_design(PROBLEM, design, points, seed=7)
    assert X.shape == (rows, 3)
    lo, hi = np.array(PROBLEM["bounds"]).T
    assert np.all(np.greater_equal(X, lo - 1e-12)) and np.all(np.less_equal(X, hi + 1e-12))
    np.testing.assert_array_equal(X, make_design(PROBLEM, design, points, seed=7))


def test_lhs_is_latin() -> None:
    X = make_design(PROBLEM, "lhs", 10, seed=1)
    lo, hi = np.array(PROBLEM["bounds"]).T
    strata = np.floor((X - lo) / (hi - lo) * 10).astype(int)
    for j in range(3):  # one point in each of the 10 strata of every parameter
        assert sorted(strata[:, j]) == list(range(10))


def test_grid_levels_and_sobol_second_order() -> None:
    X = make_design(PROBLEM, "grid", 2, seed=0, levels=[[0, 0.5, 1], None, [10]])
    assert X.shape == (3 * 2 * 1, 3)
    assert set(X[:, 0]) == {0, 0.5, 1} and set(X[:, 1]) == {-5, 5}
    assert make_design(PROBLEM, "sobol", 4, seed=0, second_order=True).shape == (4 * 8, 3)


def test_experiment_file_and_integer_rounding(tmp_path: Path) -> None:
    lx = load_experiment(write_experiment(tmp_path, GOOD))
    assert lx.integer == {"policy.ru.reinforce_kursk.groupings": True,
                          "combat.lethality": False}
    d = design_table(lx, seed=1)
    assert len(d) == 8
    g = d["policy.ru.reinforce_kursk.groupings"]
    assert g.dtype.kind == "i" and g.between(0, 6).all()
    assert d["combat.lethality"].between(0.003, 0.006).all()
    assert load_experiment(write_experiment(tmp_path, GOOD), design="sobol", points=4,
                           runs=2).experiment.design == "sobol"


def test_sobol_needs_a_power_of_two_base_sample(tmp_path: Path) -> None:
    """N not a power of 2: one clear load error naming file, key and the allowed values
    (SALib would only warn, and the Sobol' sequence loses its balance)."""
    path = write_experiment(tmp_path, GOOD.replace("design: lhs", "design: sobol"))
    assert load_experiment(path).experiment.points == 8  # a power of 2: fine
    with pytest.raises(ScenarioError) as err:
        load_experiment(path, points=12)
    problems = err.value.problems
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: points: 12 is not allowed for design sobol")
    assert "power of 2" in problems[0] and "nearest: 8 or 16" in problems[0]
    with pytest.raises(ValueError, match="power of 2"):
        make_design(PROBLEM, "sobol", 12, seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a power of 2: no SALib warning to silence
        assert make_design(PROBLEM, "sobol", 16, seed=0).shape == (16 * 5, 3)


def test_cli_sweep_refuses_a_sobol_n_that_is_not_a_power_of_two(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli import app

    path = write_experiment(tmp_path, GOOD)
    r = CliRunner().invoke(app, ["sweep", str(path), "--design", "sobol", "--points", "10",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "points: 10 is not allowed for design sobol" in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("change", "message"), [
    ("combat.lethality: {low: 0.003, high: 0.006}", None),
    ("combat.lethalty: {low: 0.003, high: 0.006}", "parameters.combat.lethalty: not a numeric"),
    ("combat.lethality: {low: -1, high: 0.006}", "parameters.combat.lethality.low: -1"),
    ("combat.lethality: {low: 0.006, high: 0.003}", "must be below"),
    ("combat.lethality: {low: 0.003}", "give low and high"),
    ("groupings.RU-Nope.personnel: {low: 1, high: 2}", "not a numeric parameter"),
])
def test_parameter_errors_name_file_and_key(tmp_path: Path, change: str, message) -> None:
    text = GOOD.replace("combat.lethality: {low: 0.003, high: 0.006}", change)
    path = write_experiment(tmp_path, text)
    if message is None:
        load_experiment(path)
        return
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("kursk_ua_km2@60", "kursk_ua_km3@60", "did you mean 'kursk_ua_km2'"),
    ("kursk_ua_km2@60", "kursk_ua_km2@61", "day 61 is outside 0..60"),
    ("design: lhs", "design: halton", "design"),
    ("runs: 4", "runs: 0", "runs"),
    ("points: 8", "pointz: 8", "pointz"),
])
def test_experiment_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = write_experiment(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_shipped_experiment_is_valid() -> None:
    lx = load_experiment(REPO / "experiments" / "transfer.yaml")
    assert lx.experiment.design == "lhs" and len(lx.names) == 3


# --------------------------------------------------------------------------- sweeps


@pytest.fixture(scope="module")
def effect_sweep(tmp_path_factory) -> Path:
    """8 points × 4 runs × 60 days over the number of groupings Russia moves to Kursk."""
    tmp = tmp_path_factory.mktemp("sweep")
    exp = tmp / "exp.yaml"
    exp.write_text(f"""
name: effect
scenario: {SCENARIOS / "baseline.yaml"}
set: {{policy.ru.reinforce_kursk.enabled: true, policy.ru.reinforce_kursk.trigger_day: 1}}
parameters:
  policy.ru.reinforce_kursk.groupings: {{low: 0, high: 6}}
design: lhs
points: 8
runs: 4
days: 60
outcomes: [kursk_ua_km2@60]
""")
    res = run_sweep(load_experiment(exp), tmp / "out", workers=2)
    assert res.complete and res.done == 32
    return tmp / "out"


def test_sweep_layout_and_common_random_numbers(effect_sweep: Path) -> None:
    sw = load_sweep(effect_sweep)
    assert sw.meta["status"] == "complete" and len(sw.design) == 8
    assert (effect_sweep / "design.parquet").is_file()
    seeds = [load_results(point_dir(effect_sweep, i)).runs["seed"].tolist() for i in range(8)]
    assert all(s == seeds[0] for s in seeds) and len(set(seeds[0])) == 4
    res = load_results(point_dir(effect_sweep, 3))
    assert res.status == "complete" and int(res.daily["day"].max()) == 60
    df = sweep_outcomes(sw)
    assert len(df) == 32 and df["kursk_ua_km2@60"].notna().all()
    g = sw.design.set_index("point")["policy.ru.reinforce_kursk.groupings"]
    assert (df["policy.ru.reinforce_kursk.groupings"] == df["point"].map(g)).all()


def test_sweep_recovers_built_in_effect(effect_sweep: Path) -> None:
    """More Russian groupings moved to Kursk ⇒ less Ukrainian-held Kursk area on day 60."""
    from sim.analysis import ranking, sensitivity

    res = sensitivity(effect_sweep)
    rho = res.table[(res.table["index"] == "spearman")].iloc[0]
    assert rho["value"] < -0.3 and rho["high"] < 0 and rho["p"] < 0.01
    lines = ranking(res.table, res.main_index)["kursk_ua_km2@60"]
    assert "higher values give a lower outcome" in lines[0]


def test_sweep_resume_and_refusals(effect_sweep: Path, tmp_path: Path) -> None:
    from sim.runner import BatchError

    sw = load_sweep(effect_sweep)
    exp = Path(sw.meta["experiment_file"])
    lx = load_experiment(exp)
    with pytest.raises(BatchError, match="already holds a sweep"):
        run_sweep(lx, effect_sweep)
    before = pd.read_parquet(point_dir(effect_sweep, 0) / "daily.parquet")
    res = run_sweep(lx, effect_sweep, resume=True, workers=1)  # nothing left to do
    assert res.complete and res.seconds < 10
    pd.testing.assert_frame_equal(
        before, pd.read_parquet(point_dir(effect_sweep, 0) / "daily.parquet"))
    with pytest.raises(BatchError, match="runs"):
        run_sweep(load_experiment(exp, runs=5), effect_sweep, resume=True)


def test_interrupted_sweep_resumes(tmp_path: Path) -> None:
    import shutil

    text = GOOD.replace("days: 60", "days: 20").replace("kursk_ua_km2@60, ua_losses@30",
                                                         "kursk_ua_km2@20")
    lx = load_experiment(write_experiment(tmp_path, text), points=3, runs=2)
    out = tmp_path / "s"
    run_sweep(lx, out, workers=1)
    full = sweep_outcomes(out, ["kursk_ua_km2@20"])
    shutil.rmtree(point_dir(out, 1))  # as if the sweep stopped before point 1
    (point_dir(out, 2) / "manifest.json").unlink()
    res = run_sweep(lx, out, workers=1, resume=True)
    assert res.complete
    pd.testing.assert_frame_equal(full, sweep_outcomes(out, ["kursk_ua_km2@20"]))


def test_cli_sweep_and_sensitivity(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli import app

    path = write_experiment(tmp_path, GOOD)
    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["sweep", str(path), "--points", "4", "--runs", "2", "--days",
                                 "30", "--workers", "1", "--out", str(out), "-q"])
    assert r.exit_code == 2 and "day 60 is outside 0..30" in r.output  # outcomes beyond horizon
    r = CliRunner().invoke(app, ["sweep", str(path), "--points", "4", "--runs", "2", "--workers",
                                 "1", "--out", str(out), "-q", "--design", "morris"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["sensitivity", str(out), "-m", "kursk_ua_km2@60"])
    assert r.exit_code == 0, r.output
    assert "Morris" in r.output and "Which parameters matter" in r.output
    assert (out / "sensitivity.csv").is_file() and list((out / "sensitivity").glob("*.png"))
    r = CliRunner().invoke(app, ["sweep", str(path), "--design", "halton", "--out", str(out)])
    assert r.exit_code == 2


def test_sensitivity_figures_carry_the_sweeps_source_line(effect_sweep: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    """Every sensitivity figure names what made it, as a batch's figures do: the package and
    its version, the design, points, runs, seed and base scenario hash, and the calibration
    status (the figures had no source line at all)."""
    import matplotlib.figure

    from sim.analysis import load_sweep, sensitivity, status_line
    from sim.runner import load_results, package_version
    from sim.viz import write_figures

    sw = load_sweep(effect_sweep)
    line = sw.source()
    assert f"kursk-donetsk-wargame {package_version()}" in line
    assert (f"lhs design, 8 points x 4 runs, seed {sw.meta['master_seed']}, scenario baseline "
            f"hash {sw.meta['scenario_hash'][:7]}") in line
    assert status_line(load_results(effect_sweep / "points" / "p0000")) in line
    footers: list[str] = []
    save = matplotlib.figure.Figure.savefig

    def recording(fig, *args, **kw):
        footers.append(" ".join(t.get_text().replace("\n", " ") for t in fig.texts))
        return save(fig, *args, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", recording)
    paths = write_figures(sensitivity(effect_sweep), tmp_path)
    assert len(footers) == len(paths) >= 2
    words = line.split()
    for text in footers:
        assert text.split()[-len(words):] == words  # wrapped to the width, the same words


def test_report_has_a_sensitivity_section(effect_sweep: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    run_batch(load_scenario(SCENARIOS / "baseline.yaml", overrides=["days=20"]), tmp_path / "b",
              runs=2, workers=1)
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", str(tmp_path / "b"), "--sweep", str(effect_sweep),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "Sensitivity analysis: out" in text and "policy.ru.reinforce_kursk.groupings" in text
    r = CliRunner().invoke(app, ["report", str(tmp_path / "b"), "--sweep", str(tmp_path),
                                 "--out", str(out)])
    assert r.exit_code == 2 and "not a sweep folder" in r.output
