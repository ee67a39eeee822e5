"""Figures of a sensitivity analysis (matplotlib, Agg backend; each function returns a Figure).

* :func:`index_bars` — the indices of one outcome as bars with their 95 % intervals;
* :func:`outcome_vs_parameters` — the outcome against each parameter: every run as a dot,
  the median per design point and the 5–95 % replicate spread;
* :func:`heatmap` — the median of an outcome over a 2-parameter grid (binned for LHS designs);
* :func:`write_figures` — all of them as PNG files under ``<sweep>/sensitivity/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _short(name: str) -> str:
    """A parameter path short enough for an axis label: the last dotted parts that fit in 40
    characters (``…reinforce_kursk.groupings``), never cut inside a part."""
    if len(name) <= 40:
        return name
    parts = name.split(".")
    out = parts[-1]
    for p in reversed(parts[:-1]):
        if len(p) + len(out) + 2 > 40:
            break
        out = f"{p}.{out}"
    return "…" + out


def file_stem(outcome: str) -> str:
    """``kursk_ua_km2@60`` → ``kursk_ua_km2_day60``: a descriptive, file-safe name."""
    import re

    stem = str(outcome).replace("@", "_day")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)


def index_bars(table: pd.DataFrame, outcome: str, indices: list[str] | None = None):
    """Bars of the indices of ``outcome`` per parameter with 95 % intervals."""
    plt = _plt()
    rows = table[table["outcome"] == outcome]
    indices = indices or [i for i in ("S1", "ST", "mu_star", "spearman", "PRCC")
                          if i in set(rows["index"])]
    params = list(dict.fromkeys(rows["parameter"]))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.55 * len(params) * max(1, len(indices))),
                           layout="constrained")
    height = 0.8 / max(1, len(indices))
    y = np.arange(len(params))
    for k, idx in enumerate(indices):
        sel = rows[rows["index"] == idx].set_index("parameter").reindex(params)
        v = sel["value"].to_numpy(float)
        err = np.vstack([v - sel["low"].to_numpy(float), sel["high"].to_numpy(float) - v])
        err = np.where(np.isfinite(err), np.abs(err), 0)
        ax.barh(y + k * height, v, height, xerr=err, label=idx, capsize=3)
    ax.set_yticks(y + height * (len(indices) - 1) / 2, [_short(p) for p in params])
    ax.axvline(0, color="black", lw=0.8)
    ax.invert_yaxis()
    ax.set_title(f"Sensitivity of {outcome}")
    ax.set_xlabel("index (bars: 95 % interval)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    return fig


def outcome_vs_parameters(outcomes: pd.DataFrame, names: list[str], outcome: str):
    """The outcome against each parameter: runs, point medians, 5–95 % replicate range."""
    plt = _plt()
    n = len(names)
    fig, axes = plt.subplots(1, n, figsize=(3.8 * n, 3.8), sharey=True, squeeze=False,
                             layout="constrained")
    g = outcomes.groupby("point")
    med = g[outcome].median()
    lo, hi = g[outcome].quantile(0.05), g[outcome].quantile(0.95)
    for ax, name in zip(axes[0], names, strict=True):
        x_pt = g[name].first()
        ax.scatter(outcomes[name], outcomes[outcome], s=6, alpha=0.25, color="grey",
                   label="runs")
        ax.errorbar(x_pt, med, yerr=[med - lo, hi - med], fmt="o", ms=3, lw=0.8,
                    color="C0", label="point median, 5–95 %")
        ax.set_xlabel(_short(name), fontsize=8)
    axes[0][0].set_ylabel(outcome)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{outcome} against each parameter")
    return fig


def heatmap(outcomes: pd.DataFrame, x: str, y: str, outcome: str, bins: int = 6):
    """Median of ``outcome`` over the (x, y) plane; continuous parameters are binned."""
    plt = _plt()

    def axis(col: str) -> pd.Series:
        values = outcomes[col]
        if values.nunique() <= bins:
            return values.round(6)
        return pd.cut(values, bins=bins).apply(lambda iv: round(iv.mid, 6))

    grid = (outcomes.assign(_x=axis(x), _y=axis(y)).groupby(["_y", "_x"], observed=True)[outcome]
            .median().unstack("_x"))
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    im = ax.imshow(grid.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
    # three significant digits: a bin's middle printed in full (27.6665, 0.497) reads as noise
    ax.set_xticks(range(grid.shape[1]), [f"{v:.3g}" for v in grid.columns], fontsize=7,
                  rotation=45)
    ax.set_yticks(range(grid.shape[0]), [f"{v:.3g}" for v in grid.index], fontsize=7)
    ax.set_xlabel(_short(x))
    ax.set_ylabel(_short(y))
    fig.colorbar(im, ax=ax, label=f"median {outcome}")
    ax.set_title(f"Median {outcome}\n(ticks: a value or a bin's middle; white: no run there)",
                 fontsize=10)
    return fig


def _source(res) -> str | None:
    """The source line of the sweep ``res`` was read from; None for a result that was not
    (e.g. ``analyze_design`` on a design of one's own: no model, no calibration to state)."""
    from sim.analysis import load_sweep

    try:
        return load_sweep(res.path).source()
    except FileNotFoundError:
        return None


def _footer(fig, source: str | None) -> None:
    from sim.viz.plots import add_footer

    if source is not None:
        add_footer(fig, source)


def write_figures(res, out_dir: Path | str | None = None) -> list[Path]:
    """PNG figures of a :class:`sim.sensitivity.SensitivityResult`; returns their paths."""
    plt = _plt()
    source = _source(res)
    folder = Path(out_dir) if out_dir else Path(res.path) / "sensitivity"
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    outcomes = list(dict.fromkeys(res.table["outcome"]))
    ranks = {o: res.table[(res.table["outcome"] == o) & (res.table["index"] == res.main_index)]
             .assign(m=lambda t: t["value"].abs()).sort_values("m", ascending=False)["parameter"]
             .tolist() for o in outcomes}
    for o in outcomes:
        figs = [("indices", index_bars(res.table, o)),
                ("vs_parameters", outcome_vs_parameters(res.outcomes, res.names, o))]
        top = ranks[o][:2]
        if len(top) == 2:
            figs.append(("heatmap", heatmap(res.outcomes, top[0], top[1], o)))
        for kind, fig in figs:
            p = folder / f"{file_stem(o)}_{kind}.png"  # was 00-heatmap.png
            _footer(fig, source)
            fig.savefig(p, dpi=110)
            plt.close(fig)
            paths.append(p)
    return paths


def report_section(res, title: str = "Sensitivity analysis") -> str:
    """A self-contained HTML section (ranking, index table, embedded figures) for a report.

    ``sim/report.py`` (issue 4) can include it for a sweep folder::

        from sim.analysis import sensitivity
        html = report_section(sensitivity("results/sweep-transfer"))
    """
    import base64
    import html
    import io

    plt = _plt()
    source = _source(res)
    parts = [f"<section class='sensitivity'><h2>{html.escape(title)}</h2>",
             f"<p>{html.escape(res.design)} design, {len(res.outcomes)} runs; parameters "
             "ranked by " + html.escape(res.main_index) + " (95 % intervals).</p>"]
    ranks = res.ranking()
    for o in dict.fromkeys(res.table["outcome"]):
        parts.append(f"<h3>{html.escape(str(o))}</h3><ol>")
        parts.extend(f"<li>{html.escape(line.split('. ', 1)[-1])}</li>"
                     for line in ranks.get(str(o), []))
        parts.append("</ol>")
        for fig in (index_bars(res.table, o),
                    outcome_vs_parameters(res.outcomes, res.names, o)):
            _footer(fig, source)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90)
            plt.close(fig)
            data = base64.b64encode(buf.getvalue()).decode()
            parts.append(f"<img alt='{html.escape(str(o))}' src='data:image/png;base64,{data}'>")
    parts.append(res.table.to_html(index=False, float_format=lambda v: f"{v:.3g}",
                                   classes="sensitivity-table"))
    parts.append("</section>")
    return "\n".join(parts)
