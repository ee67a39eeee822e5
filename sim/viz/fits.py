"""What ``wargame calibrate`` does, as one library call a notebook can make: check every
input and path, lock the fit folder, fit by ABC rejection or ABC-SMC, write the fit, its
overlay and (when asked) the fit report.

    out = run_fit(FitJob("scenarios/hindcast_2024.yaml", method="rejection", budget=40))
    print(format_fit(out.calibration), out.status, *out.files, sep="\\n")

It lives here rather than in :mod:`sim.analysis` because the fit report is a figure-making
step (:func:`~sim.viz.write_calibration_report`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from sim.analysis import (
    DB_NAME,
    DEFAULT_ACCEPT,
    DEFAULT_BUDGET,
    DEFAULT_GENERATIONS,
    DEFAULT_POPULATION,
    DEFAULT_REPLICATES,
    CalibrationError,
    FitReport,
    Nuisance,
    Observation,
    SMCJob,
    calibrate,
    check_fit_paths,
    check_inputs,
    check_start,
    fit_lock,
    load_observations,
    run_smc,
    smc_job,
    status_line,
    write_fit,
    write_overlay,
)
from sim.scenario import Scenario, load_scenario
from sim.viz.batches import default_folder
from sim.viz.calibration import write_calibration_report

__all__ = ["DEFAULT_PARAMS", "FitInterrupted", "FitJob", "FitOutcome", "FitPlan", "FitProgress",
           "plan_fit", "run_fit"]

#: The parameters ``wargame calibrate`` fits unless ``--params`` names others.
DEFAULT_PARAMS = ("combat.lethality", "combat.prepared_defence", "advance.max_km_per_day")


@dataclass(frozen=True)
class FitJob:
    """A calibration as asked: the options of ``wargame calibrate``, with its defaults."""

    #: the hindcast scenario (a file, loaded with ``overrides``, or a loaded scenario)
    scenario: Path | str | Scenario
    observations: Path | str = Path("seeds/observations.csv")
    params: Sequence[str] | str = DEFAULT_PARAMS  # parameter paths (or "a,b,c")
    method: Literal["smc", "rejection"] = "smc"
    #: rejection: candidates (default 240); smc: stop before a population once this many
    #: simulations ran (default: none)
    budget: int | None = None
    population: int = DEFAULT_POPULATION  # smc: particles per population
    generations: int = DEFAULT_GENERATIONS  # smc: at most this many populations
    min_epsilon: float = 0.0  # smc: stop once epsilon is this small
    seed: int = 20240806
    #: runs per candidate, summarised by their median (default: rejection 4, smc 1)
    replicates: int | None = None
    accept: float = DEFAULT_ACCEPT  # rejection: share of candidates accepted
    workers: int | None = None
    #: the overlay YAML, inside the fit folder (default ``fit_dir/overlay.yaml``)
    overlay: Path | None = None
    #: the only folder a fit writes into (default ``results/calibration-<scenario>``)
    fit_dir: Path | None = None
    resume: bool = False  # smc: continue the fit stored in fit_dir
    force: bool = False  # smc: delete the fit stored in fit_dir and start afresh
    #: also write a report folder (check batch, tables, history.png), inside the fit folder
    report: Path | None = None
    #: smc: the calibration: section's other parameters keep the scenario's values
    #: ("scenario") or are drawn from their priors in every simulation ("prior")
    held: Literal["scenario", "prior"] = "scenario"
    overrides: Sequence[str] = ()  # ``--set`` values, for a scenario given as a file


@dataclass(frozen=True)
class FitPlan:
    """A :class:`FitJob` with every input checked and every default filled in: what
    :func:`run_fit` runs."""

    job: FitJob
    scenario: Scenario
    observations: list[Observation]
    params: list[str]
    fit_dir: Path
    overlay: Path
    replicates: int
    #: the parameters drawn from their priors in every simulation (``held="prior"``)
    nuisance: list[str]
    #: the ABC-SMC fit, checked (None for ABC rejection)
    smc: SMCJob | None = None

    @property
    def database(self) -> Path:
        """The ABC-SMC database of the fit folder."""
        return self.fit_dir / DB_NAME

    def describe(self) -> str:
        """One line: what the fit will do."""
        job, name, reps = self.job, self.scenario.name, self.replicates
        if job.method == "rejection":
            return (f"calibrating {name} by ABC rejection: {job.budget or DEFAULT_BUDGET} "
                    f"candidates x {reps} replicates")
        return (f"calibrating {name} by ABC-SMC: up to {job.generations} populations of "
                f"{job.population} x {reps} replicate(s)"
                + (f", budget {job.budget} simulations" if job.budget else "")
                + (f", the {len(self.nuisance)} other calibration: parameters drawn from "
                   "their priors" if self.nuisance else "")
                + f"; database {self.database}")


@dataclass
class FitOutcome:
    """What :func:`run_fit` fitted and wrote."""

    plan: FitPlan
    calibration: FitReport
    #: the fit's files in the fit folder (``posterior.parquet`` first)
    files: list[Path]
    overlay: Path
    #: the report folder's files (empty without ``FitJob.report``)
    report_files: list[Path] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The calibration status line of the fit (:func:`~sim.analysis.status_line`)."""
        return status_line(self.calibration.fit_record(self.plan.job.observations))


