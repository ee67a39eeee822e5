"""``wargame calibrate`` and ``install-fit``: fit parameters to the 2024 record, and install a
fit into ``scenarios/``."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

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
    load_or_exit,
    progress_bar,
    resume_command,
    split_names,
    status_text,
    user_errors,
)


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
    from sim.analysis import (
        CalibrationError,
        Nuisance,
        ObservationError,
        calibrate_smc,
        check_fit_paths,
        check_inputs,
        check_start,
        fit_lock,
        format_fit,
        load_observations,
        smc_config,
        status_line,
        write_fit,
        write_overlay,
    )
    from sim.analysis import calibrate as fit_rejection
    from sim.viz import default_folder
    from sim.viz import write_calibration_report as write_report

    if resume and force:
        raise fail("--resume and --force exclude each other")
    if method == "rejection" and (resume or force or held == "prior"):
        raise fail("--resume/--force/--held prior apply to --method smc")
    scn = load_or_exit(scenario, sets or [])
    try:
        obs = load_observations(observations)
    except ObservationError as exc:
        raise fail(exc) from None
    fit_dir = fit_dir or default_folder(scn.name, prefix="calibration-")
    out = out or fit_dir / "overlay.yaml"
    reps = replicates or (1 if method == "smc" else 4)
    plist = split_names(params)
    nuisance = Nuisance.unfitted(scn, plist) if held == "prior" else []
    try:  # every input and path checked before anything is written or a line printed
        with user_errors():
            check_fit_paths(fit_dir, out, report, scenario=scenario)
        _, targets, _ = check_inputs(scn, obs, plist, scn.days)
        if method == "smc" and not force:  # --force deletes the database below
            check_start(fit_dir, smc_config(scn, plist, seed, population, reps, scn.days,
                                            targets, nuisance), resume)
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
                                  + (f", the {len(nuisance)} other calibration: parameters "
                                     "drawn from their priors" if nuisance else "")
                                  + f"; database {fit_dir / 'abc.db'}")
                with progress_bar(quiet) as bar:
                    try:
                        cal = calibrate_smc(scn, obs, plist, fit_dir,
                                            population=population, generations=generations,
                                            budget=budget, seed=seed, replicates=reps,
                                            min_epsilon=min_epsilon, workers=workers,
                                            resume=resume, nuisance=nuisance,
                                            progress=_smc_progress(
                                                bar, bar.add_task("population 0",
                                                                  total=population)))
                    except KeyboardInterrupt:
                        err_console.print(Text(f"interrupted: the finished populations are in "
                                               f"{fit_dir / 'abc.db'}; continue with: "
                                               f"{resume_command()}"), soft_wrap=True)
                        raise typer.Exit(EXIT_INTERRUPTED) from None
        except CalibrationError as exc:
            raise fail(exc) from None
        console.print(format_fit(cal), soft_wrap=True)
        files = write_fit(cal, fit_dir, observations)
        write_overlay(cal, out, files[0])
        console.print(f"wrote {out} and {fit_dir}/ ({', '.join(f.name for f in files)})")
        console.print(status_text(status_line(cal.fit_record(observations))), soft_wrap=True)
        if report is not None:
            rfiles = write_report(cal, scn, report, observations, workers=workers,
                                  posterior=files[0] if method == "smc" else None)
            console.print(f"wrote {report}/ ({', '.join(f.name for f in rfiles)})")
    console.print(Text(f"to make every option run on this fit: wargame install-fit "
                       f"{shlex.quote(str(fit_dir))}"), soft_wrap=True)


def _smc_progress(bar: Progress, task: TaskID) -> Callable[[dict], None]:
    """The ABC-SMC progress callback: the bar follows the population being sampled, and a
    line is printed as each population closes."""

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
            bar.update(task, description=f"population {ev['t'] + 1}", completed=0)

    return progress


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
