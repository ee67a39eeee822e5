"""The backtest figure: each origin's forecast fan against the 2024 record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import Observation, naive_forecasts, observations_until
from sim.viz.canvas import close, subplots

FRONT_LABEL = {"kursk": "Kursk: Ukrainian-held area (km²)",
               "donetsk": "Donetsk: Russian gain per month (km²)"}
QUANTITY = {"kursk": "ua_held_area", "donetsk": "ru_gain_month"}
FAN = "#1f5fa8"


def fig_backtest(forecasts: pd.DataFrame, obs: Sequence[Observation], origins: Sequence[str],
                 end: str) -> Figure:
    """One panel per front (rows) and origin (columns): the forecast's median, 50 % and 90 %
    intervals (bars) at the scored dates, the naive forecasts (dashed) and every observation of the
    quantity with its range (filled: known at the origin; open: scored)."""
    fig, axes = subplots(2, len(origins), figsize=(3.6 * len(origins) + 0.6, 6.4),
                         sharey="row", squeeze=False, layout="constrained")
    last = dt.date.fromisoformat(end)
    for col, origin in enumerate(origins):
        o_date = dt.date.fromisoformat(origin)
        for row, front in enumerate(("kursk", "donetsk")):
            ax = axes[row][col]
            qty = QUANTITY[front]
            record = sorted((o for o in obs if o.front == front and o.quantity == qty),
                            key=lambda o: o.date)
            record = [o for o in record if o.date <= last]
            for o in record:
                known = o.date <= o_date
                ax.errorbar([o.date], [o.value], yerr=[[o.value - o.low], [o.high - o.value]],
                            fmt="o", color="black", mfc="black" if known else "white",
                            ms=4, capsize=2, lw=0.8, zorder=3)
            g = forecasts[(forecasts.origin == origin) & (forecasts.front == front)]
            if not g.empty:
                dates, q = [], []
                for t, gt in g.groupby("target_date", sort=True):
                    dates.append(dt.date.fromisoformat(t))
                    q.append(np.quantile(gt["value"].to_numpy(float), [0.05, 0.25, 0.5, 0.75,
                                                                       0.95]))
                qa = np.array(q).T   # bars: a forecast may have a single scored date
                ax.vlines(dates, qa[0], qa[4], color=FAN, alpha=0.35, lw=7)
                ax.vlines(dates, qa[1], qa[3], color=FAN, alpha=0.7, lw=7)
                ax.plot(dates, qa[2], color=FAN, lw=1.4, marker="_", ms=12)
                known = observations_until(record, o_date)
                for name, style in (("persistence", "--"), ("trend", ":")):
                    ax.plot(dates, [naive_forecasts(known, d)[name] for d in dates],
                            style, color="#b35806", lw=1.2)
            ax.axvline(o_date, color="#777777", lw=0.8)
            ax.set_ylim(bottom=0)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
            if row == 0:
                ax.set_title(f"fitted to {origin}", fontsize=9)
            if col == 0:
                ax.set_ylabel(FRONT_LABEL[front], fontsize=8)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=FAN, lw=1.8, label="model median"),
               Patch(color=FAN, alpha=0.7, label="50 %"), Patch(color=FAN, alpha=0.35,
                                                               label="90 %"),
               Line2D([], [], ls="--", color="#b35806", label="persistence"),
               Line2D([], [], ls=":", color="#b35806", label="trend"),
               Line2D([], [], marker="o", ls="", color="black", label="record (known)"),
               Line2D([], [], marker="o", ls="", color="black", mfc="white",
                      label="record (scored)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=7, fontsize=7, frameon=False)
    fig.suptitle("Backtest: forecasts from each origin against the 2024 record", fontsize=10)
    return fig


def write_backtest_figure(out_dir: str | Path, observations: str | Path | None = None) -> Path:
    """Draw ``out_dir/fan.png`` from a backtest folder's ``forecasts.parquet`` and
    ``manifest.json`` (the record: ``observations``, default the file the manifest names)."""
    import json
    import os

    from sim.analysis import load_observations

    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    obs = load_observations(observations or manifest["observations"])
    fig = fig_backtest(pd.read_parquet(out / "forecasts.parquet"), obs, manifest["origins"],
                       manifest["end"])
    tmp = out / "fan.png.tmp"
    fig.savefig(tmp, format="png", dpi=110)
    close(fig)
    os.replace(tmp, out / "fan.png")
    return out / "fan.png"
