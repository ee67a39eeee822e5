"""The ``dask.distributed`` backend: tasks on a cluster, results returned to the client.

::

    from sim.runner import DaskExecutor, run_batch
    with DaskExecutor("tcp://10.0.0.1:8786") as ex:
        run_batch(scn, "results/big", runs=5000, executor=ex)

Without a scheduler address a ``LocalCluster`` of single-threaded worker processes on
127.0.0.1 is started (and closed with the executor). Workers only compute (they need the package
installed and the scenario's map files at the same path); they may not see the caller's disk, so
``shares_filesystem`` is False and the caller writes what they return. ``shared`` is scattered
to every worker once. A worker that dies loses only its task in flight, which the scheduler
re-runs elsewhere; ``retries`` covers a task whose worker raised. Dask is an optional extra
(``pip install -e '.[dask]'``), imported only here, lazily.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sim.runner.executors.base import Executor, ExecutorError, OnResult, Task


def require_dask() -> None:
    """Raise :class:`ExecutorError` with the install command when dask is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ExecutorError(
            "--executor dask needs dask.distributed: pip install -e '.[dask]'"
        ) from None


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster (see the module docstring).

    ``client`` reuses an existing ``distributed.Client``; ``runs_per_task`` groups several runs
    in one task for very short runs on a large cluster (a dying worker then loses that many).
    """

    name = "dask"
    shares_filesystem = False

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 client: Any = None, retries: int = 3, runs_per_task: int = 1) -> None:
        require_dask()
        super().__init__(n_workers)
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.retries = retries
        self.runs_per_task = max(1, runs_per_task)
        self._client = client
        self._cluster = None
        self._own_client = client is None

    def chunk_size(self, n_items: int) -> int:
        return self.runs_per_task

    @property
    def client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout="20s")
                except OSError as exc:
                    raise ExecutorError(
                        f"--scheduler {self.scheduler}: cannot connect ({exc})") from None
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None)
                self._client = Client(self._cluster)
        return self._client

    def map(self, fn: Task, shared: Any, items: Sequence[Any], on_result: OnResult) -> bool:
        from distributed import as_completed

        if not items:
            return False
        client = self.client
        sent = client.scatter(shared, broadcast=True)  # once, not with every task
        stamp = time.time_ns()
        futures = {client.submit(fn, sent, item, pure=False, retries=self.retries,
                                 key=f"wargame-{stamp}-{k}"): item
                   for k, item in enumerate(items)}
        try:
            for fut in as_completed(futures):
                item = futures.pop(fut)
                try:
                    result, error = fut.result(), None
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after retries
                    result, error = None, exc
                fut.release()
                on_result(item, result, error)
            return False
        except KeyboardInterrupt:
            client.cancel(list(futures))
            return True

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
