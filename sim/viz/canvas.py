"""Figures without pyplot: a ``Figure`` on an Agg canvas that no global figure manager keeps.

Importing pyplot (its state machine, backend selection) is a third of the cost of the fan chart
``wargame run`` draws, and no figure of this package needs it.
"""

from __future__ import annotations

import sys
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SUBPLOTS_KW = ("sharex", "sharey", "squeeze", "width_ratios", "height_ratios", "subplot_kw",
               "gridspec_kw")


def subplots(*args: Any, **kw: Any) -> tuple[Figure, Any]:
    """As ``matplotlib.pyplot.subplots``, without pyplot."""
    grid = {k: kw.pop(k) for k in SUBPLOTS_KW if k in kw}
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*args, **grid)


def close(fig: Figure) -> None:
    """Release a figure (one from pyplot, e.g. the calibration history, is also dropped from
    pyplot's list of open figures)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close(fig)
