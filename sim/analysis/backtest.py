"""Rolling-origin backtest inside the record known by 5 January 2025 (issue 20).

For each *origin* (default 2024-09-30, 2024-10-31, 2024-11-30):

1. **Cut.** :func:`observations_until` keeps the observations dated on or before the origin;
   nothing later reaches the fit. The fitted parameters (default: the 9 of the shipped
   posterior, :func:`default_params`) start from their priors (:func:`prefit_scenario`); the
   shipped best-fit values and the shipped posterior were fitted to the whole record, so none
   of them is used: every other parameter of the hindcast's ``calibration:`` section is drawn
   from its prior in every simulation of the fit, and a forecast run takes the values its
   particle's simulation drew (``held="prior"``, the default; :class:`sim.analysis.smc.Nuisance`:
   a draw of the joint posterior), or held at its prior midpoint (``held="midpoint"``),
   values chosen before any fit.
2. **Fit** with the shipped method, ABC-SMC (:func:`sim.analysis.smc.calibrate_smc`, the
   ordered sampler: deterministic per seed), on the hindcast cut at the origin's day.
3. **Forecast.** ``draws`` posterior-predictive runs of the whole hindcast, run *i* one
   weighted particle (:func:`sim.runner.draw_index`). The runs start on the hindcast's first
   day and, by default, **restart from the observed state** (:class:`Restart`): on the date of
   the last Kursk area known at the origin their Kursk lines are redrawn to it, as the options
   start from the observed 5 Jan line, the loss taken off the sectors in the order Ukraine's
   graded defence gives them up (``restart_shape="ordered"``, the default; ``"uniform"``
   scales every depth by one factor). Each run is also **conditioned on the record up to the
   origin** as the ABC posterior defines it: of the seeds of
   :func:`attempt_seeds` (at most ``tries``), the first whose run lies within the fit's final
   epsilon on the fitted observations is kept (the closest if none does). The pair (particle,
   path) is then a draw of the ABC posterior of parameters *and* state, and the path after the
   origin a draw given both (each day's dice depend on the seed and the day only,
   :mod:`sim.model.streams`, so selecting on the days before the origin does not bias the days
   after). ``condition=False`` keeps the first seed (conditioned through the parameters only).
4. **Score** every observation after the origin (Kursk ``ua_held_area``, Donetsk
   ``ru_gain_month``) against its point ``value`` (a range is not the truth), as a forecast
   of the observation with its stated error (:data:`OBSERVATION_ERROR`): CRPS of the
   ensemble, each member widened by that error (:func:`crps`), 50 % and 90 % central-interval
   coverage, and the CRPS of two naive point forecasts with the same error
   (:func:`naive_forecasts`). Skill = 1 − CRPS(model) / CRPS(best naive) per front and origin, and
   pooled over origins (:func:`summarize_scores`).

Library use: ``run_backtest(scenario, observations) -> Backtest``, then
``write_backtest(bt, out_dir)``; ``check_backtest(out_dir)`` re-scores a folder from its
``forecasts.parquet`` and compares with its ``scores.csv`` and ``summary.csv``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibration import (
    CalibrationError,
    Target,
    build_targets,
    check_inputs,
    is_integer_param,
    summaries,
)
from sim.analysis.observations import Observation, load_observations, select
from sim.analysis.smc import Nuisance, calibrate_smc, particle_nuisance
from sim.scenario import (
    Scenario,
    get_path,
    relative_path,
    scenario_hash,
    with_values,
)

DEFAULT_ORIGINS = (dt.date(2024, 9, 30), dt.date(2024, 10, 31), dt.date(2024, 11, 30))
#: The scored (front, quantity) pairs, named as in ``seeds/observations.csv``.
SCORED = (("kursk", "ua_held_area"), ("donetsk", "ru_gain_month"))
DEFAULT_POPULATION = 200       # the shipped fit ran 500; 100 left the verdict to the seed
DEFAULT_GENERATIONS = 8
DEFAULT_BUDGET = 2400          # simulations counted per origin's fit
DEFAULT_DRAWS = 100
DEFAULT_SEED = 20250105
DEFAULT_TRIES = 30             # seeds tried per forecast draw to meet the fit's epsilon
NAIVE = ("persistence", "trend")
#: What happens to the parameters of ``calibration:`` that are not fitted (``held``).
HELD = ("midpoint", "prior")
#: Relative SD of an observation's error: a map reading of an area or a month's gain lies
#: within ±10 % of the truth 90 % of the time (±10 % is the single-source range of
#: ``seeds/observations.csv``; 0.10 / 1.645). Stated before scoring, from that file only.
OBSERVATION_ERROR = round(0.10 / 1.645, 4)
MIN_ERROR_SD = 1e-6            # km²
#: ``value`` is the kept run's; ``value_first_seed`` the draw's first run's (what the forecast
#: is without conditioning on the path), ``attempts`` the seeds the draw tried.
FORECAST_COLUMNS = ["origin", "target_date", "front", "quantity", "draw", "value",
                    "value_first_seed", "attempts"]
VERSIONED = ("kursk-donetsk-wargame", "mesa", "numpy", "pandas", "pyarrow", "scipy", "pyabc",
             "scoringrules")

ProgressFn = Callable[[dict[str, Any]], None]
"""``progress(event)``: the fit's events (:data:`sim.analysis.smc.ProgressFn`) with ``origin``
added, ``{"kind": "origin", "origin", "index", "of"}`` when an origin starts and
``{"kind": "forecast", "origin", "done", "of"}`` as forecast runs finish."""


class BacktestError(CalibrationError):
    """A backtest that cannot start as asked (origin outside the hindcast, no observations)."""


# --------------------------------------------------------------------------- the cut


def observations_until(obs: Sequence[Observation], origin: dt.date) -> list[Observation]:
    """The observations known at ``origin``: those dated on or before it (the fit's input)."""
    return [o for o in obs if o.date <= origin]


def scored_after(obs: Sequence[Observation], origin: dt.date, end: dt.date
                 ) -> list[Observation]:
    """The scored observations dated after ``origin`` and up to ``end``, by date."""
    return sorted((o for o in obs if (o.front, o.quantity) in SCORED and origin < o.date <= end),
                  key=lambda o: (o.front, o.date))


def prefit_scenario(scenario: Scenario, params: Sequence[str]) -> Scenario:
    """``scenario`` with no calibration posterior or fit record, and every parameter of its
    ``calibration:`` section that is not in ``params`` set to its prior midpoint (rounded
    where the parameter is an integer): no value fitted to the whole record survives."""
    names = list(scenario.calibration)
    unknown = [p for p in params if p not in scenario.calibration]
    if unknown:
        raise BacktestError(f"{', '.join(unknown)}: no range in the scenario's calibration: "
                            f"section (declared: {', '.join(names) or 'none'})")
    held = prior_midpoints(scenario, [p for p in names if p not in params])
    scn = scenario.model_copy(update={"calibration_posterior": None, "calibration_fit": None})
    return with_values(scn, held) if held else scn


def default_params(scenario: Scenario) -> list[str]:
    """What a backtest fits by default: the parameters of the scenario's shipped posterior
    (the shipped method fits those and holds the rest), or, without one, every parameter of
    its ``calibration:`` section. Chosen by the backtest itself (docs/VALIDATION.md: fitting
    the 9 forecasts better than fitting all 24)."""
    if not scenario.calibration_posterior:
        return list(scenario.calibration)
    from sim.runner import load_posterior

    return [p for p in load_posterior(scenario.calibration_posterior).names
            if p in scenario.calibration]   # the posterior's order, as its fit was run


def prior_midpoints(scenario: Scenario, params: Sequence[str]) -> dict[str, float]:
    """The midpoint of each parameter's prior range (rounded for an integer parameter, as
    ``operations.pause_days``)."""
    out: dict[str, float] = {}
    for p in params:
        mid = round((scenario.calibration[p].low + scenario.calibration[p].high) / 2.0, 10)
        out[p] = int(round(mid)) if is_integer_param(scenario, p) else mid
    return out


# --------------------------------------------------------------------------- naive, scores


def naive_forecasts(history: Sequence[Observation], target: dt.date) -> dict[str, float]:
    """Point forecasts for ``target`` from the observations of one quantity known at the origin
    (``history``, any order): ``persistence`` (the last value) and ``trend`` (the straight line
    through the last two, by date, clipped at 0; persistence when only one is known)."""
    known = sorted(history, key=lambda o: o.date)
    if not known:
        raise BacktestError("no observation of this quantity at or before the origin")
    last = known[-1]
    out = {"persistence": float(last.value), "trend": float(last.value)}
    if len(known) >= 2:
        prev = known[-2]
        slope = (float(last.value) - float(prev.value)) / (last.date - prev.date).days
        out["trend"] = max(0.0, float(last.value) + slope * (target - last.date).days)
    return out


def crps(truth: float | np.ndarray, ensemble: np.ndarray, rel_error: float = 0.0
         ) -> np.ndarray:
    """CRPS of ensemble forecasts (members on the last axis) against ``truth``.

    With ``rel_error = 0`` the ensemble is scored as it is (``scoringrules.crps_ensemble``; a
    one-member ensemble scores its absolute error). Otherwise it forecasts the *observation*:
    each member ``m`` becomes a normal N(m, (rel_error·|m|)²), the observation error of a map
    reading of that size, and the equal mixture is scored in closed form
    (``scoringrules.crps_mixnorm``; a one-member point forecast is then a normal)."""
    import scoringrules as sr

    ens = np.asarray(ensemble, dtype=float)
    if rel_error == 0:
        return np.asarray(sr.crps_ensemble(np.asarray(truth, dtype=float), ens), dtype=float)
    return np.asarray(sr.crps_mixnorm(np.asarray(truth, dtype=float), ens,
                                      error_sd(ens, rel_error), backend="numpy"), dtype=float)


def error_sd(values: np.ndarray, rel_error: float) -> np.ndarray:
    """The observation error's SD of readings of ``values`` (km²): ``rel_error·|value|``, at
    least :data:`MIN_ERROR_SD` (an area of 0 is exact by definition; the floor keeps the
    normal defined)."""
    return np.maximum(rel_error * np.abs(np.asarray(values, dtype=float)), MIN_ERROR_SD)


def quantiles(ensemble: np.ndarray, probs: Sequence[float], rel_error: float = 0.0
              ) -> np.ndarray:
    """Quantiles of the ensemble (numpy's linear interpolation) or, with ``rel_error``, of the
    normal mixture :func:`crps` scores (its CDF inverted by bisection to 1e-6 km²)."""
    from scipy.special import ndtr

    ens = np.asarray(ensemble, dtype=float)
    if rel_error == 0:
        return np.quantile(ens, probs)
    sd = error_sd(ens, rel_error)
    out = []
    for q in probs:
        lo, hi = float((ens - 8 * sd).min()), float((ens + 8 * sd).max())
        while hi - lo > 1e-6:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if ndtr((mid - ens) / sd).mean() < q else (lo, mid)
        out.append((lo + hi) / 2)
    return np.array(out)


def covers(truth: float, ensemble: np.ndarray, level: float, rel_error: float = 0.0) -> bool:
    """Whether ``truth`` lies in the central ``level`` interval (quantiles ``(1 ± level) / 2``
    of :func:`quantiles`)."""
    lo, hi = quantiles(ensemble, [(1 - level) / 2, (1 + level) / 2], rel_error)
    return bool(lo <= truth <= hi)


def skill(model_crps: float, naive_crps: float) -> float:
    """1 − CRPS(model) / CRPS(naive): 1 perfect, 0 as good as the naive, < 0 worse."""
    return 1.0 - model_crps / naive_crps if naive_crps > 0 else float("nan")


def score_forecasts(forecasts: pd.DataFrame, obs: Sequence[Observation],
                    rel_error: float = OBSERVATION_ERROR) -> pd.DataFrame:
    """One row per (origin, scored observation): the truth (point value), the predictive
    median and 5–95 %, CRPS of the model and the naive forecasts, coverage at 50 and 90 %.
    Model and naive forecasts alike forecast the observation with the relative error
    ``rel_error`` (:func:`crps`; 0: the point value is taken as the exact truth)."""
    by_key = {(o.front, o.quantity, o.date): o for o in obs}
    rows = []
    for (origin, target, front, qty), g in forecasts.groupby(
            ["origin", "target_date", "front", "quantity"], sort=True):
        o_date, t_date = dt.date.fromisoformat(origin), dt.date.fromisoformat(target)
        truth = float(by_key[(front, qty, t_date)].value)
        ens = g.sort_values("draw")["value"].to_numpy(dtype=float)
        naive = naive_forecasts(observations_until(select(list(obs), front, qty), o_date),
                                t_date)
        p5, p50, p95 = quantiles(ens, [0.05, 0.5, 0.95], rel_error)
        row = {"origin": origin, "target_date": target, "front": front, "quantity": qty,
               "observed": truth, "draws": len(ens), "median": p50, "p5": p5, "p95": p95,
               "crps_model": float(crps(truth, ens, rel_error))}
        for name in NAIVE:
            row[name] = naive[name]
            row[f"crps_{name}"] = float(crps(truth, np.array([naive[name]]), rel_error))
        row["in50"] = covers(truth, ens, 0.5, rel_error)
        row["in90"] = covers(truth, ens, 0.9, rel_error)
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Per front and origin, then per front pooled over origins (``origin = "pooled"``):
    observations scored, mean CRPS of the model and of each naive forecast, the best naive
    (lower mean CRPS in that group), skill against it and 50/90 % coverage."""
    groups = [((o, f), g) for (o, f), g in scores.groupby(["origin", "front"], sort=True)]
    groups += [(("pooled", f), g) for f, g in scores.groupby("front", sort=True)]
    rows = []
    for (origin, front), g in groups:
        naive = {n: float(g[f"crps_{n}"].mean()) for n in NAIVE}
        best = min(NAIVE, key=lambda n: naive[n])
        m = float(g["crps_model"].mean())
        rows.append({"origin": origin, "front": front, "n": len(g), "crps_model": m,
                     **{f"crps_{n}": naive[n] for n in NAIVE}, "best_naive": best,
                     "skill": skill(m, naive[best]), "cover50": float(g["in50"].mean()),
                     "cover90": float(g["in90"].mean())})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- forecasts


@dataclass(frozen=True)
class Condition:
    """How forecast runs are tied to the record up to the origin: a run is kept only if its
    ABC distance on the ``fit_targets`` (the fit's observations) is at most ``epsilon`` (the
    fit's final threshold), trying at most ``tries`` seeds per draw; ``epsilon = inf`` keeps
    every first run (forecasts conditioned through the parameters only)."""

    fit_targets: list[Target]
    epsilon: float
    tries: int
    restart: Restart | None = None


@dataclass(frozen=True)
class Restart:
    """The observed state a forecast run restarts from: on ``day`` (of the hindcast; the date
    of the last Kursk area known at the origin) the Kursk lines are redrawn so that Ukraine
    holds ``kursk_area_km2`` (:meth:`sim.model.WarModel.set_kursk_area`), as the options start
    from the observed 5 Jan map line instead of a simulated one."""

    day: int
    kursk_area_km2: float
    order: tuple[str, ...] = ()   # sectors whose ground comes off first (``set_kursk_area``)


RESTART_SHAPES = ("ordered", "uniform")


def restart_at(known: Sequence[Observation], start: dt.date, order: Sequence[str] = ()
               ) -> Restart | None:
    """The restart from the last Kursk ``ua_held_area`` known (dated after ``start``; None if
    there is none), its ground taken off the sectors of ``order`` first."""
    areas = [o for o in known if (o.front, o.quantity) == ("kursk", "ua_held_area")
             and o.date > start]
    if not areas:
        return None
    last = max(areas, key=lambda o: o.date)
    return Restart((last.date - start).days, float(last.value), tuple(order))


def forecast_run(scenario: Scenario, seed: int, days: int, restart: Restart | None
                 ) -> pd.DataFrame:
    """One run's daily record, restarted from the observed state on its day if given (the
    row of that day is the simulated one: the redrawn lines count from the next day)."""
    from sim.model import WarModel

    model = WarModel(scenario, rng=seed, days=days)
    while model.running:
        model.step()
        if restart is not None and model.day == restart.day:
            model.set_kursk_area(restart.kursk_area_km2, restart.order)
    return model.result().daily


def attempt_seeds(master_seed: int, draw: int, tries: int) -> list[int]:
    """Seeds of draw ``draw``'s attempts: the first is replicate seed ``draw`` of
    ``master_seed`` (what an unconditioned forecast runs), the others come from
    ``SeedSequence(master_seed, spawn_key=(draw, 2, a))``."""
    from sim.runner import replicate_seed

    extra = [int(np.random.SeedSequence(master_seed, spawn_key=(draw, 2, a))
                 .generate_state(1, np.uint64)[0] >> np.uint64(1)) for a in range(1, tries)]
    return [replicate_seed(master_seed, draw), *extra]


def forecast_task(shared: tuple[Scenario, list[Target], Condition, int],
                  item: tuple[int, dict[str, float], list[int]]
                  ) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Task: one predictive run ``item = (draw, values, seeds)``: the targets' values, the
    run's distance on the fit's observations, the attempts it took and the first run's
    targets. The first seed whose run lies within the condition's epsilon is kept; if none
    does, the closest run."""
    from sim.analysis.calibration import distance

    scenario, targets, cond, days = shared
    _, values, seeds = item
    scn = with_values(scenario, values)
    best: tuple[np.ndarray, float] | None = None
    first = np.empty(0)
    for a, s in enumerate(seeds, start=1):
        daily = forecast_run(scn, s, days, cond.restart)
        d = float(distance(summaries(daily, cond.fit_targets), cond.fit_targets))
        values_a = summaries(daily, targets)
        if a == 1:
            first = values_a
        if d <= cond.epsilon:
            return values_a, d, a, first
        if best is None or d < best[1]:
            best = (values_a, d)
    assert best is not None
    return best[0], best[1], len(seeds), first


def predictive_draws(scenario: Scenario, particles: pd.DataFrame, params: Sequence[str],
                     integer: Sequence[str], targets: list[Target], cond: Condition,
                     master_seed: int, draws: int, workers: int,
                     on_done: Callable[[int], None] | None = None,
                     nuisance: Nuisance | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(values (draws, n_targets), distances (draws,), attempts (draws,), first-seed values
    (draws, n_targets))``: run *i* is
    particle ``draw_index(master_seed, i, weights)`` (its fitted values and the ``nuisance``
    values its fit simulation drew) with the seeds of :func:`attempt_seeds`, to the scenario's
    last day, kept as :class:`Condition` says."""
    from sim.runner import draw_index, make_executor

    weights = particles["weight"].to_numpy(dtype=float)
    items = []
    for i in range(draws):
        row = particles.iloc[draw_index(master_seed, i, weights)]
        values = {p: (int(row[p]) if p in integer else float(row[p])) for p in params}
        if nuisance is not None:
            values |= particle_nuisance(row, nuisance)
        items.append((i, values, attempt_seeds(master_seed, i, cond.tries)))
    out: list[tuple[np.ndarray, float, int, np.ndarray] | None] = [None] * draws

    def keep(item: Any, result: Any, error: BaseException | None) -> None:
        if error is not None:
            raise BacktestError(f"forecast run {item[0]} failed: {error}")
        out[item[0]] = result
        if on_done:
            on_done(sum(r is not None for r in out))

    with make_executor("local", max(1, min(workers, draws))) as ex:
        if ex.map(forecast_task, (scenario, targets, cond, int(scenario.days)), items, keep):
            raise KeyboardInterrupt
    done = [r for r in out if r is not None]
    return (np.stack([r[0] for r in done]), np.array([r[1] for r in done]),
            np.array([r[2] for r in done], dtype=np.int64), np.stack([r[3] for r in done]))


# --------------------------------------------------------------------------- the backtest


def check_origins(scenario: Scenario, obs: Sequence[Observation], origins: Sequence[dt.date]
                  ) -> list[dt.date]:
    """The origins, sorted, once each is checked: inside the hindcast, with an observation to
    score after it and, for each front scored, one known at it (for the naive forecasts)."""
    start = scenario.start_date
    end = start + dt.timedelta(days=int(scenario.days))
    if not scenario.calibration:
        raise BacktestError("the scenario's calibration: section declares no parameters")
    out = sorted(set(origins))
    if not out:
        raise BacktestError("no origins given")
    for o in out:
        if not start < o < end:
            raise BacktestError(f"origin {o}: must lie after the hindcast's start {start} and "
                                f"before its end {end}")
        later = scored_after(obs, o, end)
        if not later:
            raise BacktestError(f"origin {o}: no Kursk area or Donetsk month observation "
                                f"between it and {end} to score")
        for front, qty in sorted({(x.front, x.quantity) for x in later}):
            if not observations_until(select(list(obs), front, qty), o):
                raise BacktestError(f"origin {o}: no {front} {qty} observation at or before "
                                    "it (the naive forecasts need one)")
    return out


@dataclass
class Backtest:
    """What a backtest produced (:func:`write_backtest` writes it)."""

    forecasts: pd.DataFrame          # FORECAST_COLUMNS
    scores: pd.DataFrame             # score_forecasts
    summary: pd.DataFrame            # summarize_scores
    particles: dict[str, pd.DataFrame]   # origin -> the fit's weighted particles
    manifest: dict[str, Any]
    summary_first_seed: pd.DataFrame     # the same scores of the draws' first runs


def first_seed(forecasts: pd.DataFrame) -> pd.DataFrame:
    """The forecasts of each draw's first run (the parameters-only forecast) as ``value``."""
    return forecasts.assign(value=forecasts["value_first_seed"])


def _load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_backtest(
    scenario: Scenario,
    observations: str | Path,
    origins: Sequence[dt.date] = DEFAULT_ORIGINS,
    params: Sequence[str] | None = None,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    budget: int | None = DEFAULT_BUDGET,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    condition: bool = True,
    tries: int = DEFAULT_TRIES,
    restart: bool = True,
    restart_shape: str = "ordered",
    observation_error: float = OBSERVATION_ERROR,
    held: str = "prior",
) -> Backtest:
    """Fit at each origin on the record up to it, forecast to the hindcast's end, score.

    ``params`` (default: :func:`default_params`) are fitted from their priors; the others are
    drawn from their priors in every simulation of the fits, each forecast taking its
    particle's (``held="prior"``, :class:`Nuisance`: their uncertainty reaches the bands), or
    held at their prior midpoints (``held="midpoint"``);
    ``observation_error`` is the relative error scored
    (:func:`score_forecasts`). Deterministic per ``seed`` whatever
    ``workers`` is: every origin's fit uses ``seed``, its forecasts ``seed + 1``.
    """
    from sim.runner import default_workers, git_commit, now, versions

    t0 = time.perf_counter()
    load_before, commit = _load_avg(), git_commit()   # the code that ran, not what follows
    obs = load_observations(observations)
    names = list(params) if params is not None else default_params(scenario)
    origins = check_origins(scenario, obs, origins)
    if draws < 2 or tries < 1:
        raise BacktestError("draws must be >= 2 and tries >= 1")
    if held not in HELD:
        raise BacktestError(f"held must be one of {', '.join(HELD)} (got {held!r})")
    if restart_shape not in RESTART_SHAPES:
        raise BacktestError(f"restart_shape must be one of {', '.join(RESTART_SHAPES)} "
                            f"(got {restart_shape!r})")
    start = scenario.start_date
    end = start + dt.timedelta(days=int(scenario.days))
    base = prefit_scenario(scenario, names)
    _, _, integer = check_inputs(base, obs, names, int(base.days))
    others = Nuisance.unfitted(scenario, names)
    nuisance = Nuisance.of(base, others) if held == "prior" and others else None
    workers = max(1, workers or default_workers())
    # the observed loss comes off the sectors in the order Ukraine's policy gives them up
    order = base.policy.ua.graded_defence.order if restart_shape == "ordered" else []
    frames, particles, fits = [], {}, []
    for k, origin in enumerate(origins):
        label = origin.isoformat()
        if progress:
            progress({"kind": "origin", "origin": label, "index": k, "of": len(origins)})
        fit_days = (origin - start).days
        known = observations_until(obs, origin)

        def relay(ev: dict[str, Any], label: str = label) -> None:
            if progress:
                progress({**ev, "origin": label})

        with tempfile.TemporaryDirectory(prefix="backtest-fit-") as tmp:
            cal = calibrate_smc(base, known, names, tmp, population=population,
                                generations=generations, budget=budget, seed=seed,
                                days=fit_days, workers=workers, check_replicates=0,
                                progress=relay, nuisance=list(nuisance.ranges) if nuisance else ())
        particles[label] = cal.particles
        later = scored_after(obs, origin, end)
        targets = build_targets(later, start, int(base.days))
        by_key = {o.key: o for o in later}

        def done(n: int, label: str = label) -> None:
            if progress:
                progress({"kind": "forecast", "origin": label, "done": n, "of": draws})

        last = cal.populations.iloc[-1]
        cond = Condition(cal.targets, float(last.eps) if condition else np.inf, int(tries),
                         restart_at(known, start, order) if restart else None)
        sims, dist, attempts, first = predictive_draws(base, cal.particles, names, integer, targets,
                                                cond, seed + 1, draws, workers, done, nuisance)
        for j, t in enumerate(targets):
            o = by_key[t.key]
            frames.append(pd.DataFrame({
                "origin": label, "target_date": o.date.isoformat(), "front": o.front,
                "quantity": o.quantity, "draw": np.arange(draws, dtype=np.int64),
                "value": sims[:, j], "value_first_seed": first[:, j], "attempts": attempts}))
        fits.append({"origin": label, "fit_days": fit_days,
                     "observations_fitted": sum(t.fitted for t in cal.targets),
                     "populations": len(cal.populations), "simulations": cal.simulations,
                     "run": cal.computed * cal.replicates, "final_epsilon": float(last.eps),
                     "ess": round(float(last.ess), 1), "fit_seconds": round(cal.seconds, 1),
                     "forecast_within_epsilon": int((dist <= cond.epsilon).sum()),
                     "forecast_runs": int(attempts.sum()),
                     "forecast_distance_median": round(float(np.median(dist)), 3),
                     "restart": (None if cond.restart is None else
                                 {"day": cond.restart.day,
                                  "kursk_area_km2": cond.restart.kursk_area_km2})})
    forecasts = pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]
    scores = score_forecasts(forecasts, obs, observation_error)
    manifest = {
        # relative to the working folder: a committed folder must not carry the clone's path
        "scenario": (relative_path(Path(scenario.source_path), Path.cwd().resolve())
                     if scenario.source_path else scenario.name),
        "scenario_hash": scenario_hash(base), "observations": str(observations),
        "observations_sha256": sha256(observations),
        "origins": [o.isoformat() for o in origins], "end": end.isoformat(),
        "params": names,
        "held": held,
        **({"held_at_prior_midpoint": {p: get_path(base, p) for p in others}}
           if nuisance is None else {"drawn_from_prior": {p: list(r) for p, r in
                                                          nuisance.ranges.items()}}),
        "method": "ABC-SMC (sim.analysis.smc, ordered sampler), 1 replicate per evaluation",
        "truth": "the observation's point value (its range is not used)",
        "observation_error": float(observation_error),
        "forecast": ("each draw one particle: its fitted values and the drawn_from_prior "
                     "values its fit simulation drew; " if nuisance is not None else "")
                    + (f"conditioned on the record up to the origin: per draw the first of at most "
                     f"{int(tries)} seeds whose run lies within the fit's final epsilon, else "
                     "the closest" if condition else
                     "conditioned through the parameters only (one seed per draw)"),
        "restart": ("each forecast run restarts from the last Kursk area known at the origin "
                    "(the Kursk lines redrawn to it on its day, "
                    + (f"the ground taken off {', '.join(order)} first, in turn)" if order else
                       "every Ukrainian depth scaled by one factor)") if restart else
                    "none: forecast runs continue the simulated path"),
        "seed": int(seed), "forecast_seed": int(seed) + 1, "population": int(population),
        "generations": int(generations), "budget": budget, "draws": int(draws),
        "workers": workers, "fits": fits, "wall_seconds": round(time.perf_counter() - t0, 1),
        "load_before": load_before, "load_after": _load_avg(), "versions": versions(VERSIONED),
    }
    manifest.update(date=now(), git_commit=commit)
    return Backtest(forecasts, scores, summarize_scores(scores), particles, manifest,
                    summarize_scores(score_forecasts(first_seed(forecasts), obs,
                                                     observation_error)))


# --------------------------------------------------------------------------- files

FILES = ("forecasts.parquet", "scores.csv", "summary.csv", "summary_first_seed.csv")


def write_backtest(bt: Backtest, out_dir: str | Path) -> list[Path]:
    """Write ``forecasts.parquet``, ``scores.csv``, ``summary.csv``, the fits' particles
    (``particles_<origin>.csv``) and ``manifest.json`` (with the files' SHA-256) into
    ``out_dir``; every file atomically, the manifest last. The figure is
    :func:`sim.viz.write_backtest_figure`'s."""
    import pyarrow as pa

    from sim.runner import atomic_write_table, atomic_write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_table(out / "forecasts.parquet",
                       pa.Table.from_pandas(bt.forecasts, preserve_index=False))
    atomic_write_text(out / "scores.csv", bt.scores.to_csv(index=False, float_format="%.6g"))
    for name, table in (("summary.csv", bt.summary),
                        ("summary_first_seed.csv", bt.summary_first_seed)):
        atomic_write_text(out / name, table.to_csv(index=False, float_format="%.6g"))
    files = [out / f for f in FILES]
    for origin, parts in bt.particles.items():
        path = out / f"particles_{origin}.csv"
        atomic_write_text(path, parts.to_csv(index=False, float_format="%.10g"))
        files.append(path)
    manifest = {**bt.manifest, "files": {f.name: sha256(f) for f in files}}
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1, default=str) + "\n")
    return [*files, out / "manifest.json"]


