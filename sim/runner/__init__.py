"""Running batches: replicate seeds, executors, the batch runner and the results folder format.

Modules: ``seeds``, ``draws`` (posterior parameter draws per replicate), ``executors`` (base,
local, dask), ``batch``, ``results`` (the folder
format, atomic writes, loading), ``provenance``. Other sub-packages use the names below.

Names load their module on first use (PEP 562): ``wargame run`` starts its worker processes'
fork server (:func:`start_fork_server`) before this process pays for pyarrow and pandas.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "BatchError": "batch", "BatchResult": "batch", "ProgressCallback": "batch",
    "check_out_dir": "batch", "check_path": "batch", "run_batch": "batch",
    "DEFAULT_DICE_PER_DRAW": "draws", "FIT_METADATA_KEY": "draws", "PARAM_PREFIX": "draws",
    "ParameterPlan": "draws", "Posterior": "draws", "draw_index": "draws",
    "load_posterior": "draws",
    "make_plan": "draws", "weighted_quantile": "draws", "write_posterior": "draws",
    "EXECUTORS": "executors", "Executor": "executors", "ExecutorError": "executors",
    "ProcessExecutor": "executors", "SerialExecutor": "executors",
    "default_workers": "executors", "make_executor": "executors",
    "start_fork_server": "executors",
    "git_commit": "provenance", "now": "provenance", "package_version": "provenance",
    "versions": "provenance",
    "MAIN": "results", "NotABatchFolder": "results", "Results": "results",
    "ResultsError": "results", "atomic_write_table": "results", "atomic_write_text": "results",
    "fmt_number": "results", "folder_name": "results", "load_results": "results",
    "read_manifest": "results", "summarize": "results", "verify": "results",
    "replicate_seed": "seeds", "replicate_seeds": "seeds",
}


def __getattr__(name: str) -> Any:
    if name == "results":
        return import_module(f"{__name__}.results")
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = sorted([*_WHERE, "results"])
