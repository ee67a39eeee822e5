"""Figures of batch results (headless matplotlib, Agg): PNG and SVG.

Every ``fig_*`` function takes a list of :class:`Batch` (see :func:`load_batches`) and returns a
matplotlib ``Figure`` (tests inspect it); :func:`make_plots` writes the files. Options are named
as their scenario files (``reinforce.yaml``), drawn in the Okabe–Ito colour-blind-safe palette,
and every figure carries a source line: model output, N runs, master seed, scenario hash.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
# every text drawn is the user's (scenario and place names) or ours, never TeX: a '$' in a
# name must print as '$', not start a formula that fails to parse
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.patheffects import withStroke  # noqa: E402

from sim.analysis import MIN_MODE_SHARE, history_data, horizon, read_table  # noqa: E402
from sim.runner import (  # noqa: E402
    DAILY_OUTCOMES,
    Results,
    atomic_write_bytes,
    columns_needed,
    compute_outcome,
    fmt_percent,
    load_results,
    percent,
)
from sim.viz.canvas import close, subplots  # noqa: E402

#: Okabe & Ito (2008) colour-blind-safe palette, most distinct colours first.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442")
KINDS = ("fan", "losses", "outcomes", "survival", "map", "animation", "history")
#: Kinds drawn only when asked by name (not by ``all``): one run / a hindcast batch only.
NOT_IN_ALL = ("animation", "history")
FRONTS = {"kursk": "Kursk", "donetsk": "Donetsk"}
DPI = 110


#: characters per line of an option's name in a figure (a bold column title of the fan chart
#: fits ~24 in its ~2.5 in)
LABEL_CHARS = 24


def wrap_label(name: str) -> str:
    """An option's name as a figure draws it: wrapped to :data:`LABEL_CHARS` a line, at hyphens
    and spaces where it can, so that a long scenario name does not make the constrained layout
    shrink the axes to a sliver."""
    return textwrap.fill(name, LABEL_CHARS)


class PlotError(ValueError):
    """Bad plot request (unknown kind, day or run outside the batch...)."""


@dataclass
class Batch:
    """A batch folder with its display name, colour and lazily read columns."""

    res: Results
    label: str
    color: str
    _cache: dict[Any, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.res.done_runs())

    @property
    def days(self) -> int:
        return horizon(self.res)

    @property
    def start(self) -> dt.date:
        return self.res.start_date

    @property
    def display(self) -> str:
        """The label as a figure draws it (column titles, legend entries): :func:`wrap_label`."""
        return wrap_label(self.label)

    def wide(self, column: str) -> np.ndarray:
        """``column`` of the daily table as an array runs × days (days 0..horizon)."""
        self.prefetch([column])
        return self._cache[("wide", column)]

    def prefetch(self, columns: Sequence[str]) -> None:
        """Read the daily ``columns`` not cached yet in one pass (one Parquet read per batch,
        not one per column) and reshape each to runs × days with numpy: rows are the runs and
        columns the days, both ascending, a missing (run, day) is NaN, as ``DataFrame.pivot``
        gives, at a fraction of its cost."""
        todo = [c for c in dict.fromkeys(columns) if ("wide", c) not in self._cache]
        if not todo:
            return
        df = read_table(self.res, "daily", [*todo, "day"])
        runs, ri = np.unique(df["run"].to_numpy(), return_inverse=True)
        days, di = np.unique(df["day"].to_numpy(), return_inverse=True)
        for c in todo:
            w = np.full((runs.size, days.size), np.nan)
            w[ri, di] = df[c].to_numpy(dtype=float)
            self._cache[("wide", c)] = w

    def wide_sum(self, columns: Sequence[str]) -> np.ndarray:
        self.prefetch(columns)
        return sum(self.wide(c) for c in columns)

    def on_day(self, columns: Sequence[str], day: int) -> pd.DataFrame:
        key = ("day", tuple(columns), day)
        if key not in self._cache:
            self._cache[key] = read_table(self.res, "daily", list(columns), day=day)
        return self._cache[key]

    def runs_col(self, column: str) -> np.ndarray:
        key = ("runs", column)
        if key not in self._cache:
            self._cache[key] = read_table(self.res, "runs", [column])
        df = self._cache[key]
        return df[column].to_numpy(dtype=float) if column in df else np.full(len(df), np.nan)

    def map_path(self, front: str) -> Path:
        return self.res.scenario.map_path(front)

    def front_map(self, front: str):
        return self.res.scenario.front_map(front)

    def dates(self) -> np.ndarray:
        return np.array([np.datetime64(self.start) + np.timedelta64(d, "D")
                         for d in range(self.days + 1)])


def load_batches(dirs: Sequence[Path | str | Results]) -> list[Batch]:
    """Open batch folders and give each option its label (scenario file name) and colour."""
    from sim.analysis import unique_labels

    results = [d if isinstance(d, Results) else load_results(d) for d in dirs]
    if not results:
        raise PlotError("no batch folder given")
    for r in results:
        if not r.done_runs():
            raise PlotError(f"{r.path}: no finished runs")
    labels = unique_labels(results)
    return [Batch(r, lab, PALETTE[i % len(PALETTE)])
            for i, (r, lab) in enumerate(zip(results, labels, strict=True))]


# --------------------------------------------------------------------------- helpers


def source_line(batches: Sequence[Batch]) -> str:
    from sim.analysis import source_line as line

    return line([b.res for b in batches], [b.label for b in batches])


FOOTER_PT = 6.5


def _footer_lines(text: str, width_in: float, pt: float = FOOTER_PT) -> list[str]:
    """``text`` wrapped to the figure width (at most 0.6 em per character of the footer font:
    DejaVu Sans averages about 0.55 on this text; 0.52 let the line run past the edge)."""
    import textwrap

    per_line = max(40, int(width_in * 72 / (pt * 0.6)))
    return textwrap.wrap(text, per_line, break_long_words=False)


def title_lines(title: str, width_in: float, title_pt: float) -> list[str]:
    """``title`` wrapped to 94 % of the figure width, at most 0.62 em per character of bold
    DejaVu Sans (matplotlib's own ``wrap=True`` used the whole width: letters at the edge)."""
    import textwrap

    per_line = max(20, int(0.94 * width_in * 72 / (title_pt * 0.62)))
    return textwrap.wrap(title, per_line, break_long_words=False) or [title]


def _finish(fig: Figure, batches: Sequence[Batch], title: str) -> Figure:
    return finish(fig, title, source_line(batches))


def finish(fig: Figure, title: str, source: str, title_pt: float = 12) -> Figure:
    """Title (wrapped to the figure's width: the discovery plot of one option cut it) and
    source footer (with the calibration status). The constrained layout is confined to the
    area above the footer (its ``rect``), so the footer is never drawn over the x labels;
    legends outside the axes go to the right (an "outside lower" legend would collide with
    the footer)."""
    fig.suptitle("\n".join(title_lines(title, fig.get_size_inches()[0], title_pt)),
                 fontsize=title_pt, fontweight="bold")
    return add_footer(fig, source)


def add_footer(fig: Figure, source: str) -> Figure:
    """The source footer (wrapped to the figure's width) under the figure's constrained
    layout, which keeps clear of it."""
    width, height = fig.get_size_inches()
    lines = _footer_lines(source, width)
    fig.text(0.01, 0.006, "\n".join(lines), fontsize=FOOTER_PT, color="#444444", ha="left",
             va="bottom", linespacing=1.15)
    foot = (len(lines) * FOOTER_PT * 1.3 + 5) / 72 / height  # figure fraction
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        # a 1.5 % left margin: the constrained layout under-reserves the y label of a
        # fixed-aspect map panel (the Donetsk map's "latitude" was cut at the left edge)
        engine.set(rect=(0.015, foot, 0.985, 1 - foot))
    return fig


def _legend_outside(ax, handles: Sequence[Any] | None = None, fontsize: float = 8) -> None:
    """The axes' legend to the right of the plot, where it cannot cover lines or bands (the
    constrained layout makes room for it)."""
    ax.legend(handles=handles, fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0, framealpha=0.9)


class _SameViewLocator(matplotlib.ticker.Locator):
    """A date locator that keeps its ticks while the view limits stay the same.

    One draw asks each axis for its ticks dozens of times (every tick update, layout pass and
    bounding box), and Month/WeekdayLocator evaluate a dateutil rrule each time: a fifth of
    the drawing time of the date-axis figures. The ticks themselves are the wrapped locator's.
    """

    def __init__(self, base: mdates.DateLocator) -> None:
        self.base = base
        self._view: tuple[float, float] | None = None
        self._locs = np.array([])

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self):
        view = tuple(self.axis.get_view_interval())
        if view != self._view:
            self._view, self._locs = view, np.asarray(self.base())
        return self._locs.copy()

    def tick_values(self, vmin, vmax):
        return self.base.tick_values(vmin, vmax)

    def nonsingular(self, v0, v1):
        return self.base.nonsingular(v0, v1)

    def view_limits(self, vmin, vmax):
        return self.base.view_limits(vmin, vmax)


