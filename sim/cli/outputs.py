"""``wargame compare``, ``plot``, ``report`` and ``explain``: what batches show, as tables,
figures, one HTML report, and causal chains."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.text import Text

from sim.cli.common import (
    BaselineOption,
    DayOption,
    DirsArg,
    Format,
    FormatOption,
    analysis_errors,
    console,
    err_console,
    fail,
)

# the outcome registry alone (no numpy, pandas): the help texts name its outcomes
from sim.runner import EVENT_OUTCOMES, OUTCOME_BY_NAME, PLACE_PREFIX

if TYPE_CHECKING:
    from sim.analysis import Comparison, Robustness


def compare(
    dirs: DirsArg,
    baseline: BaselineOption = None,
    day: DayOption = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", "-m", help=f"Outcome to compare (repeatable): {', '.join(OUTCOME_BY_NAME)} "
                               f"or {PLACE_PREFIX}<place>, e.g. {PLACE_PREFIX}sudzha (default: "
                               "the headline outcomes).")
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

        with analysis_errors():
            rob = robustness(dirs, day=day, satisfice=satisfice or [])
        _echo_as(rob, fmt)
        for w in rob.warnings:
            err_console.print(Text(f"warning: {w}"), soft_wrap=True)
        return
    with analysis_errors():
        result = run_compare(dirs, baseline=baseline, day=day, metrics=metric or None,
                             places=places)
    _echo_as(result, fmt)


def _echo_as(result: Comparison | Robustness, fmt: Format) -> None:
    """Print ``result`` in the ``--format`` asked for (the same four for every table)."""
    text = {"table": result.to_text, "markdown": result.to_markdown, "csv": result.to_csv,
            "json": result.to_json}[fmt]()
    typer.echo(text, nl=not text.endswith("\n"))


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
    from sim.analysis import check_output_path
    from sim.viz import make_plots

    with analysis_errors():
        check_output_path(out)
        files = make_plots(dirs, kind=kind, day=day, run=run_index, out=out)
    for f in files:
        console.print(str(f))


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
    from sim.analysis import check_output_path
    from sim.viz import write_report

    if out.is_dir():
        raise fail(f"{out}: is a directory; --out takes an HTML file name")
    for sw in sweeps or []:
        if not (sw / "sweep.json").is_file():
            raise fail(f"{sw}: not a sweep folder (no sweep.json)")
    with analysis_errors():
        check_output_path(out)
        path = write_report(dirs, out, baseline=baseline, day=day, sweeps=sweeps or [])
    console.print(f"wrote {path}")


def explain(
    dirs: DirsArg,
    run_index: Annotated[int | None, typer.Option(
        "--run", "-r", min=0, help="Tell this run (one folder): both fronts' areas, lines, "
                                   "troops, places and transfers, then the causal chains "
                                   "behind its headline events.")] = None,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help=f"With --run: only this outcome: {', '.join(EVENT_OUTCOMES)}.")
                                 ] = None,
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
    from sim.analysis import (
        check_event_outcome,
        check_output_path,
        explain_batches,
        explain_run,
        format_chains,
        run_story,
    )

    if outcome is not None and run_index is None:
        raise fail("--outcome needs --run")
    if outcome is not None:
        with analysis_errors():
            check_event_outcome(outcome)
    if out is not None:
        with analysis_errors():
            check_output_path(out)
    if run_index is not None:
        if len(dirs) != 1:
            raise fail("--run takes one batch folder")
        with analysis_errors():
            chains = explain_run(dirs[0], run_index, outcome)
            story = [] if outcome else run_story(dirs[0], run_index)
        typer.echo(format_chains(chains, story))
        return
    with analysis_errors():
        expl = explain_batches(dirs, class_day=day)
    typer.echo(expl.to_text())
    if out is not None:
        from sim.viz import write_explain_figures

        with analysis_errors():
            written = write_explain_figures(expl, out)
        for p in written:
            console.print(str(p))
