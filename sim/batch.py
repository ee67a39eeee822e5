"""Monte Carlo batches: replicate seeds, worker processes, streaming to Parquet, resume.

``run_batch`` is the library function behind ``wargame run``; a notebook calls it directly::

    from sim.scenario import load_scenario
    from sim.batch import run_batch
    res = run_batch(load_scenario("scenarios/reinforce.yaml"), "results/reinforce", runs=200)

Replicate *i* of every batch with the same master seed gets the same seed (common random
numbers across scenarios), whatever the number of replicates. Workers run chunks of replicates
and write each finished chunk to ``parts/`` themselves; the main process only keeps the
manifest (per-run status) up to date, so its memory does not grow with the number of runs. At
the end (or on Ctrl-C) the parts are merged into ``daily/runs/events.parquet``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import multiprocessing as mp
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim import results as R

ProgressCallback = Callable[[int, int], None]
"""``progress(finished, total)``: called in the main process when runs finish (and once at the
start); ``finished`` counts runs done or failed, including those done by an earlier attempt."""

MAIN_DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "scipy", "typer")
PACKAGE = "kursk-donetsk-wargame"
MANIFEST_INTERVAL = 1.0  # seconds between manifest updates while a batch runs


class BatchError(ValueError):
    """A batch cannot start as asked (existing folder, resume mismatch, bad arguments)."""


# --------------------------------------------------------------------------- seeds


def replicate_seed(master_seed: int, i: int) -> int:
    """The seed of replicate ``i``: child ``i`` of ``SeedSequence(master_seed)``, 63 bits."""
    child = np.random.SeedSequence(master_seed, spawn_key=(i,))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seeds(master_seed: int, n: int) -> list[int]:
    """Seeds of replicates ``0..n-1``; ``replicate_seeds(m, n)[i]`` does not depend on ``n``.

    Same as ``SeedSequence(master_seed).spawn(n)[i].generate_state(1, uint64)[0] >> 1``.
    """
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


# --------------------------------------------------------------------------- worker side

_WORKER_SCENARIO: Any = None


def _init_worker(scenario: Any) -> None:
    """Runs once per worker process: keep the scenario; Ctrl-C is handled by the parent."""
    global _WORKER_SCENARIO
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_SCENARIO = scenario


def compute_runs(
    scenario: Any, jobs: Sequence[tuple[int, int]], days: int
) -> dict[str, Any]:
    """Run ``jobs`` (``(run, seed)`` pairs) in this process and return their tables.

    Returns ``{"tables": {"daily", "runs", "events"} or None, "runs": [{"run", "status",
    "error", "seconds"}]}``. A run that raises is recorded as failed; the others are kept.
    Executors that write on the client (``sim.executors``) call this on the workers.
    """
    from sim import model

    if scenario is None:
        scenario = _WORKER_SCENARIO
    daily, runs, events, status = [], [], [], []
    for run, seed in jobs:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            res = model.run(scenario, seed=seed, days=days)
            d = R.daily_table(res.daily, run, seed)
            e = R.events_table(res.events, run, seed)
            s = {"run": run, "seed": seed, **res.summary()}
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


def run_chunk(
    scenario: Any, out_dir: str, jobs: Sequence[tuple[int, int]], days: int
) -> dict[str, Any]:
    """Run ``jobs`` (``(run, seed)`` pairs) and write the finished ones as one part.

    Returns ``{"part": id or None, "runs": [{"run", "status", "error", "seconds"}]}``. A run
    that raises is recorded as failed; the others are kept.
    """
    result = compute_runs(scenario, jobs, days)
    part = write_part(out_dir, result["tables"]) if result["tables"] is not None else None
    return {"part": part, "runs": result["runs"]}


def _run_chunk_in_worker(out_dir: str, jobs: Sequence[tuple[int, int]], days: int) -> dict:
    return run_chunk(None, out_dir, jobs, days)


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

    @property
    def manifest_path(self) -> Path:
        return self.out_dir / R.MANIFEST


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in MAIN_DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def package_version() -> str:
    from importlib import metadata

    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def git_commit() -> str | None:
    """The commit of the source tree (``+dirty`` when it has local changes), or None."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def failed_runs(chunk: Sequence[tuple[int, int]], exc: BaseException) -> list[dict[str, Any]]:
    """Status rows for a chunk of ``(run, seed)`` whose worker raised or died."""
    msg = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, BrokenProcessPool):
        msg += (" (a worker process died: out of memory, or run_batch was called from a "
                "script without `if __name__ == '__main__':`)")
    return [{"run": run, "status": "failed", "error": msg, "seconds": None} for run, _ in chunk]