def _date_label(x: float, pos: int | None = None) -> str:
    """A date tick's label: the month ("04 Jan" off the 1st: a view shorter than a month is
    ticked at its ends), and the year under the first tick and January."""
    d = mdates.num2date(x)
    text = f"{d:%b}" if d.day == 1 else f"{d:%d %b}"
    return f"{text}\n{d:%Y}" if pos == 0 or d.month == 1 else text


def _date_axis(ax) -> None:
    locator = _SameViewLocator(mdates.MonthLocator())
    ax.xaxis.set_major_locator(locator)
    # "Feb", "Mar" with the year under the first month and January: "01 Feb\n2025" under
    # every tick ran into its neighbours in a column of the fan chart (matplotlib's
    # ConciseDateFormatter moved the layout by ulps from one figure to the next, and with it
    # the SVG's clip ids)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_date_label))
    ax.xaxis.set_minor_locator(_SameViewLocator(mdates.WeekdayLocator(byweekday=mdates.MO)))
    ax.grid(True, alpha=0.3)


def _fan(ax, b: Batch, values: np.ndarray, *, bands: bool = True, line: bool = True,
         color: str | None = None, lw: float = 1.8, outer: bool = True):
    """Median line plus 50 % and (``outer``) 90 % bands over runs."""
    x = b.dates()[: values.shape[1]]
    # one vectorised call over runs; nanpercentile (a Python loop over days) only if needed
    pct = np.nanpercentile if np.isnan(values).any() else np.percentile
    q = pct(values, [5, 25, 50, 75, 95], axis=0)
    if bands and outer:
        ax.fill_between(x, q[0], q[4], color=b.color, alpha=0.12, lw=0)
    if bands:
        ax.fill_between(x, q[1], q[3], color=b.color, alpha=0.28, lw=0)
    if line:
        ax.plot(x, q[2], color=color or b.color, lw=lw, label=b.display)


def _band_handles(batches: Sequence[Batch], outer: bool = True) -> list[Any]:
    handles: list[Any] = [Line2D([], [], color=b.color, lw=2, label=b.display) for b in batches]
    handles.append(Patch(color="#777777", alpha=0.45, label="50 % of runs"))
    if outer:
        handles.append(Patch(color="#777777", alpha=0.18, label="90 % of runs"))
    return handles


#: Options whose 90 % bands one panel overlays; with more, only their 50 % bands (five
#: options' 90 % bands on one panel were one brown mass).
MAX_OUTER_BANDS = 2


class _ShortNumbers(matplotlib.ticker.Formatter):
    """Axis ticks: 0.5, 950, 12k, 1.5M, with the decimals the tick step needs (92,500 and
    92,000 as 92.5k and 92k, 0.695 and 0.7 as such; one decimal less read as "92k, 92k")."""

    tick_values: tuple[float, ...] = ()

    def set_locs(self, locs: Any) -> None:
        # kept here: Formatter.locs is deprecated since Matplotlib 3.11
        self.tick_values = tuple(float(x) for x in locs)

    def __call__(self, v: float, pos: Any = None) -> str:
        locs = self.tick_values
        step = float(np.min(np.diff(locs))) if len(locs) > 1 else 0.0
        for scale, unit, low in ((1e6, "M", 1e6), (1e3, "k", 1e3)):
            if abs(v) >= low:
                digits = 0 if step <= 0 else max(0, -int(np.floor(np.log10(step / scale)
                                                                  + 1e-9)))
                if unit == "M" or abs(v) < 1e4:
                    digits = max(digits, 1)  # 1.5k, not a second "2k"
                text = f"{v / scale:,.{digits}f}"
                return (text.rstrip("0").rstrip(".") if "." in text else text) + unit
        if step <= 0:  # a single tick
            return f"{v:,.0f}" if abs(v) >= 10 or v == round(v) else f"{v:.2g}"
        # below 1,000 too, the decimals of the step: 0.69, 0.695, 0.7 (".2g" read "0.7, 0.7")
        text = f"{v:,.{max(0, -int(np.floor(np.log10(step) + 1e-9)))}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


