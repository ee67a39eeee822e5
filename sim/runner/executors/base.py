"""The executor interface: where tasks run (after the EMA Workbench's evaluators).

An :class:`Executor` maps a task function over items and hands each outcome to a callback in
the calling process as it completes. Batches, sweeps and calibration all run through it; each
backend is one class (:class:`~sim.runner.executors.local.SerialExecutor`,
:class:`~sim.runner.executors.local.ProcessExecutor`,
:class:`~sim.runner.executors.dask.DaskExecutor`). Executors are context managers: a pool or a
cluster lives until ``close()``, so a sweep reuses one pool for every design point.

The task is ``fn(shared, item)``: ``shared`` is the same for every item (a scenario, targets) and
is sent to each worker as cheaply as the backend allows. Ctrl-C is handled here, once: queued
tasks are dropped, running ones finish and are reported, and ``map`` returns ``True``.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar

Task = Callable[[Any, Any], Any]
OnResult = Callable[[Any, Any, BaseException | None], None]
"""``on_result(item, result, error)``: ``error`` is None when the task returned ``result``."""


class ExecutorError(ValueError):
    """An executor cannot be used as asked (unknown backend, unreachable scheduler, no dask)."""


def default_workers() -> int:
    """The cores this process may run on (the affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def describe_failure(exc: BaseException) -> str:
    """One line for a task whose worker raised or died."""
    msg = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, BrokenProcessPool):
        msg += (" (a worker process died: out of memory, or the pool was started from a "
                "script without `if __name__ == '__main__':`)")
    return msg


class Executor(ABC):
    """Runs ``fn(shared, item)`` for many items; see the module docstring."""

    name: ClassVar[str]
    #: Whether tasks may write into the caller's folders (same machine or shared file system).
    shares_filesystem: ClassVar[bool] = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, int(workers)) if workers else default_workers()

    def chunk_size(self, n_items: int) -> int:
        """How many runs one task should hold: about 8 tasks per worker (smooth progress,
        balanced load), 1–25 runs each."""
        return max(1, min(25, -(-n_items // (self.workers * 8))))

    def split(self, items: Sequence[Any]) -> list[Sequence[Any]]:
        """``items`` cut into consecutive tasks of :meth:`chunk_size` items."""
        size = self.chunk_size(len(items))
        return [items[i: i + size] for i in range(0, len(items), size)]

    @abstractmethod
    def map(self, fn: Task, shared: Any, items: Sequence[Any], on_result: OnResult) -> bool:
        """Run ``fn(shared, item)`` for every item; returns True when stopped by Ctrl-C."""

    def close(self) -> None:  # noqa: B027 - optional hook: most backends hold no workers
        """Release workers (a no-op for executors that hold none)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
