"""What every command of ``wargame`` shares, in one place: the consoles, exit codes, the
one-line error handling, the progress bar and the option declarations used by several
commands."""

from __future__ import annotations

import contextlib
import gc
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

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
from rich.text import Text

if TYPE_CHECKING:
    from sim.scenario import Scenario

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_PROBLEMS = 1  # validation found problems / some runs failed
EXIT_USAGE = 2  # a user mistake: bad file, bad value, folder conflict
EXIT_INTERRUPTED = 130  # Ctrl-C


# --------------------------------------------------------------------------- start-up

#: Whether :func:`pause_gc` stopped the cyclic garbage collector (and :func:`resume_gc` has
#: not restarted it yet).
_gc_paused = False


def pause_gc(*, by_caller: bool = False) -> None:
    """Stop the cyclic garbage collector for a command's start-up (``by_caller``: the caller
    already stopped it, before importing this package). Start-up (the imports of numpy,
    pandas, pyarrow, pydantic, scipy and the input checks) builds ~170,000 long-lived
    container objects and almost no garbage, and every collection in between scans the
    objects built so far again: ~0.2 s of a 1-run batch's ~2.5 s. A collector that was off
    before is left off."""
    global _gc_paused
    if by_caller or gc.isenabled():
        gc.disable()
        _gc_paused = True


def resume_gc() -> None:
    """End of start-up: move everything built so far to the permanent generation
    (``gc.freeze``: no collection scans it again) and collect again from here on (a model run
    leaves cycles: Mesa's agents and model refer to each other). A no-op unless
    :func:`pause_gc` stopped the collector."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


# --------------------------------------------------------------------------- errors


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


#: Click's UsageError as Typer raises it (Typer 0.29 vendors Click, so ``click.UsageError`` is
#: another class): the base of the public ``typer.BadParameter``
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__
                                     if c.__name__ == "UsageError")


class OneLineUsageErrors(typer.core.TyperGroup):
    """The app's command group: a usage error Click or Typer finds while parsing (a value
    outside an option's choices, an unknown option or command, a missing argument) is one
    ``error:`` line on stderr and exit 2, like every other bad input, instead of Click's usage
    block and boxed message."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _USAGE_ERROR as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            raise fail(f"{exc.format_message()} (see {where} --help)") from None


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


@contextlib.contextmanager
def analysis_errors() -> Iterator[None]:
    """:func:`user_errors`, and also the errors of comparisons and figures."""
    from sim.analysis import CompareError
    from sim.viz import PlotError

    with user_errors():
        try:
            yield
        except (CompareError, PlotError) as exc:
            raise fail(exc) from None


def load_or_exit(path: Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario, or exit 2 with a one-line message."""
    from sim.scenario import load_scenario

    with user_errors():
        return load_scenario(path, overrides=list(overrides))


def command_line() -> str:
    """This process's command line, as the user could type it again."""
    return shlex.join(["wargame", *sys.argv[1:]])


def resume_command() -> str:
    """This command line with ``--resume`` (once)."""
    again = command_line()
    return again if "--resume" in again.split() else again + " --resume"


def split_names(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (the comma-separated lists of ``--params``)."""
    return [p.strip() for p in text.split(",") if p.strip()]


# --------------------------------------------------------------------------- display


class _RateColumn(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} runs/s" if speed else "… runs/s", style="progress.data.speed")


def progress_bar(quiet: bool) -> Progress:
    """The progress bar of every long command (on stderr; ``quiet``: none)."""
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


def status_text(text: str) -> Text:
    """Text with the calibration status's UNCALIBRATED in bold red."""
    from sim.analysis import UNCALIBRATED

    out = Text(text)
    out.highlight_words([UNCALIBRATED], style="bold red")
    return out


# --------------------------------------------------------------------------- shared options

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY.PATH=VALUE",
                 help="Override a scenario value, e.g. --set combat.lethality=0.005 (repeatable)."),
]
WorkersOption = Annotated[int | None, typer.Option("--workers", "-w", min=1,
                                                   help="Worker processes (default: all cores).")]
ExecutorOption = Annotated[
    Literal["local", "dask"], typer.Option(
        "--executor", help="Where runs execute: local (worker processes) or dask (a "
                           "dask.distributed cluster).")]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", metavar="ADDRESS",
                             help="Dask scheduler, e.g. tcp://host:8786 (default: a local "
                                  "cluster on this machine).")]
DirsArg = Annotated[list[Path], typer.Argument(help="Batch folder(s) written by wargame run.")]
DayOption = Annotated[int | None, typer.Option(
    "--day", min=0, help="Day compared (default: the last day common to all batches).")]
BaselineOption = Annotated[Path | None, typer.Option(
    "--baseline", help="Baseline batch folder (default: the first folder).")]
Format = Literal["table", "markdown", "csv", "json"]
FormatOption = Annotated[Format, typer.Option(
    "--format", "-f", help="table (plain text, 80 columns), markdown, csv (every column) or "
                           "json.")]