def _check_day(batches: Sequence[Batch], day: int | None) -> int:
    last = min(b.days for b in batches)
    if day is None:
        return last
    if not 0 <= day <= last:
        raise PlotError(f"day {day} is outside 0..{last} (the last day common to all batches)")
    return int(day)


def _date_of(batches: Sequence[Batch], day: int) -> str:
    return (batches[0].start + dt.timedelta(days=day)).strftime("%d %b %Y")


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class AreaModes:
    """Per day, the two modes of an area that may fall to 0 (arrays over days)."""

    share_zero: np.ndarray  #: share of the runs at 0 km² (runs without a value not counted)
    #: share of the runs at 0 km² that held ground on an earlier day: the salient lost (the
    #: hindcast starts at 0 km², before the incursion, with nothing yet to lose)
    share_lost: np.ndarray
    two_mode: np.ndarray  #: bool: both modes hold at least ``MIN_MODE_SHARE`` of the runs
    median: np.ndarray  #: median over all runs, km²
    median_above_zero: np.ndarray  #: median over the runs above 0 km² (NaN where none is)


def area_modes(values: np.ndarray, min_share: float = MIN_MODE_SHARE) -> AreaModes:
    """The modes of a runs × days table of areas (km²): the share of runs at 0 on each day (and
    of those that held ground before: lost), whether the day is two-mode (share at 0 ≥
    ``min_share`` and share above 0 ≥ ``min_share``), the median over all runs and the median
    of the runs above 0."""
    import warnings

    v = np.asarray(values, dtype=float)
    valid = ~np.isnan(v)
    n = np.maximum(valid.sum(axis=0), 1)
    share_zero = ((v <= 0) & valid).sum(axis=0) / n
    held = np.maximum.accumulate(np.where(valid, v, 0.0), axis=1) > 0
    share_lost = ((v <= 0) & valid & held).sum(axis=0) / n
    share_above = (v > 0).sum(axis=0) / n
    eps = 1e-12  # 20 of 200 runs is 10 %, not a hair under it
    two = (share_zero >= min_share - eps) & (share_above >= min_share - eps)
    with warnings.catch_warnings():  # a day with no run above 0 has no such median: NaN
        warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
        median = np.nanmedian(v, axis=0)
        above = np.nanmedian(np.where(v > 0, v, np.nan), axis=0)
    return AreaModes(share_zero, share_lost, two, median, above)


def _mode_lines(ax, b: Batch, modes: AreaModes, color: str, lw: float) -> None:
    """The median over all runs (solid) on one-mode days and the median of the runs still
    holding ground (dashed) on two-mode days; the dashed line starts on the day before its
    first two-mode day, so the two join."""
    x = b.dates()[: modes.median.size]
    two = modes.two_mode
    dashed = two | np.r_[two[1:], False]
    ax.plot(x, np.where(two, np.nan, modes.median), color=color, lw=lw, label=b.display)
    if two.any():
        ax.plot(x, np.where(dashed, modes.median_above_zero, np.nan), color=color, lw=lw,
                ls=(0, (3, 1.5)))


def fig_fan(batches: Sequence[Batch]) -> Figure:
    """Territory over time on both fronts as small multiples: one column per option with its
    median and 50 % / 90 % bands, the other options' medians in grey for reference (four
    overlapping bands in one panel could not be told apart). Kursk is drawn by its modes: on a
    two-mode day (:func:`area_modes`) the line is the median of the runs where Ukraine still
    holds ground, and a row below gives the share of runs where the salient is lost."""
    n = len(batches)
    fig, axes = subplots(3, n, figsize=(max(7.5, 3.4 * n + 1.5), 9.0), layout="constrained",
                         sharex=True, sharey="row", squeeze=False,
                         height_ratios=(1.0, 0.42, 1.0))
    kursk = {id(b): area_modes(b.wide("kursk_ua_km2")) for b in batches}
    for j, b in enumerate(batches):
        ax, lost, don = axes[0, j], axes[1, j], axes[2, j]
        # the other options in grey first, this option's bands and lines over them
        for other, c, lw in [(o, "#b0b0b0", 0.9) for o in batches if o is not b] + [
                (b, b.color, 1.8)]:
            m = kursk[id(other)]
            _mode_lines(ax, other, m, c, lw)
            lost.plot(other.dates()[: m.share_lost.size], 100 * m.share_lost, color=c, lw=lw)
            if other is not b:
                _fan(don, other, other.wide("donetsk_ru_gain_km2"), bands=False, color=c, lw=lw)
        _fan(ax, b, b.wide("kursk_ua_km2"), line=False)
        _fan(don, b, b.wide("donetsk_ru_gain_km2"))
        for share in (MIN_MODE_SHARE, 1 - MIN_MODE_SHARE):
            lost.axhline(100 * share, color="#666666", lw=0.7, ls=":")
        ax.set_title(b.display, fontsize=10, color=b.color, fontweight="bold")
        for a in (ax, lost, don):
            a.grid(True, alpha=0.25)
            _date_axis(a)
        don.set_xlabel("date")
    axes[0, 0].set_ylabel("Kursk oblast:\nkm² held by Ukraine")
    axes[1, 0].set_ylabel("Kursk salient lost:\n% of runs at 0 km²", fontsize=9)
    starts = {b.start for b in batches}  # the hindcast starts on 6 Aug 2024, not 5 Jan 2025
    since = f"{min(starts):%-d %b %Y}" if len(starts) == 1 else "each batch's start"
    axes[2, 0].set_ylabel(f"Donetsk front:\nkm² gained by Russia since {since}")
    axes[0, 0].set_ylim(bottom=0)  # after every panel of the shared row is drawn
    axes[1, 0].set_ylim(-3, 103)
    axes[2, 0].set_ylim(bottom=0)
    pct = percent(MIN_MODE_SHARE)
    handles = [*_band_handles(batches),
               Line2D([], [], color="#777777", lw=1.8, ls=(0, (3, 1.5)),
                      label=f"Kursk, two-mode day (≥ {pct} % of runs\nat 0 km² and ≥ {pct} % "
                            "above):\nmedian of the runs above 0"),
               Line2D([], [], color="#666666", lw=0.7, ls=":",
                      label=f"{pct} % and {100 - pct} % of runs lost:\nbetween them two-mode")]
    if n > 1:
        handles.append(Line2D([], [], color="#b0b0b0", lw=0.9, label="other options' medians"))
    # centred: a tall legend in the upper corner ran into the title of a one-option figure
    fig.legend(handles=handles, loc="outside right center", fontsize=8.5, frameon=False)
    return _finish(fig, batches, "Territory: median over runs with 50 % and 90 % bands")


