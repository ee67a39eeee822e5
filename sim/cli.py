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
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

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
    from sim.runner import BatchError, ExecutorError, ResultsError
    from sim.scenario import ScenarioError

    try:
        yield
    except (ScenarioError, BatchError, ExecutorError, ResultsError, FileNotFoundError,
            NotADirectoryError) as exc:
        raise fail(exc) from None
    except OSError as exc:  # permission, read-only, disk full, name too long...
        name = f"{str(exc.filename)[:200]}: " if exc.filename else ""
        raise fail(f"{name}{exc.strerror or exc}") from None


def load_or_exit(path: Path, overrides: Sequence[str] = ()) -> Any:
    """Load and validate a scenario, or exit 2 with a one-line message."""
    from sim.scenario import load_scenario

    with user_errors():
        return load_scenario(path, overrides=list(overrides))


RESULTS = Path("results")


def default_folder(slug: str) -> Path:
    """``results/<slug>``; exits 2 should it resolve anywhere but inside ``results/``."""
    folder = RESULTS / slug
    try:
        inside = folder.resolve().is_relative_to(RESULTS.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside or slug in ("", ".", ".."):
        raise fail(f"{folder}: the default output folder must stay inside {RESULTS}/; "
                   "use --out")
    return folder


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
    str, typer.Option("--executor", help="Where runs execute: local (worker processes) or dask "
                                         "(a dask.distributed cluster).")]
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


def summary_table(summary: Any, title: str) -> Table:
    """The rich table of :func:`sim.results.summarize` output: median [5–95 %] per day."""
    from sim.runner import fmt_number as _fmt

    days = list(dict.fromkeys(summary["day"].tolist()))
    table = Table(title=title, title_justify="left")
    table.add_column("outcome")
    for d in days:
        date = summary.loc[summary["day"] == d, "date"].iloc[0]
        table.add_column(f"day {d}\n{date}", justify="right")
    for _, rows in summary.groupby("metric", sort=False):
        cells = []
        for d in days:
            r = rows[rows["day"] == d]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            if r["median"] != r["median"]:  # a share
                cells.append(f"{100 * r['mean']:.0f} %")
            else:
                cells.append(f"{_fmt(r['median'])}  [{_fmt(r['p5'])} – {_fmt(r['p95'])}]")
        table.add_row(rows["label"].iloc[0], *cells)
    table.caption = "median [5 % – 95 %] over runs"
    return table


@app.command()
def run(
    ctx: typer.Context,
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
) -> None:
    """Run a Monte Carlo batch per scenario and save it under results/."""
    from sim.runner import check_out_dir, run_batch, summarize

    if resume and force:
        raise fail("--resume and --force exclude each other")
    overrides = list(sets or [])
    if days is not None:
        overrides.append(f"days={days}")
    # check every input before running (or writing) anything
    loaded = [(path, load_or_exit(path, overrides)) for path in scenarios]
    from sim.runner import folder_name

    # a name is a name, not a path: the default folder is results/<slug>, always inside
    folders = [
        (out if len(loaded) == 1 else out / folder_name(scn.name)) if out
        else default_folder(folder_name(scn.name))
        for _, scn in loaded
    ]
    if len(set(folders)) < len(folders):
        dup = next(f for f in folders if folders.count(f) > 1)
        raise fail(f"two scenarios would share the results folder {dup}; rename one")
    with user_errors():
        for folder in folders:
            check_out_dir(folder, resume=resume, force=force)
        from sim.runner import make_executor

        ex = make_executor(executor, workers, scheduler)
    ctx.call_on_close(ex.close)  # one pool or cluster for every scenario, closed however we end
    exit_code = 0
    for (_, scn), folder in zip(loaded, folders, strict=True):
        with _progress_bar(quiet) as bar:
            task = bar.add_task(scn.name, total=None)

            def progress(finished: int, total: int, bar=bar, task=task) -> None:
                bar.update(task, completed=finished, total=total)

            with user_errors():
                result = run_batch(
                    scn, folder, runs=runs, master_seed=seed, workers=workers, resume=resume,
                    force=force, progress=progress, command=_command_line(), executor=ex,
                )
        if result.done:
            _write_fan_charts(folder, quiet)
        if result.done and not quiet:
            console.print(summary_table(summarize(folder / "daily.parquet"),
                                        f"{scn.name}: {result.done} runs"))
        if quiet:
            console.print(str(folder))
        else:
            console.print(f"wrote {folder}/ ({result.done}/{result.runs} runs, "
                          f"{result.seconds:.1f} s)")
        if result.failed:
            first = next(iter(result.failed.items()))
            err_console.print(Text(
                f"error: {len(result.failed)} run(s) failed, e.g. run {first[0]}: "
                f"{one_line(first[1] or '')}; see {folder / 'manifest.json'}; retry them with "
                f"--resume"), soft_wrap=True)
            exit_code = EXIT_PROBLEMS
        if result.interrupted and not result.complete:
            again = _command_line()
            if "--resume" not in again.split():
                again += " --resume"
            err_console.print(Text(
                f"interrupted: {result.done} of {result.runs} runs saved in {folder}; finish "
                f"with: {again}"), soft_wrap=True)
            raise typer.Exit(EXIT_INTERRUPTED)
        if result.interrupted:  # Ctrl-C came as the last runs were finishing: nothing lost
            raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(exit_code)


