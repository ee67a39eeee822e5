"""Monte Carlo batches: replicate seeds, worker processes, streaming to Parquet, resume.

``run_batch`` is the library function behind ``wargame run``; a notebook calls it directly::

    from sim.scenario import load_scenario
    from sim.runner.batch import run_batch
    res = run_batch(load_scenario("scenarios/reinforce.yaml"), "results/reinforce", runs=200)

Replicate *i* of every batch with the same master seed gets the same seed (common random
numbers across scenarios), whatever the number of replicates. Workers run chunks of replicates
and write each finished chunk to ``parts/`` themselves; the main process only keeps the
manifest (per-run status) up to date, so its memory does not grow with the number of runs. At
the end (or on Ctrl-C) the parts are merged into ``daily/runs/events.parquet``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.runner.draws import DrawError, ParameterPlan, make_plan, values_columns
from sim.runner.executors import Executor, describe_failure, make_executor
from sim.runner.folder import (
    BATCH_FILES,
    MAIN,
    MANIFEST,
    PARTS_DIR,
    SCENARIO_FILE,
    ResultsError,
    atomic_write_table,
    atomic_write_text,
    part_path,
)
from sim.runner.integrity import damaged_runs, part_problems, part_records, write_integrity
from sim.runner.provenance import PACKAGE, git_commit, now, package_version, versions
from sim.runner.records import (
    FileRecord,
    Manifest,
    ParametersRecord,
    RunRecord,
    ScenarioRecord,
    read_manifest,
    write_manifest,
)
from sim.runner.seeds import replicate_seed, replicate_seeds
from sim.runner.summary import summarize, write_summary_csv
from sim.runner.tables import concat_parts, consolidate, daily_table, events_table, runs_table
from sim.scenario import Scenario, relative_path, resolved_yaml, scenario_hash

ProgressCallback = Callable[[int, int], None]
"""``progress(finished, total)``: called in the main process when runs finish (and once at the
start); ``finished`` counts runs done or failed, including those done by an earlier attempt."""

MANIFEST_INTERVAL = 1.0  # seconds between manifest updates while a batch runs
# Results computed where this disk is not visible (Dask) are written as one part per this many
# runs or seconds, whichever comes first.
CLIENT_FLUSH_RUNS = 25
CLIENT_FLUSH_SECONDS = 2.0


class BatchError(ValueError):
    """A batch cannot start as asked (existing folder, resume mismatch, bad arguments)."""


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class RunInputs:
    """What every task of a batch shares: the scenario, the horizon, the parameter plan and,
    for executors whose workers write into the folder, the folder."""

    scenario: Scenario
    days: int
    plan: ParameterPlan | None = None
    out_dir: str | None = None


def compute_runs(shared: RunInputs, jobs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Task: run ``jobs`` (``(run, seed)`` pairs) here and return their tables. The plan
    writes each run's parameter values into the scenario; they are kept in ``runs`` as
    ``param.<path>``.

    Returns ``{"tables": {"daily", "runs", "events"} or None, "runs": [{"run", "status",
    "error", "seconds"}]}``. A run that raises is recorded as failed; the others are kept.
    Executors whose workers cannot write into the folder run this; the caller writes.
    """
    from sim.model import run as run_model

    plan = shared.plan
    daily, runs, events, status = [], [], [], []
    for run, seed in jobs:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            scn, values = plan.apply(shared.scenario, run) if plan else (shared.scenario, {})
            res = run_model(scn, seed=seed, days=shared.days)
            d = daily_table(res.columns, run, seed)
            e = events_table(res.events, run, seed)
            s = {"run": run, "seed": seed, **res.summary(), **values_columns(values)}
        except Exception as exc:  # noqa: BLE001 - one failing run must not stop the batch
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            status.append(
                {"run": run, "status": "failed", "error": tb[:2000],
                 "seconds": round(time.perf_counter() - t0, 4)}
            )
            continue
        daily.append(d)
        events.append(e)
        runs.append(s)
        status.append(
            {"run": run, "status": "done", "error": None,
             "seconds": round(time.perf_counter() - t0, 4),
             "cpu_seconds": round(time.process_time() - c0, 4)}
        )
    tables = None
    if daily:
        tables = {
            "daily": concat_parts(daily),
            "runs": runs_table(runs),
            "events": pa.concat_tables(events),
        }
    return {"tables": tables, "runs": status}


