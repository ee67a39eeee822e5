"""``wargame backtest``: the rolling-origin backtest of docs/VALIDATION.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import Progress, TaskID
from rich.text import Text

from sim.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    SetOption,
    WorkersOption,
    console,
    err_console,
    fail,
    load_or_exit,
    progress_bar,
    split_names,
    user_errors,
)


def backtest(
    scenario: Annotated[Path, typer.Option("--scenario", help="Hindcast scenario with a "
                                                              "calibration: section.")
                        ] = Path("scenarios/hindcast_2024.yaml"),
    observations: Annotated[Path, typer.Option("--observations", help="Observations table.")
                            ] = Path("seeds/observations.csv"),
    origins: Annotated[str, typer.Option("--origins", help="Comma-separated origin dates "
                                                           "YYYY-MM-DD.")
                       ] = "2024-09-30,2024-10-31,2024-11-30",
    params: Annotated[str | None, typer.Option(
        "--params", help="Comma-separated parameters to fit from their priors (default: those "
                         "of the scenario's shipped posterior, else every one of the "
                         "calibration: section; the others as --held says).")] = None,
    population: Annotated[int, typer.Option("--population", min=2,
                                            help="ABC-SMC particles per population.")] = 200,
    generations: Annotated[int, typer.Option("--generations", min=1,
                                             help="Maximum populations per fit.")] = 8,
    budget: Annotated[int, typer.Option("--budget", min=2, help="Stop a fit before a "
                                        "population once this many simulations ran.")] = 2400,
    draws: Annotated[int, typer.Option("--draws", min=2, help="Posterior-predictive forecast "
                                                              "runs per origin.")] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Master seed.")] = 20250105,
    condition: Annotated[bool, typer.Option(
        "--condition/--no-condition", help="Keep only forecast runs whose path up to the "
        "origin lies within the fit's final epsilon (the ABC posterior of parameters and "
        "state); --no-condition: one seed per draw.")] = True,
    tries: Annotated[int, typer.Option("--tries", min=1, help="Seeds tried per forecast draw "
                                       "with --condition (then the closest run).")] = 30,
    restart: Annotated[bool, typer.Option(
        "--restart/--no-restart", help="Restart every forecast run from the last Kursk area "
        "known at the origin (its lines redrawn to it, as the options start from the observed "
        "5 Jan line); --no-restart: continue the simulated path.")] = True,
    restart_shape: Annotated[Literal["ordered", "uniform"], typer.Option(
        "--restart-shape",
        help="Where the restart takes the ground off: the sectors in the order Ukraine's "
             "graded defence gives them up, one after another (ordered), or every sector's "
             "depth scaled by one factor (uniform).")] = "ordered",
    held: Annotated[Literal["midpoint", "prior"], typer.Option(
        "--held",
        help="The calibration: parameters not fitted: drawn from their priors in every "
             "simulation of the fits and forecasts (their uncertainty reaches the bands), or "
             "held at their prior midpoints.")] = "prior",
    observation_error: Annotated[float | None, typer.Option(
        "--observation-error", min=0.0, max=1.0,
        help="Relative SD of an observation's error, for the model and the naive forecasts "
             "alike (default 0.10 / 1.645: a map reading within ±10 % of the truth 90 % of the "
             "time); 0 takes the point value as the exact truth.")] = None,
    workers: WorkersOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")
                   ] = Path("validation/backtest"),
    check: Annotated[bool, typer.Option("--check", help="Re-score --out from its "
                                        "forecasts.parquet and compare; run nothing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    sets: SetOption = None,
) -> None:
    """Rolling-origin backtest: fit at each origin on the record up to it (ABC-SMC), forecast
    to the hindcast's end, score against the naive forecasts (docs/VALIDATION.md)."""
    import datetime as dt
    import time

    from sim.analysis import (
        OBSERVATION_ERROR,
        CalibrationError,
        ObservationError,
        check_backtest,
        check_origins,
        check_output_path,
        format_summary,
        load_observations,
        run_backtest,
        write_backtest,
    )

    if check:
        try:
            problems = check_backtest(out, observations)
        except (CalibrationError, ObservationError, OSError, ValueError) as exc:
            raise fail(exc) from None
        for p in problems:
            err_console.print(Text(f"{out}: {p}"), soft_wrap=True)
        if problems:
            raise typer.Exit(EXIT_PROBLEMS)
        console.print(f"{out}: re-scored from forecasts.parquet; scores.csv, summary.csv and "
                      "every hash match")
        return
    try:
        dates = [dt.date.fromisoformat(s) for s in split_names(origins)]
    except ValueError:
        raise fail(f"--origins {origins!r}: expected dates YYYY-MM-DD separated by commas"
                   ) from None
    if out.exists() and not out.is_dir():
        raise fail(f"{out}: exists and is not a folder; --out takes a folder")
    with user_errors():
        check_output_path(out, scenario)
    scn = load_or_exit(scenario, sets or [])
    names = split_names(params) if params else None
    try:   # every input checked before anything runs or is written
        check_origins(scn, load_observations(observations), dates)
        unknown = [p for p in names or [] if p not in scn.calibration]
        if unknown:
            raise CalibrationError(f"--params {', '.join(unknown)}: no range in the "
                                   f"scenario's calibration: section")
    except (CalibrationError, ObservationError) as exc:
        raise fail(exc) from None
    t0 = time.perf_counter()
    with progress_bar(quiet) as bar:
        try:
            bt = run_backtest(scn, observations, dates, names, population=population,
                              generations=generations, budget=budget, draws=draws, seed=seed,
                              workers=workers, condition=condition, tries=tries, restart=restart,
                              restart_shape=restart_shape,
                              observation_error=(OBSERVATION_ERROR if observation_error is None
                                                 else observation_error), held=held,
                              progress=_progress(bar, bar.add_task("fit", total=population)))
        except KeyboardInterrupt:
            err_console.print(f"interrupted: nothing written to {out}")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (CalibrationError, ObservationError) as exc:
            raise fail(exc) from None
    from sim.viz import write_backtest_figure

    with user_errors():
        files = write_backtest(bt, out)
        files.append(write_backtest_figure(out, observations))
    console.print(format_summary(bt.summary), soft_wrap=True)
    console.print(f"wrote {out}/ ({', '.join(f.name for f in files)}) in "
                  f"{time.perf_counter() - t0:.0f} s (load {bt.manifest['load_before']} -> "
                  f"{bt.manifest['load_after']})")


def _progress(bar: Progress, task: TaskID) -> Callable[[dict], None]:
    """The backtest's progress callback: a line per origin and per population, the bar for
    the population being sampled and for the forecasts."""

    def progress(ev: dict) -> None:
        where = f"origin {ev.get('origin')}"
        if ev["kind"] == "origin":
            bar.console.print(f"{where} ({ev['index'] + 1}/{ev['of']}): fitting on the "
                              "record up to it")
        elif ev["kind"] == "batch":
            bar.update(task, description=f"{where} population {ev['t']}",
                       completed=ev["accepted"], total=ev["n"])
        elif ev["kind"] == "population":
            bar.console.print(f"{where} population {ev['t']}: epsilon {ev['eps']:.4g}, "
                              f"{ev['total_simulations']} simulations, "
                              f"{ev['seconds']:.0f} s")
        else:
            bar.update(task, description=f"{where} forecasts", completed=ev["done"],
                       total=ev["of"])

    return progress
