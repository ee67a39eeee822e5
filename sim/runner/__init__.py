"""Running batches: replicate seeds, executors, the batch runner and the results folder format.

Modules: ``seeds``, ``draws`` (posterior parameter draws per replicate), ``executors`` (base,
local, dask), ``batch``, ``results`` (the folder
format, atomic writes, loading), ``provenance``. Other sub-packages use the names below.
"""

import sim.runner.results as results
from sim.runner.batch import (
    BatchError,
    BatchResult,
    ProgressCallback,
    check_out_dir,
    check_path,
    run_batch,
)
from sim.runner.draws import (
    DEFAULT_DICE_PER_DRAW,
    FIT_METADATA_KEY,
    PARAM_PREFIX,
    ParameterPlan,
    Posterior,
    load_posterior,
    make_plan,
    weighted_quantile,
    write_posterior,
)
from sim.runner.executors import (
    EXECUTORS,
    Executor,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    default_workers,
    make_executor,
)
from sim.runner.provenance import git_commit, now, package_version
from sim.runner.results import (
    MAIN,
    NotABatchFolder,
    Results,
    ResultsError,
    atomic_write_table,
    atomic_write_text,
    fmt_number,
    folder_name,
    load_results,
    read_manifest,
    summarize,
    verify,
)
from sim.runner.seeds import replicate_seed, replicate_seeds

__all__ = [
    "DEFAULT_DICE_PER_DRAW", "FIT_METADATA_KEY", "PARAM_PREFIX", "ParameterPlan", "Posterior",
    "load_posterior", "make_plan", "weighted_quantile", "write_posterior",
    "EXECUTORS", "MAIN", "BatchError", "BatchResult", "Executor", "ExecutorError",
    "NotABatchFolder", "ProcessExecutor", "ProgressCallback", "Results", "ResultsError",
    "SerialExecutor", "atomic_write_table", "atomic_write_text", "check_out_dir", "check_path",
    "default_workers", "fmt_number", "folder_name", "git_commit", "load_results",
    "make_executor", "now", "package_version", "read_manifest", "replicate_seed",
    "replicate_seeds", "results", "run_batch", "summarize", "verify",
]
