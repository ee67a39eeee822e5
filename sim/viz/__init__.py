"""Figures and reports: plots, sensitivity figures, the HTML report, the calibration report,
the backtest fan.

Names load their module on first use (PEP 562): matplotlib and the analysis modules take a
second or two to import, and ``wargame run`` needs only the fan chart.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "KINDS": "plots", "NOT_IN_ALL": "plots", "PlotError": "plots", "figures": "plots",
    "load_batches": "plots", "make_plots": "plots", "draw_front_map": "plots",
    "fig_fan": "plots", "fig_losses": "plots", "fig_map": "plots", "ua_probability": "plots",
    "source_line": "plots",
    "fig_history": "calibration", "fig_pairwise": "calibration",
    "write_calibration_report": "calibration",
    "write_report": "report",
    "explain_figures": "explain_plots", "write_explain_figures": "explain_plots",
    "fig_backtest": "backtest_plots", "write_backtest_figure": "backtest_plots",
    "report_section": "sensitivity_plots", "write_figures": "sensitivity_plots",
}
_RENAMED = {"write_calibration_report": "write_report"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(f"{__name__}.{_WHERE[name]}")
    return getattr(module, _RENAMED.get(name, name))


__all__ = sorted(_WHERE)
