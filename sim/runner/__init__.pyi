"""The names this package exports (read by ``lazy_loader.attach_stub``, which loads each
module on first use; editors and type checkers follow these imports)."""

from .batch import (
    BatchError as BatchError,
)
from .batch import (
    BatchJob as BatchJob,
)
from .batch import (
    BatchResult as BatchResult,
)
from .batch import (
    ProgressCallback as ProgressCallback,
)
from .batch import (
    RunInputs as RunInputs,
)
from .batch import (
    check_out_dir as check_out_dir,
)
from .batch import (
    check_path as check_path,
)
from .batch import (
    folder_lock as folder_lock,
)
from .batch import (
    run_batch as run_batch,
)
from .draws import (
    DEFAULT_DICE_PER_DRAW as DEFAULT_DICE_PER_DRAW,
)
from .draws import (
    DIGEST_KEY as DIGEST_KEY,
)
from .draws import (
    FIT_METADATA_KEY as FIT_METADATA_KEY,
)
from .draws import (
    FIT_RECORD as FIT_RECORD,
)
from .draws import (
    PARAM_PREFIX as PARAM_PREFIX,
)
from .draws import (
    DrawError as DrawError,
)
from .draws import (
    ParameterPlan as ParameterPlan,
)
from .draws import (
    Posterior as Posterior,
)
from .draws import (
    draw_index as draw_index,
)
from .draws import (
    draw_uniform as draw_uniform,
)
from .draws import (
    load_posterior as load_posterior,
)
from .draws import (
    make_plan as make_plan,
)
from .draws import (
    plan_mode as plan_mode,
)
from .draws import (
    posterior_file as posterior_file,
)
from .draws import (
    posterior_problems as posterior_problems,
)
from .draws import (
    recorded_digest as recorded_digest,
)
from .draws import (
    weighted_quantile as weighted_quantile,
)
from .draws import (
    write_posterior as write_posterior,
)
from .executors import (
    EXECUTORS as EXECUTORS,
)
from .executors import (
    Executor as Executor,
)
from .executors import (
    ExecutorError as ExecutorError,
)
from .executors import (
    ProcessExecutor as ProcessExecutor,
)
from .executors import (
    SerialExecutor as SerialExecutor,
)
from .executors import (
    default_workers as default_workers,
)
from .executors import (
    make_executor as make_executor,
)
from .executors import (
    start_fork_server as start_fork_server,
)
from .folder import (
    BATCH_FILES as BATCH_FILES,
)
from .folder import (
    MAIN as MAIN,
)
from .folder import (
    MANIFEST as MANIFEST,
)
from .folder import (
    PARTS_DIR as PARTS_DIR,
)
from .folder import (
    SCENARIO_FILE as SCENARIO_FILE,
)
from .folder import (
    TABLES as TABLES,
)
from .folder import (
    NotABatchFolder as NotABatchFolder,
)
from .folder import (
    ResultsError as ResultsError,
)
from .folder import (
    atomic_write_bytes as atomic_write_bytes,
)
from .folder import (
    atomic_write_table as atomic_write_table,
)
from .folder import (
    atomic_write_text as atomic_write_text,
)
from .folder import (
    folder_name as folder_name,
)
from .folder import (
    one_line_text as one_line_text,
)
from .folder import (
    part_path as part_path,
)
from .integrity import (
    DIGEST_BATCH_ROWS as DIGEST_BATCH_ROWS,
)
from .integrity import (
    SMALL_DIGEST_BATCH_ROWS as SMALL_DIGEST_BATCH_ROWS,
)
from .integrity import (
    damaged_runs as damaged_runs,
)
from .integrity import (
    digest_batch_rows as digest_batch_rows,
)
from .integrity import (
    file_sha256 as file_sha256,
)
from .integrity import (
    row_hashes as row_hashes,
)
from .integrity import (
    run_digests as run_digests,
)
from .integrity import (
    verify as verify,
)
from .integrity import (
    write_integrity as write_integrity,
)
from .interrupts import (
    ctrl_c_held as ctrl_c_held,
)
from .interrupts import (
    install_ctrl_c_handler as install_ctrl_c_handler,
)
from .interrupts import (
    raise_ctrl_c_outside_imports as raise_ctrl_c_outside_imports,
)
from .outcome_values import (
    compute_outcome as compute_outcome,
)
from .outcomes import (
    DAILY_OUTCOMES as DAILY_OUTCOMES,
)
from .outcomes import (
    EVENT_OUTCOMES as EVENT_OUTCOMES,
)
from .outcomes import (
    HEADLINE_OUTCOMES as HEADLINE_OUTCOMES,
)
from .outcomes import (
    OUTCOME_BY_NAME as OUTCOME_BY_NAME,
)
from .outcomes import (
    PLACE_PREFIX as PLACE_PREFIX,
)
from .outcomes import (
    RUN_OUTCOMES as RUN_OUTCOMES,
)
from .outcomes import (
    Outcome as Outcome,
)
from .outcomes import (
    columns_needed as columns_needed,
)
from .outcomes import (
    fmt_number as fmt_number,
)
from .outcomes import (
    fmt_percent as fmt_percent,
)
from .outcomes import (
    percent as percent,
)
from .outcomes import (
    place_outcome as place_outcome,
)
from .outcomes import (
    wrap as wrap,
)
from .provenance import (
    git_commit as git_commit,
)
from .provenance import (
    now as now,
)
from .provenance import (
    package_version as package_version,
)
from .provenance import (
    versions as versions,
)
from .reading import (
    Results as Results,
)
from .reading import (
    load_results as load_results,
)
from .records import (
    FORMAT_VERSION as FORMAT_VERSION,
)
from .records import (
    Manifest as Manifest,
)
from .records import (
    RunRecord as RunRecord,
)
from .records import (
    read_manifest as read_manifest,
)
from .records import (
    write_manifest as write_manifest,
)
from .seeds import (
    replicate_seed as replicate_seed,
)
from .seeds import (
    replicate_seeds as replicate_seeds,
)
from .summary import (
    SUMMARY_DAYS as SUMMARY_DAYS,
)
from .summary import (
    summarize as summarize,
)
from .summary import (
    write_summary_csv as write_summary_csv,
)
from .tables import (
    EVENT_CAUSE_COLUMNS as EVENT_CAUSE_COLUMNS,
)
from .tables import (
    EVENT_SCHEMA as EVENT_SCHEMA,
)
from .tables import (
    complete_events as complete_events,
)
from .tables import (
    concat_parts as concat_parts,
)
from .tables import (
    consolidate as consolidate,
)
from .tables import (
    daily_table as daily_table,
)
from .tables import (
    events_table as events_table,
)
from .tables import (
    runs_table as runs_table,
)
