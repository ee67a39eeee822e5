"""Each plot kind on tiny batches: files written, axes, labels, series; the map and the maths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import SCENARIOS

from sim.viz import plots as P

RUNS, DAYS = 6, 20


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    root = tmp_path_factory.mktemp("plots")
    out = []
    for name in ("baseline", "ceasefire"):
        scn = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"days={DAYS}"])
        run_batch(scn, root / name, runs=RUNS, workers=1, command="test")
        out.append(root / name)
    return out


@pytest.fixture(scope="module")
def hindcast_dir(tmp_path_factory):
    """One run of the 2024 hindcast (starts 6 Aug 2024), for the figures of a fit."""
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    out = tmp_path_factory.mktemp("hindcast") / "h"
    run_batch(load_scenario(SCENARIOS / "hindcast_2024.yaml"), out, runs=1, master_seed=1,
              workers=1, command="test")
    return out


@pytest.fixture(scope="module")
def batches(dirs):
    return P.load_batches(dirs)


def _labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []


def test_fan_chart(batches):
    fig = P.fig_fan(batches)
    axes = fig.axes
    n = len(batches)
    # small multiples: rows Kursk area, Kursk salient lost, Donetsk; a column per option
    assert len(axes) == 3 * n
    kursk, lost, donetsk = axes[:n], axes[n:2 * n], axes[2 * n:]
    for ax in kursk + donetsk:
        # its own median in colour, the other option's in grey for reference (no run of these
        # 20-day batches loses the salient: no two-mode day, no dashed line)
        assert len(ax.get_lines()) == n
        assert len(ax.collections) == 2  # its 50 % and 90 % bands only
    for ax in lost:  # each option's share of runs at 0 km², and the 10 % / 90 % guides
        assert len(ax.get_lines()) == n + 2 and not ax.collections
        assert list(ax.get_lines()[n - 1].get_ydata()) == [0.0] * (DAYS + 1)  # its own, last
    assert "km²" in axes[0].get_ylabel() and "Kursk" in axes[0].get_ylabel()
    assert "salient lost" in lost[0].get_ylabel()
    assert "Donetsk" in donetsk[0].get_ylabel()
    assert donetsk[0].get_ylabel().endswith("since 5 Jan 2025")  # the batches' start date
    assert [ax.get_title() for ax in axes[:len(batches)]] == [b.label for b in batches]
    (legend,) = fig.legends
    assert {"baseline", "ceasefire", "50 % of runs", "other options' medians"} <= {
        t.get_text() for t in legend.get_texts()}
    texts = " ".join(t.get_text() for t in fig.texts)
    assert f"{RUNS} runs, seed 20250105, scenario hash" in texts
    # x axis is calendar dates: the first median point is the start date
    x0 = axes[0].get_lines()[0].get_xdata()[0]
    assert str(x0).startswith("2025-01-05")
    plt.close(fig)


def test_long_option_names_wrap_and_leave_the_fan_chart_its_axes(batches):
    """A 56- and a 100-character scenario name (the longest a folder keeps) are drawn on lines
    of at most ``LABEL_CHARS``, and the constrained layout keeps the panels as wide as with
    short names: unwrapped, the names' title and legend squeezed each panel to a sliver
    (matplotlib warned "axes sizes collapsed to zero")."""
    names = ("Kursk-reinforcement-with-a-very-long-descriptive-name-v2", "x" * 100)
    short = P.fig_fan(batches)
    short.canvas.draw()
    long_batches = [dataclasses.replace(b, label=n) for b, n in zip(batches, names, strict=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a collapsed layout is a UserWarning
        fig = P.fig_fan(long_batches)
        fig.canvas.draw()
    for a, b in zip(fig.axes, short.axes, strict=True):
        assert a.get_position().width > 0.8 * b.get_position().width
    for ax, name in zip(fig.axes, names, strict=False):  # the first row's titles
        lines = ax.get_title().split("\n")
        assert len(lines) > 1 and max(map(len, lines)) <= P.LABEL_CHARS
        assert "".join(lines).replace(" ", "") == name
    plt.close(fig)
    plt.close(short)


def test_month_ticks_of_a_fan_chart_column_do_not_run_together(batches):
    """Over a 120-day view, the date labels under each column of a two-option fan chart do not
    touch (each month's label was "01 Feb / 2025", and they ran into each other)."""
    fig = P.fig_fan(batches)
    start = np.datetime64(batches[0].start, "D")
    fig.axes[-1].set_xlim(start, start + np.timedelta64(120, "D"))  # shared by every panel
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for ax in fig.axes[-len(batches):]:
        boxes = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
        assert len(boxes) >= 4
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False)), [
            t.get_text() for t in ax.get_xticklabels()]
    plt.close(fig)


