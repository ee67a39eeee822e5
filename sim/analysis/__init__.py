"""Analysis of batches: statistics, comparisons, experiments and sensitivity, calibration.

Modules: ``causes`` (why outcomes happened: causal chains, outcome classes, discovery),
``comparison``, ``experiments`` (designs and sweeps), ``sensitivity_analysis``,
``observations`` (the dated 2024 record), ``calibration`` (ABC rejection, fit outputs),
``smc`` (ABC-SMC with pyABC), ``uncertainty`` (variance split: parameters vs dice) and
``validation_status`` (the one-line calibration status of every output) and ``backtest``
(rolling-origin fits, forecasts and their scores). Names load their
module on first use (PEP 562), so a command pays only for what it uses (scipy, SALib).
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "BACKTEST_DIR": "validation_status",
    "Backtest": "backtest",
    "BacktestError": "backtest",
    "DEFAULT_ORIGINS": "backtest",
    "run_backtest": "backtest",
    "check_backtest": "backtest",
    "check_origins": "backtest",
    "backtest_clause": "validation_status",
    "format_summary": "backtest",
    "naive_forecasts": "backtest",
    "observations_until": "backtest",
    "write_backtest": "backtest",
    "Calibration": "calibration",
    "CalibrationError": "calibration",
    "CalibrationStatus": "validation_status",
    "CompareError": "comparison",
    "ENVELOPE": "validation_status",
    "UNCALIBRATED": "validation_status",
    "VarianceSplit": "uncertainty",
    "calibration_status": "validation_status",
    "draw_groups": "uncertainty",
    "format_share": "uncertainty",
    "status_line": "validation_status",
    "variance_split": "uncertainty",
    "DEFAULT_GENERATIONS": "smc",
    "DEFAULT_POPULATION": "smc",
    "FitReport": "calibration",
    "SMCCalibration": "smc",
    "calibrate_smc": "smc",
    "write_fit": "calibration",
    "DEFAULT_BUDGET": "calibration",
    "DEFAULT_REPLICATES": "calibration",
    "DESIGNS": "experiments",
    "Box": "causes",
    "Chain": "causes",
    "ExplainError": "causes",
    "Explanation": "causes",
    "OUTCOMES": "causes",
    "discover": "causes",
    "explain_batches": "causes",
    "explain_run": "causes",
    "find_modes": "causes",
    "format_chains": "causes",
    "run_features": "causes",
    "INDEX_LABEL": "sensitivity_analysis",
    "OBSERVATIONS": "calibration",
    "Observation": "observations",
    "ObservationError": "observations",
    "SensitivityResult": "sensitivity_analysis",
    "Sweep": "experiments",
    "analyze_design": "sensitivity_analysis",
    "calibrate": "calibration",
    "check_sweep_dir": "experiments",
    "compare": "comparison",
    "format_fit": "calibration",
    "history_data": "calibration",
    "horizon": "comparison",
    "load_experiment": "experiments",
    "load_observations": "observations",
    "load_sweep": "experiments",
    "make_design": "experiments",
    "option_label": "comparison",
    "parse_outcome": "experiments",
    "prcc": "sensitivity_analysis",
    "ranking": "sensitivity_analysis",
    "read_table": "comparison",
    "Robustness": "regret",
    "robustness": "regret",
    "run_sweep": "experiments",
    "sensitivity": "sensitivity_analysis",
    "sweep_outcomes": "experiments",
    "unique_labels": "comparison",
    "write_sensitivity": "sensitivity_analysis",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = sorted(_WHERE)
