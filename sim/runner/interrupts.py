"""Ctrl-C (SIGINT) raised only where Python can act on it.

Python's default handler raises ``KeyboardInterrupt`` at whatever line the main thread is
running. Two places cannot take it (measured on early Ctrl-Cs of ``wargame run``, issue 23):

* the import machinery (``<frozen importlib._bootstrap>``): raised between taking and
  releasing the global import lock, it leaves the lock held, and any other thread that imports
  then waits forever (3 hangs in 280); raised in one of its weakref callbacks, it is printed
  as "Exception ignored" and dropped, so the batch ran to its end (2 in 120 once the other
  causes were fixed);
* the start of a worker process (see :func:`ctrl_c_held`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: How long a Ctrl-C that arrived inside an import waits before it is raised again (s).
RETRY_S = 0.02


def _in_import(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def raise_ctrl_c_outside_imports(signum: int, frame: FrameType | None) -> None:
    """A SIGINT handler: ``KeyboardInterrupt``, or, while the main thread is inside an import,
    the same signal again :data:`RETRY_S` later (so at the latest when the import is done:
    ~1.5 s for the model's modules)."""
    if _in_import(frame):
        # to the main thread itself: a wait it is blocked in by then is interrupted
        retry = threading.Timer(RETRY_S, signal.pthread_kill,
                                (threading.main_thread().ident, signum))
        retry.daemon = True
        retry.start()
        return
    raise KeyboardInterrupt


def install_ctrl_c_handler() -> bool:
    """Make :func:`raise_ctrl_c_outside_imports` this process's SIGINT handler, unless Ctrl-C
    is ignored or handled by someone else (or this is not the main thread); True if done."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    signal.signal(signal.SIGINT, raise_ctrl_c_outside_imports)
    return True


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C that arrives in the block and raise it (through the handler that was in
    place) when the block ends, so that it cannot cut short what the block does; in the main
    thread, where Python handles signals (elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if held and callable(old):
            old(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt


__all__ = ["RETRY_S", "ctrl_c_held", "install_ctrl_c_handler", "raise_ctrl_c_outside_imports"]
