"""Hindcast calibration by sequential Monte Carlo ABC (ABC-SMC, pyABC's ``ABCSMC``).

Both fronts are fitted jointly with the rejection method's distance
(:func:`sim.analysis.calibration.distance`: mean over the Kursk and Donetsk groups of the RMS
standardised error), on the summaries of one model evaluation (the median over ``replicates``
runs with fresh seeds). Prior: uniform over the scenario's ``calibration:`` ranges. Population
*t* is sampled from the weighted population *t-1* perturbed by a multivariate normal kernel
(pyABC's default), and accepted below the weighted median distance of population *t-1*
(population 0: the prior, all accepted).

Determinism. pyABC draws parameters from numpy's global RNG. :class:`OrderedSampler` evaluates
candidate *i* of population *t* with the global RNGs seeded from
``SeedSequence(seed, spawn_key=(t + 1, i))`` (the model's seeds are drawn from it too) and
keeps the first ``n`` accepted candidates *in index order*: the result depends on the seed only,
not on the number of workers or on which worker finished first (pyABC's multicore samplers
reseed their workers from the OS and keep candidates in finishing order, so they are not
reproducible). Candidates evaluated beyond the *n*-th acceptance of a batch are discarded (the
price of order: at most about one batch of extra runs per population).

Resume. Every population is stored in ``abc.db`` (SQLite) in the output folder as soon as it
is complete. Each population is run by a fresh ``ABCSMC`` that loads the database
(``ABCSMC.load``), fits its kernel and threshold from the stored last population and runs one
population, so an interrupted fit resumes through exactly the code path of an uninterrupted
one and gives the same result.

Integrity. pyABC never writes ``abc.db`` itself: a population is sampled into a copy
(``.abc.db.work``), whose sha256 is recorded in ``smc.json`` (atomically, beside the digest
of the state it replaces) before the copy atomically replaces ``abc.db``. ``abc.db`` is thus
always a complete state whose digest ``smc.json`` holds, wherever a kill lands (before the
swap: the previous state, whose digest is still recorded, and the lost population is
sampled again identically); any other content is damage, which ``--resume`` and
``wargame check`` refuse to use. A fit folder written before the digests existed is checked
as SQLite only.

Early rejection. From population 1 on, a run of one replicate stops as soon as its distance
must exceed the population's threshold whatever its later days hold
(:func:`sim.analysis.calibration.rejection_stop`: the targets not yet reached count as
matched, a lower bound of the final distance); its later summaries are NaN and its distance
infinite. It would have been rejected anyway, so the accepted runs, the populations and every
stored figure are those of full runs (tested); only the rejected runs cost less.

Nuisance parameters. ``nuisance`` names parameters of the ``calibration:`` section that are not
fitted but not fixed either: every simulation draws them afresh from their uniform priors
(:class:`Nuisance`, from the candidate's seeded RNG), so the fit is marginal over them and
their uncertainty reaches the forecasts instead of a midpoint. Each simulation's values are
stored with its summaries (``NUISANCE_STAT``), so the last population's particles carry them:
with the particle's weight, (fitted values, nuisance values) is a weighted sample of the joint
ABC posterior (a nuisance value drawn from its prior needs no weight of its own), and a forecast
that takes both from one particle is conditioned on the record in every parameter.

Check. After the last population, :data:`CHECK_RUNS` posterior-predictive runs (each its own
weighted particle and fresh dice, :func:`predictive_check`) give the fit record's figures.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibration import (
    CalibrationError,
    FitReport,
    Target,
    check_inputs,
    distance,
    is_integer_param,
    rejection_stop,
    run_candidates,
    summaries,
)
from sim.analysis.fitfolder import CONFIG_NAME, DB_NAME, fit_dir_problem, fit_lock
from sim.analysis.observations import Observation, load_observations
from sim.runner import (
    atomic_write_text,
    default_workers,
    draw_uniform,
    file_sha256,
    make_executor,
    replicate_seeds,
)
from sim.scenario import Scenario, scenario_hash, with_values

DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 8
WORK_NAME = ".abc.db.work"     # the copy of abc.db a population is sampled into
DIGESTS_KEY = "abc_db_sha256"  # smc.json: the sha256 of every state abc.db may be in
#: Posterior-predictive check runs after a fit (each its own particle): the fit record's
#: "matched" figures, which every output of the posterior's batches quotes.
CHECK_RUNS = 32
NUISANCE_KEY = 7               # spawn key of a run's nuisance stream (Nuisance.rng)
NUISANCE_STAT = "nuisance"     # summary-statistic key of a simulation's nuisance values

ProgressFn = Callable[[dict[str, Any]], None]
"""``progress(event)``: ``event["kind"]`` is ``"batch"`` (``t``, ``evaluated``, ``accepted``,
``n``) while a population is sampled, ``"population"`` (``t``, ``eps``, ``accepted``,
``evaluations``, ``total_simulations``, ``ess``, ``seconds``) when it is stored."""


# --------------------------------------------------------------------------- model, distance


@dataclass(frozen=True)
class Nuisance:
    """Parameters neither fitted nor fixed: every simulation draws them from their uniform
    priors ``ranges`` (rounded where ``integer``), so a fit is marginal over them."""

    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    integer: frozenset[str] = frozenset()

    @staticmethod
    def unfitted(scenario: Scenario, fitted: Sequence[str]) -> list[str]:
        """The scenario's ``calibration:`` parameters that are not in ``fitted``, in the
        section's order: what a fit marginal over the rest draws (``calibrate --held prior``,
        the backtest)."""
        return [p for p in scenario.calibration if p not in fitted]

    @classmethod
    def of(cls, scenario: Scenario, names: Sequence[str]) -> Nuisance:
        """The nuisance parameters ``names`` with the priors of the scenario's
        ``calibration:`` section."""
        return cls({p: (scenario.calibration[p].low, scenario.calibration[p].high)
                    for p in names},
                   frozenset(p for p in names if is_integer_param(scenario, p)))

    def draw(self, rng: np.random.Generator | Any) -> dict[str, float]:
        """One value of each, in ``ranges``' order, from ``rng`` (a Generator, or numpy's
        seeded global RNG)."""
        return draw_uniform(self.ranges, self.integer, rng)

    @staticmethod
    def rng(seed: int) -> np.random.Generator:
        """The generator a run with model seed ``seed`` draws its nuisance values from (a
        stream of its own: the run's dice are untouched)."""
        return np.random.default_rng(np.random.SeedSequence(int(seed),
                                                            spawn_key=(NUISANCE_KEY,)))


class HindcastModel:
    """pyABC model: parameters ``p0, p1, ...`` → ``{"s": summaries}`` (median over
    ``replicates`` runs whose seeds come from numpy's global RNG, seeded per candidate; the
    ``nuisance`` parameters drawn from their priors first, from the same RNG). With one
    replicate a run stops once its distance must exceed ``reject_above`` (the sampler sets it
    to the population's threshold; infinite: every run to its end)."""

    def __init__(self, scenario: Scenario, targets: list[Target], params: list[str],
                 integer: list[str], replicates: int, days: int,
                 nuisance: Nuisance | None = None) -> None:
        self.scenario, self.targets, self.params = scenario, targets, params
        self.integer, self.replicates, self.days = set(integer), replicates, days
        self.nuisance = nuisance or Nuisance()
        self.name = "hindcast"
        self.reject_above = math.inf

    def values(self, par: Any) -> dict[str, float]:
        return {p: (int(round(par[f"p{j}"])) if p in self.integer else float(par[f"p{j}"]))
                for j, p in enumerate(self.params)}

    def __call__(self, par: Any) -> dict[str, np.ndarray]:
        from sim.model import run

        drawn = self.nuisance.draw(np.random)
        scn = with_values(self.scenario, self.values(par) | drawn)
        seeds = np.random.randint(0, 2**62, size=self.replicates)
        # a median over replicates cannot be bounded by one run's errors: stop single runs only
        stop = (rejection_stop(self.targets, self.reject_above)
                if self.replicates == 1 and math.isfinite(self.reject_above) else None)
        sims = np.stack([summaries(run(scn, seed=int(s), days=self.days, stop=stop).daily,
                                   self.targets) for s in seeds])
        out = {"s": np.median(sims, axis=0)}
        if drawn:  # stored with the particle: the posterior is joint over them (_result)
            out[NUISANCE_STAT] = np.array(list(drawn.values()), dtype=float)
        return out


class GroupDistance:
    """pyABC distance on summary dicts: :func:`sim.analysis.calibration.distance`; infinite
    for a run stopped early (NaN summaries: rejected)."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets

    def __call__(self, x: dict, x_0: dict) -> float:  # x_0 holds the same observed values
        s = np.asarray(x["s"], dtype=float)
        return math.inf if np.isnan(s).any() else float(distance(s, self.targets))


# --------------------------------------------------------------------------- sampler


_LAST: tuple[bytes, Any] | None = None


def simulate_chunk(shared: tuple[bytes, int, int], ids: Sequence[int]) -> list[Any]:
    """Task: evaluate candidates ``ids`` of population ``t``; ``shared = (pickled
    simulate_one, seed, t)``. Each candidate seeds numpy's and Python's global RNGs from
    ``SeedSequence(seed, spawn_key=(t + 1, i))`` first."""
    import random

    import cloudpickle

    global _LAST
    blob, seed, t = shared
    if _LAST is None or _LAST[0] != blob:
        _LAST = (blob, cloudpickle.loads(blob))
    simulate_one = _LAST[1]
    out = []
    for i in ids:
        state = np.random.SeedSequence(seed, spawn_key=(t + 1, i)).generate_state(8)
        np.random.seed(state)
        random.seed(int(state[0]))
        out.append(simulate_one())
    return out


def ordered_sampler(seed: int, executor: Any, progress: ProgressFn | None = None,
                    model: HindcastModel | None = None) -> Any:
    """A pyABC sampler whose result depends only on ``seed`` (see the module docstring).
    Given the ``model`` and, as ``epsilon``, the fit's threshold schedule (pyABC's
    ``ABCSMC.eps``), it sets ``model.reject_above`` to population *t*'s threshold before
    sampling it (early rejection)."""
    from pyabc.sampler import Sampler

    class OrderedSampler(Sampler):
        def __init__(self) -> None:
            super().__init__()
            self.computed = 0   # evaluations run, including those discarded after the n-th
            self.epsilon: Callable[[int], float] | None = None

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            import cloudpickle

            if model is not None:  # (before pickling: the workers get the model with it)
                model.reject_above = (math.inf if all_accepted or self.epsilon is None
                                      else float(self.epsilon(t)))
            blob = cloudpickle.dumps(simulate_one)
            sample = self._create_empty_sample()
            accepted = evaluated = start = 0
            rate = 1.0
            while accepted < n and evaluated < max_eval:
                need = n - accepted
                size = int(min(max(math.ceil(need / max(rate, 0.02) * 1.2),
                                   2 * executor.workers), 20 * n))
                ids = list(range(start, start + size))
                chunk = max(1, min(25, -(-size // (executor.workers * 4))))
                chunks = [ids[k:k + chunk] for k in range(0, size, chunk)]
                got: dict[int, list[Any]] = {}

                def keep(item, result, error, got=got):
                    if error is not None:
                        raise CalibrationError(f"a simulation failed: {error}")
                    got[item[0]] = result

                if executor.map(simulate_chunk, (blob, seed, int(t)), chunks, keep):
                    raise KeyboardInterrupt
                self.computed += size
                start += size
                for c in chunks:
                    for particle in got[c[0]]:
                        if accepted >= n or evaluated >= max_eval:
                            break
                        sample.append(particle)
                        evaluated += 1
                        accepted += bool(particle.accepted)
                rate = max(accepted / max(evaluated, 1), 1e-3)
                if progress:
                    progress({"kind": "batch", "t": int(t), "evaluated": evaluated,
                              "accepted": accepted, "n": n})
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return OrderedSampler()


# --------------------------------------------------------------------------- result


@dataclass
class SMCCalibration(FitReport):
    """An ABC-SMC fit: the last population's weighted particles and the populations' record."""

    scenario_name: str
    params: list[str]
    prior: dict[str, tuple[float, float]]
    default: dict[str, float | None]
    particles: pd.DataFrame          # parameter columns, weight (sums to 1), distance
    targets: list[Target]
    seed: int
    replicates: int
    population: int
    populations: pd.DataFrame        # t, eps, accepted, evaluations, ess, seconds
    seconds: float
    db: Path
    computed: int = 0                # evaluations run (including discarded ones)
    check: pd.DataFrame | None = None
    check_sims: np.ndarray | None = field(default=None, repr=False)
    integer: list[str] = field(default_factory=list)
    #: parameters drawn from their priors in every simulation (``calibrate_smc(nuisance=…)``)
    nuisance: Nuisance = field(default_factory=Nuisance)
    method: str = "ABC-SMC"
    check_kind = "posterior-predictive: each run one weighted particle"

    def nuisance_record(self) -> dict[str, Any]:
        return {"nuisance": {p: list(r) for p, r in self.nuisance.ranges.items()},
                "nuisance_integer": sorted(self.nuisance.integer)}

    @property
    def simulations(self) -> int:
        """Model runs counted by the fit (evaluations x replicates)."""
        return int(self.populations["evaluations"].sum()) * self.replicates

    def describe(self) -> str:
        last = self.populations.iloc[-1]
        return (f"ABC-SMC on {self.scenario_name}: {len(self.populations)} populations of "
                f"{self.population} x {self.replicates} replicate(s), {self.simulations} "
                f"simulations ({self.computed * self.replicates} run), final epsilon "
                f"{last.eps:.3g}, ESS {last.ess:.0f}, {self.seconds:.0f} s")


# --------------------------------------------------------------------------- calibration


def _abc(model: HindcastModel, dist: GroupDistance, prior: dict[str, tuple[float, float]],
         params: list[str], population: int, sampler: Any, first: bool) -> Any:
    import pyabc

    priors = pyabc.Distribution(**{f"p{j}": pyabc.RV("uniform", prior[p][0],
                                                    prior[p][1] - prior[p][0])
                                   for j, p in enumerate(params)})
    eps = pyabc.QuantileEpsilon(initial_epsilon=np.inf if first else "from_sample", alpha=0.5)
    return pyabc.ABCSMC(model, priors, dist, population_size=population, sampler=sampler,
                        eps=eps)


@dataclass(frozen=True, kw_only=True)
class SMCJob:
    """An ABC-SMC fit as asked, its inputs checked (made by :func:`smc_job`): what
    :func:`calibrate_smc` runs once the fit folder is locked."""

    scenario: Scenario
    params: list[str]
    out: Path  # the fit folder (``abc.db``, ``smc.json``)
    days: int
    population: int
    generations: int
    budget: int | None  # simulations (model runs) after which no population starts
    seed: int
    replicates: int
    min_epsilon: float
    workers: int | None
    resume: bool
    check_replicates: int | None  # posterior-predictive runs (default CHECK_RUNS)
    nuisance: Nuisance
    #: stop runs that must be rejected (results unchanged; so not in ``smc.json``)
    early_reject: bool
    #: from :func:`~sim.analysis.calibration.check_inputs`: the prior box, the targets and
    #: the integer parameters
    prior: dict[str, tuple[float, float]]
    targets: list[Target]
    integer: list[str]

    @property
    def config(self) -> dict[str, Any]:
        """What the fit folder's ``smc.json`` records (:func:`smc_config`)."""
        return smc_config(self.scenario, self.params, self.seed, self.population,
                          self.replicates, self.days, self.targets, list(self.nuisance.ranges))


