"""Figures of ``wargame explain``: P(event by day D) for the key events, and the scenario
discovery boxes drawn over the runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.runner import EVENT_OUTCOMES, fmt_percent
from sim.viz.plots import PALETTE, finish, save, wrap_label


def fig_event_curves(expl: Any) -> Any:
    """One panel per key event (the columns of the curves, titled by the outcome registry's
    :data:`~sim.runner.EVENT_OUTCOMES`): the share of runs in which it happened by day D, per
    option."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4), sharex=True, sharey=True,
                             layout="constrained")
    for ax, event in zip(axes.flat, expl.options[0].curves.columns, strict=True):
        title = EVENT_OUTCOMES[event][:1].upper() + EVENT_OUTCOMES[event][1:]
        for k, o in enumerate(expl.options):
            c = o.curves[event]
            ax.step(c.index, 100 * c.to_numpy(), where="post", color=PALETTE[k % len(PALETTE)],
                    label=wrap_label(o.label), lw=1.6)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(f"day since {expl.start_date:%-d %B %Y}" if expl.start_date else "day")
    for ax in axes[:, 0]:
        ax.set_ylabel("share of runs (%)")
    axes[0, 1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    return finish(fig, "P(event by day D)", expl.source)


DISCOVERY_COLUMNS = 2  # panels per row of the discovery figure


def fig_discovery(expl: Any) -> Any | None:
    """Per option with a discovery result: the runs on the two features of its best box,
    coloured by class, with the box drawn (None when no option has a box)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    opts = [o for o in expl.options if o.boxes]
    if not opts:
        return None
    # two panels a row: one row of five options was too wide to read at its width
    ncols = min(len(opts), DISCOVERY_COLUMNS)
    nrows = -(-len(opts) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols + 1.6, 4.0 * nrows + 0.6),
                             layout="constrained", squeeze=False)
    for ax in axes.flat[len(opts):]:
        ax.set_visible(False)
    for ax, o in zip(axes.flat, opts, strict=False):
        box = o.boxes[0]
        names = list(box.limits)[:2]
        if len(names) == 1:
            other = [c for c in o.features.columns if c != names[0]
                     and o.features[c].nunique() > 1]
            names.append(other[0] if other else names[0])
        x, y = (o.features[n].to_numpy(float) for n in names)
        cls = o.outcome
        ax.scatter(x[~cls], y[~cls], s=10, color="#999999", alpha=0.7, label="other runs")
        # the class is per option (explain_batch falls back to the horizon where day D leaves
        # one class under 5 %), so it is named in each panel's title, not in the shared legend
        ax.scatter(x[cls], y[cls], s=10, color=PALETTE[1], alpha=0.8,
                   label="runs in the class (panel title)")
        lim = [box.limits.get(n, (-np.inf, np.inf)) for n in names]
        x0, x1 = (max(lim[0][0], np.nanmin(x)), min(lim[0][1], np.nanmax(x)))
        y0, y1 = (max(lim[1][0], np.nanmin(y)), min(lim[1][1], np.nanmax(y)))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=1.8,
                               color=PALETTE[0], label="box"))
        ax.set_xlabel(names[0], fontsize=8)
        ax.set_ylabel(names[1], fontsize=8)
        ax.set_title(f"{wrap_label(o.label)}: {o.target}\ncoverage "
                     f"{fmt_percent(box.coverage)}, density {fmt_percent(box.density)}",
                     fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0, -1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                       borderaxespad=0)
    return finish(fig, "Scenario discovery: which run features separate the outcome classes",
                  expl.source, title_pt=11)


def explain_figures(expl: Any) -> list[tuple[str, Any]]:
    """(file stem, figure) of an :class:`~sim.analysis.Explanation`."""
    out = [("explain_event_curves", fig_event_curves(expl))]
    disc = fig_discovery(expl)
    if disc is not None:
        out.append(("explain_discovery", disc))
    return out


def write_explain_figures(expl: Any, out: Path | str,
                          formats: Sequence[str] = ("png",)) -> list[Path]:
    import matplotlib.pyplot as plt

    paths: list[Path] = []
    for stem, fig in explain_figures(expl):
        paths += save(fig, Path(out), stem, formats)
        plt.close(fig)
    return paths


__all__ = ["explain_figures", "write_explain_figures"]