# ------------------------------------------------------------------- compare / plot / report


def _write_fan_charts(folder: Path, quiet: bool) -> None:
    """The fan charts of a finished batch into ``<folder>/figures/`` (never fails the run)."""
    from sim.viz import make_plots

    try:
        files = make_plots([folder], kind="fan", out=folder / "figures")
    except Exception as exc:  # noqa: BLE001 - a figure problem must not lose a batch
        err_console.print(Text(f"warning: fan charts not written: {one_line(exc)}"),
                          soft_wrap=True)
        return
    if not quiet:
        console.print(f"wrote {', '.join(str(f) for f in files)}")


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


@app.command()
def compare(
    dirs: DirsArg,
    baseline: BaselineOption = None,
    day: DayOption = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", "-m", help="Outcome to compare (repeatable), e.g. kursk_ua_km2, "
                               "ceasefire, changed_sudzha (default: all headline outcomes).")
                      ] = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="table, csv, json or markdown.")] = "table",
) -> None:
    """Compare options against a baseline: medians, CIs, paired differences, P(better)."""
    from sim.analysis import compare as run_compare

    if fmt not in ("table", "csv", "json", "markdown"):
        raise fail(f"--format {fmt!r}: expected table, csv, json or markdown")
    with _analysis_errors():
        cmp = run_compare(dirs, baseline=baseline, day=day, metrics=metric or None)
    if fmt == "csv":
        typer.echo(cmp.to_csv(), nl=False)
    elif fmt == "json":
        typer.echo(cmp.to_json())
    elif fmt == "markdown":
        typer.echo(cmp.to_markdown(), nl=False)
    else:
        rows = cmp.display_rows()
        table = Table(title=f"Outcomes on day {cmp.day} ({cmp.date}); baseline {cmp.baseline}",
                      title_justify="left")
        for h in rows[0]:
            table.add_column(h, justify="left" if h in ("outcome", "option", "test")
                             else "right")
        last = None
        for r in rows:
            cells = list(r.values())
            if cells[0] == last:
                cells[0] = ""
            else:
                if last is not None:
                    table.add_section()
                last = cells[0]
            table.add_row(*cells)
        table.caption = ("Δ = option − baseline (paired on matched seeds unless noted), "
                         "bootstrap 95 % CI; ? = CI includes 0; P(better) from Russia's view")
        # wide enough for one line per row even when piped (the table has nine columns)
        Console(highlight=False, width=max(console.width, 200)).print(table)
        for n in cmp.notes:
            console.print(Text(f"note: {n}"), soft_wrap=True)
        for w in cmp.warnings:
            err_console.print(Text(f"warning: {w}"), soft_wrap=True)