def smc_job(
    scenario: Scenario,
    observations: Sequence[Observation] | str | Path,
    params: Sequence[str],
    out_dir: str | Path,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    budget: int | None = None,
    seed: int = 20240806,
    replicates: int = 1,
    min_epsilon: float = 0.0,
    days: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    check_replicates: int | None = None,
    nuisance: Sequence[str] = (),
    early_reject: bool = True,
) -> SMCJob:
    """The fit :func:`calibrate_smc` would run (same arguments), every input checked
    (:class:`CalibrationError` naming the problems) and nothing written."""
    if isinstance(observations, str | Path):
        observations = load_observations(observations)
    params = [p.strip() for p in params if p.strip()]
    days = int(days if days is not None else scenario.days)
    prior, targets, integer = check_inputs(scenario, observations, params, days)
    if set(nuisance) & set(params):
        raise CalibrationError("a parameter cannot be both fitted and a nuisance")
    if nuisance:
        check_inputs(scenario, observations, list(nuisance), days)
    if population < 2 or replicates < 1 or generations < 1:
        raise CalibrationError("population must be >= 2, replicates and generations >= 1")
    return SMCJob(scenario=scenario, params=params, out=Path(out_dir), days=days,
                  population=population, generations=generations, budget=budget,
                  seed=int(seed), replicates=replicates, min_epsilon=min_epsilon,
                  workers=workers, resume=resume, check_replicates=check_replicates,
                  nuisance=Nuisance.of(scenario, nuisance), early_reject=early_reject,
                  prior=prior, targets=targets, integer=integer)