def write_part(out_dir: str | Path, tables: dict[str, pa.Table]) -> tuple[str, dict[str, Any]]:
    """Write the tables of some finished runs as one part; returns the part id and the
    checksums of its files (recorded in the manifest, verified before the part is used)."""
    out = Path(out_dir)
    first = tables["runs"].column("run")
    part = f"{first[0].as_py():06d}-{first[-1].as_py():06d}-{uuid.uuid4().hex[:8]}"
    (out / PARTS_DIR).mkdir(exist_ok=True)
    for name, table in tables.items():
        atomic_write_table(part_path(out, part, name), table)
    return part, {t: f.model_dump() for t, f in part_records(out, part).items()}


def run_chunk(shared: RunInputs, jobs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Task: run ``jobs`` and write the finished ones as one part into ``shared.out_dir`` (for
    executors whose workers share the caller's file system).

    Returns ``{"part": id or None, "files": checksums, "runs": [{"run", "status", "error",
    "seconds"}]}``.
    """
    result = compute_runs(shared, jobs)
    part, files = (write_part(shared.out_dir, result["tables"])
                   if result["tables"] is not None else (None, {}))
    return {"part": part, "files": files, "runs": result["runs"]}


def merge_results(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several ``compute_runs`` results as one (tables concatenated, statuses listed)."""
    status = [st for r in results for st in r["runs"]]
    with_tables = [r["tables"] for r in results if r["tables"] is not None]
    tables = None
    if with_tables:
        tables = {
            "daily": concat_parts(t["daily"] for t in with_tables),
            "runs": concat_parts(t["runs"] for t in with_tables),
            "events": pa.concat_tables([t["events"] for t in with_tables]),
        }
    return {"tables": tables, "runs": status}


# --------------------------------------------------------------------------- main side


@dataclass
class BatchResult:
    """What ``run_batch`` did."""

    out_dir: Path
    name: str
    runs: int
    done: int
    failed: dict[int, str] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0
    #: what ``--resume`` repaired (damaged or missing part files and rows, run again)
    repaired: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.done == self.runs


@contextlib.contextmanager
def folder_lock(out_dir: Path, what: str = "batch", error: type[Exception] | None = None):
    """Refuse two commands writing into the same folder at once (POSIX only).

    An advisory ``flock`` on ``.lock``, released by the kernel when the holder exits or dies;
    the file itself is never deleted, so a refused command cannot unlock the running one. A
    ``.lock`` that is a symbolic link is refused (``O_NOFOLLOW``): nothing is written through
    a link planted in the folder. ``error`` (default :class:`BatchError`) is raised on refusal.
    """
    error = error or BatchError
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = out_dir / ".lock"
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{lock}: is a symbolic link; move it away first") from None
        raise
    with os.fdopen(fd, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise error(f"{out_dir}: another {what} is writing into this folder") from None
        yield


def _clear_batch(out_dir: Path) -> None:
    """Remove the files of an earlier batch (only ours; anything else in the folder stays)."""
    for name in BATCH_FILES:
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / PARTS_DIR, ignore_errors=True)
    for p in out_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


def _reconcile(out_dir: Path, manifest: Manifest) -> list[str]:
    """Make the manifest and the files agree after a crash or damage: runs whose rows are
    missing, damaged (checksums, digests) or unreadable go back to pending; part files the
    manifest does not reference (a chunk that finished after the last manifest write),
    damaged parts and temporary files are deleted, so nothing is duplicated. Returns one line
    per repair, for the user."""
    damaged = damaged_runs(out_dir, manifest)  # rows missing or changed since written
    repaired: list[str] = []
    bad_parts: dict[str, list[str]] = {}
    for part in sorted({r.part for r in manifest.done_runs() if r.part != MAIN}):
        problems = part_problems(out_dir, manifest, part)
        if problems:
            bad_parts[part] = problems
    referenced = set()
    for r in manifest.runs:
        if r.status != "done":
            continue
        if r.run not in damaged and r.part not in bad_parts:
            referenced.add(r.part)
        else:
            r.status, r.part, r.error = "pending", None, None
    for problems in bad_parts.values():
        repaired.append(f"{problems[0]}: its runs are run again")
    if damaged:
        repaired.append(f"{len(damaged)} run(s) whose rows in the tables are missing or differ "
                        "from the manifest: run again")
    manifest.parts = {k: v for k, v in manifest.parts.items() if k in referenced}
    parts = out_dir / PARTS_DIR
    if parts.is_dir():
        for p in parts.iterdir():
            if p.name.split(".")[0] not in referenced or p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
    for p in out_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)
    return repaired


FIGURES_DIR = "figures"  # the fan charts `wargame run` writes
MAX_PATH_BYTES = 3000  # well under PATH_MAX (4096), leaving room for part and temp names
MAX_NAME_BYTES = 200  # per path component (NAME_MAX is 255)


def check_path(out: Path) -> None:
    """Raise :class:`BatchError` (one line) for an output path (a folder, or a file whose
    missing folders are created) that cannot be written: NUL bytes, too long, a symlink loop,
    a file where a folder would be created, an unwritable or read-only place."""
    text = str(out)
    shown = text if len(text) <= 120 else text[:117] + "..."
    if "\x00" in text:
        raise BatchError(f"{shown!r}: not a valid folder name (NUL byte)")
    if len(os.fsencode(text)) > MAX_PATH_BYTES or any(
            len(os.fsencode(p)) > MAX_NAME_BYTES for p in out.parts):
        raise BatchError(f"{shown}: folder path too long (at most {MAX_NAME_BYTES} bytes per "
                         f"name, {MAX_PATH_BYTES} in all)")
    try:
        out.resolve(strict=False)
        exists = out.exists()
    except (OSError, RuntimeError) as exc:  # symlink loop, permission
        raise BatchError(f"{shown}: unusable folder path ({getattr(exc, 'strerror', None) or exc})"
                         ) from None
    if not exists and out.is_symlink():
        raise BatchError(f"{shown}: a dangling symbolic link or a symlink loop")
    anc = out if exists else next((p for p in out.absolute().parents if p.exists()), None)
    if not exists and anc is not None and not anc.is_dir():  # mkdir would fail after the work
        raise BatchError(f"{anc}: not a folder, so {shown} cannot be created")
    if anc is not None and anc.is_dir() and not os.access(anc, os.W_OK | os.X_OK):
        raise BatchError(f"{anc}: not writable (permission denied or a read-only file system)")


def check_out_dir(out: Path | str, resume: bool = False, force: bool = False) -> bool:
    """Raise :class:`BatchError` unless a batch may be written into ``out``.

    Returns whether there is a batch to resume (``resume`` on an empty folder starts afresh).
    """
    out = Path(out)
    if resume and force:
        raise BatchError("--resume and --force exclude each other")
    check_path(out)
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out}: exists and is not a folder")
    existing = out.is_dir() and any((out / n).exists() for n in BATCH_FILES)
    for name in (*BATCH_FILES, PARTS_DIR, FIGURES_DIR, ".lock") if out.is_dir() else ():
        # a symbolic link planted here would make the batch write where it points
        p = out / name
        folder = name in (PARTS_DIR, FIGURES_DIR)
        if p.is_symlink() or (existing and p.exists() and not (
                p.is_dir() if folder else p.is_file())):
            raise BatchError(f"{p}: expected a {'folder' if folder else 'file'}"
                             f"{', not a symbolic link' if p.is_symlink() else ''}; "
                             "move it away first")
    if existing and not (resume or force):
        raise BatchError(
            f"{out} already holds a batch; use --resume to finish it, --force to replace it, "
            "or --out for another folder"
        )
    if resume and not (out / MANIFEST).is_file():
        if existing:
            raise BatchError(f"{out}: no {MANIFEST} to resume from; use --force to replace it")
        return False
    if resume:  # read again under the lock; here only to refuse before anything is written
        try:
            read_manifest(out)
        except ResultsError as exc:
            raise BatchError(f"{exc}; it cannot be resumed, use --force to start again"
                             ) from None
    return resume


