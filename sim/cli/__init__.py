"""``wargame``: the command-line interface, a thin Typer layer over library functions.

Pattern for a command (``compare``, ``plot``, ``report``... follow it):

* one small function decorated with ``@app.command()``, arguments as ``Annotated`` options;
* load inputs with :func:`load_or_exit` (scenarios) or inside ``with user_errors():``;
* call one library function that does the work (a notebook calls the same function);
* print with the shared ``console`` (stdout) / ``err_console`` (stderr).

User mistakes (bad file, bad value, folder conflicts) exit with code 2 and one line on stderr,
never a traceback, and nothing is written before all inputs were checked.
"""

from __future__ import annotations

import contextlib
import gc
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

app = typer.Typer(
    name="wargame",
    help="Agent-based Monte Carlo wargame of the Kursk and Donetsk fronts from 5 January 2025.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_PROBLEMS = 1  # validation found problems / some runs failed
EXIT_USAGE = 2  # a user mistake: bad file, bad value, folder conflict
EXIT_INTERRUPTED = 130  # Ctrl-C


# --------------------------------------------------------------------------- shared helpers


def one_line(exc: BaseException | str, limit: int = 400) -> str:
    """An error message squeezed onto one line."""
    text = str(exc)
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    line = "; ".join(parts) or type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fail(message: str | BaseException, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err_console.print(Text("error: " + one_line(message)), soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's user-facing errors into a one-line message and exit code 2."""
    from sim.analysis import FitFolderError
    from sim.runner import BatchError, ExecutorError, ResultsError
    from sim.scenario import ScenarioError

    try:
        yield
    except (ScenarioError, BatchError, ExecutorError, ResultsError, FitFolderError,
            FileNotFoundError, NotADirectoryError) as exc:
        raise fail(exc) from None
    except OSError as exc:  # permission, read-only, disk full, name too long...
        name = f"{str(exc.filename)[:200]}: " if exc.filename else ""
        raise fail(f"{name}{exc.strerror or exc}") from None


def load_or_exit(path: Path, overrides: Sequence[str] = ()) -> Any:
    """Load and validate a scenario, or exit 2 with a one-line message."""
    from sim.scenario import load_scenario

    with user_errors():
        return load_scenario(path, overrides=list(overrides))


def _command_line() -> str:
    return shlex.join(["wargame", *sys.argv[1:]])


def _version_callback(value: bool) -> None:
    if value:
        from sim.runner import package_version

        console.print(f"wargame {package_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True,
                     help="Show the version and exit."),
    ] = False,
) -> None:
    """Agent-based Monte Carlo wargame of the Kursk and Donetsk fronts from 5 January 2025."""


SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY.PATH=VALUE",
                 help="Override a scenario value, e.g. --set combat.lethality=0.005 (repeatable)."),
]


# --------------------------------------------------------------------------- run

ExecutorOption = Annotated[
    Literal["local", "dask"], typer.Option(
        "--executor", help="Where runs execute: local (worker processes) or dask (a "
                           "dask.distributed cluster).")]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", metavar="ADDRESS",
                             help="Dask scheduler, e.g. tcp://host:8786 (default: a local "
                                  "cluster on this machine).")]


class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} runs/s" if speed else "… runs/s", style="progress.data.speed")


def _progress_bar(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    )


def _status_text(text: str) -> Text:
    """Text with the calibration status's UNCALIBRATED in bold red."""
    from sim.analysis import UNCALIBRATED

    out = Text(text)
    out.highlight_words([UNCALIBRATED], style="bold red")
    return out