def fig_losses(batches: Sequence[Batch]) -> Figure:
    """Cumulative losses, personnel at the fronts and ammunition in stock, per side."""
    fig, axes = subplots(3, 2, figsize=(13.5, 10), layout="constrained", sharex=True)
    sides = (("ua", "Ukraine"), ("ru", "Russia (incl. DPRK troops)"))
    outer = len(batches) <= MAX_OUTER_BANDS
    for b in batches:  # all 14 columns in one read per batch
        b.prefetch([f"{s}_{c}" for s, _ in sides
                    for c in ("killed", "wounded", "captured", "kursk_personnel",
                              "donetsk_personnel", "transit_personnel", "ammo")])
    for j, (s, name) in enumerate(sides):
        rows = (
            ([f"{s}_killed", f"{s}_wounded", f"{s}_captured"],
             f"{name}: cumulative losses\n(killed + wounded + captured)", "people"),
            ([f"{s}_kursk_personnel", f"{s}_donetsk_personnel", f"{s}_transit_personnel"],
             f"{name}: personnel\n(both fronts and in transit)", "people"),
            ([f"{s}_ammo"], f"{name}: artillery ammunition\nin stock", "rounds"),
        )
        for i, (cols, title, unit) in enumerate(rows):
            ax = axes[i, j]
            for b in batches:
                _fan(ax, b, b.wide_sum(cols), outer=outer)
            ax.set_title(title, fontsize=9.5)
            ax.set_ylabel(unit)
            ax.yaxis.set_major_formatter(_ShortNumbers())
            _date_axis(ax)
            if i == 2:
                ax.set_xlabel("date")
    fig.legend(handles=_band_handles(batches, outer), loc="outside right upper", fontsize=8,
               frameon=False)
    return _finish(fig, batches, "Losses, personnel and ammunition: median with 50 % "
                                 + ("and 90 % bands" if outer else "bands (90 % bands with "
                                    f"up to {MAX_OUTER_BANDS} options)"))


#: The ECDF panels: the daily outcomes that are levels (the ceasefire share has its own
#: survival figure).
ECDF_OUTCOMES = tuple(o for o in DAILY_OUTCOMES if not o.is_share)


def fig_outcomes(batches: Sequence[Batch], day: int | None = None) -> Figure:
    """Empirical CDFs of the headline outcomes on day ``day`` (default the last common day)."""
    day = _check_day(batches, day)
    cols, _ = columns_needed(ECDF_OUTCOMES)
    fig, axes = subplots(2, 4, figsize=(15.5, 6.8), layout="constrained")
    for ax, o in zip(axes.ravel(), ECDF_OUTCOMES, strict=True):
        for b in batches:
            df = b.on_day(cols, day)
            v = np.sort(compute_outcome(o, df, df, day))
            y = np.arange(1, v.size + 1) / v.size
            ax.step(np.r_[v[:1], v], np.r_[0.0, y], where="post", color=b.color, lw=1.6,
                    label=b.display)
        ax.set_title(o.label, fontsize=9.5)
        ax.set_xlabel(o.unit)
        # 400k, 1.5M: full numbers ran together ("400000500000600000") and a "1e6" offset
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(_ShortNumbers())
        ax.set_ylabel("share of runs ≤ x")
        ax.set_ylim(0, 1.02)
        ax.grid(True, alpha=0.3)
    fig.legend(handles=_band_handles(batches)[: len(batches)], loc="outside right upper",
               fontsize=8.5, frameon=False)
    return _finish(fig, batches, f"Outcomes on day {day} ({_date_of(batches, day)}): "
                                 "empirical distribution over runs (ECDF)")


def kaplan_meier(times: np.ndarray, horizon_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Survival curve S(t) = P(no ceasefire by day t) for t = 0..horizon.

    ``times`` holds each run's ceasefire day (``nan``: none by the horizon, i.e. censored at the
    horizon). With one common censoring time the Kaplan–Meier estimate is 1 − ECDF.
    """
    t = np.asarray(times, dtype=float)
    n = t.size
    days = np.arange(horizon_day + 1)
    ev = np.sort(t[np.isfinite(t) & (t <= horizon_day)])
    s = 1.0 - np.searchsorted(ev, days, side="right") / max(n, 1)
    return days, s


def survival_band(times: np.ndarray, horizon_day: int, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier S(t) for t = 0..horizon with its pointwise Greenwood confidence band.

    ``scipy.stats.ecdf`` on ``CensoredData`` (ceasefire days observed, runs without one
    right-censored at the horizon); the band is ``sf.confidence_interval(level)`` (Greenwood's
    variance, linear scale, clipped to [0, 1]). Returns ``(days, S, low, high)``. Where every
    run has had its ceasefire (S = 0) Greenwood's formula divides by zero; there the band is
    the point 0. Without any ceasefire S = 1 and the band is the point 1.
    """
    import warnings

    from scipy import stats

    t = np.asarray(times, dtype=float)
    days = np.arange(horizon_day + 1)
    event = np.isfinite(t) & (t <= horizon_day)
    if not event.any():
        one = np.ones(days.size)
        return days, one, one.copy(), one.copy()
    data = stats.CensoredData(uncensored=t[event],
                              right=np.full(int((~event).sum()), float(horizon_day)))
    sf = stats.ecdf(data).sf
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The confidence interval is undefined",
                                category=RuntimeWarning)
        ci = sf.confidence_interval(level)
    s = sf.evaluate(days)
    lo, hi = ci.low.evaluate(days), ci.high.evaluate(days)
    zero = s <= 0
    lo[zero] = hi[zero] = 0.0
    return days, s, lo, hi


def fig_survival(batches: Sequence[Batch]) -> Figure:
    """Time to ceasefire: share of runs still without a ceasefire, censored at the horizon,
    with the 95 % Greenwood band of the Kaplan–Meier estimate."""
    fig, ax = subplots(figsize=(10.5, 5.4), layout="constrained")
    for b in batches:
        days, s, lo, hi = survival_band(b.runs_col("ceasefire_day"), b.days)
        x = b.dates()[: days.size]
        ax.fill_between(x, lo, hi, step="post", color=b.color, alpha=0.15, lw=0)
        ax.step(x, s, where="post", color=b.color, lw=1.8,
                label=f"{b.display} (ceasefire in {fmt_percent(1 - s[-1])} of runs)")
        ax.plot(x[-1], s[-1], marker="|", color=b.color, ms=12)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("share of runs without a ceasefire")
    ax.set_xlabel("date (| = end of the horizon: runs censored)")
    ax.set_title("Kaplan–Meier estimate with 95 % Greenwood band, censored at the horizon",
                 fontsize=10)
    _date_axis(ax)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Patch(color="#777777", alpha=0.25, label="95 % confidence band"))
    _legend_outside(ax, handles)
    return _finish(fig, batches, "Time to ceasefire")


