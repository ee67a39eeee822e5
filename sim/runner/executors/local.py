"""Local backends: in this process, or a pool of worker processes on this machine."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.runner.executors.base import Executor, OnResult, Task
from sim.runner.interrupts import ctrl_c_held

#: Modules the fork server imports once, so each worker starts with the model loaded. The
#: first makes the fork server itself die with the main process (see :func:`die_with_parent`).
PRELOAD = ("sim.runner.executors.forkserver_init", "sim.model.model", "sim.runner.tables",
           "sim.runner.batch")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: Environment variables naming the process a fork server / a worker must die with: the death
#: signal is only sent for a parent that dies *after* the request, so each checks its parent
#: is still the expected one right after asking (a main killed while the server starts up).
MAIN_PID_ENV = "WARGAME_POOL_MAIN_PID"
SERVER_PID_ENV = "WARGAME_POOL_SERVER_PID"


def die_with_parent(sig: int = signal.SIGTERM, expected_parent: str | None = None) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies (``prctl
    PR_SET_PDEATHSIG``), so a main process killed with ``kill -9`` takes its fork server and
    workers with it instead of leaving them running for minutes. False (nothing done) where
    the call does not exist."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc / no prctl
        return False
    want = os.environ.get(expected_parent) if expected_parent else None
    if ok and want and want.isdigit() and os.getppid() != int(want):
        os._exit(0)  # the parent died before the request: nobody is left to serve
    return ok


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
        os.environ[MAIN_PID_ENV] = str(os.getpid())  # read by a fork server started now
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return mp.get_context("spawn")


#: set once this process has started the fork server (see :func:`start_fork_server`)
_server_started = False


def start_fork_server() -> bool:
    """Start the fork server of the local pools now, without waiting for it.

    Its preload (the model, mesa, pyarrow: about 1.5 s of imports) then runs while this process
    imports its own modules and loads the scenario, instead of after, when the first task asks
    for a worker. Safe to call more than once and whether or not a pool follows (an unused
    server exits with this process). False where there is no fork server (spawn platforms).
    """
    ctx = mp_context()
    if ctx.get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver, resource_tracker

    # The server imports PRELOAD (~1.5 s) before it ignores SIGINT itself: a Ctrl-C to the
    # process group in that window printed a KeyboardInterrupt traceback from it. It is
    # started with SIGINT *blocked* in this thread (a mask a new process inherits through exec
    # and that neither Python nor the fork server lifts; its workers inherit it too), so it
    # stays silent. Ignoring SIGINT here instead (SIG_IGN) also threw away a Ctrl-C sent to
    # this process meanwhile (once in 280: the batch ran to its end, exit 0, nothing said).
    # Blocked, it waits and is delivered when the mask is restored. The resource tracker is
    # started first: starting it unblocks SIGINT in this thread (it blocks and unblocks the
    # signals its own process ignores), which would lift the mask before the server starts.
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    global _server_started
    _server_started = True
    return True


def init_worker() -> None:
    """Worker start-up: Ctrl-C reaches the whole process group but the parent decides what
    stops; the worker dies with its parent (the fork server, which dies with the main
    process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(expected_parent=SERVER_PID_ENV)


class ProcessExecutor(Executor):
    """A pool of worker processes on this machine, kept until ``close()``."""

    name = "local"
    #: How often a pool broken by a dying worker is replaced within one ``map``; the tasks it
    #: lost (and only those) are submitted again each time.
    max_restarts = 3

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(workers)
        self._pool: ProcessPoolExecutor | None = None

    def split(self, items: Sequence[Any]) -> list[Sequence[Any]]:
        """Guided: tasks of :meth:`chunk_size` items while much is left, then shrinking (a
        quarter of what is left per pair of workers, down to 1), so the workers finish
        together. With equal tasks of 13 runs (200 runs, 2 workers) the last one left a core
        idle for about a second at the end of the batch."""
        big = self.chunk_size(len(items))
        out, i = [], 0
        while i < len(items):
            size = max(1, min(big, -(-(len(items) - i) // (2 * self.workers))))
            out.append(items[i: i + size])
            i += size
        return out

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            start_fork_server()  # started here with Ctrl-C ignored, not by the pool
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp_context(),
                                             initializer=init_worker)
        return self._pool

    def map(self, fn: Task, shared: Any, items: Sequence[Any], on_result: OnResult) -> bool:
        """Run every item; a worker that dies (killed, out of memory) breaks the pool and
        fails every task still in it, so the pool is replaced and the tasks that had not
        completed are submitted again (at most ``max_restarts`` times): each item is
        reported exactly once."""
        if len(items) <= 1 and self._pool is None and not _server_started:
            # not worth starting a pool for one task, unless the fork server is already
            # importing the model: then this process need not import it at all
            return SerialExecutor().map(fn, shared, items, on_result)
        outstanding: dict[Future, Any] = {}
        restarts = 0

        def collect(fut: Future) -> Any:
            """Report a finished task; return ``(item, exc)`` if it was lost with the pool."""
            item = outstanding.pop(fut)
            try:
                result, error = fut.result(), None
            except BrokenProcessPool as exc:
                return item, exc
            except Exception as exc:  # noqa: BLE001 - reported as the item's failure
                result, error = None, exc
            on_result(item, result, error)
            return None

        try:
            todo = list(items)
            while todo:
                lost: list[tuple[Any, BaseException]] = []
                for k, item in enumerate(todo):
                    try:
                        # A submit may start a worker: the fork server forks it (after its
                        # preload, up to ~1.5 s) and this process registers it. A Ctrl-C in
                        # between left a worker the pool did not know: it was never joined,
                        # and started after this process had exited and removed the pool's
                        # semaphores, printing a FileNotFoundError traceback (8 of 280).
                        with ctrl_c_held():
                            outstanding[self.pool.submit(fn, shared, item)] = item
                    except BrokenProcessPool as exc:
                        lost.extend((it, exc) for it in todo[k:])
                        break
                while outstanding:
                    done, _ = wait(list(outstanding), return_when=FIRST_COMPLETED)
                    for fut in done:
                        gone = collect(fut)
                        if gone is not None:
                            lost.append(gone)
                if lost and restarts >= self.max_restarts:
                    for item, exc in lost:
                        on_result(item, None, exc)
                    lost = []
                elif lost:
                    restarts += 1
                    self._discard_pool()
                todo = [item for item, _ in lost]
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

    def _discard_pool(self) -> None:
        """Drop a broken pool (its processes are gone or going); the next task starts anew."""
        if self._pool is not None:
            with contextlib.suppress(Exception):
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _terminate(self) -> None:
        if self._pool is not None:
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.terminate()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