@app.command()
def plot(
    dirs: DirsArg,
    kind: Annotated[str, typer.Option(
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


# --------------------------------------------------------------------------- check


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="Batch folder written by wargame run.")],
) -> None:
    """Verify a batch folder against its manifest's checksums: exit 0 intact, 1 damaged."""
    from sim.runner import NotABatchFolder, ResultsError, read_manifest, verify

    try:
        manifest = read_manifest(folder)
    except NotABatchFolder as exc:
        raise fail(exc) from None
    except ResultsError as exc:
        problems, repair = [str(exc)], "--force (the manifest itself is damaged)"
    else:
        problems, repair = verify(folder, manifest), "--resume"
    if problems:
        err_console.print(Text(f"{folder}: damaged, {len(problems)} problem(s)"), soft_wrap=True)
        for p in problems:
            err_console.print(Text(f"  - {one_line(p)}"), soft_wrap=True)
        err_console.print(Text(f"  repair: wargame run <scenario> --out {folder} {repair}"),
                          soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS)
    runs = manifest["runs"]
    done = sum(r["status"] == "done" for r in runs)
    files = manifest.get("files") or {}
    note = f"{len(files)} files match their checksums" if files else "no checksums recorded"
    console.print(Text(f"{folder}: ok ({manifest['status']}, {done}/{len(runs)} runs done, "
                       f"{note})"), soft_wrap=True)


# --------------------------------------------------------------------------- validate / show


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    sets: SetOption = None,
) -> None:
    """Check scenario files; list every problem (exit 1) or say ok."""
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    for path in scenarios:
        try:
            load_scenario(path, overrides=list(sets or []))
        except ScenarioError as exc:
            bad += 1
            problems = exc.problems or [str(exc)]
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
    design: Annotated[str | None, typer.Option(
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
    from sim.analysis import DESIGNS, check_sweep_dir, load_experiment, run_sweep
    from sim.runner import make_executor

    if design is not None and design not in DESIGNS:
        raise fail(f"--design must be one of {', '.join(DESIGNS)} (got {design!r})")
    with user_errors():
        lx = load_experiment(experiment, design=design, points=points, runs=runs, days=days)
        from sim.runner import check_path, folder_name

        folder = out or default_folder(folder_name(lx.experiment.name, prefix="sweep-"))
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
    budget: Annotated[int, typer.Option("--budget", min=2, help="ABC candidates.")] = 240,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Master seed.")] = 20240806,
    replicates: Annotated[int, typer.Option("--replicates", min=1,
                                            help="Replicates per candidate.")] = 4,
    accept: Annotated[float, typer.Option("--accept", min=0.001, max=1.0,
                                          help="Share of candidates accepted.")] = 0.1,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                help="Worker processes (default: all cores).")
                       ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Overlay YAML to write.")
                   ] = Path("scenarios/calibrated.yaml"),
    report: Annotated[Path | None, typer.Option(
        "--report", help="Also write a fit folder (check batch, tables, history.png).")] = None,
    sets: SetOption = None,
) -> None:
    """Fit parameters to the dated 2024 record by ABC; write the overlay and the fit report."""
    from sim.analysis import CalibrationError, ObservationError, format_fit, load_observations
    from sim.analysis import calibrate as fit
    from sim.runner import atomic_write_text
    from sim.viz import write_calibration_report as write_report

    scn = load_or_exit(scenario, sets or [])
    try:
        obs = load_observations(observations)
    except ObservationError as exc:
        raise fail(exc) from None
    if out.exists() and out.is_dir():
        raise fail(f"{out}: is a directory; --out takes a YAML file name")
    err_console.print(f"calibrating {scn.name}: {budget} candidates x {replicates} replicates")
    try:
        cal = fit(scn, obs, params.split(","), budget=budget, seed=seed, replicates=replicates,
                  accept=accept, workers=workers)
    except CalibrationError as exc:
        raise fail(exc) from None
    console.print(format_fit(cal), soft_wrap=True)
    atomic_write_text(out, cal.to_overlay_yaml())
    console.print(f"wrote {out}")
    if report is not None:
        with user_errors():
            files = write_report(cal, scn, report, observations, workers=workers)
        console.print(f"wrote {report}/ ({', '.join(f.name for f in files)})")