def check_backtest(out_dir: str | Path, observations: str | Path | None = None) -> list[str]:
    """Re-score ``out_dir/forecasts.parquet`` against the observations (default: the file the
    manifest names) and compare with ``scores.csv`` and ``summary.csv``, and every file with
    its hash in ``manifest.json``. Returns the problems (empty: the folder re-scores)."""
    out = Path(out_dir)
    if not (out / "manifest.json").is_file():
        raise BacktestError(f"{out}: no manifest.json (not a backtest folder)")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    for name, digest in (manifest.get("files") or {}).items():
        if not (out / name).is_file():
            problems.append(f"{name}: missing")
        elif sha256(out / name) != digest:
            problems.append(f"{name}: differs from the hash in manifest.json")
    obs_path = Path(observations or manifest["observations"])
    if sha256(obs_path) != manifest.get("observations_sha256"):
        problems.append(f"{obs_path}: differs from the observations the backtest scored")
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    obs = load_observations(obs_path)
    rel_error = float(manifest.get("observation_error", 0.0))   # older folders: none
    scores = score_forecasts(forecasts, obs, rel_error)
    first = summarize_scores(score_forecasts(first_seed(forecasts), obs, rel_error))
    for name, fresh in (("scores.csv", scores), ("summary.csv", summarize_scores(scores)),
                        ("summary_first_seed.csv", first)):
        stored = pd.read_csv(out / name, dtype={"origin": str})
        again = pd.read_csv(io.StringIO(fresh.to_csv(index=False, float_format="%.6g")),
                            dtype={"origin": str})
        if not stored.equals(again):
            problems.append(f"{name}: re-scoring forecasts.parquet gives different values")
    return problems


def format_summary(summary: pd.DataFrame) -> str:
    """The skill table as plain text (the CLI prints it; VALIDATION.md quotes it)."""
    lines = [f"{'origin':11s} {'front':8s} {'n':>2s} {'CRPS model':>10s} {'persist.':>9s} "
             f"{'trend':>9s} {'skill':>7s} {'50 %':>5s} {'90 %':>5s}"]
    for r in summary.itertuples():
        lines.append(f"{r.origin:11s} {r.front:8s} {r.n:>2d} {r.crps_model:>10.1f} "
                     f"{r.crps_persistence:>9.1f} {r.crps_trend:>9.1f} {r.skill:>+7.2f} "
                     f"{r.cover50:>5.0%} {r.cover90:>5.0%}")
    return "\n".join(lines)