# --------------------------------------------------------------------------- maps


def line_columns(fm, front: str) -> list[str]:
    return [f"line_{front}_{s}_km" for s in fm.sector_names]


def ua_probability(fm, lines: np.ndarray) -> np.ndarray:
    """Per cell, the share of runs in which Ukraine holds it, from per-run line vectors.

    ``lines`` is runs × sectors. A cell in sector s is Ukrainian when ``depth ≥ line[s]``, so
    the share is the rank of the cell's depth among the sorted run lines of its sector
    (one ``searchsorted`` per sector, no per-run grids). Ukraine proper is always 1.
    """
    lines = np.atleast_2d(np.asarray(lines, dtype=float))
    n = lines.shape[0]
    p = np.zeros(fm.shape)
    for s in range(fm.n_sectors):
        m = fm.sector == s
        p[m] = np.searchsorted(np.sort(lines[:, s]), fm.depth_km[m], side="right") / n
    p[fm.always_ua] = 1.0
    return p


TERRAIN_COLORS = ListedColormap(["#ffffff", "#8c8c8c", "#b8d8b0", "#6fa8dc"])
RIVER = 3  # terrain code (sim.space.TERRAIN_CLASSES)
#: Rivers are drawn over the control layer in a light cyan with a white edge: the plain river
#: blue disappeared against the dark blue of Russian-held ground.
RIVER_COLOR = "#7fdbff"


def _draw_rivers(ax, fm, ext) -> list[Any]:
    """River cells over whatever is drawn below; returns the artists (the animation redraws
    them over each frame's control layer)."""
    river = fm.terrain == RIVER
    if not river.any():
        return []
    im = ax.imshow(np.where(river, 1.0, np.nan), origin="lower", extent=ext,
              cmap=ListedColormap([RIVER_COLOR]), vmin=0, vmax=1, interpolation="nearest",
              zorder=2)
    edge = ax.contour(fm.x_km, fm.y_km, river.astype(float), levels=[0.5], colors="#ffffff",
                      linewidths=0.5, zorder=2)
    return [im, edge]


def _geo_axes(ax, fm, ext, fontsize: float = 7.5) -> None:
    """Longitude/latitude ticks (the map projection is equirectangular about (lat0, lon0), so
    degrees are linear in km) and a 10 km scale bar."""
    x1, _ = fm.latlon_to_xy(fm.lat0, fm.lon0 + 1.0)
    _, y1 = fm.latlon_to_xy(fm.lat0 + 1.0, fm.lon0)
    kx, ky = float(x1), float(y1)  # km per degree of longitude / latitude

    def ticks(lo_km: float, hi_km: float, origin: float, per: float) -> tuple[list, list]:
        a, b = origin + lo_km / per, origin + hi_km / per
        step = 0.2 if b - a > 0.6 else 0.1
        deg = np.arange(np.ceil(a / step) * step, b + 1e-9, step)
        return [float((d - origin) * per) for d in deg], [round(float(d), 1) for d in deg]

    xs, lons = ticks(ext[0], ext[1], fm.lon0, kx)
    ys, lats = ticks(ext[2], ext[3], fm.lat0, ky)
    ax.set_xticks(xs, [f"{v:.1f}°E" for v in lons], fontsize=fontsize)
    ax.set_yticks(ys, [f"{v:.1f}°N" for v in lats], fontsize=fontsize)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    # scale bar in the lower right corner
    w, h = ext[1] - ext[0], ext[3] - ext[2]
    x0, y0 = ext[1] - 0.05 * w - 10, ext[2] + 0.05 * h
    ax.plot([x0, x0 + 10], [y0, y0], color="#000000", lw=3, solid_capstyle="butt", zorder=4)
    ax.plot([x0, x0 + 10], [y0, y0], color="#ffffff", lw=1.2, solid_capstyle="butt", zorder=4)
    ax.text(x0 + 5, y0 + 0.02 * h, "10 km", ha="center", va="bottom", fontsize=fontsize,
            zorder=4, bbox={"boxstyle": "round,pad=0.15", "fc": "#ffffff", "ec": "none",
                            "alpha": 0.8})


#: Where a place's label may go, tried in this order: (dx, dy) points from the place and the
#: text's alignment (right of and above the place first, as labels were drawn before).
LABEL_SPOTS = ((3, 2, "left", "bottom"), (3, -2, "left", "top"), (-3, 2, "right", "bottom"),
               (-3, -2, "right", "top"), (0, 4, "center", "bottom"), (0, -4, "center", "top"),
               (5, 0, "left", "center"), (-5, 0, "right", "center"))
MARKER_HALF_PX = 3.0  # a place's marker, kept clear of other places' labels
LABEL_GAP_PX = 1.5  # kept between two labels (boxes that only touch read as one name)
#: A light halo behind each place's name: black text stays legible on the map's dark
#: (held by Russia) cells and across rivers and lines.
LABEL_HALO = (withStroke(linewidth=2.0, foreground="#ffffff", alpha=0.75),)


def _overlap(a, b) -> float:
    """Area (px²) shared by two display-space boxes."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(ax, texts: Sequence[Any], anchors: Sequence[tuple[float, float]],
                  renderer) -> None:
    """Move each text among :data:`LABEL_SPOTS` around its anchor (data coordinates),
    greedily in order: the first spot whose drawn box stays inside the axes and clear of the
    labels placed so far and of the other places' markers; where none is clear, the spot that
    overlaps least (area in px²)."""
    from matplotlib.transforms import Bbox, ScaledTranslation

    frame = ax.get_window_extent(renderer)
    h = MARKER_HALF_PX
    markers = [Bbox([[x - h, y - h], [x + h, y + h]])
               for x, y in ax.transData.transform(np.asarray(anchors, dtype=float))]

    def put(t, dx: float, dy: float, ha: str, va: str) -> Any:
        t.set_transform(ax.transData + ScaledTranslation(dx / 72, dy / 72,
                                                         ax.figure.dpi_scale_trans))
        t.set_horizontalalignment(ha)
        t.set_verticalalignment(va)
        return t.get_window_extent(renderer).padded(LABEL_GAP_PX)

    placed: list[Any] = []
    for i, t in enumerate(texts):
        best, best_cost = LABEL_SPOTS[0], np.inf
        for spot in LABEL_SPOTS:
            box = put(t, *spot)
            cost = (box.width * box.height - _overlap(box, frame)  # the part past the edge
                    + sum(_overlap(box, o) for o in placed)
                    + sum(_overlap(box, m) for j, m in enumerate(markers) if j != i))
            if cost < best_cost:
                best, best_cost = spot, cost
            if cost == 0:
                break
        placed.append(put(t, *best))


class _LabelPlacer(matplotlib.artist.Artist):
    """Draws nothing: at each draw, before the labels (its zorder is lower), it places them
    for the axes' final size (the constrained layout sizes the axes only when the figure is
    drawn, and a label's size is in points, not km)."""

    def __init__(self, texts: list[Any], anchors: list[tuple[float, float]]) -> None:
        super().__init__()
        self.texts, self.anchors = texts, anchors
        self.set_zorder(-10)
        self.set_in_layout(False)

    def draw(self, renderer) -> None:
        if self.texts:
            _place_labels(self.axes, self.texts, self.anchors, renderer)