def _chunks(jobs: list[tuple[int, int]], workers: int) -> list[list[tuple[int, int]]]:
    """About 8 chunks per worker (smooth progress, balanced load), 1–25 runs each."""
    if not jobs:
        return []
    size = max(1, min(25, math.ceil(len(jobs) / (workers * 8))))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def _mp_context() -> mp.context.BaseContext:
    # forkserver: workers start from a clean single-threaded server that has already imported
    # the model, so start-up is cheap and there is no fork-with-threads hazard. Elsewhere spawn.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.model", "sim.results", "sim.batch"])
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def _folder_lock(out_dir: Path):
    """Refuse two batches writing into the same folder at once (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fh = open(out_dir / ".lock", "w")  # noqa: SIM115
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(f"{out_dir}: another batch is writing into this folder") from None
        yield
    finally:
        (out_dir / ".lock").unlink(missing_ok=True)
        fh.close()


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
    for r in manifest["runs"]:
        if r["status"] != "done":
            continue
        if all(R.part_path(out_dir, r["part"], t).is_file() for t in R.TABLES):
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


def check_out_dir(out: Path | str, resume: bool = False, force: bool = False) -> bool:
    """Raise :class:`BatchError` unless a batch may be written into ``out``.

    Returns whether there is a batch to resume (``resume`` on an empty folder starts afresh).
    """
    out = Path(out)
    if resume and force:
        raise BatchError("--resume and --force exclude each other")
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out}: exists and is not a folder")
    existing = out.is_dir() and any((out / n).exists() for n in R.BATCH_FILES)
    if existing and not (resume or force):
        raise BatchError(
            f"{out} already holds a batch; use --resume to finish it, --force to replace it, "
            "or --out for another folder"
        )
    if resume and not (out / R.MANIFEST).is_file():
        if existing:
            raise BatchError(f"{out}: no {R.MANIFEST} to resume from; use --force to replace it")
        return False
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
) -> BatchResult:
    """Run ``runs`` replicates of ``scenario`` into ``out_dir`` (see module docstring).

    Defaults come from the scenario (``runs``, ``seed``, ``days``); ``workers`` defaults to
    all cores (``1`` runs in this process). ``resume`` finishes an interrupted batch (only the
    missing or failed runs; it may also grow the number of runs), ``force`` replaces an
    existing batch. Raises :class:`BatchError` when the folder holds another batch, and
    ``KeyboardInterrupt`` is turned into a clean stop: ``BatchResult.interrupted`` is True and
    every finished run is saved.

    ``executor`` chooses where runs execute: ``None``/``"local"`` (worker processes here),
    ``"dask"`` (a local Dask cluster) or a :class:`sim.executors.DaskExecutor` (e.g. connected
    to a scheduler); see :mod:`sim.executors`. Results do not depend on it.
    """
    from sim.scenario import resolved_yaml, scenario_hash

    t_start = time.perf_counter()
    runs = int(scenario.runs if runs is None else runs)
    master_seed = int(scenario.seed if master_seed is None else master_seed)
    days = int(scenario.days if days is None else days)
    workers = default_workers() if workers is None else int(workers)
    if runs < 1:
        raise BatchError(f"--runs must be at least 1 (got {runs})")
    if days < 1:
        raise BatchError(f"--days must be at least 1 (got {days})")
    if workers < 1:
        raise BatchError(f"--workers must be at least 1 (got {workers})")
    if not 0 <= master_seed < 2**63:
        raise BatchError(f"--seed must be between 0 and 2**63-1 (got {master_seed})")

    out = Path(out_dir)
    resume = check_out_dir(out, resume=resume, force=force)

    scn = _prepare_scenario(scenario, runs, master_seed, days)
    out.mkdir(parents=True, exist_ok=True)
    with _folder_lock(out):
        if resume:
            manifest = R.read_manifest(out)
            old_n = int(manifest["n_runs"])
            if int(manifest["master_seed"]) != master_seed:
                raise BatchError(
                    f"{out}: the batch was run with master seed {manifest['master_seed']}, not "
                    f"{master_seed}; resume with --seed {manifest['master_seed']} or use --force"
                )
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
            manifest["resumed"] = [*manifest.get("resumed", []), _now()]
        else:
            if force:
                _clear_batch(out)
            manifest = {
                "format_version": R.FORMAT_VERSION,
                "status": "running",
                "scenario": {},
                "master_seed": master_seed,
                "started": _now(),
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
            versions=_versions(),
            platform=platform.platform(),
            command=command if command is not None else " ".join(sys.argv),
            workers=workers,
            executor=getattr(executor, "name", executor) or "local",
        )
        R.atomic_write_text(out / R.SCENARIO_FILE, text)
        R.write_manifest(out, manifest)
        return _execute(scn, out, manifest, days, workers, progress, t_start, executor)


def _execute(
    scn: Any,
    out: Path,
    manifest: dict[str, Any],
    days: int,
    workers: int,
    progress: ProgressCallback | None,
    t_start: float,
    executor: Any = None,
) -> BatchResult:
    by_run = {r["run"]: r for r in manifest["runs"]}
    total = len(by_run)
    todo = [(r["run"], r["seed"]) for r in manifest["runs"] if r["status"] != "done"]
    finished = total - len(todo)
    interrupted = False

    last_write = time.monotonic()

    def record(result: dict[str, Any]) -> None:
        nonlocal finished, last_write
        for st in result["runs"]:
            r = by_run[st["run"]]
            r.update(status=st["status"], error=st["error"], seconds=st["seconds"])
            if "cpu_seconds" in st:  # wall and CPU time of the run in its worker
                r["cpu_seconds"] = st["cpu_seconds"]
            r["part"] = result["part"] if st["status"] == "done" else None
        finished += len(result["runs"])
        # at most about once a second (a huge batch would otherwise spend its time rewriting
        # the manifest); _finish always writes it. Parts finished after the last write are
        # unreferenced after a crash, so --resume deletes and redoes them: never duplicated.
        if time.monotonic() - last_write >= MANIFEST_INTERVAL:
            R.write_manifest(out, manifest)
            last_write = time.monotonic()

    try:
        if progress:
            progress(finished, total)
        chunks = _chunks(todo, workers)
        if executor not in (None, "local"):
            from sim.executors import execute_with

            interrupted = execute_with(executor, scn, out, todo, days, workers, record,
                                       progress, lambda: (finished, total))
        elif workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                record(run_chunk(scn, str(out), chunk, days))
                if progress:
                    progress(finished, total)
        else:
            interrupted = _execute_pool(scn, out, chunks, days, workers, record, progress,
                                        lambda: (finished, total))
    except KeyboardInterrupt:
        interrupted = True
    return _finish(out, manifest, interrupted, t_start)


def _execute_pool(scn, out, chunks, days, workers, record, progress, counts) -> bool:
    """Run chunks in worker processes; returns True when stopped by Ctrl-C."""
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=_mp_context(),
        initializer=_init_worker,
        initargs=(scn,),
    )
    outstanding: dict[Future, list[tuple[int, int]]] = {}

    def collect(fut: Future) -> None:
        chunk = outstanding.pop(fut)
        try:
            result = fut.result()
        except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the OS
            result = {"part": None, "runs": failed_runs(chunk, exc)}
        record(result)

    try:
        for chunk in chunks:
            outstanding[pool.submit(_run_chunk_in_worker, str(out), chunk, days)] = chunk
        while outstanding:
            done, _ = wait(list(outstanding), return_when=FIRST_COMPLETED)
            for fut in done:
                collect(fut)
            if progress:
                progress(*counts())
        return False
    except KeyboardInterrupt:
        # Stop cleanly: drop queued chunks, let the running ones finish (seconds) and keep
        # their runs. A second Ctrl-C stops those too; their runs are redone on --resume.
        for fut in list(outstanding):
            if fut.cancel():
                outstanding.pop(fut)
        try:
            for fut in list(outstanding):
                fut.exception()  # waits
                collect(fut)
        except KeyboardInterrupt:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        return True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    manifest.update(status=status, finished=_now(), n_done=done, n_failed=len(failed))
    R.write_manifest(out, manifest)
    shutil.rmtree(out / R.PARTS_DIR, ignore_errors=True)
    if assignment:
        R.write_summary_csv(out, R.summarize(out / "daily.parquet"))
    return BatchResult(
        out_dir=out,
        name=manifest["scenario"]["name"],
        runs=len(runs),
        done=done,
        failed=failed,
        interrupted=interrupted,
        seconds=time.perf_counter() - t_start,
    )
