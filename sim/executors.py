"""Where the runs of a batch execute: local worker processes or a ``dask.distributed`` cluster.

``sim.batch.run_batch(..., executor=...)`` takes ``None``/``"local"`` (its own process pool,
workers write their parts), ``"dask"`` (a :class:`DaskExecutor` on a ``LocalCluster`` started
for the batch) or a :class:`DaskExecutor` the caller made, e.g. connected to a scheduler::

    from sim.executors import DaskExecutor
    with DaskExecutor("tcp://10.0.0.1:8786") as ex:
        run_batch(scn, "results/big", runs=5000, executor=ex)

With Dask every run is one task (``runs_per_task`` groups several for very short runs on a
large cluster). Workers only compute (they need the package installed and
the scenario's map files at the same path); the client writes the results into the batch
folder as they arrive (``as_completed``), so a worker that dies loses only its run(s) in flight,
which the scheduler re-runs elsewhere (and ``retries=`` covers a run whose worker raised).
Runs are pure functions of scenario and seed, so results equal the local executor's.

Dask is an optional extra (``pip install -e '.[dask]'``); it is imported only here, lazily.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim import results as R
from sim.batch import BatchError, compute_runs, failed_runs, write_part

EXECUTORS = ("local", "dask")


def _dask_task(scenario: Any, jobs: Sequence[tuple[int, int]], days: int) -> dict[str, Any]:
    """Runs on a Dask worker: compute, return the tables (the client writes them)."""
    return compute_runs(scenario, jobs, days)


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise BatchError(
            "--executor dask needs dask.distributed: pip install -e '.[dask]'"
        ) from None


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


class DaskExecutor:
    """Runs a batch's runs as tasks on a Dask cluster.

    ``scheduler`` is an address (``tcp://host:8786``); without one a ``LocalCluster`` of
    ``n_workers`` single-threaded worker processes on 127.0.0.1 is started (and closed with
    the executor). ``client`` reuses an existing ``distributed.Client``. Finished runs are
    written as one part per ``flush_runs`` runs or ``flush_seconds``, whichever comes first.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        n_workers: int | None = None,
        client: Any = None,
        retries: int = 3,
        runs_per_task: int = 1,
        flush_runs: int = 25,
        flush_seconds: float = 2.0,
    ) -> None:
        _require_dask()
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.retries = retries
        # A few runs per task amortise the scheduler's per-task cost; a worker that dies loses
        # (and the scheduler re-runs) at most this many runs.
        self.runs_per_task = max(1, runs_per_task)
        self.flush_runs = max(1, flush_runs)
        self.flush_seconds = flush_seconds
        self._client = client
        self._cluster = None
        self._own_client = client is None

    @property
    def client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout="20s")
                except OSError as exc:
                    raise BatchError(
                        f"--scheduler {self.scheduler}: cannot connect ({exc})"
                    ) from None
            else:
                from sim.batch import default_workers

                self._cluster = LocalCluster(
                    n_workers=self.n_workers or default_workers(), threads_per_worker=1,
                    processes=True, host="127.0.0.1", dashboard_address=None,
                )
                self._client = Client(self._cluster)
        return self._client

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(
        self,
        scn: Any,
        out: Path,
        todo: Sequence[tuple[int, int]],
        days: int,
        record: Callable[[dict[str, Any]], None],
        progress: Callable[[int, int], None] | None = None,
        counts: Callable[[], tuple[int, int]] | None = None,
    ) -> bool:
        """Run ``todo`` (``(run, seed)`` pairs); ``record`` gets ``{"part", "runs"}`` dicts
        like :func:`sim.batch.run_chunk` returns. Returns True when stopped by Ctrl-C."""
        from distributed import as_completed

        if not todo:
            return False
        client = self.client
        shared = client.scatter(scn, broadcast=True)  # sent once, not with every task
        jobs = list(todo)
        chunks = [jobs[i: i + self.runs_per_task] for i in range(0, len(jobs), self.runs_per_task)]
        futures = {
            client.submit(_dask_task, shared, chunk, days, pure=False, retries=self.retries,
                          key=f"wargame-runs-{chunk[0][0]}-{time.time_ns()}"): chunk
            for chunk in chunks
        }
        buffer: list[dict[str, Any]] = []
        last = time.monotonic()

        def flush() -> None:
            nonlocal buffer, last
            if buffer:
                merged = merge_results(buffer)
                part = write_part(out, merged["tables"]) if merged["tables"] is not None else None
                record({"part": part, "runs": merged["runs"]})
                if progress and counts:
                    progress(*counts())
            buffer, last = [], time.monotonic()

        try:
            for fut in as_completed(futures):
                chunk = futures.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after retries
                    res = {"tables": None, "runs": failed_runs(chunk, exc)}
                fut.release()
                buffer.append(res)
                if (len(buffer) >= self.flush_runs
                        or time.monotonic() - last >= self.flush_seconds):
                    flush()
            flush()
            return False
        except KeyboardInterrupt:
            client.cancel(list(futures))
            flush()
            return True


