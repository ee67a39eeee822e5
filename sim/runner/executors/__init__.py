"""Where tasks run: one interface (:class:`Executor`), one class per backend."""

from __future__ import annotations

from typing import Any

from sim.runner.executors.base import (
    Executor,
    ExecutorError,
    default_workers,
    describe_failure,
)
from sim.runner.executors.local import ProcessExecutor, SerialExecutor, start_fork_server

EXECUTORS = ("local", "dask")


def __getattr__(name: str) -> Any:  # dask is optional: import its backend only when asked
    if name == "DaskExecutor":
        from sim.runner.executors.dask import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_executor(name: str | None = "local", workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """The executor for a CLI choice: ``local`` (``workers == 1``: in this process) or
    ``dask`` (a local cluster, or the cluster at ``scheduler``, connected now so that an
    unreachable scheduler is reported before anything is written)."""
    name = (name or "local").lower()
    if name not in EXECUTORS:
        raise ExecutorError(f"--executor must be one of {', '.join(EXECUTORS)} (got {name!r})")
    if name == "local":
        if scheduler:
            raise ExecutorError("--scheduler needs --executor dask")
        return SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    from sim.runner.executors.dask import DaskExecutor

    ex = DaskExecutor(scheduler=scheduler, n_workers=workers)
    if scheduler:
        _ = ex.client
    return ex


__all__ = ["EXECUTORS", "DaskExecutor", "Executor", "ExecutorError", "ProcessExecutor",
           "SerialExecutor", "default_workers", "describe_failure", "make_executor",
           "start_fork_server"]