@app.command()
def run(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    runs: Annotated[int | None, typer.Option("--runs", "-n", min=1, max=1_000_000,
                                             help="Replicates (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=2**63 - 1,
                                             help="Master seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=1000,
                                             help="Horizon in days (default: the scenario's).")
                    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                help="Worker processes (default: all cores).")
                       ] = None,
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

    if executor == "local" and (workers or default_workers()) > 1 and runs != 1:
        # the workers' fork server imports the model while this process imports its own
        # modules and checks the inputs (it writes nothing; unused, it exits with us)
        start_fork_server()
    from sim.runner import make_executor
    from sim.viz import plan_batches, run_batches

    overrides = [*(sets or []), *([f"days={days}"] if days is not None else [])]
    with user_errors():  # every input and folder checked before anything runs
        plan = plan_batches(scenarios, out, overrides=overrides, resume=resume, force=force,
                            params=params, dice_per_draw=dice_per_draw)
        ex = make_executor(executor, workers, scheduler)
    _preload_figures()
    exit_code = 0
    with contextlib.closing(ex):
        for item in plan:
            # a progress bar per batch, closed before its summary is printed on stdout
            with _progress_bar(quiet) as bar, user_errors():
                task = bar.add_task(item[0].name, total=None)
                (batch,) = run_batches(
                    [item], runs=runs, seed=seed, workers=workers, executor=ex, resume=resume,
                    force=force, params=params, dice_per_draw=dice_per_draw,
                    pinned=[kv.split("=", 1)[0].strip() for kv in sets or []],
                    command=_command_line(), summary=not quiet,
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
        console.print(_status_text(b.summary.to_text(console.width)), end="")
    console.print(str(b.folder) if quiet else
                  f"wrote {b.folder}/ ({r.done}/{r.runs} runs, {r.seconds:.1f} s)")
    if r.interrupted:
        if not r.complete:
            err_console.print(Text(f"interrupted: {r.done} of {r.runs} runs saved in "
                                   f"{b.folder}; finish with: {_resume_command()}"),
                              soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED)  # even when the last runs had finished: nothing lost
    if r.failed:
        run, why = next(iter(r.failed.items()))
        err_console.print(Text(
            f"error: {len(r.failed)} run(s) failed, e.g. run {run}: {one_line(why or '')}; see "
            f"{b.folder / 'manifest.json'}; retry them with --resume"), soft_wrap=True)
        return EXIT_PROBLEMS
    return 0


def _resume_command() -> str:
    """This command line with ``--resume`` (once)."""
    again = _command_line()
    return again if "--resume" in again.split() else again + " --resume"


# ------------------------------------------------------------------- compare / plot / report


def _preload_figures() -> None:
    """Import the fan chart's modules (matplotlib: ~0.4 s of CPU) in a background thread while
    the batch starts: this process then mostly waits for the workers' fork server to finish its
    own imports, so the time is free, and the chart at the end no longer pays for it. Errors are
    left to :func:`_write_fan_charts`, which imports the same modules again."""
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):
            from sim.viz import make_plots  # noqa: F401

    threading.Thread(target=load, name="wargame-preload-figures").start()


def _analysis_errors() -> contextlib.AbstractContextManager[None]:
    from sim.analysis import CompareError
    from sim.viz import PlotError

    @contextlib.contextmanager
    def cm() -> Iterator[None]:
        with user_errors():
            try:
                yield
            except (CompareError, PlotError) as exc:
                raise fail(exc) from None
    return cm()


DirsArg = Annotated[list[Path], typer.Argument(help="Batch folder(s) written by wargame run.")]
DayOption = Annotated[int | None, typer.Option(
    "--day", min=0, help="Day compared (default: the last day common to all batches).")]
BaselineOption = Annotated[Path | None, typer.Option(
    "--baseline", help="Baseline batch folder (default: the first folder).")]


Format = Literal["table", "markdown", "csv", "json"]
FormatOption = Annotated[Format, typer.Option(
    "--format", "-f", help="table (plain text, 80 columns), markdown, csv (every column) or "
                           "json.")]


