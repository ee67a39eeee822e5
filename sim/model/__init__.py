"""The model: ``WarModel`` (a ``mesa.Model``), its agents, and the pure kernels it wires.

``run(scenario, seed)`` is the pure, seedable function from (scenario, seed) to a daily record
and events that the runner, calibration and experiments build on. Importing mesa costs about a
second, so the names below load ``sim.model.model`` only when first used (PEP 562).

Modules: ``model`` (WarModel, run, RunResult), ``streams`` (one random stream per mechanism),
``agents`` (Grouping, commands), ``picture`` (DayPicture: what a command may know), ``kernels``
(combat, logistics, morale, diplomacy: pure functions, no mesa).
"""

from importlib import import_module
from typing import Any

from sim.model.streams import MECHANISMS, Streams  # numpy only: no need to defer

_LAZY = ("RECORD_COLUMNS", "DailyRecord", "DayPicture", "OrderError", "PlayerCommand",
         "RunResult", "WarModel", "run")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        record = import_module("sim.model.record")
        if hasattr(record, name):
            return getattr(record, name)
        return getattr(import_module("sim.model.model"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MECHANISMS", "Streams", *_LAZY]