def _prepare_scenario(scenario: Scenario, runs: int, master_seed: int, days: int) -> Scenario:
    update = {}
    for key, value in (("runs", runs), ("seed", master_seed), ("days", days)):
        if getattr(scenario, key) != value:
            update[key] = value
    return scenario.model_copy(update=update) if update else scenario


def run_batch(
    scenario: Scenario,
    out_dir: Path | str,
    *,
    runs: int | None = None,
    master_seed: int | None = None,
    days: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: ProgressCallback | None = None,
    command: str | None = None,
    executor: Any = None,
    params: str | None = None,
    dice_per_draw: int | None = None,
    pinned: Sequence[str] = (),
) -> BatchResult:
    """Run ``runs`` replicates of ``scenario`` into ``out_dir`` (see module docstring); the
    options are keywords, checked into one :class:`BatchJob` that the rest of the run reads.

    Defaults come from the scenario (``runs``, ``seed``, ``days``); ``workers`` defaults to
    all cores (``1`` runs in this process). ``resume`` finishes an interrupted batch (only the
    missing or failed runs; it may also grow the number of runs), ``force`` replaces an
    existing batch. Raises :class:`BatchError` when the folder holds another batch, and
    ``KeyboardInterrupt`` is turned into a clean stop: ``BatchResult.interrupted`` is True and
    every finished run is saved.

    ``executor`` chooses where runs execute: ``None``/``"local"`` (worker processes here;
    ``workers`` of them), ``"dask"`` (a local Dask cluster) or an
    :class:`~sim.runner.executors.Executor` the caller owns (e.g. a ``DaskExecutor`` connected
    to a scheduler, or one process pool reused across a sweep). Results do not depend on it.

    ``params`` (``posterior``, ``median`` or ``fixed``; default ``posterior`` when the scenario
    names a ``calibration_posterior``, else ``fixed``) and ``dice_per_draw`` choose each run's
    parameter values (:mod:`sim.runner.draws`); the manifest records them per run. ``pinned``
    names parameters the caller set on purpose (``--set``, a sweep's design): the fitted ones
    among them keep the scenario's value in every run instead of a posterior draw.
    """

    t_start = time.perf_counter()
    runs = int(scenario.runs if runs is None else runs)
    master_seed = int(scenario.seed if master_seed is None else master_seed)
    days = int(scenario.days if days is None else days)
    if workers is not None and int(workers) < 1:
        raise BatchError(f"--workers must be at least 1 (got {workers})")
    if isinstance(executor, Executor):
        ex, owned = executor, contextlib.nullcontext()
    else:
        ex = make_executor(executor, workers)
        owned = ex  # started here, closed here
    workers = ex.workers
    if runs < 1:
        raise BatchError(f"--runs must be at least 1 (got {runs})")
    if days < 1:
        raise BatchError(f"--days must be at least 1 (got {days})")
    if not 0 <= master_seed < 2**63:
        raise BatchError(f"--seed must be between 0 and 2**63-1 (got {master_seed})")

    out = Path(out_dir)
    resume = check_out_dir(out, resume=resume, force=force)

    scn = _prepare_scenario(scenario, runs, master_seed, days)
    try:
        plan = make_plan(scn, params, master_seed, dice_per_draw, pinned)
    except DrawError as exc:
        raise BatchError(str(exc)) from None
    if plan is not None and plan.mode == "median":  # the resolved scenario shows the medians
        scn = scn.replace(plan.values(0))
    job = BatchJob(scenario=scn, out=out, runs=runs, master_seed=master_seed, days=days,
                   executor=ex, owned=owned, resume=resume, force=force, progress=progress,
                   command=command, t_start=t_start, plan=plan)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out):
            return _locked(job)
    except BaseException as exc:  # a failed write, or Ctrl-C before the manifest exists
        if created and not (out / MANIFEST).exists():  # nothing of a batch written
            _remove_new_folder(out)
        if isinstance(exc, OSError):
            raise output_error(out, exc, resumable=(out / MANIFEST).exists()) from None
        raise