@app.command()
def compare(
    dirs: DirsArg,
    baseline: BaselineOption = None,
    day: DayOption = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", "-m", help="Outcome to compare (repeatable), e.g. kursk_ua_km2, "
                               "ceasefire_started, ceasefire_in_force, ceasefire_kursk_ua_km2, "
                               "changed_sudzha (default: the headline outcomes).")
                      ] = None,
    places: Annotated[bool, typer.Option(
        "--places", help="Also every place taken by one side in some run, and by whom.")
                      ] = False,
    fmt: FormatOption = "table",
    robust: Annotated[bool, typer.Option(
        "--robustness", help="Regret of each option against the best on the same replicate, "
                             "per side's objective, with the runs that decide each verdict.")
                      ] = False,
    satisfice: Annotated[list[str] | None, typer.Option(
        "--satisfice", metavar="METRIC>=VALUE", help="With --robustness: share of runs meeting "
        "a threshold, e.g. donetsk_ru_gain_km2>=800 (repeatable).")] = None,
) -> None:
    """Compare options against a baseline on one day (default: the last day common to all
    batches; the day and why are printed): medians, paired differences with their CI and
    p-value, and the shares of runs better / tied / worse for Russia."""
    from sim.analysis import compare as run_compare

    if satisfice and not robust:
        raise fail("--satisfice needs --robustness")
    if robust:
        from sim.analysis import robustness

        with _analysis_errors():
            rob = robustness(dirs, day=day, satisfice=satisfice or [])
        out = {"csv": rob.to_csv, "json": rob.to_json}.get(fmt, rob.to_markdown)()
        typer.echo(out, nl=not out.endswith("\n"))
        for w in rob.warnings:
            err_console.print(Text(f"warning: {w}"), soft_wrap=True)
        return
    with _analysis_errors():
        if robust:
            from sim.analysis import robustness

            result = robustness(dirs, day=day, satisfice=satisfice or [])
        else:
            result = run_compare(dirs, baseline=baseline, day=day, metrics=metric or None,
                                 places=places)
    text = {"table": result.to_text, "markdown": result.to_markdown, "csv": result.to_csv,
            "json": result.to_json}[fmt]()
    typer.echo(text, nl=not text.endswith("\n"))


@app.command()
def plot(
    dirs: DirsArg,
    kind: Annotated[Literal["fan", "losses", "outcomes", "survival", "map", "animation",
                            "history", "all"], typer.Option(
        "--kind", "-k", help="fan, losses, outcomes, survival, map, animation, history (a "
        "hindcast batch against seeds/observations.csv) or all.")
                    ] = "all",
    day: DayOption = None,
    run_index: Annotated[int, typer.Option("--run", "-r", min=0,
                                           help="Run animated by --kind animation.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("figures"),
) -> None:
    """Write figures (PNG and SVG; the animation as GIF) of one or more batches."""
    from sim.viz import make_plots

    with _analysis_errors():
        files = make_plots(dirs, kind=kind, day=day, run=run_index, out=out)
    for f in files:
        console.print(str(f))


@app.command()
def report(
    dirs: DirsArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file written.")
                   ] = Path("report.html"),
    baseline: BaselineOption = None,
    day: DayOption = None,
    sweeps: Annotated[list[Path] | None, typer.Option(
        "--sweep", metavar="DIR", help="Add the sensitivity analysis of a sweep folder "
                                       "(repeatable).")] = None,
) -> None:
    """Write one self-contained HTML report: scenario changes, comparison tables, figures."""
    from sim.viz import write_report

    if out.is_dir():
        raise fail(f"{out}: is a directory; --out takes an HTML file name")
    for sw in sweeps or []:
        if not (sw / "sweep.json").is_file():
            raise fail(f"{sw}: not a sweep folder (no sweep.json)")
    with _analysis_errors():
        path = write_report(dirs, out, baseline=baseline, day=day, sweeps=sweeps or [])
    console.print(f"wrote {path}")


@app.command()
def explain(
    dirs: DirsArg,
    run_index: Annotated[int | None, typer.Option(
        "--run", "-r", min=0, help="Tell this run (one folder): both fronts' areas, lines, "
                                   "troops, places and transfers, then the causal chains "
                                   "behind its headline events.")] = None,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help="With --run: only this outcome: kursk_cleared, sudzha_lost, "
                          "withdrawal, ceasefire, reinforcement, redeployment or "
                          "ceasefire_collapsed.")] = None,
    day: Annotated[int, typer.Option(
        "--day", min=1, help="Without --run: the day the outcome classes are drawn on.")] = 60,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Without --run: folder for the figures (P(event by day D), "
                            "discovery).")] = None,
) -> None:
    """Why outcomes happened. With --run: the chain of events and conditions behind each
    headline outcome of one run, as dated sentences. Without: outcome classes and their
    shares, P(event by day D), modes of the Kursk area, and the run features that separate
    the classes (scenario discovery)."""
    from sim.analysis import explain_batches, explain_run, format_chains, run_story

    if outcome is not None and run_index is None:
        raise fail("--outcome needs --run")
    if run_index is not None:
        if len(dirs) != 1:
            raise fail("--run takes one batch folder")
        with _analysis_errors():
            chains = explain_run(dirs[0], run_index, outcome)
            story = [] if outcome else run_story(dirs[0], run_index)
        typer.echo(format_chains(chains, story))
        return
    with _analysis_errors():
        expl = explain_batches(dirs, class_day=day)
    typer.echo(expl.to_text())
    if out is not None:
        from sim.viz import write_explain_figures

        with _analysis_errors():
            written = write_explain_figures(expl, out)
        for p in written:
            console.print(str(p))


