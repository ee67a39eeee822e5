"""``wargame run``: Monte Carlo batches, a progress bar per batch, then its summary."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.text import Text

from sim.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    ExecutorOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    command_line,
    console,
    err_console,
    one_line,
    progress_bar,
    resume_command,
    resume_gc,
    status_text,
    user_errors,
)


def run(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    runs: Annotated[int | None, typer.Option("--runs", "-n", min=1, max=1_000_000,
                                             help="Replicates (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=2**63 - 1,
                                             help="Master seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=1000,
                                             help="Horizon in days (default: the scenario's).")
                    ] = None,
    workers: WorkersOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder (default results/<name>; with several scenarios "
                            "DIR/<name>).")] = None,
    sets: SetOption = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted batch.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing batch.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="No progress bar or table; print the folder only.")
                     ] = False,
    executor: ExecutorOption = "local",
    scheduler: SchedulerOption = None,
    params: Annotated[Literal["posterior", "median", "fixed"] | None, typer.Option(
        "--params", help="Parameter values per run: posterior (one posterior draw per group of "
                         "replicates; the default when the scenario names a "
                         "calibration_posterior), median (the posterior medians) or fixed (the "
                         "scenario's values; the default otherwise).")] = None,
    dice_per_draw: Annotated[int | None, typer.Option(
        "--dice-per-draw", min=1, help="With --params posterior: consecutive replicates "
                                       "sharing one draw (default 4; the variance split "
                                       "needs at least 2).")] = None,
) -> None:
    """Run a Monte Carlo batch per scenario and save it under results/."""
    from sim.runner import default_workers, start_fork_server

    if executor == "local" and (workers or default_workers()) > 1:
        # the workers' fork server imports the model while this process imports its own
        # modules and checks the inputs (it writes nothing; unused, it exits with us); even
        # one run goes to a worker then, so this process never imports mesa and the model
        start_fork_server()
    from sim.runner import make_executor
    from sim.viz import plan_batches, run_batches

    overrides = [*(sets or []), *([f"days={days}"] if days is not None else [])]
    with user_errors():  # every input and folder checked before anything runs
        plan = plan_batches(scenarios, out, overrides=overrides, resume=resume, force=force,
                            params=params, dice_per_draw=dice_per_draw)
        ex = make_executor(executor, workers, scheduler)
    _preload_figures()
    resume_gc()  # start-up is over: the runs leave garbage to collect (sim.cli.common)
    exit_code = 0
    with contextlib.closing(ex):
        for item in plan:
            # a progress bar per batch, closed before its summary is printed on stdout
            with progress_bar(quiet) as bar, user_errors():
                task = bar.add_task(item[0].name, total=None)
                (batch,) = run_batches(
                    [item], runs=runs, seed=seed, workers=workers, executor=ex, resume=resume,
                    force=force, params=params, dice_per_draw=dice_per_draw,
                    pinned=[kv.split("=", 1)[0].strip() for kv in sets or []],
                    command=command_line(), summary=not quiet,
                    progress=lambda _, done, total, bar=bar, task=task: bar.update(
                        task, completed=done, total=total))
            exit_code = max(exit_code, _report_batch(batch, quiet))
    raise typer.Exit(exit_code)


def _report_batch(b: Any, quiet: bool) -> int:
    """Print what one batch of ``wargame run`` did; its exit code (raises on Ctrl-C)."""
    r = b.result
    for line in r.repaired:
        err_console.print(Text(f"repaired: {one_line(line)}"), soft_wrap=True)
    if b.figure_error:
        err_console.print(Text(f"warning: fan charts not written: {b.figure_error}"),
                          soft_wrap=True)
    elif b.figures and not quiet:
        console.print(f"wrote {', '.join(str(f) for f in b.figures)}")
    if b.summary is not None:
        console.print(status_text(b.summary.to_text(console.width)), end="")
    console.print(str(b.folder) if quiet else
                  f"wrote {b.folder}/ ({r.done}/{r.runs} runs, {r.seconds:.1f} s)")
    if r.interrupted:
        if not r.complete:
            err_console.print(Text(f"interrupted: {r.done} of {r.runs} runs saved in "
                                   f"{b.folder}; finish with: {resume_command()}"),
                              soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED)  # even when the last runs had finished: nothing lost
    if r.failed:
        run, why = next(iter(r.failed.items()))
        err_console.print(Text(
            f"error: {len(r.failed)} run(s) failed, e.g. run {run}: {one_line(why or '')}; see "
            f"{b.folder / 'manifest.json'}; retry them with --resume"), soft_wrap=True)
        return EXIT_PROBLEMS
    return 0


def _preload_figures() -> None:
    """Import the fan chart's modules (matplotlib: ~0.4 s of CPU) in a background thread while
    the batch starts: this process then mostly waits for the workers' fork server to finish its
    own imports, so the time is free, and the chart at the end no longer pays for it. Errors are
    left to the batch's own figure step, which imports the same modules again."""
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):
            from sim.viz import make_plots  # noqa: F401

    threading.Thread(target=load, name="wargame-preload-figures").start()