def test_area_modes_by_hand():
    """10 runs, 4 days. Day 0: all hold 500 km², one mode. Day 1: one run at 0 (10 %), the
    others 100..900: two-mode; the median of all is (400 + 500) / 2 = 450, of the nine above 0
    it is 500. Day 2: nine runs at 0, one at 400 (10 % above 0): two-mode, median of all 0,
    above 0 400. Day 3: all at 0: one mode, no run above 0."""
    from sim.analysis import MIN_MODE_SHARE

    day1 = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]
    v = np.array([[500, a, 0, 0] for a in day1], dtype=float)
    v[3, 2] = 400
    m = P.area_modes(v)
    assert MIN_MODE_SHARE == 0.10
    assert m.share_zero == pytest.approx([0, 0.1, 0.9, 1.0])
    assert m.share_lost == pytest.approx(m.share_zero)  # every run held 500 km² on day 0
    # a hindcast starts at 0 km², before the incursion: at 0 but nothing lost yet
    late = P.area_modes(np.array([[0, 0, 300, 0], [0, 200, 0, np.nan]]))
    assert late.share_zero == pytest.approx([1, 0.5, 0.5, 1])
    assert late.share_lost == pytest.approx([0, 0, 0.5, 1])
    assert list(m.two_mode) == [False, True, True, False]
    assert m.median == pytest.approx([500, 450, 0, 0])
    assert m.median_above_zero[:3] == pytest.approx([500, 500, 400])
    assert np.isnan(m.median_above_zero[3])
    # one run at 0 in 11 (9 %) is under the 10 %: one mode; a run without a value is not counted
    v11 = np.r_[v[:, :2], [[500, 1000]]]
    assert list(P.area_modes(v11).two_mode) == [False, False]
    v11[10, 1] = np.nan
    assert list(P.area_modes(v11).two_mode) == [False, True]


def test_fan_chart_draws_kursk_by_its_modes(batches):
    """A batch where the salient is lost in 2 of 6 runs from day 5 on: on those days the
    Kursk line is the median of the 4 runs still holding ground (dashed), not the median of
    all 6, and the row below gives 33 %."""
    base = batches[0]
    planted = np.tile(np.linspace(600.0, 100.0, DAYS + 1), (RUNS, 1))
    planted[:4] += np.arange(4)[:, None] * 10  # 4 survivors at +0, +10, +20, +30 km²
    planted[4:, 5:] = 0.0

    class Planted(P.Batch):
        def wide(self, column):
            return planted if column == "kursk_ua_km2" else super().wide(column)

    b = Planted(base.res, base.label, base.color)
    fig = P.fig_fan([b])
    kursk, lost, _ = fig.axes
    solid, dashed = kursk.get_lines()
    assert dashed.get_linestyle() != "-" and solid.get_linestyle() == "-"
    y = np.asarray(dashed.get_ydata(), dtype=float)
    survivors = np.median(planted[:4], axis=0)
    assert y[5:] == pytest.approx(survivors[5:])  # two-mode from day 5 on
    # on day 4 every run is above 0: both lines are at the median of all 6 there, and join
    ys = np.asarray(solid.get_ydata(), dtype=float)
    assert y[4] == ys[4] == pytest.approx(np.median(planted[:, 4])) and np.isnan(y[:4]).all()
    assert np.isnan(ys[5:]).all()
    assert lost.get_lines()[0].get_ydata()[5:] == pytest.approx([100 * 2 / 6] * (DAYS - 4))
    plt.close(fig)


def test_losses_outcomes_survival(batches):
    fig = P.fig_losses(batches)
    assert len(fig.axes) == 6
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert {ax.get_ylabel() for ax in fig.axes} == {"people", "rounds"}
    plt.close(fig)
    fig = P.fig_outcomes(batches, day=10)
    assert len(fig.axes) == 8 and all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert "day 10 (15 Jan 2025)" in fig._suptitle.get_text()
    plt.close(fig)
    fig = P.fig_survival(batches)
    (ax,) = fig.axes
    assert len(_labels(ax)) == 3 and _labels(ax)[0].startswith("baseline")
    assert _labels(ax)[2] == "95 % confidence band"
    assert len(ax.collections) == 2  # a Greenwood band per option
    assert "without a ceasefire" in ax.get_ylabel()
    plt.close(fig)