# --------------------------------------------------------------------------- check


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(
        help="Batch folder written by wargame run, or a fit folder / posterior table.")],
) -> None:
    """Verify a batch folder (its manifest's digest, every file's checksum, the posterior it
    drew from) or a posterior (its digest in fit.json, its values): exit 0 intact, 1 damaged."""
    from sim.runner import NotABatchFolder, ResultsError, posterior_file, read_manifest, verify

    try:
        manifest = read_manifest(folder)
    except NotABatchFolder as exc:
        post = posterior_file(folder)
        if post is None:
            raise fail(exc) from None
        _check_posterior(post)
        return
    except ResultsError as exc:
        problems, repair = [str(exc)], "--force (the manifest itself is damaged)"
    else:
        problems, repair = verify(folder, manifest, dependencies=True), "--resume"
    if problems:
        err_console.print(Text(f"{folder}: damaged, {len(problems)} problem(s)"), soft_wrap=True)
        for p in problems:
            err_console.print(Text(f"  - {one_line(p)}"), soft_wrap=True)
        err_console.print(Text(f"  repair: wargame run <scenario> --out {folder} {repair}"),
                          soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS)
    files = len(manifest.files) + sum(len(p) for p in manifest.parts.values())
    note = f"{files} files match their checksums" if files else "no checksums recorded"
    console.print(Text(f"{folder}: ok ({manifest.status}, {len(manifest.done_runs())}/"
                       f"{len(manifest.runs)} runs done, {note})"), soft_wrap=True)


def _check_posterior(path: Path) -> None:
    from sim.runner import DrawError, load_posterior, recorded_digest

    try:
        post = load_posterior(path)
        digest = recorded_digest(path)
    except DrawError as exc:
        err_console.print(Text(one_line(str(exc))), soft_wrap=True)
        err_console.print(Text("  repair: restore the file or re-run the fit (wargame "
                               "calibrate)"), soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    note = "matches the digest in fit.json" if digest else "no digest recorded in a fit.json"
    console.print(Text(f"{path}: ok ({len(post.weights)} particles of {len(post.names)} "
                       f"parameters, {note})"), soft_wrap=True)


# --------------------------------------------------------------------------- validate / show


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    sets: SetOption = None,
) -> None:
    """Check scenario files; list every problem (exit 1) or say ok."""
    from sim.runner import DrawError, make_plan
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    for path in scenarios:
        try:
            scn = load_scenario(path, overrides=list(sets or []))
            make_plan(scn, None, scn.seed)  # its posterior: digest, metadata, every particle
        except (ScenarioError, DrawError) as exc:
            bad += 1
            problems = getattr(exc, "problems", None) or [str(exc)]
            err_console.print(Text(f"{path}: {len(problems)} problem(s)"), soft_wrap=True)
            for p in problems:
                err_console.print(Text(f"  - {p}"), soft_wrap=True)
        else:
            console.print(f"{path}: ok")
    raise typer.Exit(EXIT_PROBLEMS if bad else 0)