def label_places(ax, places: Sequence[Any], fontsize: float, **text_kw: Any) -> list[Any]:
    """A label per place (``x_km``, ``y_km``, ``name``) that, once drawn, sits where it
    overlaps no other label, no other place's marker and not the axes' edge, if one of
    :data:`LABEL_SPOTS` allows; each with :data:`LABEL_HALO`; returns the texts."""
    text_kw = {"path_effects": LABEL_HALO, **text_kw}
    texts = [ax.text(p.x_km, p.y_km, p.name, fontsize=fontsize, **text_kw) for p in places]
    ax.add_artist(_LabelPlacer(texts, [(p.x_km, p.y_km) for p in places]))
    return texts


def _draw_map(ax, fm, prob: np.ndarray, median_line: np.ndarray, *, places: bool = True,
              title: str = "") -> Any:
    ext = (fm.x_km[0] - fm.cell_km / 2, fm.x_km[-1] + fm.cell_km / 2,
           fm.y_km[0] - fm.cell_km / 2, fm.y_km[-1] + fm.cell_km / 2)
    ax.imshow(fm.terrain, origin="lower", extent=ext, cmap=TERRAIN_COLORS, vmin=-0.5,
              vmax=3.5, interpolation="nearest", alpha=0.9)
    shown = np.where(fm.in_area, prob, np.nan)
    im = ax.imshow(shown, origin="lower", extent=ext, cmap="cividis", vmin=0, vmax=1,
                   alpha=0.62, interpolation="nearest")
    if fm.always_ua.any():
        ax.contourf(fm.x_km, fm.y_km, fm.always_ua.astype(float), levels=[0.5, 1.5],
                    colors="none", hatches=["///"])
    start = (fm.control(fm.zero_line()) & fm.in_area).astype(float)
    med = (fm.control(median_line) & fm.in_area).astype(float)
    ax.contour(fm.x_km, fm.y_km, start, levels=[0.5], colors="#000000", linewidths=1.2,
               linestyles="--")
    ax.contour(fm.x_km, fm.y_km, med, levels=[0.5], colors="#D55E00", linewidths=1.8)
    if places and fm.places:
        # one marker artist for all places, and plain texts placed clear of each other
        ax.plot([p.x_km for p in fm.places], [p.y_km for p in fm.places], "o", ms=3,
                color="#000000")
        label_places(ax, [p for p in fm.places
                          if ext[0] <= p.x_km <= ext[1] and ext[2] <= p.y_km <= ext[3]], 6.5)
    _draw_rivers(ax, fm, ext)
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_aspect("equal")
    _geo_axes(ax, fm, ext)
    ax.set_title(title, fontsize=9.5)
    return im


def draw_front_map(ax, fm, prob: np.ndarray, line: np.ndarray, *, places: bool = True,
                   title: str = "") -> Any:
    """Terrain, the cell layer ``prob`` (P(Ukraine holds), or 0/1 for one run's state), the
    start line, ``line`` (one line vector per sector) and named places on ``ax``: the map the
    CLI draws, for the app's live maps."""
    return _draw_map(ax, fm, prob, line, places=places, title=title)


def map_legend_handles(start: dt.date) -> list[Any]:
    """The map's legend; ``start``: the batch's day 0, the date of the start line drawn."""
    return [Line2D([], [], color="#000000", ls="--", lw=1.2,
                   label=f"start line ({start:%-d %b %Y})"),
            Line2D([], [], color="#D55E00", lw=1.8, label="median line on the day shown"),
            Line2D([], [], color="#000000", marker="o", ls="", ms=3, label="named place"),
            Patch(facecolor="#8c8c8c", label="urban"), Patch(facecolor="#b8d8b0", label="forest"),
            Patch(facecolor=RIVER_COLOR, edgecolor="#ffffff", label="river"),
            Patch(facecolor="none", hatch="///", label="Ukraine proper (not counted)")]