def output_error(out: Path, exc: OSError, resumable: bool) -> BatchError:
    """One line for a failed write into ``out`` (disk full, read-only, too long...)."""
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        what = "no space left on the device"
    where = f" ({exc.filename})" if exc.filename else ""
    then = ("; finished runs are kept: fix it and finish with --resume" if resumable
            else "; nothing was written")
    return BatchError(f"{out}: cannot write{where}: {what}{then}")


def _remove_new_folder(out: Path) -> None:
    """Undo creating ``out`` when the batch failed before its manifest was written."""
    with contextlib.suppress(OSError):
        _clear_batch(out)
        (out / ".lock").unlink(missing_ok=True)
        out.rmdir()


@dataclass(frozen=True, kw_only=True)
class BatchJob:
    """A batch as asked, once :func:`run_batch` checked its arguments: what runs under the
    folder's lock (resuming or starting the manifest, the tasks, the merge)."""

    scenario: Scenario
    out: Path
    runs: int
    master_seed: int
    days: int
    executor: Executor
    owned: AbstractContextManager[Any]  # the executor when run_batch started it, else a no-op
    resume: bool
    force: bool
    progress: ProgressCallback | None
    command: str | None
    t_start: float
    plan: ParameterPlan | None


def _parameters(job: BatchJob) -> ParametersRecord:
    if job.plan is None:
        return ParametersRecord()
    return ParametersRecord.model_validate(job.plan.describe(relative_to=job.out))


