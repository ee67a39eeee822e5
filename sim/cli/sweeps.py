"""``wargame sweep`` and ``sensitivity``: designed experiments and which parameters matter."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.text import Text

from sim.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    ExecutorOption,
    SchedulerOption,
    WorkersOption,
    command_line,
    console,
    err_console,
    fail,
    progress_bar,
    user_errors,
)


def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment YAML file (experiments/*.yaml).")],
    design: Annotated[Literal["grid", "lhs", "sobol", "morris"] | None, typer.Option(
        "--design", help="grid, lhs, sobol or morris (default: the file's).")] = None,
    points: Annotated[int | None, typer.Option(
        "--points", "-k", min=1, help="lhs: points; grid: levels per parameter; sobol: base "
                                      "samples N; morris: trajectories (default: the file's).")
    ] = None,
    runs: Annotated[int | None, typer.Option("--runs", "-n", min=1,
                                             help="Replicates per design point.")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, help="Horizon in days.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Master seed.")] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    scheduler: SchedulerOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder (default results/sweep-<name>).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted sweep.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing sweep.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a designed experiment: replicates at every design point, one batch folder each."""
    from sim.analysis import check_output_path, check_sweep_dir, load_experiment, run_sweep
    from sim.runner import make_executor
    from sim.viz import default_folder

    with user_errors():
        lx = load_experiment(experiment, design=design, points=points, runs=runs, days=days)
        folder = out or default_folder(lx.experiment.name, prefix="sweep-")
        check_output_path(folder)
        check_sweep_dir(folder, resume=resume, force=force)
        ex = make_executor(executor, workers, scheduler)
    with progress_bar(quiet) as bar:
        task = bar.add_task(f"sweep {lx.experiment.name}", total=None)
        try:
            with user_errors():
                res = run_sweep(lx, folder, executor=ex,
                                resume=resume, force=force, seed=seed, command=command_line(),
                                progress=lambda finished, total: bar.update(
                                    task, completed=finished, total=total))
        finally:
            ex.close()
    console.print(f"wrote {folder}/ ({res.points} points × {lx.experiment.runs} runs: "
                  f"{res.done} done, {res.failed} failed, {res.seconds:.1f} s); next: wargame "
                  f"sensitivity {shlex.quote(str(folder))}")
    if res.interrupted:
        err_console.print(Text(f"interrupted: finish with: wargame sweep "
                               f"{shlex.quote(str(experiment))} --out "
                               f"{shlex.quote(str(folder))} --resume"), soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_PROBLEMS if res.failed else 0)


def sensitivity(
    folder: Annotated[Path, typer.Argument(help="Sweep folder written by wargame sweep.")],
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", "-m", metavar="COLUMN@DAY",
        help="Outcome(s) to analyse, e.g. kursk_ua_km2@60 (default: the experiment's).")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write PNG figures to DIR/sensitivity/.")] = True,
) -> None:
    """Sobol, Morris or rank-correlation indices of a sweep, and which parameters matter."""
    from sim.analysis import load_sweep, parse_outcome, write_sensitivity
    from sim.analysis import sensitivity as analyse

    with user_errors():
        sw = load_sweep(folder)
    try:
        for o in outcome or []:
            parse_outcome(o)
        res = analyse(sw, outcome or None)
    except (ValueError, KeyError) as exc:
        raise fail(exc) from None
    for table in res.to_rich():
        console.print(table)
    console.print("[bold]Which parameters matter[/bold] (largest effect first):")
    for o, lines in res.ranking().items():
        console.print(Text(f"{o}:"))
        for line in lines:
            console.print(Text("  " + line), soft_wrap=True)
    path = write_sensitivity(res)
    console.print(f"wrote {path}")
    if plots:
        from sim.viz import write_figures

        figs = write_figures(res)
        if figs:
            console.print(f"wrote {len(figs)} figures to {figs[0].parent}/")