def map_data(b: Batch, front: str, day: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """(FrontMap, P(Ukraine holds cell) on ``day``, median line vector) for one batch."""
    fm = b.front_map(front)
    cols = line_columns(fm, front)
    lines = b.on_day(cols, day)[cols].to_numpy(dtype=float)
    return fm, ua_probability(fm, lines), np.median(lines, axis=0)


def fig_map(batches: Sequence[Batch], front: str, day: int | None = None) -> Figure:
    """One panel per option: P(Ukraine holds the cell) on ``day``, start and median lines."""
    if front not in FRONTS:
        raise PlotError(f"unknown front {front!r}; expected one of {', '.join(FRONTS)}")
    day = _check_day(batches, day)
    n = len(batches)
    ncol = min(n, 2)
    nrow = (n + ncol - 1) // ncol
    fig, axes = subplots(nrow, ncol, figsize=(6.2 * ncol, 4.9 * nrow + 0.8),
                             layout="constrained", squeeze=False)
    im = None
    for ax, b in zip(axes.ravel(), batches, strict=False):
        fm, prob, med = map_data(b, front, day)
        im = _draw_map(ax, fm, prob, med, title=f"{b.display} ({b.n} runs)")
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    cb = fig.colorbar(im, ax=axes, shrink=0.5, location="right", anchor=(0.0, 0.0))
    cb.set_label("probability that Ukraine holds the cell")
    fig.legend(handles=map_legend_handles(batches[0].start), loc="outside right upper", fontsize=8,
               frameon=False)
    return _finish(fig, batches, f"{FRONTS[front]} front on day {day} "
                                 f"({_date_of(batches, day)}): who holds the ground")


def animation_gif(b: Batch, path: Path, run: int = 0, step: int = 1, fps: int = 8,
                  dpi: int = 80) -> Figure:
    """Animated GIF of one run's line of contact on both fronts, day by day.

    The static parts (terrain, axes, legend) are drawn once; each frame restores that
    background and redraws only the changing artists (Agg blitting), and Pillow writes the GIF
    with one palette for all frames. Returns the figure showing the last frame.
    """
    from PIL import Image

    runs = b.res.done_runs()
    if run not in runs:
        raise PlotError(f"run {run} is not a finished run of {b.res.path} (0..{max(runs)})")
    maps = {f: b.front_map(f) for f in FRONTS}
    cols = [c for f, fm in maps.items() for c in line_columns(fm, f)]
    df = read_table(b.res, "daily", [*cols, "day", "kursk_ua_km2", "donetsk_ru_gain_km2"])
    rows = df[df["run"] == run].sort_values("day").iloc[::step]
    # 1040×560 pixels at 80 dpi; fonts sized for that frame (at 720×352 they were unreadable)
    fig, axes = subplots(1, 2, figsize=(13, 7), dpi=dpi)
    # the source line wrapped to the frame's width (one line ran past the right edge), the
    # legend above it and the maps above the legend
    foot_pt = 8
    foot = _footer_lines(f"{source_line([b])} Run {run}.", 13, foot_pt)
    foot_h = (len(foot) * foot_pt * 1.3 + 4) / 72 / 7  # figure fraction
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.14 + foot_h, wspace=0.22)
    ims, titles, dynamic = {}, {}, []
    for ax, (f, fm) in zip(axes, maps.items(), strict=True):
        ext = (fm.x_km[0] - fm.cell_km / 2, fm.x_km[-1] + fm.cell_km / 2,
               fm.y_km[0] - fm.cell_km / 2, fm.y_km[-1] + fm.cell_km / 2)
        ax.imshow(fm.terrain, origin="lower", extent=ext, cmap=TERRAIN_COLORS, vmin=-0.5,
                  vmax=3.5, interpolation="nearest")
        ims[f] = ax.imshow(np.zeros(fm.shape), origin="lower", extent=ext, cmap="cividis",
                           vmin=0, vmax=1, alpha=0.55, interpolation="nearest", animated=True)
        cs = ax.contour(fm.x_km, fm.y_km, fm.control(fm.zero_line()).astype(float),
                        levels=[0.5], colors="#000000", linewidths=1.0, linestyles="--")
        (pts,) = ax.plot([p.x_km for p in fm.places], [p.y_km for p in fm.places], "o", ms=2.5,
                         color="#000000")
        rivers = _draw_rivers(ax, fm, ext)
        texts = label_places(ax, fm.places, 8.5)  # placed at the first (full) draw
        ax.set_aspect("equal")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        _geo_axes(ax, fm, ext, fontsize=9)
        titles[f] = ax.set_title("", fontsize=12)
        dynamic += [ims[f], *rivers, cs, pts, *texts, titles[f]]
    cividis = matplotlib.colormaps["cividis"]
    fig.legend(handles=[Patch(facecolor=cividis(1.0), label="held by Ukraine"),
                        Patch(facecolor=cividis(0.0), label="held by Russia"),
                        Line2D([], [], color="k", ls="--",
                               label=f"start line ({b.start:%-d %b %Y})")],
               loc="lower center", bbox_to_anchor=(0.5, foot_h + 0.005), ncol=3, fontsize=10.5)
    sup = fig.suptitle("", fontsize=14, fontweight="bold")
    dynamic.append(sup)
    fig.text(0.01, 0.005, "\n".join(foot), fontsize=foot_pt, color="#444444", va="bottom",
             linespacing=1.15)
    for a in dynamic:
        a.set_animated(True)
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)

    def frame(r) -> None:
        for f, fm in maps.items():
            line = np.array([r[c] for c in line_columns(fm, f)], dtype=float)
            ims[f].set_data(np.where(fm.in_area | fm.always_ua, fm.control(line), np.nan))
        titles["kursk"].set_text(f"Kursk: {r['kursk_ua_km2']:,.0f} km² held by Ukraine")
        titles["donetsk"].set_text(f"Donetsk: {r['donetsk_ru_gain_km2']:,.0f} km² gained "
                                   "by Russia")
        date = b.start + dt.timedelta(days=int(r["day"]))
        sup.set_text(f"{b.label}, run {run}: line of contact on {date:%d %b %Y} "
                     f"(day {int(r['day'])})")

    images = []
    palette = None
    for r in rows.to_dict("records"):
        frame(r)
        canvas.restore_region(background)
        for a in dynamic:
            fig.draw_artist(a)
        img = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())
        if palette is None:
            palette = img.quantize(colors=128)
        images.append(img.quantize(palette=palette, dither=Image.Dither.NONE))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], loop=0,
                   duration=int(1000 / fps), optimize=False)
    for a in dynamic:  # the returned figure draws normally (last frame)
        a.set_animated(False)
    fig.n_frames = len(images)  # type: ignore[attr-defined]
    return fig


# --------------------------------------------------------------------------- files