def _resumed_manifest(job: BatchJob, parameters: ParametersRecord
                      ) -> tuple[Manifest, list[str]]:
    """The manifest of the batch to resume, checked against the job and reconciled with the
    files, and one line per repair made."""
    out = job.out
    try:
        manifest = read_manifest(out)
    except ResultsError as exc:
        raise BatchError(f"{exc}; it cannot be resumed, use --force to start again") from None
    old_n = manifest.n_runs if manifest.n_runs is not None else len(manifest.runs)
    if manifest.master_seed != job.master_seed:
        raise BatchError(
            f"{out}: the batch was run with master seed {manifest.master_seed}, not "
            f"{job.master_seed}; resume with --seed {manifest.master_seed} or use --force")
    before = manifest.parameters
    keys = ("mode", "sha256", "dice_per_draw", "pinned")
    if {k: getattr(before, k) or None for k in keys} != {
            k: getattr(parameters, k) or None for k in keys}:
        raise BatchError(
            f"{out}: the batch was run with parameters {before.mode!r} (dice per draw "
            f"{before.dice_per_draw}), not {parameters.mode!r} (dice per draw "
            f"{parameters.dice_per_draw}); use --force")
    same = scenario_hash(_prepare_scenario(job.scenario, old_n, job.master_seed, job.days))
    if same != manifest.scenario.hash:
        raise BatchError(
            f"{out}: the scenario differs from the one this batch was run with "
            f"(hash {(manifest.scenario.hash or '')[:12]} vs {same[:12]}); use --force "
            "to replace it or --out for another folder")
    if job.runs < old_n:
        raise BatchError(
            f"{out}: the batch has {old_n} runs; --runs {job.runs} would drop some; resume "
            f"with --runs {old_n} (or more) or use --force")
    repaired = _reconcile(out, manifest)
    manifest.runs.extend(RunRecord(run=i, seed=replicate_seed(job.master_seed, i))
                         for i in range(old_n, job.runs))
    manifest.resumed.append(now())
    return manifest, repaired


def _locked(job: BatchJob) -> BatchResult:
    """``run_batch`` once the folder is locked."""
    scn, out = job.scenario, job.out
    parameters = _parameters(job)
    repaired: list[str] = []
    if job.resume:
        manifest, repaired = _resumed_manifest(job, parameters)
    else:
        if job.force:
            _clear_batch(out)
        manifest = Manifest(
            scenario=ScenarioRecord(name=scn.name), master_seed=job.master_seed,
            runs=[RunRecord(run=i, seed=s)
                  for i, s in enumerate(replicate_seeds(job.master_seed, job.runs))])
        manifest.started = now()
    text = resolved_yaml(scn, relative_to=out)
    source = scn.source_path
    manifest.status = "running"
    manifest.n_runs = job.runs
    manifest.days = job.days
    manifest.start_date = scn.start_date
    # the scenario file named relative to the batch, as its maps are: the folder moves with
    # the project (Results.scenario_file resolves it)
    manifest.scenario = ScenarioRecord(name=scn.name,
                                       file=relative_path(source, out.resolve()) if source
                                       else None,
                                       hash=scenario_hash(scn), resolved=text)
    manifest.package = {"name": PACKAGE, "version": package_version(),
                        "git_commit": git_commit()}
    manifest.versions = versions()
    manifest.platform = platform.platform()
    manifest.command = job.command if job.command is not None else " ".join(sys.argv)
    manifest.workers = job.executor.workers
    manifest.executor = job.executor.name
    manifest.parameters = parameters
    manifest.calibration = job.plan.posterior.fit if job.plan is not None else scn.calibration_fit
    if job.plan is not None:
        job.plan.annotate(manifest.runs)
    atomic_write_text(out / SCENARIO_FILE, text)
    write_manifest(out, manifest)
    with job.owned:
        result = _execute(job, manifest)
    result.repaired = repaired
    return result


