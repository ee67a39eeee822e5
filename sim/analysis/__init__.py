"""Analysis of batches: statistics, comparisons, experiments and sensitivity, calibration.

Modules: ``stats`` (intervals and tests), ``compare``, ``experiments`` (designs and sweeps),
``sensitivity``, ``observations`` (the dated 2024 record) and ``calibrate``.
"""

from sim.analysis.calibration import (
    DEFAULT_BUDGET,
    DEFAULT_REPLICATES,
    OBSERVATIONS,
    Calibration,
    CalibrationError,
    calibrate,
    format_fit,
    history_data,
)
from sim.analysis.comparison import (
    CompareError,
    compare,
    horizon,
    option_label,
    read_table,
    unique_labels,
)
from sim.analysis.experiments import (
    DESIGNS,
    Sweep,
    check_sweep_dir,
    load_experiment,
    load_sweep,
    make_design,
    parse_outcome,
    run_sweep,
    sweep_outcomes,
)
from sim.analysis.observations import Observation, ObservationError, load_observations
from sim.analysis.robustness import Robustness, robustness
from sim.analysis.sensitivity_analysis import (
    INDEX_LABEL,
    SensitivityResult,
    analyze_design,
    prcc,
    ranking,
    sensitivity,
    write_sensitivity,
)

__all__ = [
    "DEFAULT_BUDGET", "DEFAULT_REPLICATES", "DESIGNS", "INDEX_LABEL", "OBSERVATIONS",
    "Calibration", "CalibrationError", "CompareError", "Observation", "ObservationError",
    "Robustness", "SensitivityResult", "Sweep", "analyze_design", "calibrate",
    "check_sweep_dir", "compare",
    "format_fit", "history_data", "horizon", "load_experiment", "load_observations",
    "load_sweep", "make_design", "option_label", "parse_outcome", "prcc", "ranking",
    "read_table", "robustness", "run_sweep", "sensitivity", "sweep_outcomes", "unique_labels",
    "write_sensitivity",
]
