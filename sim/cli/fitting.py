"""``wargame calibrate`` and ``install-fit``: fit parameters to the 2024 record, and install a
fit into ``scenarios/``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.progress import Progress, TaskID
from rich.text import Text

from sim.cli.common import (
    EXIT_INTERRUPTED,
    SetOption,
    WorkersOption,
    console,
    err_console,
    fail,
    progress_bar,
    resume_command,
    split_names,
    status_text,
    user_errors,
)

if TYPE_CHECKING:
    from sim.viz import FitOutcome, FitPlan


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
    workers: WorkersOption = None,
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
    held: Annotated[Literal["scenario", "prior"], typer.Option(
        "--held", help="smc: the other parameters of the calibration: section keep the "
                       "scenario's values (scenario) or are drawn from their priors in every "
                       "simulation (prior, as wargame backtest does; the fit records them so "
                       "batches can draw them too).")] = "scenario",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    sets: SetOption = None,
) -> None:
    """Fit parameters to the dated 2024 record by ABC (SMC or rejection); write the weighted
    posterior, the overlay (which names the posterior) and the fit report into the fit folder
    (never into scenarios/: install a fit with wargame install-fit)."""
    from sim.analysis import CalibrationError, ObservationError
    from sim.viz import FitInterrupted, FitJob, plan_fit, run_fit

    job = FitJob(scenario, observations, split_names(params), method=method, budget=budget,
                 population=population, generations=generations, min_epsilon=min_epsilon,
                 seed=seed, replicates=replicates, accept=accept, workers=workers, overlay=out,
                 fit_dir=fit_dir, resume=resume, force=force, report=report, held=held,
                 overrides=sets or [])
    shown = _Shown(quiet)
    try:  # every input and path checked before anything is written or a line printed
        with user_errors():
            try:
                plan = plan_fit(job)
                outcome = run_fit(plan, progress=shown)
            finally:
                shown.stop()  # before an error line or the interrupted one
    except (CalibrationError, ObservationError) as exc:
        raise fail(exc) from None
    except FitInterrupted as exc:
        err_console.print(Text(f"interrupted: the finished populations are in "
                               f"{exc.database}; continue with: {resume_command()}"),
                          soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if report is not None:
        console.print(f"wrote {report}/ ({', '.join(f.name for f in outcome.report_files)})")
    console.print(Text(f"to make every option run on this fit: wargame install-fit "
                       f"{shlex.quote(str(plan.fit_dir))}"), soft_wrap=True)


class _Shown:
    """What calibrate prints as the fit goes (a :class:`sim.viz.FitProgress`): the plan on
    stderr, the ABC-SMC progress bar (a line as each population closes), then the fit's
    table and files on stdout."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def started(self, plan: FitPlan) -> None:
        err_console.print(plan.describe())
        if plan.job.method == "smc":
            self.bar = progress_bar(self.quiet)
            self.bar.start()
            self.task = self.bar.add_task("population 0", total=plan.job.population)

    def smc(self, ev: dict) -> None:
        bar, task = self.bar, self.task
        assert bar is not None and task is not None
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
            bar.update(task, description=f"population {ev['t'] + 1}", completed=0)

    def stop(self) -> None:
        """End the progress bar (before anything else is printed)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def written(self, outcome: FitOutcome) -> None:
        from sim.analysis import format_fit

        self.stop()
        files = outcome.files
        console.print(format_fit(outcome.calibration), soft_wrap=True)
        console.print(f"wrote {outcome.overlay} and {outcome.plan.fit_dir}/ "
                      f"({', '.join(f.name for f in files)})")
        console.print(status_text(outcome.status), soft_wrap=True)


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
