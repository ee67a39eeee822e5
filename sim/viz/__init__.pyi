"""The names this package exports (read by ``lazy_loader.attach_stub``, which loads each
module on first use; editors and type checkers follow these imports)."""

from .backtest_plots import (
    fig_backtest as fig_backtest,
)
from .backtest_plots import (
    write_backtest_figure as write_backtest_figure,
)
from .batches import (
    BatchRun as BatchRun,
)
from .batches import (
    default_folder as default_folder,
)
from .batches import (
    plan_batches as plan_batches,
)
from .batches import (
    run_batches as run_batches,
)
from .calibration import (
    fig_pairwise as fig_pairwise,
)
from .calibration import (
    write_calibration_report as write_calibration_report,
)
from .explain_plots import (
    explain_figures as explain_figures,
)
from .explain_plots import (
    write_explain_figures as write_explain_figures,
)
from .fits import (
    DEFAULT_PARAMS as DEFAULT_PARAMS,
)
from .fits import (
    FitInterrupted as FitInterrupted,
)
from .fits import (
    FitJob as FitJob,
)
from .fits import (
    FitOutcome as FitOutcome,
)
from .fits import (
    FitPlan as FitPlan,
)
from .fits import (
    FitProgress as FitProgress,
)
from .fits import (
    plan_fit as plan_fit,
)
from .fits import (
    run_fit as run_fit,
)
from .plots import (
    KINDS as KINDS,
)
from .plots import (
    NOT_IN_ALL as NOT_IN_ALL,
)
from .plots import (
    PlotError as PlotError,
)
from .plots import (
    draw_front_map as draw_front_map,
)
from .plots import (
    fig_fan as fig_fan,
)
from .plots import (
    fig_history as fig_history,
)
from .plots import (
    fig_losses as fig_losses,
)
from .plots import (
    fig_map as fig_map,
)
from .plots import (
    figures as figures,
)
from .plots import (
    label_places as label_places,
)
from .plots import (
    load_batches as load_batches,
)
from .plots import (
    make_plots as make_plots,
)
from .plots import (
    source_line as source_line,
)
from .plots import (
    ua_probability as ua_probability,
)
from .report import (
    write_report as write_report,
)
from .sensitivity_plots import (
    heatmap as heatmap,
)
from .sensitivity_plots import (
    index_bars as index_bars,
)
from .sensitivity_plots import (
    outcome_vs_parameters as outcome_vs_parameters,
)
from .sensitivity_plots import (
    report_section as report_section,
)
from .sensitivity_plots import (
    write_figures as write_figures,
)