def test_no_axis_of_the_outcome_and_loss_figures_repeats_a_tick_label(batches):
    """Close values keep the decimals that tell them apart (an index from 0.69 to 0.705 read
    "0.69, 0.69, 0.7, 0.7")."""
    for fig in (P.fig_outcomes(batches, day=DAYS), P.fig_losses(batches)):
        fig.canvas.draw()
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
                assert len(labels) == len(set(labels)), (ax.get_title(), labels)
        plt.close(fig)


def test_kaplan_meier_by_hand():
    days, s = P.kaplan_meier(np.array([2, np.nan, 5, 2]), 6)
    assert list(days) == list(range(7))
    assert s == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_greenwood_band_by_hand():
    """Ceasefire on days 2, 2, 5, one run censored at the horizon (6): S = 1, 1/2, 1/4.
    Greenwood: Var S(t) = S(t)² Σ d/(n(n−d)); day 2: 0.25·2/(4·2) = 0.0625 (se 0.25),
    day 5: 0.0625·(2/8 + 1/(2·1)) = 0.046875 (se 0.21651); band S ± 1.95996·se in [0, 1]."""
    days, s, lo, hi = P.survival_band(np.array([2, np.nan, 5, 2]), 6)
    assert s == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    z = 1.959964
    assert lo == pytest.approx([1, 1, 0.5 - z * 0.25, 0.5 - z * 0.25, 0.5 - z * 0.25, 0, 0],
                               abs=1e-5)
    se5 = 0.046875 ** 0.5
    assert hi == pytest.approx([1, 1, 0.5 + z * 0.25, 0.5 + z * 0.25, 0.5 + z * 0.25,
                                0.25 + z * se5, 0.25 + z * se5], abs=1e-5)
    # every run has a ceasefire by day 1: S = 0 afterwards, Greenwood undefined -> point 0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, s, lo, hi = P.survival_band(np.array([0.0, 1.0]), 3)
    assert list(s) == [0.5, 0, 0, 0] and list(lo[1:]) == [0, 0, 0] and list(hi[1:]) == [0, 0, 0]
    # no ceasefire at all: S = 1 and the band is the point 1
    _, s, lo, hi = P.survival_band(np.array([np.nan, np.nan]), 3)
    assert list(s) == list(lo) == list(hi) == [1, 1, 1, 1]


def test_probability_matches_per_run_control(batches):
    fm = batches[0].front_map("kursk")
    rng = np.random.default_rng(3)
    lines = rng.normal(0, 4, size=(25, fm.n_sectors))
    brute = np.mean([fm.control(line) for line in lines], axis=0)
    assert P.ua_probability(fm, lines) == pytest.approx(brute)


def test_map_puts_the_kursk_salient_at_sudzha(batches):
    fm, prob, med = P.map_data(batches[0], "kursk", 0)
    sudzha = fm.place("Sudzha")
    assert prob[sudzha.row, sudzha.col] == 1.0  # Ukrainian-held on 5 January in every run
    kurchatov = fm.place("Kurchatov")
    assert prob[kurchatov.row, kurchatov.col] == 0.0
    assert med == pytest.approx(np.zeros(fm.n_sectors))
    fig = P.fig_map(batches, "kursk", day=0)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 2
    img = panels[0].get_images()[1].get_array()  # the probability layer
    assert img[sudzha.row, sudzha.col] == 1.0
    assert any("probability that Ukraine holds" in ax.get_ylabel() for ax in fig.axes)
    plt.close(fig)


def test_town_labels_do_not_overlap_on_the_donetsk_map(batches):
    """The shipped Donetsk map has 19 towns, some a few km apart (Pokrovsk and Myrnohrad,
    Chasiv Yar and Bakhmut): once drawn (Agg), no two labels' boxes intersect, in each panel."""
    names = {p.name for p in batches[0].front_map("donetsk").places}
    assert len(names) >= 15
    fig = P.fig_map(batches, "donetsk", day=0)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == len(batches)
    for ax in panels:
        boxes = [(t.get_text(), t.get_window_extent(r)) for t in ax.texts
                 if t.get_text() in names]
        assert len(boxes) == len(names)  # every town labelled
        clash = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
                 if ba.overlaps(bb)]
        assert not clash, clash
    plt.close(fig)


