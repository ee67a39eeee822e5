"""Kursk–Donetsk wargame: an agent-based Monte Carlo model of Russia's options from 5 January 2025.

Three lines in a notebook::

    from sim import load_scenario, run
    scn = load_scenario("scenarios/reinforce.yaml")
    res = run(scn, seed=1)          # res.daily, res.events, res.summary()
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kursk-donetsk-wargame")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

from sim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402


def __getattr__(name: str):  # PEP 562: importing mesa costs ~1 s, so only when a run needs it
    if name in ("RunResult", "WarModel", "run"):
        import sim.model

        return getattr(sim.model, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

__all__ = ["RunResult", "Scenario", "ScenarioError", "WarModel", "__version__", "load_scenario",
           "run"]