def calibrate_smc(
    scenario: Scenario,
    observations: Sequence[Observation] | str | Path,
    params: Sequence[str],
    out_dir: str | Path,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    budget: int | None = None,
    seed: int = 20240806,
    replicates: int = 1,
    min_epsilon: float = 0.0,
    days: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    check_replicates: int | None = None,
    progress: ProgressFn | None = None,
    nuisance: Sequence[str] = (),
    early_reject: bool = True,
) -> SMCCalibration:
    """Fit ``params`` by ABC-SMC; populations are stored in ``out_dir/abc.db``.

    Stops after ``generations`` populations, when epsilon falls to ``min_epsilon``, or before
    a population that would start with ``budget`` simulations (model runs) already counted.
    ``resume`` continues the fit stored in ``out_dir`` (same scenario, parameters, seed,
    population size and replicates; the stopping rules may change). Deterministic per
    ``seed`` whatever ``workers`` is. ``nuisance`` parameters (of the ``calibration:``
    section, not in ``params``) are drawn from their priors in every simulation.
    ``early_reject`` stops the runs that must be rejected (one replicate only; the module
    docstring): the result is the same without it, only slower.
    """
    return run_smc(smc_job(scenario, observations, params, out_dir, population=population,
                           generations=generations, budget=budget, seed=seed,
                           replicates=replicates, min_epsilon=min_epsilon, days=days,
                           workers=workers, resume=resume, check_replicates=check_replicates,
                           nuisance=nuisance, early_reject=early_reject), progress)


