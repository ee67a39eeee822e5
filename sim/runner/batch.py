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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

import sim.runner.results as R
from sim.runner.draws import DrawError, make_plan, values_columns
from sim.runner.executors import Executor, describe_failure, make_executor
from sim.runner.provenance import PACKAGE, git_commit, now, package_version, versions
from sim.runner.seeds import replicate_seed, replicate_seeds

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

def compute_runs(shared: tuple[Any, ...], jobs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Task: run ``jobs`` (``(run, seed)`` pairs) of ``shared = (scenario, days[, plan])`` here
    and return their tables. ``plan`` (a :class:`~sim.runner.draws.ParameterPlan`) writes each
    run's parameter values into the scenario; they are kept in ``runs`` as ``param.<path>``.

    Returns ``{"tables": {"daily", "runs", "events"} or None, "runs": [{"run", "status",
    "error", "seconds"}]}``. A run that raises is recorded as failed; the others are kept.
    Executors whose workers cannot write into the folder run this; the caller writes.
    """
    from sim.model import run as run_model

    scenario, days = shared[:2]
    plan = shared[2] if len(shared) > 2 else None
    daily, runs, events, status = [], [], [], []
    for run, seed in jobs:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            scn, values = plan.apply(scenario, run) if plan is not None else (scenario, {})
            res = run_model(scn, seed=seed, days=days)
            d = R.daily_table(res.columns, run, seed)
            e = R.events_table(res.events, run, seed)
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
            "daily": R.concat_parts(daily),
            "runs": R.runs_table(runs),
            "events": pa.concat_tables(events),
        }
    return {"tables": tables, "runs": status}


def write_part(out_dir: str | Path, tables: dict[str, pa.Table]) -> str:
    """Write the tables of some finished runs as one part; returns the part id."""
    out = Path(out_dir)
    first = tables["runs"].column("run")
    part = f"{first[0].as_py():06d}-{first[-1].as_py():06d}-{uuid.uuid4().hex[:8]}"
    (out / R.PARTS_DIR).mkdir(exist_ok=True)
    for name, table in tables.items():
        R.atomic_write_table(R.part_path(out, part, name), table)
    return part


def run_chunk(shared: tuple[Any, ...], jobs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Task: run ``jobs`` of ``shared = (scenario, days, out_dir[, plan])`` and write the
    finished ones as one part (for executors whose workers share the caller's file system).

    Returns ``{"part": id or None, "runs": [{"run", "status", "error", "seconds"}]}``.
    """
    scenario, days, out_dir = shared[:3]
    result = compute_runs((scenario, days, *shared[3:]), jobs)
    part = write_part(out_dir, result["tables"]) if result["tables"] is not None else None
    return {"part": part, "runs": result["runs"]}


def merge_results(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several ``compute_runs`` results as one (tables concatenated, statuses listed)."""
    status = [st for r in results for st in r["runs"]]
    with_tables = [r["tables"] for r in results if r["tables"] is not None]
    tables = None
    if with_tables:
        tables = {
            "daily": R.concat_parts(t["daily"] for t in with_tables),
            "runs": R.concat_parts(t["runs"] for t in with_tables),
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

    @property
    def complete(self) -> bool:
        return self.done == self.runs


@contextlib.contextmanager
def folder_lock(out_dir: Path):
    """Refuse two batches writing into the same folder at once (POSIX only).

    An advisory ``flock`` on ``.lock``, released by the kernel when the holder exits or dies;
    the file itself is never deleted, so a refused batch cannot unlock the running one.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(out_dir / ".lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(f"{out_dir}: another batch is writing into this folder") from None
        yield


def _clear_batch(out_dir: Path) -> None:
    """Remove the files of an earlier batch (only ours; anything else in the folder stays)."""
    for name in R.BATCH_FILES:
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / R.PARTS_DIR, ignore_errors=True)
    for p in out_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


def _reconcile(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Make the manifest and the files agree after a crash: runs whose files are missing go
    back to pending; part files the manifest does not reference (a chunk that finished after
    the last manifest write) and temporary files are deleted, so nothing is duplicated."""
    referenced = set()
    damaged = R.damaged_runs(out_dir, manifest)  # rows missing or changed since written
    for r in manifest["runs"]:
        if r["status"] != "done":
            continue
        if r["run"] not in damaged and all(
                R.part_path(out_dir, r["part"], t).is_file() for t in R.TABLES):
            referenced.add(r["part"])
        else:
            r.update(status="pending", part=None, error=None)
    parts = out_dir / R.PARTS_DIR
    if parts.is_dir():
        for p in parts.iterdir():
            if p.name.split(".")[0] not in referenced or p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
    for p in out_dir.glob(".*.tmp"):
        p.unlink(missing_ok=True)


MAX_PATH_BYTES = 3000  # well under PATH_MAX (4096), leaving room for part and temp names
MAX_NAME_BYTES = 200  # per path component (NAME_MAX is 255)


def check_path(out: Path) -> None:
    """Raise :class:`BatchError` (one line) for an output path that cannot be a folder:
    NUL bytes, too long, a symlink loop, an unwritable or read-only place."""
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
    existing = out.is_dir() and any((out / n).exists() for n in R.BATCH_FILES)
    for name in (*R.BATCH_FILES, R.PARTS_DIR, ".lock") if existing else ():
        p = out / name
        if (p.exists() or p.is_symlink()) and (p.is_symlink() or not (
                p.is_dir() if name == R.PARTS_DIR else p.is_file())):
            raise BatchError(f"{p}: expected a {'folder' if name == R.PARTS_DIR else 'file'}; "
                             "move it away first")
    if existing and not (resume or force):
        raise BatchError(
            f"{out} already holds a batch; use --resume to finish it, --force to replace it, "
            "or --out for another folder"
        )
    if resume and not (out / R.MANIFEST).is_file():
        if existing:
            raise BatchError(f"{out}: no {R.MANIFEST} to resume from; use --force to replace it")
        return False
    if resume:  # read again under the lock; here only to refuse before anything is written
        try:
            R.read_manifest(out)
        except R.ResultsError as exc:
            raise BatchError(f"{exc}; it cannot be resumed, use --force to start again"
                             ) from None
    return resume


def _prepare_scenario(scenario: Any, runs: int, master_seed: int, days: int) -> Any:
    update = {}
    for key, value in (("runs", runs), ("seed", master_seed), ("days", days)):
        if getattr(scenario, key, value) != value:
            update[key] = value
    return scenario.model_copy(update=update) if update else scenario


def run_batch(
    scenario: Any,
    out_dir: Path | str,
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
    """Run ``runs`` replicates of ``scenario`` into ``out_dir`` (see module docstring).

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
        from sim.scenario import with_values

        scn = with_values(scn, plan.values(0))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out):
            return _locked(scn, out, runs, master_seed, days, ex, owned, workers, resume, force,
                           progress, command, t_start, plan)
    except OSError as exc:
        if created and not (out / R.MANIFEST).exists():  # nothing of a batch written
            _remove_new_folder(out)
        raise output_error(out, exc, resumable=(out / R.MANIFEST).exists()) from None


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


def _locked(scn: Any, out: Path, runs: int, master_seed: int, days: int, ex: Executor,
            owned: Any, workers: int, resume: bool, force: bool,
            progress: ProgressCallback | None, command: str | None,
            t_start: float, plan: Any) -> BatchResult:
    """``run_batch`` once the folder is locked."""
    from sim.scenario import resolved_yaml, scenario_hash

    parameters = plan.describe() if plan is not None else {"mode": "fixed"}
    if resume:
        try:
            manifest = R.read_manifest(out)
        except R.ResultsError as exc:
            raise BatchError(f"{exc}; it cannot be resumed, use --force to start "
                             "again") from None
        old_n = int(manifest["n_runs"])
        if int(manifest["master_seed"]) != master_seed:
            raise BatchError(
                f"{out}: the batch was run with master seed {manifest['master_seed']}, not "
                f"{master_seed}; resume with --seed {manifest['master_seed']} or use --force"
            )
        before = manifest.get("parameters", {"mode": "fixed"})
        keys = ("mode", "sha256", "dice_per_draw", "pinned")
        if {k: before.get(k) or None for k in keys} != {
                k: parameters.get(k) or None for k in keys}:
            raise BatchError(
                f"{out}: the batch was run with parameters {before.get('mode')!r} "
                f"(dice per draw {before.get('dice_per_draw')}), not {parameters['mode']!r} "
                f"(dice per draw {parameters.get('dice_per_draw')}); use --force")
        same = scenario_hash(_prepare_scenario(scn, old_n, master_seed, days))
        if same != manifest["scenario"]["hash"]:
            raise BatchError(
                f"{out}: the scenario differs from the one this batch was run with "
                f"(hash {manifest['scenario']['hash'][:12]} vs {same[:12]}); use --force "
                "to replace it or --out for another folder"
            )
        if runs < old_n:
            raise BatchError(
                f"{out}: the batch has {old_n} runs; --runs {runs} would drop some; resume "
                f"with --runs {old_n} (or more) or use --force"
            )
        _reconcile(out, manifest)
        if runs > old_n:
            manifest["runs"].extend(
                {"run": i, "seed": replicate_seed(master_seed, i), "status": "pending",
                 "part": None, "error": None, "seconds": None}
                for i in range(old_n, runs)
            )
        manifest["resumed"] = [*manifest.get("resumed", []), now()]
    else:
        if force:
            _clear_batch(out)
        manifest = {
            "format_version": R.FORMAT_VERSION,
            "status": "running",
            "scenario": {},
            "master_seed": master_seed,
            "started": now(),
            "finished": None,
            "runs": [
                {"run": i, "seed": s, "status": "pending", "part": None, "error": None,
                 "seconds": None}
                for i, s in enumerate(replicate_seeds(master_seed, runs))
            ],
        }
    text = resolved_yaml(scn)
    source = getattr(scn, "source_path", None)
    manifest.update(
        format_version=R.FORMAT_VERSION,
        status="running",
        n_runs=runs,
        days=days,
        start_date=str(getattr(scn, "start_date", "")),
        scenario={
            "name": scn.name,
            "file": str(source) if source else None,
            "hash": scenario_hash(scn),
            "resolved": text,
        },
        package={"name": PACKAGE, "version": package_version(), "git_commit": git_commit()},
        versions=versions(),
        platform=platform.platform(),
        command=command if command is not None else " ".join(sys.argv),
        workers=workers,
        executor=ex.name,
        parameters=parameters,
        calibration=(plan.posterior.fit if plan is not None
                     else getattr(scn, "calibration_fit", None)),
    )
    if plan is not None:
        plan.annotate(manifest["runs"])
    R.atomic_write_text(out / R.SCENARIO_FILE, text)
    R.write_manifest(out, manifest)
    with owned:
        return _execute(scn, out, manifest, days, ex, progress, t_start, plan)


def _execute(
    scn: Any,
    out: Path,
    manifest: dict[str, Any],
    days: int,
    executor: Executor,
    progress: ProgressCallback | None,
    t_start: float,
    plan: Any = None,
) -> BatchResult:
    by_run = {r["run"]: r for r in manifest["runs"]}
    total = len(by_run)
    todo = [(r["run"], r["seed"]) for r in manifest["runs"] if r["status"] != "done"]
    finished = total - len(todo)
    last_write = time.monotonic()
    unwritten: list[dict[str, Any]] = []  # results computed away from this disk, not yet saved
    last_flush = time.monotonic()

    def record(result: dict[str, Any]) -> None:
        nonlocal last_write
        for st in result["runs"]:
            r = by_run[st["run"]]
            r.update(status=st["status"], error=st["error"], seconds=st["seconds"])
            if "cpu_seconds" in st:  # wall and CPU time of the run in its worker
                r["cpu_seconds"] = st["cpu_seconds"]
            r["part"] = result["part"] if st["status"] == "done" else None
        # at most about once a second (a huge batch would otherwise spend its time rewriting
        # the manifest); _finish always writes it. Parts finished after the last write are
        # unreferenced after a crash, so --resume deletes and redoes them: never duplicated.
        if time.monotonic() - last_write >= MANIFEST_INTERVAL:
            R.write_manifest(out, manifest)
            last_write = time.monotonic()

    def flush() -> None:
        nonlocal unwritten, last_flush
        if unwritten:
            merged = merge_results(unwritten)
            part = write_part(out, merged["tables"]) if merged["tables"] is not None else None
            record({"part": part, "runs": merged["runs"]})
        unwritten, last_flush = [], time.monotonic()

    def on_result(chunk: list[tuple[int, int]], result: Any, error: BaseException | None) -> None:
        nonlocal finished
        if error is not None:
            msg = describe_failure(error)
            result = {"part": None, "tables": None,
                      "runs": [{"run": run, "status": "failed", "error": msg, "seconds": None}
                               for run, _ in chunk]}
        if executor.shares_filesystem or error is not None:
            record({"part": result.get("part"), "runs": result["runs"]})
        else:
            unwritten.append(result)
            if (sum(len(u["runs"]) for u in unwritten) >= CLIENT_FLUSH_RUNS
                    or time.monotonic() - last_flush >= CLIENT_FLUSH_SECONDS):
                flush()
        finished += len(chunk)
        if progress:
            progress(finished, total)

    interrupted = False
    try:
        if progress:
            progress(finished, total)
        chunks = executor.split(todo)
        if executor.shares_filesystem:
            interrupted = executor.map(run_chunk, (scn, days, str(out), plan), chunks,
                                       on_result)
        else:
            interrupted = executor.map(compute_runs, (scn, days, plan), chunks, on_result)
    except KeyboardInterrupt:
        interrupted = True
    flush()
    return _finish(out, manifest, interrupted, t_start)


def _finish(out: Path, manifest: dict[str, Any], interrupted: bool, t_start: float) -> BatchResult:
    runs = manifest["runs"]
    assignment = {r["run"]: r["part"] for r in runs if r["status"] == "done"}
    if assignment:
        # a second Ctrl-C here leaves the previous tables and the parts as they were
        R.consolidate(out, assignment)
        for r in runs:
            if r["status"] == "done":
                r["part"] = R.MAIN
    failed = {r["run"]: r["error"] for r in runs if r["status"] == "failed"}
    done = len(assignment)
    if done == len(runs):
        status = "complete"
    elif interrupted:
        status = "interrupted"
    else:
        status = "failed" if failed else "incomplete"
    manifest.update(status=status, finished=now(), n_done=done, n_failed=len(failed))
    if assignment:
        R.write_summary_csv(out, R.summarize(out / "daily.parquet"))
    R.write_integrity(out, manifest)  # checksums of what the manifest now points at
    R.write_manifest(out, manifest)
    shutil.rmtree(out / R.PARTS_DIR, ignore_errors=True)
    return BatchResult(
        out_dir=out,
        name=manifest["scenario"]["name"],
        runs=len(runs),
        done=done,
        failed=failed,
        interrupted=interrupted,
        seconds=time.perf_counter() - t_start,
    )
