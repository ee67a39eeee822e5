"""``wargame``: the command-line interface, a thin Typer layer over library functions.

This module builds the Typer app from one module per command group: ``batches`` (run),
``outputs`` (compare, plot, report, explain), ``checks`` (check, validate, show), ``sweeps``
(sweep, sensitivity), ``fitting`` (calibrate, install-fit), ``backtesting`` (backtest), and
the ``app`` command here; what they share (consoles, exit codes, error handling, the progress
bar, options used by several commands) is in ``common``.

Pattern for a command (``compare``, ``plot``, ``report``... follow it):

* one small function, arguments as ``Annotated`` options, registered below;
* load inputs with :func:`~sim.cli.common.load_or_exit` (scenarios) or inside
  ``with user_errors():``;
* call one library function that does the work (a notebook calls the same function);
* print with the shared ``console`` (stdout) / ``err_console`` (stderr).

User mistakes (bad file, bad value, folder conflicts) exit with code 2 and one line on stderr,
never a traceback, and nothing is written before all inputs were checked.
"""

from __future__ import annotations

import gc
import importlib
from typing import Annotated

import typer
from rich.text import Text

from sim.cli.backtesting import backtest
from sim.cli.batches import run
from sim.cli.checks import check, show, validate
from sim.cli.common import (
    EXIT_INTERRUPTED,
    OneLineUsageErrors,
    console,
    err_console,
    fail,
    pause_gc,
    resume_gc,
    user_errors,
)
from sim.cli.fitting import calibrate, install_fit
from sim.cli.outputs import compare, explain, plot, report
from sim.cli.sweeps import sensitivity, sweep

__all__ = ["app", "run_cli"]

app = typer.Typer(
    name="wargame",
    help="Agent-based Monte Carlo wargame of the Kursk and Donetsk fronts from 5 January 2025.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineUsageErrors,
)


def _version_callback(value: bool) -> None:
    if value:
        from sim.runner import package_version

        console.print(f"wargame {package_version()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True,
                     help="Show the version and exit."),
    ] = False,
) -> None:
    """Agent-based Monte Carlo wargame of the Kursk and Donetsk fronts from 5 January 2025."""
    if ctx.invoked_subcommand != "run":
        # `run` ends its start-up itself, once its inputs are checked (sim.cli.batches); the
        # other commands collect garbage again from here (a sweep or a fit runs the model)
        resume_gc()


def app_command(
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default: this "
                                                     "machine only).")] = "127.0.0.1",
) -> None:
    """Open the browser app: watch a run, play a side, browse batches (needs the app extra)."""
    # sim.app is the layer above the CLI: loaded by name, only when this command runs
    try:
        sim_app = importlib.import_module("sim.app")
    except ImportError as exc:
        raise fail(f"the app needs the app extra: pip install -e '.[app]' ({exc})") from None
    with user_errors():  # an address that is not this machine's, a port in use
        port = sim_app.pick_port(host, port)
    console.print(f"wargame app on http://{host}:{port}/ (Ctrl-C stops it)")
    raise typer.Exit(sim_app.serve(host=host, port=port))


# The commands, in the order `wargame --help` lists them.
for _command in (run, compare, plot, report, explain, check, validate, show, sweep, sensitivity,
                 calibrate, install_fit, backtest):
    app.command()(_command)  # named after the function: install_fit is install-fit
app.command("app")(app_command)


def _from_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling a ``KeyboardInterrupt`` that nothing
    reported (a chain that ends ``from None`` was reported by whoever cut it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return False


def run_cli(*, gc_paused: bool = False) -> None:
    """The ``wargame`` command: the Typer app, with a Ctrl-C that arrives outside a batch's own
    handling (while modules load, between commands) ending in one line and exit 130, not a
    traceback. The garbage collector is paused for the command's start-up
    (:func:`~sim.cli.common.pause_gc`; ``gc_paused``: the caller, ``sim.__main__``, already
    paused it before importing this package)."""
    from sim.runner import install_ctrl_c_handler

    pause_gc(by_caller=gc_paused)

    install_ctrl_c_handler()  # never inside an import (a hang or a lost Ctrl-C)
    try:
        app(prog_name="wargame")
    except KeyboardInterrupt:
        err_console.print(Text("interrupted"), soft_wrap=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED and _from_ctrl_c(exc):  # Typer exits 130 silently
            err_console.print(Text("interrupted"), soft_wrap=True)
        raise
    finally:
        # CPython 3.12 marks a KeyboardInterrupt as unhandled when it ends a string exec()
        # (dataclasses and namedtuple build their methods so, e.g. while a module loads) even
        # if it was caught; at exit `python -m sim` (and a script that returns) then kills
        # itself with SIGINT: exit -2 instead of 130 (13 of 280 early Ctrl-Cs). The flag is
        # cleared at the start of every string exec.
        exec("", {})
        # The interpreter's garbage collections at exit walk every object of pandas, pyarrow,
        # pydantic, matplotlib... (~0.3 s after a batch). Frozen objects are skipped; nothing
        # here relies on a collection at exit (every file is closed when written), and exit
        # handlers (the pool's, the fork server's) still run.
        gc.freeze()
