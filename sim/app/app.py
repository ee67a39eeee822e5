"""The app's pages for ``solara run sim.app.app`` (``wargame app``): Watch a run (Mesa's
SolaraViz with the scenario and main levers as controls), Play a side, Browse batches."""

from __future__ import annotations

import matplotlib
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.app.components import BrowsePage, ChartsView, EventLog, MapsView, PlayPage, UploadBox
from sim.app.session import AS_SCENARIO, TALKS_DATES, WatchModel, scenario_files

matplotlib.use("Agg")

ONOFF = [AS_SCENARIO, "on", "off"]


def model_params(files: list[str], chosen: str) -> dict:
    return {
        "scenario_file": {"type": "Select", "value": chosen, "values": files,
                          "label": "Scenario (applies on Reset)"},
        "seed": {"type": "SliderInt", "value": 1, "min": 0, "max": 999, "step": 1,
                 "label": "Seed"},
        "reinforce": {"type": "Select", "value": AS_SCENARIO, "values": ONOFF,
                      "label": "Russia moves groupings Donetsk → Kursk"},
        "transfer_groupings": {"type": "SliderInt", "value": -1, "min": -1, "max": 12,
                               "step": 1, "label": "Groupings moved (-1: as scenario)"},
        "trigger_day": {"type": "SliderInt", "value": -1, "min": -1, "max": 120, "step": 1,
                        "label": "Transfer on day (-1: as scenario)"},
        "talks_open": {"type": "Select", "value": AS_SCENARIO, "values": list(TALKS_DATES),
                       "label": "Talks open"},
        "ua_counterattack": {"type": "Select", "value": AS_SCENARIO, "values": ONOFF,
                             "label": "Ukraine's Kursk counterattack"},
        "ua_withdraw": {"type": "Select", "value": AS_SCENARIO, "values": ONOFF,
                        "label": "Ukraine may withdraw from Kursk"},
        "withdraw_area_km2": {"type": "SliderInt", "value": -1, "min": -1, "max": 400,
                              "step": 10, "label": "Withdraw below km² (-1: as scenario)"},
    }


uploaded = solara.reactive("")


@solara.component
def WatchMaps(model: solara.Reactive):
    """Both fronts' maps across the page's full width, above SolaraViz's grid (a grid cell is
    half the width: the maps were ~150 px there). They re-render on every step through Mesa's
    ``update_counter``, as SolaraViz's own components do, and on Reset, which replaces
    ``model.value``."""
    update_counter.get()
    MapsView(model.value, day=model.value.steps)


# Plain functions, not components: SolaraViz wraps these so that they re-render on every step.
def _charts(model):
    return ChartsView(model, day=model.steps)


def _events(model):
    return EventLog(model, day=model.steps)


@solara.component
def WatchPage():
    files = scenario_files()
    chosen = uploaded.value or ("baseline.yaml" if "baseline.yaml" in files else files[0])
    # one reactive model shared with SolaraViz (its Reset replaces the value), a new one when
    # another scenario is loaded
    model = solara.use_reactive(solara.use_memo(lambda: WatchModel(scenario_file=chosen),
                                                [chosen]))
    UploadBox(on_loaded=uploaded.set)
    if uploaded.value:
        solara.Info(f"Loaded {uploaded.value}; it is also in the scenario picker now.")
    WatchMaps(model)
    SolaraViz(model, components=[(_charts, 0), (_events, 0)],
              model_params=model_params(files, chosen), name="Kursk–Donetsk wargame",
              play_interval=300)


routes = [
    solara.Route(path="/", component=WatchPage, label="Watch a run"),
    solara.Route(path="play", component=PlayPage, label="Play a side"),
    solara.Route(path="browse", component=BrowsePage, label="Browse batches"),
]