@app.command()
def show(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: SetOption = None,
) -> None:
    """Print the fully resolved scenario (extends and --set applied) as YAML."""
    from sim.scenario import resolved_yaml

    scn = load_or_exit(scenario, sets or [])
    typer.echo(resolved_yaml(scn), nl=False)


# --------------------------------------------------------------------------- sweep / sensitivity


@app.command()
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
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                help="Worker processes (default: all cores).")
                       ] = None,
    executor: ExecutorOption = "local",
    scheduler: SchedulerOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder (default results/sweep-<name>).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an interrupted sweep.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing sweep.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a designed experiment: replicates at every design point, one batch folder each."""
    from sim.analysis import check_sweep_dir, load_experiment, run_sweep
    from sim.runner import make_executor

    with user_errors():
        lx = load_experiment(experiment, design=design, points=points, runs=runs, days=days)
        from sim.runner import check_path
        from sim.viz import default_folder

        folder = out or default_folder(lx.experiment.name, prefix="sweep-")
        check_path(folder)
        check_sweep_dir(folder, resume=resume, force=force)
        ex = make_executor(executor, workers, scheduler)
    n_runs = lx.experiment.runs
    with _progress_bar(quiet) as bar:
        task = bar.add_task(f"sweep {lx.experiment.name}", total=None)

        def progress(finished: int, total: int) -> None:
            bar.update(task, completed=finished, total=total)

        try:
            with user_errors():
                res = run_sweep(lx, folder, executor=ex,
                                resume=resume, force=force, seed=seed, progress=progress,
                                command=_command_line())
        finally:
            ex.close()
    console.print(f"wrote {folder}/ ({res.points} points × {n_runs} runs: {res.done} done, "
                  f"{res.failed} failed, {res.seconds:.1f} s); next: wargame sensitivity "
                  f"{shlex.quote(str(folder))}")
    if res.interrupted:
        err_console.print(Text(f"interrupted: finish with: wargame sweep "
                               f"{shlex.quote(str(experiment))} --out "
                               f"{shlex.quote(str(folder))} --resume"), soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_PROBLEMS if res.failed else 0)


@app.command()
def sensitivity(
    folder: Annotated[Path, typer.Argument(help="Sweep folder written by wargame sweep.")],
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", "-m", metavar="COLUMN@DAY",
        help="Outcome(s) to analyse, e.g. kursk_ua_km2@60 (default: the experiment's).")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write PNG figures to DIR/sensitivity/.")] = True,
) -> None:
    """Sobol, Morris or rank-correlation indices of a sweep, and which parameters matter."""
    from sim.analysis import INDEX_LABEL, load_sweep, parse_outcome, write_sensitivity
    from sim.analysis import sensitivity as analyse

    with user_errors():
        sw = load_sweep(folder)
    try:
        for o in outcome or []:
            parse_outcome(o)
        res = analyse(sw, outcome or None)
    except (ValueError, KeyError) as exc:
        raise fail(exc) from None
    shown = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"],
             "correlation": ["spearman", "PRCC"]}[res.method]
    for o, rows in res.table.groupby("outcome", sort=False):
        table = Table(title=f"{o} ({sw.method} design, {len(res.outcomes)} runs)",
                      title_justify="left")
        table.add_column("parameter")
        for idx in shown:
            table.add_column(INDEX_LABEL.get(idx, idx) + "\n[95 % interval]", justify="right")
        for param in sw.names:
            cells = []
            for idx in shown:
                r = rows[(rows["parameter"] == param) & (rows["index"] == idx)]
                if r.empty:
                    cells.append("")
                    continue
                r = r.iloc[0]
                ci = f" [{r['low']:.2f}, {r['high']:.2f}]" if r["low"] == r["low"] else ""
                cells.append(f"{r['value']:.2f}{ci}")
            table.add_row(param, *cells)
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


# --------------------------------------------------------------------------- calibrate


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Hindcast scenario with a calibration: "
                                                  "section, e.g. scenarios/hindcast_2024.yaml.")],
    observations: Annotated[Path, typer.Option("--observations", help="Observations table.")
                            ] = Path("seeds/observations.csv"),
    params: Annotated[str, typer.Option("--params", help="Comma-separated parameter paths to "
                                        "fit (ranges from the scenario's calibration: section).")
                      ] = "combat.lethality,combat.prepared_defence,advance.max_km_per_day",
    method: Annotated[Literal["smc", "rejection"], typer.Option(
        "--method", help="smc (ABC-SMC, pyABC) or rejection (ABC over a Latin hypercube).")
                      ] = "smc",
    budget: Annotated[int | None, typer.Option(
        "--budget", min=2, help="rejection: candidates (default 240); smc: stop before a "
                                "population once this many simulations ran (default: none).")
                      ] = None,
    population: Annotated[int, typer.Option("--population", min=2,
                                            help="smc: particles per population.")] = 200,
    generations: Annotated[int, typer.Option("--generations", min=1,
                                             help="smc: maximum number of populations.")] = 8,
    min_epsilon: Annotated[float, typer.Option("--min-epsilon", min=0.0,
                                               help="smc: stop once epsilon is this small.")
                           ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Master seed.")] = 20240806,
    replicates: Annotated[int | None, typer.Option(
        "--replicates", min=1, help="Runs per candidate, summarised by their median (default: "
                                    "rejection 4, smc 1).")] = None,
    accept: Annotated[float, typer.Option("--accept", min=0.001, max=1.0,
                                          help="rejection: share of candidates accepted.")
                      ] = 0.1,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                help="Worker processes (default: all cores).")
                       ] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Overlay YAML to write, inside the fit folder (default "
                            "FIT_DIR/overlay.yaml); wargame install-fit installs it.")] = None,
    fit_dir: Annotated[Path | None, typer.Option(
        "--fit-dir", help="Folder of the fit, the only place calibrate writes: abc.db (smc), "
                          "posterior.parquet (weighted particles with the fit record), "
                          "posterior.csv, fit_table.csv, fit.json, overlay.yaml (default "
                          "results/calibration-<scenario>).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="smc: continue the fit stored in "
                                                          "--fit-dir.")] = False,
    force: Annotated[bool, typer.Option("--force", help="smc: delete the fit stored in "
                                                        "--fit-dir and start afresh.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Also write a report folder, inside the fit folder (check batch, "
                         "tables, history.png).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    sets: SetOption = None,
) -> None:
    """Fit parameters to the dated 2024 record by ABC (SMC or rejection); write the weighted
    posterior, the overlay (which names the posterior) and the fit report into the fit folder
    (never into scenarios/: install a fit with wargame install-fit)."""
    import os

    from sim.analysis import (
        CalibrationError,
        ObservationError,
        check_fit_paths,
        check_inputs,
        fit_lock,
        format_fit,
        load_observations,
    )
    from sim.analysis import calibrate as fit_rejection
    from sim.runner import atomic_write_text, check_path
    from sim.viz import default_folder
    from sim.viz import write_calibration_report as write_report

    if resume and force:
        raise fail("--resume and --force exclude each other")
    if method == "rejection" and (resume or force):
        raise fail("--resume/--force apply to --method smc")
    scn = load_or_exit(scenario, sets or [])
    try:
        obs = load_observations(observations)
    except ObservationError as exc:
        raise fail(exc) from None
    fit_dir = fit_dir or default_folder(scn.name, prefix="calibration-")
    out = out or fit_dir / "overlay.yaml"
    with user_errors():
        check_path(fit_dir)  # before any stat of it: a name too long is one line
        check_fit_paths(fit_dir, out, report, scenario=scenario)
        if out.is_dir():
            raise fail(f"{out}: is a directory; --out takes a YAML file name")
    reps = replicates or (1 if method == "smc" else 4)
    plist = [p.strip() for p in params.split(",") if p.strip()]
    from sim.analysis import calibrate_smc, check_resume, smc_config

    try:  # every input checked before anything is written or a line of progress printed
        _, targets, _ = check_inputs(scn, obs, plist, scn.days)
        if resume and method == "smc":
            check_resume(fit_dir, smc_config(scn, plist, seed, population, reps, scn.days,
                                             targets))
    except CalibrationError as exc:
        raise fail(exc) from None
    with user_errors(), fit_lock(fit_dir):
        try:
            if method == "rejection":
                n = budget or 240
                err_console.print(f"calibrating {scn.name} by ABC rejection: {n} candidates x "
                                  f"{reps} replicates")
                cal = fit_rejection(scn, obs, plist, budget=n, seed=seed,
                                    replicates=reps, accept=accept, workers=workers)
            else:
                if force and (fit_dir / "abc.db").exists():
                    (fit_dir / "abc.db").unlink()
                err_console.print(f"calibrating {scn.name} by ABC-SMC: up to {generations} "
                                  f"populations of {population} x {reps} replicate(s)"
                                  + (f", budget {budget} simulations" if budget else "")
                                  + f"; database {fit_dir / 'abc.db'}")
                with _progress_bar(quiet) as bar:
                    task = bar.add_task("population 0", total=population)

                    def progress(ev: dict) -> None:
                        if ev["kind"] == "batch":
                            bar.update(task, description=f"population {ev['t']}",
                                       completed=ev["accepted"], total=ev["n"])
                        else:
                            bar.console.print(
                                f"population {ev['t']}: epsilon {ev['eps']:.4g}, "
                                f"{ev['accepted']} accepted of {ev['evaluations']} "
                                f"({ev['accepted'] / max(ev['evaluations'], 1):.0%}), ESS "
                                f"{ev['ess']:.0f}, {ev['seconds']:.0f} s; "
                                f"{ev['total_simulations']} simulations so far")
                            bar.update(task, description=f"population {ev['t'] + 1}",
                                       completed=0)

                    try:
                        cal = calibrate_smc(scn, obs, plist, fit_dir,
                                            population=population, generations=generations,
                                            budget=budget, seed=seed, replicates=reps,
                                            min_epsilon=min_epsilon, workers=workers,
                                            resume=resume, progress=progress)
                    except KeyboardInterrupt:
                        err_console.print(Text(f"interrupted: the finished populations are in "
                                               f"{fit_dir / 'abc.db'}; continue with: "
                                               f"{_resume_command()}"), soft_wrap=True)
                        raise typer.Exit(EXIT_INTERRUPTED) from None
        except CalibrationError as exc:
            raise fail(exc) from None
        console.print(format_fit(cal), soft_wrap=True)
        from sim.analysis import status_line, write_fit

        files = write_fit(cal, fit_dir, observations)
        rel = os.path.relpath(files[0].resolve(), out.resolve().parent)
        atomic_write_text(out, cal.to_overlay_yaml(rel))
        console.print(f"wrote {out} and {fit_dir}/ ({', '.join(f.name for f in files)})")
        console.print(_status_text(status_line(cal.fit_record(observations))), soft_wrap=True)
        if report is not None:
            rfiles = write_report(cal, scn, report, observations, workers=workers,
                                  posterior=files[0] if method == "smc" else None)
            console.print(f"wrote {report}/ ({', '.join(f.name for f in rfiles)})")
    console.print(Text(f"to make every option run on this fit: wargame install-fit "
                       f"{shlex.quote(str(fit_dir))}"), soft_wrap=True)


@app.command("install-fit")
def install_fit(
    fit_dir: Annotated[Path, typer.Argument(help="Fit folder written by wargame calibrate.")],
    scenarios: Annotated[Path, typer.Option(
        "--scenarios", help="Scenarios folder to install into (its calibrated.yaml and "
                            "posterior/).")] = Path("scenarios"),
    yes: Annotated[bool, typer.Option("--yes", help="Replace the files (without it: show "
                                                    "the changes only).")] = False,
    posterior_only: Annotated[bool, typer.Option(
        "--posterior-only", help="Install only posterior/ and keep calibrated.yaml's fixed "
                                 "values.")] = False,
) -> None:
    """Install a fit into scenarios/: its overlay as calibrated.yaml (which base.yaml extends,
    so every option changes) and its posterior in posterior/. Shows the changes; writes only
    with --yes."""
    from sim.analysis import plan_install

    with user_errors():
        plan = plan_install(fit_dir, scenarios, overlay=not posterior_only)
        if not plan.diff:
            console.print(f"{scenarios}: already holds the fit in {fit_dir}; nothing to do")
            return
        typer.echo(plan.diff)
        if not yes:
            raise fail(f"not installed: these {len(plan.files)} files under {scenarios} would "
                       "change every scenario that extends calibrated.yaml; re-run with --yes")
        written = plan.apply()
    console.print(f"installed {fit_dir} into {scenarios}/ ({len(written)} files)")


# --------------------------------------------------------------------------- backtest


@app.command()
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
        "--params", help="Comma-separated parameters to fit from their priors (default: every "
                         "one of the calibration: section; the others are held at their prior "
                         "midpoints).")] = None,
    population: Annotated[int, typer.Option("--population", min=2,
                                            help="ABC-SMC particles per population.")] = 100,
    generations: Annotated[int, typer.Option("--generations", min=1,
                                             help="Maximum populations per fit.")] = 8,
    budget: Annotated[int, typer.Option("--budget", min=2, help="Stop a fit before a "
                                        "population once this many simulations ran.")] = 800,
    draws: Annotated[int, typer.Option("--draws", min=2, help="Posterior-predictive forecast "
                                                              "runs per origin.")] = 100,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Master seed.")] = 20250105,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                help="Worker processes (default: all cores).")
                       ] = None,
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
        CalibrationError,
        ObservationError,
        check_backtest,
        check_origins,
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
        dates = [dt.date.fromisoformat(s.strip()) for s in origins.split(",") if s.strip()]
    except ValueError:
        raise fail(f"--origins {origins!r}: expected dates YYYY-MM-DD separated by commas"
                   ) from None
    if out.exists() and not out.is_dir():
        raise fail(f"{out}: exists and is not a folder; --out takes a folder")
    scn = load_or_exit(scenario, sets or [])
    names = [p.strip() for p in params.split(",") if p.strip()] if params else None
    try:   # every input checked before anything runs or is written
        check_origins(scn, load_observations(observations), dates)
        unknown = [p for p in names or [] if p not in scn.calibration]
        if unknown:
            raise CalibrationError(f"--params {', '.join(unknown)}: no range in the "
                                   f"scenario's calibration: section")
    except (CalibrationError, ObservationError) as exc:
        raise fail(exc) from None
    t0 = time.perf_counter()
    with _progress_bar(quiet) as bar:
        task = bar.add_task("fit", total=population)

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

        try:
            bt = run_backtest(scn, observations, dates, names, population=population,
                              generations=generations, budget=budget, draws=draws, seed=seed,
                              workers=workers, progress=progress)
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


# --------------------------------------------------------------------------- app


@app.command("app")
def app_command(
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default: this "
                                                     "machine only).")] = "127.0.0.1",
) -> None:
    """Open the browser app: watch a run, play a side, browse batches (needs the app extra)."""
    import importlib

    # sim.app is the layer above the CLI: loaded by name, only when this command runs
    try:
        sim_app = importlib.import_module("sim.app")
    except ImportError as exc:
        raise fail(f"the app needs the app extra: pip install -e '.[app]' ({exc})") from None
    serve = sim_app.serve
    with user_errors():  # an address that is not this machine's, a port in use
        port = sim_app.pick_port(host, port)
    console.print(f"wargame app on http://{host}:{port}/ (Ctrl-C stops it)")
    raise typer.Exit(serve(host=host, port=port))


def run_cli() -> None:
    """The ``wargame`` command: the Typer app, with a Ctrl-C that arrives outside a batch's own
    handling (while modules load, between commands) ending in one line and exit 130, not a
    traceback."""
    try:
        app(prog_name="wargame")
    except KeyboardInterrupt:
        err_console.print(Text("interrupted"), soft_wrap=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    finally:
        # The interpreter's garbage collections at exit walk every object of pandas, pyarrow,
        # pydantic, matplotlib... (~0.3 s after a batch). Frozen objects are skipped; nothing
        # here relies on a collection at exit (every file is closed when written), and exit
        # handlers (the pool's, the fork server's) still run.
        gc.freeze()