def test_make_plots_writes_files(dirs, tmp_path):
    files = P.make_plots(dirs, kind="all", day=10, out=tmp_path)
    names = {f.name for f in files}
    for stem in ("fan_territory", "losses_personnel_ammo", "outcomes", "ceasefire_survival",
                 "map_kursk", "map_donetsk"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    assert all(f.stat().st_size > 1000 for f in files)
    gif = P.make_plots(dirs[:1], kind="animation", run=1, out=tmp_path)[0]
    from PIL import Image

    assert Image.open(gif).n_frames == DAYS + 1
    with pytest.raises(P.PlotError):
        P.make_plots(dirs, kind="pie", out=tmp_path)
    with pytest.raises(P.PlotError):
        P.make_plots(dirs, kind="map", day=DAYS + 5, out=tmp_path)


def test_the_same_figure_is_the_same_svg_file(dirs, tmp_path):
    # a batch folder's checksums and a reader's diff rely on figures being byte-reproducible;
    # matplotlib draws random SVG element ids unless they are salted
    a, b = (P.make_plots(dirs, kind="fan", out=tmp_path / d) for d in ("a", "b"))
    svgs = [[f.read_bytes() for f in files if f.suffix == ".svg"] for files in (a, b)]
    assert svgs[0] and svgs[0] == svgs[1]


def test_cli_plot_and_run_writes_fan_charts(dirs, tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    r = CliRunner().invoke(app, ["plot", str(dirs[0]), "--kind", "survival", "--out",
                                 str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "f" / "ceasefire_survival.svg").exists()
    r = CliRunner().invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--runs", "2",
                                 "--days", "5", "-w", "1", "-q", "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b" / "figures" / "fan_territory.png").exists()


def _texts_outside(fig) -> list[str]:
    """What leaves the figure once drawn (Agg): each axes with its drawn decorations (tick
    labels, axis labels, title, legend: ``get_tightbbox``), and each figure-level text and
    legend (suptitle, source footer)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    parts = [(f"axes {i} {ax.get_title()[:40]!r}", ax.get_tightbbox(renderer))
             for i, ax in enumerate(fig.axes) if ax.get_visible()]
    parts += [(repr(t.get_text()[:60]), t.get_window_extent(renderer))
              for t in fig.texts if t.get_visible() and t.get_text().strip()]
    parts += [("figure legend", lg.get_window_extent(renderer)) for lg in fig.legends]
    return [f"{what} at {tuple(round(v) for v in b.bounds)}" for what, b in parts
            if b is not None and (b.x0 < box.x0 - 1 or b.y0 < box.y0 - 1
                                  or b.x1 > box.x1 + 1 or b.y1 > box.y1 + 1)]


def test_no_text_leaves_any_figure(dirs, batches, tmp_path):
    """Titles, labels, ticks, legends, footers: nothing is clipped, for every figure kind
    (the static ones of wargame plot, those of wargame explain, a frame of the animation)."""
    import dataclasses

    import pandas as pd

    from sim.analysis import discover, explain_batches
    from sim.viz import explain_figures

    expl = explain_batches(dirs, class_day=10)
    figs = P.figures(batches, "all") + explain_figures(expl)
    figs.append(("fan_territory of one batch (wargame run)", P.fig_fan(batches[:1])))
    # the discovery plot of one option (the narrowest: its title was cut), on a planted rule
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 200), "b": rng.uniform(0, 10, 200)})
    y = ((X["a"] > 0.6) & (X["b"] < 4.0)).to_numpy()
    one = dataclasses.replace(expl.options[0], boxes=discover(X, y), features=X, outcome=y)
    ((stem, fig),) = explain_figures(dataclasses.replace(expl, options=[one]))[1:]
    figs.append((f"{stem} of one option", fig))
    figs.append(("animation frame", P.animation_gif(batches[0], tmp_path / "a.gif", step=10)))
    assert len(figs) >= 10  # fan x2, losses, outcomes, survival, two maps, explain x2, frame
    for stem, fig in figs:
        assert not _texts_outside(fig), f"{stem}: {_texts_outside(fig)}"
        plt.close(fig)


def test_discovery_panels_name_their_own_class(dirs):
    """explain_batch classes each option on day D or, where day D leaves one class under 5 %,
    on the last day, so one figure can mix two classes: each panel's title names its own
    (the shared legend used to name the last panel's class for every panel)."""
    import dataclasses

    import pandas as pd

    from sim.analysis import discover, explain_batches
    from sim.viz import explain_figures

    expl = explain_batches(dirs, class_day=10)
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 200), "b": rng.uniform(0, 10, 200)})
    y = ((X["a"] > 0.6) & (X["b"] < 4.0)).to_numpy()
    opts = [dataclasses.replace(expl.options[0], label=lab, target=target,
                                boxes=discover(X, y), features=X, outcome=y)
            for lab, target in (("early", "Kursk cleared by day 60"),
                                ("late", "Kursk cleared by day 120"))]
    ((_, fig),) = explain_figures(dataclasses.replace(expl, options=opts))[1:]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("early: Kursk cleared by day 60\n")
    assert titles[1].startswith("late: Kursk cleared by day 120\n")
    legend = " ".join(t.get_text() for ax in fig.axes if ax.get_legend()
                      for t in ax.get_legend().get_texts())
    assert "by day" not in legend
    plt.close(fig)