def run_smc(job: SMCJob, progress: ProgressFn | None = None) -> SMCCalibration:
    """Run the checked fit ``job`` (:func:`smc_job`) holding its fit folder's lock."""
    t0 = time.perf_counter()
    with fit_lock(job.out):
        return _calibrate_locked(job, progress, t0)


def _calibrate_locked(job: SMCJob, progress: ProgressFn | None, t0: float) -> SMCCalibration:
    """:func:`calibrate_smc` once the fit folder is locked."""
    out, replicates, population = job.out, job.replicates, job.population
    db, work = out / DB_NAME, out / WORK_NAME
    config = job.config
    check_start(out, config, job.resume)
    digests = [file_sha256(db)] if db.exists() else []  # the state check_start accepted
    work.unlink(missing_ok=True)  # a population a kill interrupted: sampled again
    _write_config(out, config, digests)
    import pyabc
    import sqlalchemy.exc

    logging.getLogger("ABC").setLevel(logging.WARNING)   # pyABC logs every population

    model = HindcastModel(job.scenario, job.targets, job.params, job.integer, replicates,
                          job.days, job.nuisance)
    dist = GroupDistance(job.targets)
    url, work_url = f"sqlite:///{db.resolve()}", f"sqlite:///{work.resolve()}"
    x0 = {"s": np.array([t.value for t in job.targets])}
    workers = max(1, job.workers or default_workers())
    computed = 0
    try:
        with make_executor("local", workers) as ex:
            while True:
                history = pyabc.History(url) if db.exists() else None
                done = 0 if history is None or history.max_t is None else history.max_t + 1
                if done:
                    total = int(history.total_nr_simulations) * replicates
                    eps_last = float(history.get_all_populations()["epsilon"].iloc[-1])
                    if (done >= job.generations or eps_last <= job.min_epsilon
                            or (job.budget is not None and total >= job.budget)):
                        break
                sampler = ordered_sampler(job.seed, ex, progress,
                                          model if job.early_reject else None)
                abc = _abc(model, dist, job.prior, job.params, population, sampler,
                           first=done == 0)
                sampler.epsilon = abc.eps   # population t's threshold, set before it runs
                if done == 0:
                    abc.new(work_url, x0)
                else:
                    shutil.copyfile(db, work)
                    abc.load(work_url, 1)
                t_gen = time.perf_counter()
                collapsed = False
                try:
                    with warnings.catch_warnings():   # numpy's on a collapsed population
                        warnings.simplefilter("ignore", RuntimeWarning)
                        abc.run(max_nr_populations=1, minimum_epsilon=job.min_epsilon)
                except ValueError:
                    # pyABC stores a population, then fits the next proposal to it; when the
                    # weights sit on one particle that covariance is undefined (NaN). The
                    # stored population stands and the fit ends with it (also on --resume).
                    if pyabc.History(work_url).max_t is None:
                        raise
                    collapsed = True
                digests = [*digests[-1:], file_sha256(work)]
                _write_config(out, config, digests)  # before the swap: both states are valid
                os.replace(work, db)
                computed += sampler.computed
                if progress:
                    h = pyabc.History(url)
                    pops = h.get_all_populations()
                    row = pops.iloc[-1]
                    _, w = h.get_distribution(m=0, t=int(row["t"]))
                    progress({"kind": "population", "t": int(row["t"]),
                              "eps": float(row["epsilon"]), "accepted": population,
                              "evaluations": int(row["samples"]),
                              "total_simulations": int(h.total_nr_simulations) * replicates,
                              "ess": float(1.0 / np.sum(np.asarray(w) ** 2)),
                              "seconds": time.perf_counter() - t_gen})
                if collapsed:
                    break
        history = pyabc.History(url)
        cal = _result(history, job, computed)
    except sqlalchemy.exc.SQLAlchemyError as exc:  # a database damaged past check_resume
        msg = str(exc).splitlines()[0][:200]
        raise CalibrationError(f"{db}: damaged or not writable ({msg}); use --force to "
                               "start afresh") from None
    n_check = CHECK_RUNS if job.check_replicates is None else job.check_replicates
    if n_check:
        cal.check_sims = predictive_check(cal, job.scenario, job.targets, job.seed + 1, n_check,
                                          job.days, job.nuisance)
        cal.check = cal.fit_table()
    cal.seconds = time.perf_counter() - t0
    return cal