class PoolExecutor:
    """Local worker processes kept alive across batches (a sweep runs one batch per design
    point; starting a pool per point would cost more than the runs). Workers write their parts
    themselves, as in :func:`sim.batch.run_batch`."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        from sim.batch import default_workers

        self.workers = workers or default_workers()
        self._pool: Any = None

    @property
    def pool(self) -> Any:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            from sim.batch import _init_worker, _mp_context

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_mp_context(),
                                             initializer=_init_worker, initargs=(None,))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PoolExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, scn: Any, out: Path, todo: Sequence[tuple[int, int]], days: int,
                record: Callable[[dict[str, Any]], None],
                progress: Callable[[int, int], None] | None = None,
                counts: Callable[[], tuple[int, int]] | None = None) -> bool:
        from concurrent.futures import FIRST_COMPLETED, wait

        from sim.batch import _chunks, run_chunk

        if self.workers == 1:
            for chunk in _chunks(list(todo), 1):
                record(run_chunk(scn, str(out), chunk, days))
                if progress and counts:
                    progress(*counts())
            return False
        outstanding = {self.pool.submit(run_chunk, scn, str(out), chunk, days): chunk
                       for chunk in _chunks(list(todo), self.workers)}

        def collect(fut: Any) -> None:
            chunk = outstanding.pop(fut)
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the OS
                result = {"part": None, "runs": failed_runs(chunk, exc)}
            record(result)

        try:
            while outstanding:
                done, _ = wait(list(outstanding), return_when=FIRST_COMPLETED)
                for fut in done:
                    collect(fut)
                if progress and counts:
                    progress(*counts())
            return False
        except KeyboardInterrupt:
            for fut in list(outstanding):
                if fut.cancel():
                    outstanding.pop(fut)
            for fut in list(outstanding):
                fut.exception()
                collect(fut)
            return True


def make_executor(name: str | None, scheduler: str | None = None,
                  workers: int | None = None) -> Any:
    """The ``executor`` argument of ``run_batch`` for a CLI choice (``None`` for local)."""
    name = (name or "local").lower()
    if name not in EXECUTORS:
        raise BatchError(f"--executor must be one of {', '.join(EXECUTORS)} (got {name!r})")
    if name == "local":
        if scheduler:
            raise BatchError("--scheduler needs --executor dask")
        return None
    ex = DaskExecutor(scheduler=scheduler, n_workers=workers)
    if scheduler:
        _ = ex.client  # connect now: an unreachable scheduler is reported before any writing
    return ex


def execute_with(executor: Any, scn: Any, out: Path, todo: Sequence[tuple[int, int]], days: int,
                 workers: int, record: Callable, progress: Callable | None,
                 counts: Callable[[], tuple[int, int]]) -> bool:
    """The hook ``sim.batch`` calls for a non-local executor."""
    if isinstance(executor, str):
        if executor.lower() != "dask":
            raise BatchError(f"unknown executor {executor!r}; expected one of "
                             f"{', '.join(EXECUTORS)}")
        with DaskExecutor(n_workers=workers) as ex:
            return ex.execute(scn, out, todo, days, record, progress, counts)
    return executor.execute(scn, out, todo, days, record, progress, counts)