class FitProgress(Protocol):
    """What :func:`run_fit` reports as it goes (any object with these methods; a subclass
    inherits no-ops and overrides what it shows)."""

    def started(self, plan: FitPlan) -> None:
        """The fit folder is locked and the fit starts."""

    def smc(self, event: dict[str, Any]) -> None:
        """An ABC-SMC progress event (:func:`~sim.analysis.calibrate_smc`'s ``progress``)."""

    def written(self, outcome: FitOutcome) -> None:
        """The fit and its overlay are written; the report (if any) comes next."""


class _Silent(FitProgress):
    """No progress shown."""


class FitInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ABC-SMC fit: the finished populations are kept in ``database``
    (continue with ``FitJob(resume=True)``)."""

    def __init__(self, database: Path) -> None:
        super().__init__(str(database))
        self.database = database


def plan_fit(job: FitJob) -> FitPlan:
    """Check every input and output path of ``job`` before anything is written; raises
    :class:`~sim.analysis.CalibrationError` (options, parameters, a stored fit),
    :class:`~sim.analysis.ObservationError`, :class:`~sim.scenario.ScenarioError` or
    :class:`~sim.analysis.FitFolderError` / :class:`~sim.runner.BatchError` (paths), each
    one line."""
    if job.resume and job.force:
        raise CalibrationError("--resume and --force exclude each other")
    if job.method == "rejection" and (job.resume or job.force or job.held == "prior"):
        raise CalibrationError("--resume/--force/--held prior apply to --method smc")
    if isinstance(job.scenario, Scenario):
        scn, source = job.scenario, job.scenario.source_path
    else:
        scn, source = load_scenario(job.scenario, overrides=list(job.overrides)), Path(job.scenario)
    obs = load_observations(job.observations)
    fit_dir = Path(job.fit_dir) if job.fit_dir is not None else default_folder(
        scn.name, prefix="calibration-")
    overlay = Path(job.overlay) if job.overlay is not None else fit_dir / "overlay.yaml"
    reps = job.replicates or (1 if job.method == "smc" else DEFAULT_REPLICATES)
    names = job.params.split(",") if isinstance(job.params, str) else job.params
    params = [p.strip() for p in names if p.strip()]
    nuisance = Nuisance.unfitted(scn, params) if job.held == "prior" else []
    check_fit_paths(fit_dir, overlay, job.report, scenario=source)
    smc = None
    if job.method == "rejection":
        check_inputs(scn, obs, params, scn.days)
    else:
        smc = smc_job(scn, obs, params, fit_dir, population=job.population,
                      generations=job.generations, budget=job.budget, seed=job.seed,
                      replicates=reps, min_epsilon=job.min_epsilon, workers=job.workers,
                      resume=job.resume, nuisance=nuisance)
        if not job.force:  # run_fit deletes the database with force
            check_start(fit_dir, smc.config, job.resume)
    return FitPlan(job, scn, obs, params, fit_dir, overlay, reps, nuisance, smc)


def run_fit(job: FitJob | FitPlan, progress: FitProgress | None = None) -> FitOutcome:
    """Do what ``wargame calibrate`` does (see the module docstring): :func:`plan_fit`
    first (a :class:`FitPlan` may be passed instead), then, holding the fit folder's lock,
    the fit, its files (:func:`~sim.analysis.write_fit`), the overlay naming its posterior
    and the report. Ctrl-C during an ABC-SMC fit raises :class:`FitInterrupted`."""
    plan = job if isinstance(job, FitPlan) else plan_fit(job)
    job, progress = plan.job, progress or _Silent()
    scn, fit_dir = plan.scenario, plan.fit_dir
    with fit_lock(fit_dir):
        if job.method == "smc" and job.force and plan.database.exists():
            plan.database.unlink()
        progress.started(plan)
        if job.method == "rejection":
            cal: FitReport = calibrate(scn, plan.observations, plan.params,
                                       budget=job.budget or DEFAULT_BUDGET, seed=job.seed,
                                       replicates=plan.replicates, accept=job.accept,
                                       workers=job.workers)
        else:
            assert plan.smc is not None
            try:
                cal = run_smc(plan.smc, progress.smc)
            except KeyboardInterrupt:
                raise FitInterrupted(plan.database) from None
        files = write_fit(cal, fit_dir, job.observations)
        overlay = write_overlay(cal, plan.overlay, files[0])
        outcome = FitOutcome(plan, cal, files, overlay)
        progress.written(outcome)
        if job.report is not None:
            outcome.report_files = write_calibration_report(
                cal, scn, job.report, job.observations, workers=job.workers,
                posterior=files[0] if job.method == "smc" else None)
    return outcome