_CLIP_ID = re.compile(rb'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def _numbered_clip_ids(svg: bytes) -> bytes:
    """``svg`` with its clip paths named ``clip1``, ``clip2``, ... in order of first use.

    matplotlib names a clip path by a hash of its box's coordinates at full precision, and the
    constrained layout moves them by ulps from one figure to the next in a process (the
    printed coordinates stay the same), so the same figure drawn twice got other ids."""
    ids: dict[bytes, bytes] = {}
    return _CLIP_ID.sub(lambda m: ids.setdefault(m[0], b"clip%d" % (len(ids) + 1)), svg)


def save(fig: Figure, out: Path, stem: str, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``out/<stem>.<fmt>``; :class:`PlotError` names a file that cannot be
    written (read-only, disk full)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlotError(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
    paths = []
    engine = fig.get_layout_engine()
    try:
        for fmt in formats:
            p = out / f"{stem}.{fmt}"
            buf = io.BytesIO()
            # an SVG's element ids are random unless salted: salted by the file's name, the
            # same figure gives the same bytes (and checksum) in every run
            with matplotlib.rc_context({"svg.hashsalt": stem}):
                fig.savefig(buf, format=fmt, dpi=DPI,
                            metadata={"Date": None} if fmt == "svg" else None)
            data = _numbered_clip_ids(buf.getvalue()) if fmt == "svg" else buf.getvalue()
            try:  # whole or not at all; a link planted at p is replaced, not written through
                atomic_write_bytes(p, data)
            except OSError as exc:
                raise PlotError(f"{p}: cannot write: {exc.strerror or exc}") from None
            paths.append(p)
            if engine is not None:
                # The first file settles the (constrained) layout; the other formats reuse it
                # rather than solve it again, which costs about a third of each draw.
                fig.set_layout_engine("none")
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    return paths


def figures(batches: Sequence[Batch], kind: str = "all", day: int | None = None
            ) -> list[tuple[str, Figure]]:
    """(file stem, Figure) for every static figure of ``kind`` (no animation)."""
    kinds = tuple(k for k in KINDS if k not in NOT_IN_ALL) if kind == "all" else (kind,)
    out: list[tuple[str, Figure]] = []
    for k in kinds:
        if k == "fan":
            out.append(("fan_territory", fig_fan(batches)))
        elif k == "losses":
            out.append(("losses_personnel_ammo", fig_losses(batches)))
        elif k == "outcomes":
            out.append(("outcomes", fig_outcomes(batches, day)))
        elif k == "survival":
            out.append(("ceasefire_survival", fig_survival(batches)))
        elif k == "map":
            for f in FRONTS:
                out.append((f"map_{f}", fig_map(batches, f, day)))
        elif k == "history":
            # the hindcast fit figure: Kursk fan with the observed points, monthly Donetsk
            # gains against the record, error table; first batch only
            from sim.analysis import OBSERVATIONS

            out.append(("history", fig_history(batches[0].res.path, OBSERVATIONS)))
        elif k != "animation":
            raise PlotError(f"unknown kind {k!r}; expected one of {', '.join(KINDS)}, all")
    return out


def _write_kind(batches: Sequence[Batch], kind: str, day: int | None, out: Path,
                formats: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for stem, fig in figures(batches, kind, day):
        paths += save(fig, out, stem, formats)
        close(fig)
    return paths


def make_plots(dirs: Sequence[Path | str | Results], kind: str = "all", day: int | None = None,
               run: int = 0, out: Path | str = "figures",
               formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write the figures of ``kind`` for the batches in ``dirs`` to ``out``; returns the files.

    ``animation`` writes ``animation_<option>_run<R>.gif`` for the first batch only; it is
    one run, not a batch summary, and takes ~10 s, so ``all`` means the batch figures only.
    """
    if kind != "all" and kind not in KINDS:
        raise PlotError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}, all")
    batches = load_batches(dirs)
    _check_day(batches, day)
    out = Path(out)
    paths: list[Path] = []
    kinds = [k for k in KINDS if k not in NOT_IN_ALL] if kind == "all" else [kind]
    for k in kinds:
        paths += _write_kind(batches, k, day, out, formats)
    if kind == "animation":
        b = batches[0]
        p = out / f"animation_{b.res.name}_run{run}.gif"
        fig = animation_gif(b, p, run=run)
        close(fig)
        paths.append(p)
    return paths


def fig_history(results_dir: str | Path, observations: str | Path):
    """Fit figure: simulated Kursk area as a fan with the observed points and their ranges;
    monthly Donetsk gains, simulated against observed; a table of errors; the batch's source
    and calibration line (the ``history`` kind; also in the calibration report)."""
    import matplotlib.pyplot as plt

    daily, targets, sims = history_data(results_dir, observations)
    # constrained (not tight) layout: finish() keeps the source footer clear of the table
    fig = plt.figure(figsize=(12, 8.5), layout="constrained")
    gs = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    ax = fig.add_subplot(gs[0, 0])
    wide = daily.pivot(index="date", columns="run", values="kursk_ua_km2")
    x = pd.to_datetime(wide.index)
    q = np.nanquantile(wide.to_numpy(), [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
    ax.fill_between(x, q[0], q[4], color="#0072B2", alpha=0.15, label="5–95 %")
    ax.fill_between(x, q[1], q[3], color="#0072B2", alpha=0.3, label="25–75 %")
    ax.plot(x, q[2], color="#0072B2", label="simulated median")
    kt = [t for t in targets if t.kind == "area"]
    start = pd.Timestamp(daily["date"].min())
    for t in kt:
        d = start + pd.Timedelta(days=t.day1)
        ax.errorbar([d], [t.value], yerr=[[t.value - t.low], [t.high - t.value]], fmt="o",
                    color="#D55E00", capsize=4)
    ax.plot([], [], "o", color="#D55E00", label="observed [range]")
    ax.set_title("Kursk: Ukrainian-held area")
    ax.set_ylabel("km²")
    ax.legend(loc="upper right", fontsize=8)
    ax.tick_params(axis="x", labelrotation=30)
    ax2 = fig.add_subplot(gs[0, 1])
    # the monthly gains only: the record's monthly casualty counts are month_gain targets too
    mt = [(j, t) for j, t in enumerate(targets) if t.column == "donetsk_ru_gain_km2"]
    mt.sort(key=lambda jt: jt[1].day0)
    pos = np.arange(len(mt))
    if mt:
        sim_m = sims[:, [j for j, _ in mt]]
        ax2.boxplot(sim_m, positions=pos, widths=0.5, showfliers=False)
        obs = np.array([t.value for _, t in mt])
        lo = np.array([t.low for _, t in mt])
        hi = np.array([t.high for _, t in mt])
        ax2.errorbar(pos + 0.3, obs, yerr=[obs - lo, hi - obs], fmt="o", color="#D55E00",
                     capsize=4, label="observed (Donetsk share) [range]")
        ax2.fill_between(pos, obs * 0.65, obs * 1.35, color="#D55E00", alpha=0.08,
                         label="±35 %")
        ax2.set_xticks(pos, [t.label.split()[-2] + " " + t.label.split()[-1] for _, t in mt])
    # two lines: on one, the title ran to the figure's right edge
    ax2.set_title("Donetsk: Russian gain per month\n(simulated box, observed dot)")
    ax2.set_ylabel("km²/month")
    ax2.legend(fontsize=8)
    ax3 = fig.add_subplot(gs[1, :])
    ax3.axis("off")
    med = np.median(sims, axis=0)
    rows = []
    for j, t in enumerate(targets):
        rel = (med[j] - t.value) / t.value if t.value else float("nan")
        rows.append([t.label, f"{t.value:,.0f} [{t.low:,.0f}–{t.high:,.0f}]",
                     f"{med[j]:,.0f}", "yes" if t.low <= med[j] <= t.high else "no",
                     f"{rel:+.0%}", "fitted" if t.fitted else "reported"])
    tab = ax3.table(cellText=rows, colLabels=["observation", "observed [range]",
                                              "simulated median", "in range", "error", ""],
                    loc="center", cellLoc="left")
    tab.auto_set_font_size(False)
    tab.set_fontsize(8)
    # each column as wide as its longest text: equal sixths cut "DPRK casualties to 2024-12-23"
    tab.auto_set_column_width(range(len(rows[0])))
    tab.scale(1, 1.15)
    batches = load_batches([results_dir])
    return finish(fig, f"Hindcast fit: {batches[0].label} ({sims.shape[0]} runs)",
                  source_line(batches))
