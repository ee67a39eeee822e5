"""Running batches: replicate seeds, executors, the batch runner and the results folder format.

Modules: ``seeds``, ``draws`` (posterior parameter draws per replicate), ``executors`` (base,
local, dask), ``batch`` (running a batch, resuming and repairing it), ``outcomes`` (the
outcome registry); the batch folder format in ``folder`` (file names, atomic writes),
``records`` (the typed manifest), ``tables`` (writing and merging the Parquet tables),
``integrity`` (checksums, digests, verifying), ``reading`` (:class:`Results`), ``summary`` (the
summary table); ``provenance``; ``interrupts`` (where a Ctrl-C is raised). Other sub-packages
use the names below.

Names load their module on first use (PEP 562): ``wargame run`` starts its worker processes'
fork server (:func:`start_fork_server`) before this process pays for pyarrow and pandas.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "BatchError": "batch", "BatchJob": "batch", "BatchResult": "batch",
    "ProgressCallback": "batch", "RunInputs": "batch", "check_out_dir": "batch",
    "check_path": "batch", "folder_lock": "batch", "run_batch": "batch",
    "DEFAULT_DICE_PER_DRAW": "draws", "DIGEST_KEY": "draws", "FIT_METADATA_KEY": "draws",
    "FIT_RECORD": "draws", "PARAM_PREFIX": "draws", "DrawError": "draws",
    "ParameterPlan": "draws", "Posterior": "draws", "draw_index": "draws",
    "draw_uniform": "draws",
    "load_posterior": "draws", "make_plan": "draws", "plan_mode": "draws",
    "posterior_file": "draws",
    "posterior_problems": "draws", "recorded_digest": "draws",
    "weighted_quantile": "draws", "write_posterior": "draws",
    "EXECUTORS": "executors", "Executor": "executors", "ExecutorError": "executors",
    "ProcessExecutor": "executors", "SerialExecutor": "executors",
    "default_workers": "executors", "make_executor": "executors",
    "start_fork_server": "executors",
    "BATCH_FILES": "folder", "MAIN": "folder", "MANIFEST": "folder", "PARTS_DIR": "folder",
    "SCENARIO_FILE": "folder", "TABLES": "folder", "NotABatchFolder": "folder",
    "ResultsError": "folder", "atomic_write_bytes": "folder", "atomic_write_table": "folder",
    "atomic_write_text": "folder",
    "folder_name": "folder", "one_line_text": "folder", "part_path": "folder",
    "ctrl_c_held": "interrupts", "install_ctrl_c_handler": "interrupts",
    "raise_ctrl_c_outside_imports": "interrupts",
    "DIGEST_BATCH_ROWS": "integrity", "SMALL_DIGEST_BATCH_ROWS": "integrity",
    "damaged_runs": "integrity", "digest_batch_rows": "integrity", "file_sha256": "integrity",
    "row_hashes": "integrity", "run_digests": "integrity", "verify": "integrity",
    "write_integrity": "integrity",
    "git_commit": "provenance", "now": "provenance", "package_version": "provenance",
    "versions": "provenance",
    "Results": "reading", "load_results": "reading",
    "FORMAT_VERSION": "records", "Manifest": "records", "RunRecord": "records",
    "read_manifest": "records", "write_manifest": "records",
    "DAILY_OUTCOMES": "outcomes", "EVENT_OUTCOMES": "outcomes", "HEADLINE_OUTCOMES": "outcomes",
    "OUTCOME_BY_NAME": "outcomes", "Outcome": "outcomes", "PLACE_PREFIX": "outcomes",
    "RUN_OUTCOMES": "outcomes", "columns_needed": "outcomes", "compute_outcome": "outcomes",
    "place_outcome": "outcomes", "fmt_number": "outcomes", "fmt_percent": "outcomes",
    "percent": "outcomes", "wrap": "outcomes",
    "replicate_seed": "seeds", "replicate_seeds": "seeds",
    "SUMMARY_DAYS": "summary", "summarize": "summary",
    "write_summary_csv": "summary",
    "EVENT_CAUSE_COLUMNS": "tables", "EVENT_SCHEMA": "tables", "complete_events": "tables",
    "concat_parts": "tables",
    "consolidate": "tables", "daily_table": "tables", "events_table": "tables",
    "runs_table": "tables",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = sorted(_WHERE)
