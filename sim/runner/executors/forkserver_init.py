"""Imported first by the fork server of the local process pool (its ``preload``): the fork
server asks to die with the main process, so its workers (which die with it) do too.

Importing it anywhere else does nothing."""

from __future__ import annotations

import os
import sys

from sim.runner.executors.local import MAIN_PID_ENV, SERVER_PID_ENV, die_with_parent

if sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules:  # the fork server
    os.environ[SERVER_PID_ENV] = str(os.getpid())  # workers forked from here die with it
    die_with_parent(expected_parent=MAIN_PID_ENV)