def test_discovery_titles_round_shares_half_up(dirs):
    """A panel's coverage and density print like every other share: 25 of 200 runs (12.5 %)
    as 13 %, 29 of 200 (14.5 %) as 15 % (Python's format would print 12 % and 14 %)."""
    import dataclasses

    import pandas as pd

    from sim.analysis import Box, explain_batches
    from sim.viz import explain_figures

    expl = explain_batches(dirs, class_day=10)
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.uniform(0, 1, 200), "b": rng.uniform(0, 10, 200)})
    box = Box(["a > 0.6", "b <= 4"], coverage=25 / 200, density=29 / 200, n=29,
              limits={"a": (0.6, np.inf), "b": (-np.inf, 4.0)})
    opt = dataclasses.replace(expl.options[0], label="one", target="Kursk cleared by day 60",
                              boxes=[box], features=X, outcome=np.arange(200) < 25)
    ((_, fig),) = explain_figures(dataclasses.replace(expl, options=[opt]))[1:]
    assert fig.axes[0].get_title() == ("one: Kursk cleared by day 60\n"
                                       "coverage 13 %, density 15 %")
    plt.close(fig)


def test_a_hindcast_fan_chart_counts_donetsk_gains_from_its_own_start(hindcast_dir):
    """The Donetsk axis names the batch's start date (it said "since 5 Jan" for the 2024
    hindcast too, which starts on 6 Aug 2024)."""
    fig = P.fig_fan(P.load_batches([hindcast_dir]))
    assert fig.axes[2].get_ylabel().endswith("gained by Russia since 6 Aug 2024")
    plt.close(fig)


def test_no_text_leaves_the_fit_and_backtest_figures(hindcast_dir):
    """The figures not drawn from option batches: ``plot --kind history`` (also the fit
    report's history.png), the fit report's pairwise.png and the backtest's fan.png (drawn
    here from the shipped validation/backtest/)."""
    import json

    import pandas as pd
    from conftest import REPO

    from sim.analysis import OBSERVATIONS, load_observations
    from sim.scenario import load_scenario
    from sim.viz import fig_backtest, fig_history, fig_pairwise

    hindcast = load_scenario(SCENARIOS / "hindcast_2024.yaml")
    bt = REPO / "validation" / "backtest"
    manifest = json.loads((bt / "manifest.json").read_text(encoding="utf-8"))
    particles = pd.read_csv(bt / "particles_2024-09-30.csv")
    prior = {p: (hindcast.calibration[p].low, hindcast.calibration[p].high)
             for p in manifest["params"]}
    figs = [("history", fig_history(hindcast_dir, OBSERVATIONS)),
            ("pairwise", fig_pairwise(particles, manifest["params"], prior)),
            ("backtest fan", fig_backtest(pd.read_parquet(bt / "forecasts.parquet"),
                                          load_observations(OBSERVATIONS),
                                          manifest["origins"], manifest["end"]))]
    for stem, fig in figs:
        assert not _texts_outside(fig), f"{stem}: {_texts_outside(fig)}"
        plt.close(fig)


