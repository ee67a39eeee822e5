"""Matplotlib figures of one model's state for the app: both front maps (the CLI's map
drawing with groupings, holders and the corridor on top) and the live charts. Figures are
built with ``matplotlib.figure.Figure`` (no pyplot), so server threads do not share state."""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.runner import OUTCOME_BY_NAME, compute_outcome
from sim.viz import draw_front_map, label_places

FRONTS = ("kursk", "donetsk")
POSTURE_COLORS = {"attack": "#d62728", "defend": "#1f77b4", "reserve": "#7f7f7f",
                  "withdrawing": "#ff7f0e"}
SIDE_MARKERS = {0: "s", 1: "o"}  # Russia squares, Ukraine circles
HOLDER = {True: "#0057b7", False: "#c8102e"}  # Ukraine blue, Russia red


@functools.lru_cache(maxsize=8)
def _sector_cells(fm) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per sector: (depth, x, y) of its in-area cells sorted by depth."""
    out = []
    ys, xs = np.meshgrid(fm.y_km, fm.x_km, indexing="ij")
    for s in range(fm.n_sectors):
        m = fm.in_area & (fm.sector == s)
        d = fm.depth_km[m]
        order = np.argsort(d)
        out.append((d[order], xs[m][order], ys[m][order]))
    return out


def _anchor(fm, sector: int, line_km: float) -> tuple[float, float]:
    """A point of the sector on its line of contact (the cell nearest the line's depth)."""
    d, x, y = _sector_cells(fm)[sector]
    if d.size == 0:
        return float(np.mean(fm.x_km)), float(np.mean(fm.y_km))
    k = int(np.clip(np.searchsorted(d, line_km), 0, d.size - 1))
    return float(x[k]), float(y[k])


def _draw_front(ax, model, k: int) -> None:
    front = FRONTS[k]
    fm = model.maps[front]
    line = model.line[model.front_mask[k]]
    held = fm.control(line).astype(float)
    draw_front_map(ax, fm, held, line, places=False,
                   title=f"{front.capitalize()} front, day {model.day}")
    # named places, coloured by holder
    places = [(i, p) for i, (f, p) in enumerate(model.places) if f == front]
    if places:
        ax.scatter([p.x_km for _, p in places], [p.y_km for _, p in places], s=18,
                   c=[HOLDER[bool(model.place_ua[i])] for i, _ in places], edgecolors="white",
                   linewidths=0.6, zorder=5)
        label_places(ax, [p for _, p in places], 7.5, zorder=5)
    # the Sudzha corridor and its interdiction
    if front == "kursk" and model.corridor is not None:
        rows, cols = np.unravel_index(model.corridor.cells, fm.shape)
        ax.plot(fm.x_km[cols], fm.y_km[rows], color="#ffbf00", lw=2.2, zorder=4,
                label=f"Sudzha corridor: interdiction {model.corridor_interdiction:.0%}")
    # groupings: markers sized by strength, coloured by posture, spread around the sector's
    # point on the line
    f = model.forces
    here = np.flatnonzero((f.front == k) & (f.posture != 3) & ~f.pending)
    if here.size:
        gsec = f.gsec[here] - model.sector_offset[k]
        xs, ys = np.empty(here.size), np.empty(here.size)
        for s in np.unique(gsec):
            members = np.flatnonzero(gsec == s)
            x0, y0 = _anchor(fm, int(s), float(line[s]))
            for j, m in enumerate(members):
                side = f.side[here[m]]
                ang = 2 * np.pi * j / max(len(members), 1)
                r = 1.5 + 0.8 * (j % 3)
                xs[m] = x0 + r * np.cos(ang) + (-1.0 if side == 0 else 1.0)
                ys[m] = y0 + r * np.sin(ang)
        for side, marker in SIDE_MARKERS.items():
            sel = f.side[here] == side
            if sel.any():
                idx = here[sel]
                ax.scatter(xs[sel], ys[sel], s=6 + f.personnel[idx] / 150.0, marker=marker,
                           c=[POSTURE_COLORS.get(p, "#000000") for p in
                              (("attack", "defend", "reserve", "transit", "withdrawing")[q]
                               for q in f.posture[idx])],
                           edgecolors="black", linewidths=0.5, alpha=0.85, zorder=6)
    ax.legend(handles=_legend(model, front), loc="upper left", fontsize=7, framealpha=0.8)


def _legend(model, front: str) -> list:
    h = [Line2D([], [], color="#D55E00", lw=1.8, label="line of contact"),
         Line2D([], [], color="black", ls="--", lw=1.2, label="start line")]
    h += [Line2D([], [], marker="o", ls="", color=c, label=p)
          for p, c in POSTURE_COLORS.items()]
    h += [Line2D([], [], marker="s", ls="", mfc="white", color="black", label="Russian grouping"),
          Line2D([], [], marker="o", ls="", mfc="white", color="black",
                 label="Ukrainian grouping")]
    if front == "kursk" and model.corridor is not None:
        h.append(Line2D([], [], color="#ffbf00", lw=2.2,
                        label=f"Sudzha corridor ({model.corridor_interdiction:.0%} interdicted)"))
    return h


def fig_fronts(model) -> Figure:
    """Both fronts as the model stands: who holds each cell, line of contact, places with
    their holder, groupings, the corridor."""
    # 1008 x 605 px at the app's 72 dpi, tall enough that the equal-aspect maps (Donetsk is
    # 1.17 times as tall as wide) fill their halves: each map ~440 px wide at 880 px
    fig = Figure(figsize=(14, 8.4), layout=None)
    axes = fig.subplots(1, 2, gridspec_kw={"left": 0.05, "right": 0.99, "bottom": 0.08,
                                           "top": 0.95, "wspace": 0.14})
    for k, ax in enumerate(axes):
        _draw_front(ax, model, k)
    return fig


CHARTS = (
    # the territory series named as every table and figure names them (the outcome registry)
    ("Territory (km²)", tuple((name, OUTCOME_BY_NAME[name].label)
                              for name in ("kursk_ua_km2", "donetsk_ru_gain_km2"))),
    ("Personnel", (("ru_total", "Russia"), ("ua_total", "Ukraine"))),
    ("Losses (killed, wounded, captured)", (("ru_losses", "Russia"), ("ua_losses", "Ukraine"))),
    ("Ammunition (rounds)", (("ru_ammo", "Russia"), ("ua_ammo", "Ukraine"))),
)


def chart_series(model) -> dict[str, np.ndarray]:
    rec = model.record_columns()
    out = {"day": rec["day"], "kursk_ua_km2": rec["kursk_ua_km2"],
           "donetsk_ru_gain_km2": rec["donetsk_ru_gain_km2"]}
    for s in ("ru", "ua"):
        out[f"{s}_total"] = (rec[f"{s}_kursk_personnel"] + rec[f"{s}_donetsk_personnel"]
                             + rec[f"{s}_transit_personnel"])
        out[f"{s}_losses"] = compute_outcome(OUTCOME_BY_NAME[f"{s}_losses"], rec, {},
                                             model.days)
        out[f"{s}_ammo"] = rec[f"{s}_ammo"]
    return out


def fig_charts(model) -> Figure:
    """Territory, personnel, losses and ammunition so far, day by day."""
    data = chart_series(model)
    fig = Figure(figsize=(11, 4.2), layout=None)
    axes = fig.subplots(1, 4, gridspec_kw={"left": 0.05, "right": 0.99, "bottom": 0.13,
                                           "top": 0.92, "wspace": 0.3})
    for ax, (title, series) in zip(axes, CHARTS, strict=True):
        for col, label in series:
            ax.plot(data["day"], data[col], label=label, lw=1.4)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, model.days)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6.5, loc="upper left")
    return fig


def fig_preview(fan: dict[str, np.ndarray], start_day: int) -> Figure:
    """The preview: median and 5-95 % band of each column over the continuations."""
    fig = Figure(figsize=(9, 3.2), layout=None)
    axes = fig.subplots(1, len(fan), gridspec_kw={"left": 0.08, "right": 0.98, "bottom": 0.15,
                                                  "top": 0.9, "wspace": 0.25})
    for ax, (col, runs) in zip(np.atleast_1d(axes), fan.items(), strict=True):
        days = start_day + np.arange(runs.shape[1])
        lo, med, hi = np.percentile(runs, [5, 50, 95], axis=0)
        ax.fill_between(days, lo, hi, alpha=0.3, label="5-95 %")
        ax.plot(days, med, lw=1.8, label="median")
        title = OUTCOME_BY_NAME[col].heading() if col in OUTCOME_BY_NAME else col
        ax.set_title(f"{title}: {runs.shape[0]} runs", fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.legend(fontsize=7, loc="upper left")
    return fig
