"""Solara components of the app: the live maps, charts and event log of a model, the upload
box, and the Play and Browse pages."""

from __future__ import annotations

import datetime as dt

import matplotlib.pyplot as plt
import pandas as pd
import solara

from sim.analysis import GRID_HEAD, CompareError, compare
from sim.app.drawing import fig_charts, fig_fronts, fig_preview
from sim.app.session import (
    PlaySession,
    check_upload,
    result_folder,
    result_folders,
    scenario_files,
)
from sim.model import OrderError
from sim.scenario import ORDER_KINDS, ScenarioError
from sim.viz import PlotError, fig_fan, fig_map, load_batches

DPI = 72


def one_line(exc: BaseException | str, limit: int = 400) -> str:
    """An error as the CLI prints it: its lines joined with '; '."""
    parts = [p.strip() for p in str(exc).splitlines() if p.strip()]
    line = "; ".join(parts) or type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


@solara.component
def MapsView(model, day: int = 0):
    """``day`` (the model's day) is part of the props so that a step re-renders it."""
    with solara.Column(classes=["wargame-maps"]):
        solara.FigureMatplotlib(fig_fronts(model), format="png", dpi=DPI)


@solara.component
def ChartsView(model, day: int = 0):
    with solara.Column(classes=["wargame-charts"]):
        solara.FigureMatplotlib(fig_charts(model), format="png", dpi=DPI)


@solara.component
def EventLog(model, day: int = 0, limit: int = 25):
    """The model's events, newest first."""
    start, events = model.scn.start_date, model.events

    def cause(ids: tuple[int, ...], conditions: str) -> str:
        # what the model recorded as the event's cause: its conditions, else the earlier events
        if conditions:
            return conditions
        return "; ".join(f"{events[i][1].replace('_', ' ')} (day {events[i][0]})" for i in ids)

    rows = [f"| {d} | {start + dt.timedelta(days=d)} | {k.replace('_', ' ')} | {s} | {t} | "
            f"{cause(ids, cond)} |"
            for d, k, s, t, ids, cond in reversed(events[-limit:])]
    with solara.Column(classes=["wargame-events"]):
        solara.Markdown("**Events, newest first**\n\n| day | date | event | who/where | detail "
                        "| because |\n|---|---|---|---|---|---|\n" + "\n".join(rows) if rows else
                        "**Events**: none yet")


@solara.component
def UploadBox(on_loaded):
    """Drop a scenario YAML: validated with the CLI's loader; the CLI's error text if bad."""
    error = solara.use_reactive("")

    def on_file(info):
        try:
            name = check_upload(info["name"], info["file_obj"].read())
        except ScenarioError as exc:
            error.set(one_line(exc))
            return
        except OSError as exc:  # the scenarios/ folder read-only or full
            error.set(f"{str(info['name'])[:80]}: not saved: {exc.strerror or exc}")
            return
        error.set("")
        on_loaded(name)

    solara.FileDrop(label="Drop a scenario YAML here to upload it", on_file=on_file, lazy=True)
    if error.value:
        solara.Error(error.value, classes=["wargame-upload-error"])


# ------------------------------------------------------------------------------- play