def test_history_figure_compares_donetsk_gains_with_gains_only(hindcast_dir):
    """The history figure's Donetsk panel (km²/month) holds the record's monthly gains only:
    the monthly Russian casualty counts, also monthly targets, once came out as a sixth box
    ("Nov 2024" twice) at 35,000 "km²/month", which flattened the five real ones to the axis."""
    from sim.analysis import OBSERVATIONS, load_observations
    from sim.viz import fig_history

    gains = [o for o in load_observations(OBSERVATIONS)
             if o.front == "donetsk" and o.quantity == "ru_gain_month"
             and dt.date(2024, 8, 31) <= o.date <= dt.date(2024, 12, 31)]
    fig = fig_history(hindcast_dir, OBSERVATIONS)
    (donetsk,) = [ax for ax in fig.axes if ax.get_ylabel() == "km²/month"]
    months = [t.get_text() for t in donetsk.get_xticklabels()]
    assert sorted(months) == sorted(f"{o.date:%b %Y}" for o in gains)  # each month once
    assert donetsk.get_ylim()[1] < 2 * max(o.high for o in gains)
    plt.close(fig)


def test_no_text_leaves_the_sensitivity_figures():
    """``wargame sensitivity``'s three figure kinds (index bars, the outcome against each
    parameter, the heatmap of the top two), on a design with the longest parameter paths the
    scenarios have, five indices and a day-suffixed outcome name."""
    import pandas as pd

    from sim.viz import heatmap, index_bars, outcome_vs_parameters

    names = ["policy.ru.reinforce_kursk.trigger_ua_area_km2", "combat.max_troops_per_km",
             "policy.ua.graded_defence.interdiction_steps.0"]
    outcome = "donetsk_ru_gain_km2@120"
    rng = np.random.default_rng(2)
    points = pd.DataFrame({n: rng.uniform(0, 3000, 16) for n in names}).rename_axis("point")
    outcomes = points.loc[points.index.repeat(4)].reset_index()
    outcomes[outcome] = outcomes[names[0]] * 0.5 + rng.normal(0, 300, len(outcomes))
    indices = ("S1", "ST", "mu_star", "spearman", "PRCC")
    table = pd.DataFrame([{"outcome": outcome, "parameter": n, "index": i, "value": v,
                           "low": v - 0.1, "high": v + 0.1}
                          for n in names
                          for i, v in zip(indices, rng.uniform(-1, 1, 5), strict=True)])
    figs = [("indices", index_bars(table, outcome)),
            ("vs_parameters", outcome_vs_parameters(outcomes, names, outcome)),
            ("heatmap", heatmap(outcomes, names[0], names[2], outcome))]
    for stem, fig in figs:
        assert not _texts_outside(fig), f"{stem}: {_texts_outside(fig)}"
        plt.close(fig)


def test_event_curves_take_titles_from_the_registry_and_day_0_from_the_batch(dirs):
    """The P(event by day D) panels are titled by ``EVENT_OUTCOMES`` (no second list of
    labels) and their day axis names the batches' start date, not a literal."""
    import dataclasses
    import datetime as dt

    from sim.analysis import explain_batches
    from sim.runner import EVENT_OUTCOMES, load_results
    from sim.viz import explain_figures

    expl = explain_batches(dirs, class_day=10)
    assert expl.start_date == load_results(dirs[0]).start_date
    hindcast = dataclasses.replace(expl, start_date=dt.date(2024, 8, 6))
    ((_, fig), *_) = explain_figures(hindcast)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert [t.lower() for t in titles] == [EVENT_OUTCOMES[e].lower()
                                           for e in expl.options[0].curves.columns]
    assert {ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()} == {
        "day since 6 August 2024"}
    plt.close(fig)


def test_map_legend_dates_the_start_line_by_the_batch(batches):
    """The start line drawn is the scenario's, on its start date: a hindcast batch (day 0 on
    6 Aug 2024) must not be labelled with the options' 5 Jan 2025."""
    import datetime as dt

    fig = P.fig_map(batches, "kursk", 10)
    labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert "start line (5 Jan 2025)" in labels and batches[0].start == dt.date(2025, 1, 5)
    plt.close(fig)
    assert P.map_legend_handles(dt.date(2024, 8, 6))[0].get_label() == "start line (6 Aug 2024)"
