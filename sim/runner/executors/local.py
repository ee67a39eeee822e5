"""Local backends: in this process, or a pool of worker processes on this machine."""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from sim.runner.executors.base import Executor, OnResult, Task

#: Modules the fork server imports once, so each worker starts with the model loaded.
PRELOAD = ("sim.model.model", "sim.runner.results", "sim.runner.batch")


class SerialExecutor(Executor):
    """Runs every task in the calling process, in order (``--workers 1``; notebooks, tests)."""

    name = "serial"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(1)

    def map(self, fn: Task, shared: Any, items: Sequence[Any], on_result: OnResult) -> bool:
        try:
            for item in items:
                on_result(item, fn(shared, item), None)
        except KeyboardInterrupt:
            return True
        return False


def mp_context() -> mp.context.BaseContext:
    """forkserver where available: workers start from a clean single-threaded server that has
    already imported the model, so start-up is cheap and nothing forks a process holding
    threads (numpy, arrow pools). Elsewhere spawn."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return mp.get_context("spawn")


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor(Executor):
    """A pool of worker processes on this machine, kept until ``close()``."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(workers)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp_context(),
                                             initializer=_init_worker)
        return self._pool

    def map(self, fn: Task, shared: Any, items: Sequence[Any], on_result: OnResult) -> bool:
        if len(items) <= 1 and self._pool is None:  # not worth starting a pool for one task
            return SerialExecutor().map(fn, shared, items, on_result)
        outstanding: dict[Future, Any] = {}

        def collect(fut: Future) -> None:
            item = outstanding.pop(fut)
            try:
                result, error = fut.result(), None
            except Exception as exc:  # noqa: BLE001 - e.g. a worker killed by the OS
                result, error = None, exc
            on_result(item, result, error)

        try:
            for item in items:
                outstanding[self.pool.submit(fn, shared, item)] = item
            while outstanding:
                done, _ = wait(list(outstanding), return_when=FIRST_COMPLETED)
                for fut in done:
                    collect(fut)
            return False
        except KeyboardInterrupt:
            # Stop cleanly: drop queued tasks, let the running ones finish (seconds) and keep
            # their results. A second Ctrl-C stops those too.
            for fut in list(outstanding):
                if fut.cancel():
                    outstanding.pop(fut)
            try:
                for fut in list(outstanding):
                    fut.exception()  # waits
                    collect(fut)
            except KeyboardInterrupt:
                self._terminate()
            return True

    def _terminate(self) -> None:
        if self._pool is not None:
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
