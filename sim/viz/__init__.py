"""Figures and reports: plots, sensitivity figures, the HTML report, the calibration report."""

from sim.viz.calibration import fig_history
from sim.viz.calibration import write_report as write_calibration_report
from sim.viz.plots import KINDS, NOT_IN_ALL, PlotError, figures, load_batches, make_plots
from sim.viz.report import write_report
from sim.viz.sensitivity_plots import report_section, write_figures

__all__ = [
    "KINDS", "NOT_IN_ALL", "PlotError", "fig_history", "figures", "load_batches", "make_plots",
    "report_section", "write_calibration_report", "write_figures", "write_report",
]