@dataclass
class _Progress:
    """The main process's side of a running batch: records each finished task in the
    manifest (rewritten at most once a second) and, for executors away from this disk, writes
    their tables as parts."""

    job: BatchJob
    manifest: Manifest
    finished: int
    last_write: float = field(default_factory=time.monotonic)
    last_flush: float = field(default_factory=time.monotonic)
    unwritten: list[dict[str, Any]] = field(default_factory=list)  # computed away, not saved

    def __post_init__(self) -> None:
        self.by_run = {r.run: r for r in self.manifest.runs}

    def record(self, result: dict[str, Any]) -> None:
        part = result.get("part")
        if part is not None:
            self.manifest.parts[part] = {t: FileRecord(**f) for t, f in result["files"].items()}
        for st in result["runs"]:
            r = self.by_run[st["run"]]
            r.status, r.error, r.seconds = st["status"], st["error"], st["seconds"]
            if "cpu_seconds" in st:  # wall and CPU time of the run in its worker
                r.cpu_seconds = st["cpu_seconds"]
            r.part = part if st["status"] == "done" else None
        # at most about once a second (a huge batch would otherwise spend its time rewriting
        # the manifest); _finish always writes it. Parts finished after the last write are
        # unreferenced after a crash, so --resume deletes and redoes them: never duplicated.
        if time.monotonic() - self.last_write >= MANIFEST_INTERVAL:
            write_manifest(self.job.out, self.manifest)
            self.last_write = time.monotonic()

    def flush(self) -> None:
        if self.unwritten:
            merged = merge_results(self.unwritten)
            part, files = (write_part(self.job.out, merged["tables"])
                           if merged["tables"] is not None else (None, {}))
            self.record({"part": part, "files": files, "runs": merged["runs"]})
        self.unwritten, self.last_flush = [], time.monotonic()

    def on_result(self, chunk: list[tuple[int, int]], result: Any,
                  error: BaseException | None) -> None:
        executor = self.job.executor
        if error is not None:
            msg = describe_failure(error)
            result = {"part": None, "tables": None,
                      "runs": [{"run": run, "status": "failed", "error": msg, "seconds": None}
                               for run, _ in chunk]}
        if executor.shares_filesystem or error is not None:
            self.record(result)
        else:
            self.unwritten.append(result)
            if (sum(len(u["runs"]) for u in self.unwritten) >= CLIENT_FLUSH_RUNS
                    or time.monotonic() - self.last_flush >= CLIENT_FLUSH_SECONDS):
                self.flush()
        self.finished += len(chunk)
        if self.job.progress:
            self.job.progress(self.finished, len(self.by_run))


def _execute(job: BatchJob, manifest: Manifest) -> BatchResult:
    todo = [(r.run, r.seed) for r in manifest.runs if r.status != "done"]
    state = _Progress(job, manifest, finished=len(manifest.runs) - len(todo))
    executor = job.executor
    interrupted = False
    try:
        if job.progress:
            job.progress(state.finished, len(manifest.runs))
        chunks = executor.split(todo)
        if executor.shares_filesystem:
            shared = RunInputs(job.scenario, job.days, job.plan, str(job.out))
            interrupted = executor.map(run_chunk, shared, chunks, state.on_result)
        else:
            shared = RunInputs(job.scenario, job.days, job.plan)
            interrupted = executor.map(compute_runs, shared, chunks, state.on_result)
    except KeyboardInterrupt:
        interrupted = True
    state.flush()
    return _finish(job.out, manifest, interrupted, job.t_start)


def _finish(out: Path, manifest: Manifest, interrupted: bool, t_start: float) -> BatchResult:
    runs = manifest.runs
    assignment = {r.run: r.part for r in runs if r.status == "done"}
    if assignment:
        # a second Ctrl-C here leaves the previous tables and the parts as they were
        consolidate(out, assignment)
        for r in runs:
            if r.status == "done":
                r.part = MAIN
    manifest.parts = {}
    failed = {r.run: r.error for r in runs if r.status == "failed"}
    done = len(assignment)
    if done == len(runs):
        status = "complete"
    elif interrupted:
        status = "interrupted"
    else:
        status = "failed" if failed else "incomplete"
    manifest.status, manifest.finished = status, now()
    manifest.n_done, manifest.n_failed = done, len(failed)
    if assignment:
        write_summary_csv(out, summarize(out / "daily.parquet"))
    write_integrity(out, manifest)  # checksums of what the manifest now points at
    write_manifest(out, manifest)
    shutil.rmtree(out / PARTS_DIR, ignore_errors=True)
    return BatchResult(
        out_dir=out,
        name=manifest.scenario.name,
        runs=len(runs),
        done=done,
        failed=failed,
        interrupted=interrupted,
        seconds=time.perf_counter() - t_start,
    )
