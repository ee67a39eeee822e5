"""The names this package exports (read by ``lazy_loader.attach_stub``, which loads each
module on first use; editors and type checkers follow these imports)."""

from .backtest import (
    DEFAULT_ORIGINS as DEFAULT_ORIGINS,
)
from .backtest import (
    OBSERVATION_ERROR as OBSERVATION_ERROR,
)
from .backtest import (
    Backtest as Backtest,
)
from .backtest import (
    BacktestError as BacktestError,
)
from .backtest import (
    attempt_seeds as attempt_seeds,
)
from .backtest import (
    check_backtest as check_backtest,
)
from .backtest import (
    check_origins as check_origins,
)
from .backtest import (
    covers as covers,
)
from .backtest import (
    crps as crps,
)
from .backtest import (
    default_params as default_params,
)
from .backtest import (
    format_summary as format_summary,
)
from .backtest import (
    naive_forecasts as naive_forecasts,
)
from .backtest import (
    observations_until as observations_until,
)
from .backtest import (
    prefit_scenario as prefit_scenario,
)
from .backtest import (
    restart_at as restart_at,
)
from .backtest import (
    run_backtest as run_backtest,
)
from .backtest import (
    write_backtest as write_backtest,
)
from .calibration import (
    DEFAULT_ACCEPT as DEFAULT_ACCEPT,
)
from .calibration import (
    DEFAULT_BUDGET as DEFAULT_BUDGET,
)
from .calibration import (
    DEFAULT_REPLICATES as DEFAULT_REPLICATES,
)
from .calibration import (
    OBSERVATIONS as OBSERVATIONS,
)
from .calibration import (
    Calibration as Calibration,
)
from .calibration import (
    CalibrationError as CalibrationError,
)
from .calibration import (
    FitReport as FitReport,
)
from .calibration import (
    Target as Target,
)
from .calibration import (
    build_targets as build_targets,
)
from .calibration import (
    calibrate as calibrate,
)
from .calibration import (
    check_inputs as check_inputs,
)
from .calibration import (
    distance as distance,
)
from .calibration import (
    format_fit as format_fit,
)
from .calibration import (
    history_data as history_data,
)
from .calibration import (
    is_integer_param as is_integer_param,
)
from .calibration import (
    matched as matched,
)
from .calibration import (
    run_candidates as run_candidates,
)
from .calibration import (
    summaries as summaries,
)
from .calibration import (
    write_fit as write_fit,
)
from .calibration import (
    write_overlay as write_overlay,
)
from .causes import (
    MIN_MODE_SHARE as MIN_MODE_SHARE,
)
from .causes import (
    Box as Box,
)
from .causes import (
    Chain as Chain,
)
from .causes import (
    ExplainError as ExplainError,
)
from .causes import (
    Explanation as Explanation,
)
from .causes import (
    check_event_outcome as check_event_outcome,
)
from .causes import (
    discover as discover,
)
from .causes import (
    explain_batches as explain_batches,
)
from .causes import (
    explain_run as explain_run,
)
from .causes import (
    find_modes as find_modes,
)
from .causes import (
    format_chains as format_chains,
)
from .causes import (
    run_features as run_features,
)
from .causes import (
    run_story as run_story,
)
from .comparison import (
    GRID_HEAD as GRID_HEAD,
)
from .comparison import (
    CompareError as CompareError,
)
from .comparison import (
    Comparison as Comparison,
)
from .comparison import (
    compare as compare,
)
from .comparison import (
    date_of as date_of,
)
from .comparison import (
    horizon as horizon,
)
from .comparison import (
    option_label as option_label,
)
from .comparison import (
    read_table as read_table,
)
from .comparison import (
    unique_labels as unique_labels,
)
from .experiments import (
    DESIGNS as DESIGNS,
)
from .experiments import (
    Sweep as Sweep,
)
from .experiments import (
    check_sweep_dir as check_sweep_dir,
)
from .experiments import (
    load_experiment as load_experiment,
)
from .experiments import (
    load_sweep as load_sweep,
)
from .experiments import (
    make_design as make_design,
)
from .experiments import (
    parse_outcome as parse_outcome,
)
from .experiments import (
    run_sweep as run_sweep,
)
from .experiments import (
    sweep_outcomes as sweep_outcomes,
)
from .fitfolder import (
    DB_NAME as DB_NAME,
)
from .fitfolder import (
    FitFolderError as FitFolderError,
)
from .fitfolder import (
    check_fit_paths as check_fit_paths,
)
from .fitfolder import (
    check_output_path as check_output_path,
)
from .fitfolder import (
    fit_lock as fit_lock,
)
from .fitfolder import (
    plan_install as plan_install,
)
from .observations import (
    Observation as Observation,
)
from .observations import (
    ObservationError as ObservationError,
)
from .observations import (
    load_observations as load_observations,
)
from .regret import (
    Robustness as Robustness,
)
from .regret import (
    robustness as robustness,
)
from .sensitivity_analysis import (
    INDEX_LABEL as INDEX_LABEL,
)
from .sensitivity_analysis import (
    SensitivityResult as SensitivityResult,
)
from .sensitivity_analysis import (
    analyze_design as analyze_design,
)
from .sensitivity_analysis import (
    prcc as prcc,
)
from .sensitivity_analysis import (
    ranking as ranking,
)
from .sensitivity_analysis import (
    sensitivity as sensitivity,
)
from .sensitivity_analysis import (
    write_sensitivity as write_sensitivity,
)
from .smc import (
    DEFAULT_GENERATIONS as DEFAULT_GENERATIONS,
)
from .smc import (
    DEFAULT_POPULATION as DEFAULT_POPULATION,
)
from .smc import (
    Nuisance as Nuisance,
)
from .smc import (
    SMCCalibration as SMCCalibration,
)
from .smc import (
    SMCJob as SMCJob,
)
from .smc import (
    calibrate_smc as calibrate_smc,
)
from .smc import (
    check_resume as check_resume,
)
from .smc import (
    check_start as check_start,
)
from .smc import (
    db_problem as db_problem,
)
from .smc import (
    recorded_digests as recorded_digests,
)
from .smc import (
    run_smc as run_smc,
)
from .smc import (
    smc_config as smc_config,
)
from .smc import (
    smc_job as smc_job,
)
from .summary import (
    RunSummary as RunSummary,
)
from .summary import (
    param_shares as param_shares,
)
from .summary import (
    run_summary as run_summary,
)
from .uncertainty import (
    VarianceSplit as VarianceSplit,
)
from .uncertainty import (
    draw_groups as draw_groups,
)
from .uncertainty import (
    variance_split as variance_split,
)
from .validation_status import (
    BACKTEST_DIR as BACKTEST_DIR,
)
from .validation_status import (
    ENVELOPE as ENVELOPE,
)
from .validation_status import (
    UNCALIBRATED as UNCALIBRATED,
)
from .validation_status import (
    CalibrationStatus as CalibrationStatus,
)
from .validation_status import (
    backtest_clause as backtest_clause,
)
from .validation_status import (
    calibration_status as calibration_status,
)
from .validation_status import (
    model_output as model_output,
)
from .validation_status import (
    source_line as source_line,
)
from .validation_status import (
    status_line as status_line,
)