def smc_config(scenario: Scenario, params: Sequence[str], seed: int, population: int,
               replicates: int, days: int, targets: Sequence[Target],
               nuisance: Sequence[str] = ()) -> dict[str, Any]:
    """The settings a fit folder's ``smc.json`` records; ``--resume`` must repeat them."""
    config = {"scenario": scenario.name, "scenario_hash": scenario_hash(scenario),
              "params": list(params), "seed": int(seed), "population": int(population),
              "replicates": int(replicates), "days": int(days),
              "targets": [t.key for t in targets]}
    if nuisance:
        config["nuisance"] = list(nuisance)
    return config


def _write_config(out: Path, config: dict[str, Any], digests: list[str]) -> None:
    atomic_write_text(out / CONFIG_NAME, json.dumps({**config, DIGESTS_KEY: digests},
                                                    indent=1))


def recorded_digests(out_dir: str | Path) -> list[str] | None:
    """The sha256 digests ``smc.json`` accepts for ``abc.db`` (None: a fit folder written
    before they were recorded, or no readable ``smc.json``)."""
    try:
        data = json.loads((Path(out_dir) / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    digests = data.get(DIGESTS_KEY) if isinstance(data, dict) else None
    return digests if isinstance(digests, list) else None


def db_problem(out_dir: str | Path) -> str | None:
    """What is damaged in the ABC-SMC database of the fit folder ``out_dir`` (and its
    ``smc.json``), or None: not SQLite, not pyABC's, or not a state whose digest
    ``smc.json`` recorded (bytes changed inside a page, which SQLite's own checks miss)."""
    out = Path(out_dir)
    db = out / DB_NAME
    damaged = fit_dir_problem(out)
    digests = None if damaged else recorded_digests(out)
    if digests is not None and file_sha256(db) not in digests:  # before SQLite opens it
        damaged = (f"{db}: damaged (its sha256 is not one {CONFIG_NAME} recorded when a "
                   "population was stored: one of the two changed since)")
    return damaged or _history_problem(db)


def check_start(out_dir: str | Path, config: dict[str, Any], resume: bool) -> None:
    """Raise :class:`CalibrationError` unless a fit with ``config`` may start in the fit
    folder ``out_dir`` (no ``abc.db``) or, with ``resume``, continue the one stored there
    (:func:`check_resume`)."""
    db = Path(out_dir) / DB_NAME
    if resume:
        check_resume(out_dir, config)
    elif db.exists() or db.is_symlink():
        raise CalibrationError(f"{out_dir}: holds an ABC-SMC database; use --resume to "
                               "continue it or --force to start afresh")


def check_resume(out_dir: str | Path, config: dict[str, Any] | None = None) -> None:
    """Raise :class:`CalibrationError` naming what is damaged in the fit folder ``out_dir``
    that ``--resume`` would continue (:func:`db_problem`), or (with ``config``, see
    :func:`smc_config`) which settings differ from the stored fit. Nothing to check without
    an ``abc.db``."""
    out = Path(out_dir)
    db = out / DB_NAME
    if not (db.exists() or db.is_symlink()):
        return
    damaged = db_problem(out)
    if damaged:
        raise CalibrationError(f"cannot resume: {damaged}; restore it from a copy or use "
                               "--force to start afresh")
    if config is not None:
        old = json.loads((out / CONFIG_NAME).read_text(encoding="utf-8"))
        diff = [k for k in config if old.get(k) != config[k]]
        if diff:
            raise CalibrationError(f"{out}: cannot resume: {', '.join(diff)} differ from the "
                                   "stored fit; use --force to start afresh")


def _history_problem(db: Path) -> str | None:
    """What pyABC cannot read in ``db`` (a truncated or garbled database), or None."""
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{db.resolve()}?mode=rw", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            con.execute("BEGIN IMMEDIATE")  # resuming writes: a header that forbids it is damage
            con.rollback()
        finally:
            con.close()
    except (sqlite3.Error, ValueError) as exc:  # SQLite's own message may be garbled bytes
        msg = str(exc) if isinstance(exc, sqlite3.Error) else "garbled SQLite schema"
        return f"{db}: damaged ({msg[:200]})"
    if not ok or ok[0] != "ok":
        return f"{db}: damaged (SQLite check: {str(ok and ok[0])[:100]})"
    if not {"abc_smc", "populations", "particles"} <= tables:
        return f"{db}: not an ABC-SMC database (no pyABC tables)"
    return None


def predictive_check(cal: SMCCalibration, scenario: Scenario, targets: list[Target],
                     master_seed: int, runs: int, days: int,
                     nuisance: Nuisance | None = None) -> np.ndarray:
    """Summaries of ``runs`` posterior-predictive runs, shape ``(runs, n_targets)``: run *i*
    draws its particle as group *i* of a batch with ``--dice-per-draw 1`` does
    (:func:`sim.runner.draw_index`) and its dice from replicate seed *i* of ``master_seed``.
    This is the fit the posterior's batches carry, which the posterior medians (a point of a
    wide, correlated posterior) can understate. Nuisance values are the particle's own (a fit
    stores them), else drawn from :meth:`Nuisance.rng` of the run's seed."""
    from sim.runner import draw_index

    parts = cal.particles
    weights = parts["weight"].to_numpy(float)
    seeds = replicate_seeds(master_seed, runs)
    sims = []
    for i, s in enumerate(seeds):
        row = parts.iloc[draw_index(master_seed, i, weights)]
        values = {p: (int(row[p]) if p in cal.integer else float(row[p])) for p in cal.params}
        if nuisance is not None:
            values |= particle_nuisance(row, nuisance) or nuisance.draw(Nuisance.rng(s))
        sims.append(run_candidates([values], scenario, targets, [s], days, 1)[0][0])
    return np.stack(sims)


def particle_nuisance(row: pd.Series, nuisance: Nuisance) -> dict[str, float]:
    """The nuisance values a particle (a row of a fit's particles) carries, whole numbers
    where ``nuisance`` says so; empty when the fit did not store them."""
    if not nuisance.ranges or any(p not in row.index for p in nuisance.ranges):
        return {}
    return {p: (int(round(row[p])) if p in nuisance.integer else float(row[p]))
            for p in nuisance.ranges}


def _result(history: Any, job: SMCJob, computed: int) -> SMCCalibration:
    """The fit stored in ``history`` (pyABC's): its last population's weighted particles and
    every population's threshold, evaluations and effective sample size."""
    from sim.scenario import get_path

    params, population = job.params, job.population
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for t in pops["t"]:
        _, w = history.get_distribution(m=0, t=int(t))
        rows.append(float(1.0 / np.sum(np.asarray(w) ** 2)))
    table = pd.DataFrame({"t": pops["t"].astype(int), "eps": pops["epsilon"].astype(float),
                          "accepted": population, "evaluations": pops["samples"].astype(int),
                          "ess": rows})
    last = history.get_population(t=int(pops["t"].iloc[-1]))
    data = []
    for particle in last.particles:
        row = {p: float(particle.parameter[f"p{j}"]) for j, p in enumerate(params)}
        for p in job.integer:
            row[p] = float(round(row[p]))
        # the nuisance values this particle's simulation drew (absent in a fit folder
        # written before they were stored: such a posterior draws them from their priors)
        drawn = particle.sum_stat.get(NUISANCE_STAT)
        if drawn is not None:
            row.update(zip(job.nuisance.ranges, np.asarray(drawn, dtype=float).tolist(),
                           strict=True))
        row.update(weight=float(particle.weight), distance=float(particle.distance))
        data.append(row)
    parts = pd.DataFrame(data)
    parts["weight"] /= parts["weight"].sum()
    return SMCCalibration(job.scenario.name, params, job.prior,
                          {p: get_path(job.scenario, p) for p in params}, parts, job.targets,
                          job.seed, job.replicates, population, table, 0.0, job.out / DB_NAME,
                          computed, integer=job.integer, nuisance=job.nuisance)