@solara.component
def PlayPage():
    session = solara.use_reactive(None)
    tick = solara.use_reactive(0)
    error = solara.use_reactive("")
    note = solara.use_reactive("")
    fan = solara.use_reactive(None)
    files = scenario_files()
    scn_file = solara.use_reactive("baseline.yaml" if "baseline.yaml" in files else files[0])
    side = solara.use_reactive("ua")
    seed = solara.use_reactive(1)
    kind = solara.use_reactive("transfer")
    groupings = solara.use_reactive([])
    front = solara.use_reactive("kursk")
    sector = solara.use_reactive("")
    posture = solara.use_reactive("attack")
    talks = solara.use_reactive("open")

    def refresh():
        tick.set(tick.value + 1)

    def start():
        try:
            session.set(PlaySession(scn_file.value, side.value, seed.value))
        except (ScenarioError, ValueError, TypeError) as exc:
            error.set(one_line(exc))
            session.set(None)
            return
        fan.set(None)
        error.set("")
        note.set("")
        refresh()

    def add_order():
        s = session.value
        try:
            o = s.order(kind.value, groupings=list(groupings.value), front=front.value,
                        sector=sector.value, posture=posture.value, talks=talks.value)
        except (OrderError, ValueError) as exc:
            error.set(one_line(exc))
            return
        error.set("")
        note.set(f"queued for day {o.day}: {o.kind}")
        groupings.set([])
        refresh()

    def advance():
        session.value.advance()
        fan.set(None)
        error.set("")
        note.set("")
        refresh()

    def run_preview():
        s = session.value
        fan.set((s.day, s.preview(50, 28)))

    def save():
        try:
            path = session.value.save()
        except OSError as exc:
            error.set(f"game not saved: {one_line(exc)}")
            return
        error.set("")
        note.set(f"saved {path} (continue it with: wargame run {path} --runs 200)")

    with solara.Column(style={"padding": "12px"}):
        solara.Markdown("## Play a side\nGive one side's orders at each decision point (weekly, "
                        "and when a trigger event fires); the other side follows its policy.")
        with solara.Row():
            solara.Select("Scenario", values=files, value=scn_file)
            solara.Select("Side", values=["ua", "ru"], value=side)
            solara.InputInt("Seed", value=seed)
            solara.Button("Start game", on_click=start, color="primary")
        s = session.value
        if s is None:
            if error.value:
                solara.Error(error.value, classes=["wargame-order-error"])
            return
        _ = tick.value
        m = s.model
        with solara.Column(classes=["wargame-day"]):
            solara.Markdown(f"### Day {s.day} ({m.scn.start_date + dt.timedelta(days=s.day)})"
                            f" — {s.reason}")
        MapsView(m, day=tick.value)
        if not s.over:
            with solara.Card("Orders for tomorrow"):
                with solara.Row():
                    solara.Select("Order", values=list(ORDER_KINDS), value=kind)
                    solara.SelectMultiple("Groupings", all_values=s.my_groupings(),
                                          values=groupings)
                with solara.Row():
                    solara.Select("Front", values=["kursk", "donetsk"], value=front)
                    solara.Select("Sector", values=list(m.maps[front.value].sector_names),
                                  value=sector)
                    solara.Select("Posture", values=["attack", "defend"], value=posture)
                    solara.Select("Talks", values=["open", "accept"], value=talks)
                with solara.Row():
                    solara.Button("Add order", on_click=add_order, color="primary")
                    solara.Button("Preview 4 weeks (50 runs)", on_click=run_preview)
                    solara.Button("Play to the next decision point", on_click=advance,
                                  color="primary")
                    solara.Button("Save game", on_click=save)
                if error.value:
                    solara.Error(error.value, classes=["wargame-order-error"])
                if note.value:
                    solara.Info(note.value, classes=["wargame-note"])
                queued = s.queued()
                if queued:
                    solara.Markdown("Queued: " + "; ".join(
                        " ".join(str(v) for v in (o.kind, ", ".join(o.groupings), o.front,
                                                  o.sector, o.posture, o.talks) if v)
                        for o in queued))
        else:
            solara.Button("Save game", on_click=save)
            if error.value:
                solara.Error(error.value, classes=["wargame-order-error"])
            if note.value:
                solara.Info(note.value, classes=["wargame-note"])
        if fan.value is not None:
            day, data = fan.value
            with solara.Column(classes=["wargame-preview"]):
                solara.FigureMatplotlib(fig_preview(data, day), format="png", dpi=DPI)
        ChartsView(m, day=tick.value)
        EventLog(m, day=tick.value)


# ------------------------------------------------------------------------------- browse


def _show(fig) -> None:
    solara.FigureMatplotlib(fig, format="png", dpi=DPI)
    plt.close(fig)


@solara.component
def BrowsePage():
    folders = result_folders()
    chosen = solara.use_reactive(folders[:2])
    day = solara.use_reactive(30)
    with solara.Column(style={"padding": "12px"}):
        solara.Markdown("## Browse batches\nResult folders under `results/` (from `wargame "
                        "run`): the CLI's fan chart, maps and comparison table.")
        if not folders:
            solara.Info("No batch under results/ yet: run `wargame run scenarios/baseline.yaml`.")
            return
        solara.SelectMultiple("Batches", all_values=folders, values=chosen)
        if not chosen.value:
            return
        try:
            dirs = [result_folder(n) for n in chosen.value]
            batches = load_batches(dirs)
            last = min(b.days for b in batches)
            d = min(day.value, last)
            solara.SliderInt("Day of the maps and table", value=day, min=0, max=last)
            with solara.Column(classes=["wargame-fan"]):
                _show(fig_fan(batches))
            with solara.Column(classes=["wargame-browse-maps"]):
                for front in ("kursk", "donetsk"):
                    _show(fig_map(batches, front, d))
            cmp = compare(dirs, day=d)
            solara.Markdown(f"### {cmp.heading}")
            solara.DataFrame(pd.DataFrame(cmp.grid(), columns=GRID_HEAD), items_per_page=30)
        except (PlotError, CompareError, FileNotFoundError, ValueError) as exc:
            solara.Error(one_line(exc))
