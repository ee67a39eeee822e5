"""Kursk–Donetsk wargame: an agent-based Monte Carlo model of Russia's options from 5 January 2025.

Three lines in a notebook::

    from sim import load_scenario, run
    scn = load_scenario("scenarios/reinforce.yaml")
    res = run(scn, seed=1)          # res.daily, res.events, res.summary()
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what editors and type checkers follow; loaded on first use below
    from sim.model import RunResult, WarModel, run
    from sim.scenario import Scenario, ScenarioError, load_scenario

try:
    __version__ = version("kursk-donetsk-wargame")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"


def __getattr__(name: str):
    # PEP 562: loaded on first use. Importing mesa costs ~1 s, so only when a run needs it;
    # the scenario schema (pydantic, numpy, scipy: ~0.5 s) is loaded after `python -m sim`
    # has paused the garbage collector for the start-up (sim/__main__.py), not before it
    if name in ("RunResult", "WarModel", "run"):
        import sim.model

        return getattr(sim.model, name)
    if name in ("Scenario", "ScenarioError", "load_scenario"):
        import sim.scenario

        return getattr(sim.scenario, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = ["RunResult", "Scenario", "ScenarioError", "WarModel", "__version__", "load_scenario",
           "run"]
