"""Hindcast calibration by approximate Bayesian computation (ABC rejection).

The model is stochastic and its likelihood is intractable, so the fit compares **summary
statistics** of simulated daily records with the dated record (``seeds/observations.csv``):

* Kursk: the Ukrainian-held area (``kursk_ua_km2``) on each dated Kursk observation;
* Donetsk: the Russian gain on the Donetsk map per calendar month (``donetsk_ru_gain_km2``
  differences, scaled to a whole month when the horizon covers only part of it), against the
  ``front = donetsk`` rows (whole-front AFP/ISW figures scaled to the Donetsk-oblast share,
  see ``seeds/README.md``).

Personnel, North Korean casualty rates and town-capture dates are reported, not fitted.

Method (ABC rejection with common random numbers):

1. ``budget`` candidate parameter vectors from a scrambled Latin hypercube
   (:class:`scipy.stats.qmc.LatinHypercube`) over the uniform prior box declared in the
   scenario's ``calibration:`` section;
2. every candidate runs the same ``replicates`` seeds (``batch.replicate_seeds``) in worker
   processes; its summary is the per-statistic median over replicates;
3. distance = mean over the two groups (Kursk, Donetsk) of the root-mean-square standardised
   error ``(simulated − observed) / half-width of the observed range``;
4. the ``accept`` share of candidates with the smallest distance is the ABC posterior sample;
   each parameter is reported as posterior median and 90 % interval (5–95 %);
5. the posterior medians are checked with fresh seeds (a posterior-predictive check) and
   written as a scenario overlay holding only the fitted parameters.

Library use: ``calibrate(scenario, observations, params, ...) -> Calibration``.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.observations import Observation, load_observations
from sim.runner import (
    Executor,
    atomic_write_text,
    default_workers,
    make_executor,
    weighted_quantile,
)
from sim.scenario import Scenario, ScenarioError, get_path, relative_path, with_values

if TYPE_CHECKING:
    from sim.model import DailyRecord, WarModel

DEFAULT_BUDGET = 240
#: The dated 2024 record shipped with the repository.
OBSERVATIONS = Path(__file__).resolve().parents[2] / "seeds" / "observations.csv"
DEFAULT_REPLICATES = 4
DEFAULT_ACCEPT = 0.1
FIT_GROUPS = ("kursk", "donetsk")
#: A Donetsk month counts as matched within this relative error (the acceptance test's
#: criterion); a Kursk observation when the simulated median is inside its observed range.
DONETSK_TOLERANCE = 0.35


class CalibrationError(ValueError):
    """Calibration cannot start as asked (unknown parameter, no range, no targets)."""


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One summary statistic and the observation it is compared with."""

    key: str
    group: str          # "kursk", "donetsk" (fitted) or "report"
    kind: str           # area | month_gain | level | rate
    column: str         # daily-record column
    day0: int           # first day (rate/month: start of the window)
    day1: int           # last day (level: the day)
    scale_days: float   # month_gain: days in the month; rate: window length
    value: float
    low: float
    high: float
    label: str

    @property
    def fitted(self) -> bool:
        return self.group in FIT_GROUPS

    @property
    def sd(self) -> float:
        """Scale of the standardised error: half the observed range, at least 5 % of the
        value (and 1 unit) so a single exact figure does not dominate."""
        return max((self.high - self.low) / 2.0, 0.05 * abs(self.value), 1.0)


#: Donetsk's monthly observations: quantity -> (group, daily-record column, label)
MONTHLY = {"ru_gain_month": ("donetsk", "donetsk_ru_gain_km2", "RU gain"),
           "ru_casualties_month": ("report", "ru_donetsk_casualties", "RU casualties")}


def build_targets(obs: Sequence[Observation], start: dt.date, days: int) -> list[Target]:
    """Summary statistics computable from a record that starts on ``start`` and runs ``days``."""
    out: list[Target] = []

    def day(d: dt.date) -> int:
        return (d - start).days

    for o in obs:
        if o.is_event:
            continue
        t = day(o.date)
        if o.front == "kursk" and o.quantity == "ua_held_area":
            if 0 < t <= days:
                out.append(Target(o.key, "kursk", "area", "kursk_ua_km2", t, t, 1.0,
                                  o.value, o.low, o.high, f"Kursk UA-held {o.date}"))
        elif o.front == "donetsk" and o.quantity in MONTHLY:
            first = o.date.replace(day=1)
            n = calendar.monthrange(first.year, first.month)[1]
            d0, d1 = max(day(first) - 1, 0), min(day(first) + n - 1, days)
            if d1 - d0 >= 10:  # at least ten days of the month simulated
                group, column, what = MONTHLY[o.quantity]
                out.append(Target(o.key, group, "month_gain", column, d0, d1, float(n),
                                  o.value, o.low, o.high, f"Donetsk {what} {first:%b %Y}"))
        elif o.front == "kursk" and o.quantity in ("ua_personnel", "ru_personnel"):
            col = f"{o.quantity[:2]}_kursk_personnel"
            if 0 <= t <= days:
                out.append(Target(o.key, "report", "level", col, t, t, 1.0, o.value, o.low,
                                  o.high, f"Kursk {o.quantity[:2].upper()} troops {o.date}"))
        elif o.front == "kursk" and o.quantity == "dprk_casualties":
            if 0 <= t <= days:  # cumulative since the contingent entered combat
                out.append(Target(o.key, "report", "level", "dprk_casualties", t, t, 1.0,
                                  o.value, o.low, o.high, f"DPRK casualties to {o.date}"))
        elif o.front == "kursk" and o.quantity == "ru_casualties":
            if 0 <= t <= days:  # cumulative since the incursion began
                out.append(Target(o.key, "report", "level", "ru_kursk_casualties", t, t, 1.0,
                                  o.value, o.low, o.high, f"Kursk RU casualties to {o.date}"))
        elif o.front == "kursk" and o.quantity == "dprk_casualties_per_day":
            first = o.date.replace(day=1)
            d0, d1 = max(day(first) - 1, 0), min(day(o.date), days)
            if d1 - d0 >= 10:
                out.append(Target(o.key, "report", "rate", "dprk_casualties", d0, d1,
                                  float(d1 - d0), o.value, o.low, o.high,
                                  f"DPRK casualties/day {first:%b %Y}"))
    return out


def summaries(daily: pd.DataFrame | DailyRecord, targets: Sequence[Target]) -> np.ndarray:
    """The value of every target's statistic in one run's daily record (the DataFrame, or the
    model's record while it runs, whose days ahead read zeros); NaN for a target whose last
    day lies past the record's end (a run stopped early)."""
    out = np.empty(len(targets))
    for j, t in enumerate(targets):
        col = np.asarray(daily[t.column], dtype=float)
        if t.day1 >= len(col):
            out[j] = np.nan
        elif t.kind in ("area", "level"):
            out[j] = col[t.day1]
        elif t.kind == "month_gain":
            out[j] = (col[t.day1] - col[t.day0]) * t.scale_days / (t.day1 - t.day0)
        else:  # rate
            out[j] = (col[t.day1] - col[t.day0]) / t.scale_days
    return out


def distance(sim: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """ABC distance of simulated summaries (``(..., n_targets)``): mean over the fitted groups
    of the RMS standardised error."""
    obs = np.array([t.value for t in targets])
    sd = np.array([t.sd for t in targets])
    z = (sim - obs) / sd
    parts = []
    for g in FIT_GROUPS:
        m = np.array([t.group == g for t in targets])
        if m.any():
            parts.append(np.sqrt(np.mean(z[..., m] ** 2, axis=-1)))
    if not parts:
        raise CalibrationError("no fitted observations fall inside the scenario's horizon")
    return np.mean(parts, axis=0)


def rejection_stop(targets: Sequence[Target], threshold: float
                   ) -> Callable[[WarModel], bool]:
    """ABC early rejection, as ``sim.model.run``'s ``stop``: true on the first fitted
    target's day on which the run's distance must exceed ``threshold`` whatever the later days
    hold. The targets not yet reached count as matched; :func:`distance` only grows as errors
    are added, so that distance is a lower bound of the final one, and a run stopped so would
    have been rejected (its record ends there: :func:`summaries` gives NaN for the targets it
    did not reach)."""
    obs = np.array([t.value for t in targets])
    last_day = np.array([t.day1 for t in targets])
    checks = {t.day1 for t in targets if t.fitted}

    def stop(model: WarModel) -> bool:
        if model.day not in checks:
            return False
        reached = last_day <= model.day
        now = summaries(model.rec, targets)   # (reads zeros past today: masked)
        return bool(distance(np.where(reached, now, obs), targets) > threshold)

    return stop


# --------------------------------------------------------------------------- tasks


def evaluate(shared: tuple[Scenario, list[Target], list[int], int],
             item: tuple[int, dict[str, float]]) -> np.ndarray:
    """Task: summaries of every replicate of candidate ``item = (index, values)``, shape
    ``(replicates, n_targets)``; ``shared = (scenario, targets, seeds, days)``."""
    from sim.model import run

    scenario, targets, seeds, days = shared
    scn = with_values(scenario, item[1])
    return np.stack([summaries(run(scn, seed=s, days=days).daily, targets) for s in seeds])


def run_candidates(candidates: list[dict[str, float]], scenario: Scenario, targets: list[Target],
                   seeds: Sequence[int], days: int, workers: int | None = None,
                   executor: Executor | None = None) -> np.ndarray:
    """Summaries of every candidate's runs on ``seeds``, shape ``(candidates, seeds,
    targets)``: each candidate is ``scenario`` with its values set. Runs on ``executor`` (kept
    open, e.g. across several calls), else on a local pool of ``workers`` closed at the end.
    Ctrl-C raises :class:`KeyboardInterrupt`; a failed run, :class:`CalibrationError`."""
    out: list[np.ndarray | None] = [None] * len(candidates)

    def keep(item: tuple[int, dict[str, float]], result: np.ndarray | None,
             error: BaseException | None) -> None:
        if error is not None:
            raise CalibrationError(f"candidate {item[1]} failed: {error}")
        out[item[0]] = result

    with (contextlib.nullcontext(executor) if executor is not None
          else make_executor("local", workers)) as ex:
        if ex.map(evaluate, (scenario, targets, list(seeds), days),
                  list(enumerate(candidates)), keep):
            raise KeyboardInterrupt
    return np.stack(out)


# --------------------------------------------------------------------------- calibration

#: Sections of a scenario that describe the period (forces, replacement streams, policy), not
#: the model: fitted on the hindcast, they belong in the hindcast, not in the overlay that the
#: option scenarios (which start in 2025) would extend.
SCENARIO_FACT_SECTIONS = ("sides", "policy", "diplomacy", "fronts", "groupings")


def is_integer_param(scenario: Scenario, param: str) -> bool:
    """Whether the scenario declares ``param`` as an integer (validation rejects fractions)."""
    v = get_path(scenario, param) or 0.0
    for nudged in (v + 1e-6, v - 1e-6):   # one direction is inside any bound
        try:
            with_values(scenario, {param: nudged})
        except ScenarioError:
            continue
        return False
    return True


def is_scenario_fact(param: str) -> bool:
    """Whether a fitted parameter describes the hindcast's period rather than the model."""
    return param.split(".", 1)[0] in SCENARIO_FACT_SECTIONS


def matched(target: Target, sim_median: float) -> bool:
    """Whether a fitted observation counts as reproduced (the status line's fit figures):
    Kursk inside the observed range, Donetsk within ``DONETSK_TOLERANCE`` of the value."""
    if target.group == "donetsk":
        return abs(sim_median - target.value) <= DONETSK_TOLERANCE * abs(target.value)
    return bool(target.low <= sim_median <= target.high)


def posterior_table(particles: pd.DataFrame, params: Sequence[str],
                    prior: dict[str, tuple[float, float]], default: dict[str, float | None]
                    ) -> pd.DataFrame:
    """Per parameter: prior range, default, weighted posterior median and 90 % interval
    (inverse-CDF quantiles: always particle values, as ``wargame run --params median`` uses)."""
    w = particles["weight"].to_numpy(dtype=float)
    best = int(np.argmin(particles["distance"].to_numpy())) if "distance" in particles else 0
    rows = []
    for p in params:
        v = particles[p].to_numpy(dtype=float)
        lo, hi = prior[p]
        rows.append({"param": p, "prior_low": lo, "prior_high": hi, "default": default[p],
                     "median": weighted_quantile(v, w, 0.5),
                     "p5": weighted_quantile(v, w, 0.05), "p95": weighted_quantile(v, w, 0.95),
                     "best": float(v[best])})
    return pd.DataFrame(rows)


def check_inputs(scenario: Scenario, observations: Sequence[Observation], params: list[str],
                 days: int) -> tuple[dict[str, tuple[float, float]], list[Target], list[str]]:
    """Check the fit can start; returns the prior box, the targets and the integer
    parameters. Raises :class:`CalibrationError` naming every problem."""
    if not params:
        raise CalibrationError("no parameters to fit; pass --params a,b,...")
    problems = []
    for p in params:
        if p not in scenario.calibration:
            have = ", ".join(scenario.calibration) or "none"
            problems.append(f"{p}: no range in the scenario's calibration: section "
                            f"(declared: {have})")
        elif get_path(scenario, p) is None:
            problems.append(f"{p}: not a numeric scenario parameter")
    if len(set(params)) < len(params):
        problems.append("a parameter is listed twice")
    if problems:
        raise CalibrationError("\n".join(problems))
    targets = build_targets(observations, scenario.start_date, days)
    if not any(t.fitted for t in targets):
        raise CalibrationError("no fitted observations fall inside the scenario's horizon")
    prior = {p: (scenario.calibration[p].low, scenario.calibration[p].high) for p in params}
    for corner in (0, 1):  # the whole prior box must validate before any simulation runs
        try:
            with_values(scenario, {p: prior[p][corner] for p in params})
        except ScenarioError as exc:
            raise CalibrationError(f"calibration range is not valid: {exc}") from None
    return prior, targets, [p for p in params if is_integer_param(scenario, p)]


class FitReport:
    """What both fits report: posterior table, fitted values, fit per observation, the
    overlay and the fit record (``fit.json``, also the posterior table's metadata)."""

    method: str
    scenario_name: str
    params: list[str]
    prior: dict[str, tuple[float, float]]
    default: dict[str, float | None]
    targets: list[Target]
    seed: int
    integer: list[str]
    check: pd.DataFrame | None
    check_sims: np.ndarray | None
    particles: pd.DataFrame   # parameter columns, weight, distance (a field or a property)
    check_kind = "at the posterior medians"   # what the check runs are (the fit record says)

    def describe(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def nuisance_record(self) -> dict[str, Any]:
        """The fit record's entries for the parameters the fit drew from their uniform priors
        in every simulation: ``nuisance`` (path → [low, high]) and ``nuisance_integer`` (the
        whole numbers among them); empty unless the fit was marginal over some (ABC-SMC with
        ``nuisance``)."""
        return {"nuisance": {}, "nuisance_integer": []}

    @property
    def posterior(self) -> pd.DataFrame:
        """Per parameter: prior range, default, posterior median and 90 % interval."""
        return posterior_table(self.particles, self.params, self.prior, self.default)

    @property
    def values(self) -> dict[str, float]:
        """The fitted values written to the overlay: the weighted posterior medians (particle
        values, exactly what ``wargame run --params median`` uses)."""
        post = self.posterior
        return {r.param: (int(round(r.median)) if r.param in self.integer else float(r.median))
                for r in post.itertuples()}

    def fallback_sims(self) -> np.ndarray:
        raise CalibrationError("no check runs: fit with check_replicates > 0")

    def fit_table(self, sims: np.ndarray | None = None) -> pd.DataFrame:
        """Per target: observed value and range, simulated median and 5–95 %, within range,
        matched (the status criterion), relative error. ``sims`` is ``(replicates,
        n_targets)``; default: the check runs (:attr:`check_kind`)."""
        if sims is None:
            sims = self.check_sims if self.check_sims is not None else self.fallback_sims()
        med = np.median(sims, axis=0)
        p5, p95 = np.quantile(sims, [0.05, 0.95], axis=0)
        rows = []
        for j, t in enumerate(self.targets):
            rel = (med[j] - t.value) / t.value if t.value else float("nan")
            rows.append({"target": t.label, "key": t.key, "group": t.group,
                         "observed": t.value, "low": t.low, "high": t.high,
                         "sim_median": med[j], "sim_p5": p5[j], "sim_p95": p95[j],
                         "within_range": bool(t.low <= med[j] <= t.high),
                         "matched": matched(t, float(med[j])) if t.fitted else None,
                         "rel_error": rel, "z": (med[j] - t.value) / t.sd})
        return pd.DataFrame(rows)

    def fit_record(self, observations: str | Path | None = None) -> dict[str, Any]:
        """The figures the calibration status line needs (see
        :mod:`sim.analysis.validation_status`): method, date, observations fitted and their
        dates, matched per group on the check runs (:attr:`check_kind`), the fit per
        observation."""
        tab = self.check if self.check is not None else self.fit_table()
        fitted = tab[tab["group"].isin(FIT_GROUPS)]
        dates = sorted(k.rsplit("@", 1)[-1] for k in fitted["key"])
        groups = {g: [int(fitted[fitted.group == g]["matched"].sum()),
                      int((fitted.group == g).sum())] for g in FIT_GROUPS}
        return {
            "method": self.method, "date": dt.date.today().isoformat(),
            "scenario": self.scenario_name, "seed": self.seed,
            "observations_file": str(observations) if observations else None,
            "observations": len(fitted), "first": dates[0] if dates else None,
            "last": dates[-1] if dates else None, "groups": groups,
            "criteria": {"kursk": "simulated median inside the observed range",
                         "donetsk": f"within {DONETSK_TOLERANCE:.0%} of the observed value"},
            "check_runs": None if self.check_sims is None else int(self.check_sims.shape[0]),
            "check": self.check_kind,
            "params": list(self.params), "integer": list(self.integer),
            **self.nuisance_record(),
            "medians": self.values, "summary": self.describe(),
            "per_observation": json.loads(tab.to_json(orient="records")),
        }

    def to_overlay_yaml(self, posterior_path: str | None = None) -> str:
        """A scenario overlay with only the fitted parameters, and the fit as comments;
        ``posterior_path`` (relative to the overlay) adds ``calibration_posterior:`` so that
        scenarios extending the overlay run posterior-predictive batches."""
        post = self.posterior
        lines = [
            "# Calibrated parameters (written by `wargame calibrate`; do not edit by hand).",
            f"# Fitted on {self.scenario_name} to seeds/observations.csv: {self.describe()}",
            f"# (master seed {self.seed}); values are weighted posterior medians, the 90 % "
            "interval follows.",
            "# See docs/VALIDATION.md for the fit and its validity envelope.",
        ]
        facts = {p: v for p, v in self.values.items() if is_scenario_fact(p)}
        if facts:
            lines.append("# Also fitted, but facts of the hindcast's period, not model parameters "
                         "(set them in the hindcast scenario, not here):")
            for p, v in facts.items():
                r = post[post.param == p].iloc[0]
                lines.append(f"#   {p}: {v}    (90 % interval {r.p5:.4g} .. {r.p95:.4g}; "
                             f"prior {r.prior_low:g} .. {r.prior_high:g})")
        if posterior_path:
            lines.append("# Weighted particles: `wargame run` gives each replicate group one "
                         "draw (--params median|fixed to turn it off).")
            lines.append(f"calibration_posterior: {posterior_path}")
            drawn = [p for p in self.nuisance_record()["nuisance"] if not is_scenario_fact(p)]
            if drawn:
                lines.append("# Drawn from their priors in every simulation of the fit, so "
                             "each replicate group draws them too:")
                lines.append(f"calibration_nuisance: [{', '.join(drawn)}]")
        tree: dict[str, dict[str, float]] = {}
        for p, v in self.values.items():
            if is_scenario_fact(p):
                continue
            sec, name = p.split(".", 1)
            tree.setdefault(sec, {})[name] = v
        for sec, kv in tree.items():
            lines.append(f"{sec}:")
            for name, v in kv.items():
                r = post[post.param == f"{sec}.{name}"].iloc[0]
                lines.append(f"  {name}: {v}    # 90 % interval {r.p5:.4g} .. {r.p95:.4g}; "
                             f"prior {r.prior_low:g} .. {r.prior_high:g}; was {r.default}")
        return "\n".join(lines) + "\n"


def write_fit(cal: FitReport, out_dir: str | Path, observations: str | Path | None = None
              ) -> list[Path]:
    """Write a fit's outputs into ``out_dir`` (locked, each file atomically):
    ``posterior.parquet`` (weighted particles, the fit record in its metadata: what
    ``calibration_posterior:`` points at), ``particles.csv``, ``posterior.csv`` (medians and
    90 % intervals), ``fit_table.csv`` and ``fit.json`` (with the posterior's digest, so a
    damaged table is refused)."""
    from sim.analysis.fitfolder import FIT_FILES, FitFolderError, fit_lock
    from sim.runner import DIGEST_KEY, file_sha256, write_posterior

    out = Path(out_dir)
    record = cal.fit_record(observations)
    table = cal.check if cal.check is not None else cal.fit_table()
    texts = {"particles.csv": cal.particles.to_csv(index=False, float_format="%.8g"),
             "posterior.csv": cal.posterior.to_csv(index=False),
             "fit_table.csv": table.to_csv(index=False)}
    with fit_lock(out):
        path = out / FIT_FILES[0]
        try:
            write_posterior(path, cal.particles, record)
            # the fit record beside the posterior holds its digest: a damaged table is refused
            texts["fit.json"] = json.dumps({**record, DIGEST_KEY: file_sha256(path)}, indent=1,
                                           default=str)
            for name, text in texts.items():
                path = out / name
                atomic_write_text(path, text)
        except OSError as exc:  # read-only, disk full: name the file, not a temporary one
            raise FitFolderError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return [out / n for n in FIT_FILES]


def write_overlay(cal: FitReport, path: str | Path, posterior: str | Path) -> Path:
    """Write the fit's overlay YAML at ``path`` (atomically; its missing folders created, as
    every output's are), naming ``posterior`` relative to the overlay's folder so that the pair
    moves together."""
    from sim.analysis.fitfolder import FitFolderError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, cal.to_overlay_yaml(relative_path(Path(posterior),
                                                                  path.resolve().parent)))
    except OSError as exc:  # read-only, disk full: name the file, not a temporary one
        raise FitFolderError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


@dataclass
class Calibration(FitReport):
    """Everything a rejection calibration produced (``to_overlay_yaml`` writes the overlay)."""

    scenario_name: str
    params: list[str]
    prior: dict[str, tuple[float, float]]
    default: dict[str, float | None]
    design: np.ndarray               # (budget, n_params)
    sims: np.ndarray                 # (budget, replicates, n_targets)
    dist: np.ndarray                 # (budget,)
    accepted: np.ndarray             # indices of the posterior sample
    targets: list[Target]
    seed: int
    replicates: int
    budget: int
    accept: float
    seconds: float
    check: pd.DataFrame | None = None   # posterior-predictive check per target
    check_sims: np.ndarray | None = field(default=None, repr=False)
    integer: list[str] = field(default_factory=list)   # parameters rounded to integers

    method: str = "ABC rejection"

    @property
    def particles(self) -> pd.DataFrame:
        """The accepted candidates, equally weighted (``distance``: their ABC distance)."""
        df = pd.DataFrame(self.design[self.accepted], columns=self.params)
        df["weight"] = 1.0 / len(self.accepted)
        df["distance"] = self.dist[self.accepted]
        return df

    @property
    def best(self) -> int:
        return int(np.argmin(self.dist))

    def fallback_sims(self) -> np.ndarray:
        return self.sims[self.best]

    def describe(self) -> str:
        return (f"ABC rejection, {self.budget} Latin-hypercube candidates x {self.replicates} "
                f"replicates, {len(self.accepted)} accepted ({self.accept:.0%})")


def calibrate(
    scenario: Scenario,
    observations: Sequence[Observation] | str | Path,
    params: Sequence[str],
    budget: int = DEFAULT_BUDGET,
    seed: int = 20240806,
    replicates: int = DEFAULT_REPLICATES,
    accept: float = DEFAULT_ACCEPT,
    days: int | None = None,
    workers: int | None = None,
    check_replicates: int | None = None,
) -> Calibration:
    """Fit ``params`` (dotted paths with ranges in ``scenario.calibration``) by ABC rejection.

    Deterministic for a given ``seed`` whatever ``workers`` is. ``check_replicates`` (default
    ``max(2 * replicates, 8)``; 0 = none) runs the posterior medians with fresh seeds.
    """
    t0 = time.perf_counter()
    if isinstance(observations, str | Path):
        observations = load_observations(observations)
    params = [p.strip() for p in params if p.strip()]
    if budget < 2 or replicates < 1 or not 0 < accept <= 1:
        raise CalibrationError("budget must be >= 2, replicates >= 1 and 0 < accept <= 1")
    days = int(days if days is not None else scenario.days)
    prior, targets, integer_names = check_inputs(scenario, observations, params, days)
    lo = np.array([prior[p][0] for p in params])
    hi = np.array([prior[p][1] for p in params])
    # scipy.stats imported here, not at the top: it costs ~0.7 s, and the fan chart of every
    # batch reads this module's history helpers
    from scipy.stats import qmc

    from sim.runner import replicate_seeds

    sampler = qmc.LatinHypercube(d=len(params), seed=np.random.default_rng(seed))
    design = qmc.scale(sampler.random(budget), lo, hi)
    # Integer parameters (e.g. troops/day) are sampled on the same hypercube and rounded.
    integer = [k for k, p in enumerate(params) if p in integer_names]
    design[:, integer] = np.round(design[:, integer])
    cands = [dict(zip(params, row.tolist(), strict=True)) for row in design]
    seeds = replicate_seeds(seed, replicates)
    workers = max(1, min(workers or default_workers(), budget))
    sims = run_candidates(cands, scenario, targets, seeds, days, workers)
    dist = distance(np.median(sims, axis=1), targets)
    n_acc = max(min(budget, 3), int(math.ceil(accept * budget)))
    accepted = np.argsort(dist, kind="stable")[:n_acc]
    cal = Calibration(scenario.name, params, prior,
                      {p: get_path(scenario, p) for p in params}, design, sims, dist, accepted,
                      targets, seed, replicates, budget, accept, 0.0,
                      integer=[params[k] for k in integer])
    n_check = max(2 * replicates, 8) if check_replicates is None else check_replicates
    if n_check:
        check_seeds = replicate_seeds(seed + 1, n_check)
        cal.check_sims = run_candidates([cal.values], scenario, targets, check_seeds, days, 1)[0]
        cal.check = cal.fit_table()
    cal.seconds = time.perf_counter() - t0
    return cal


def overlay_values(path: str | Path) -> dict[str, float]:
    """The dotted-path values of a calibrated overlay file (its fitted numbers; the fit record
    and the posterior reference are not parameters)."""
    from sim.scenario import read_yaml

    tree = read_yaml(Path(path))
    out: dict[str, float] = {}
    for sec, kv in tree.items():
        if sec in ("calibration_fit", "calibration_posterior") or not isinstance(kv, dict):
            continue
        for name, v in kv.items():
            out[f"{sec}.{name}"] = float(v)
    return out


def format_fit(cal: FitReport) -> str:
    """A plain-text report: the posterior and the fit per observation."""
    post = cal.posterior
    lines = [f"{cal.describe()}; {getattr(cal, 'seconds', 0):.0f} s", "",
             f"{'parameter':32s} {'prior':>17s} {'was':>8s} {'median':>9s} {'90 % interval':>21s}"]
    for r in post.itertuples():
        lines.append(f"{r.param:32s} {r.prior_low:>7.4g} .. {r.prior_high:<7.4g} "
                     f"{r.default!s:>8.6s} {r.median:>9.4g} {r.p5:>9.4g} .. {r.p95:<9.4g}")
    tab = cal.check if cal.check is not None else cal.fit_table()
    lines += ["", f"{'observation':34s} {'observed [range]':>24s} "
              f"{'simulated median [5-95 %]':>30s} {'in':>3s} {'rel.err':>7s}"]
    for r in tab.itertuples():
        lines.append(f"{r.target:34s} {r.observed:>8,.0f} [{r.low:,.0f}-{r.high:,.0f}]".ljust(60)
                     + f"{r.sim_median:>8,.0f} [{r.sim_p5:,.0f}-{r.sim_p95:,.0f}]".ljust(28)
                     + f" {'yes' if r.within_range else 'no':>3s} {r.rel_error:>+7.0%}"
                     + ("" if r.group != "report" else "  (reported, not fitted)"))
    return "\n".join(lines)


# --------------------------------------------------------------------------- fit report


def history_data(results_dir: str | Path, observations: str | Path
                 ) -> tuple[pd.DataFrame, list[Target], np.ndarray]:
    """Daily records of a hindcast batch, its targets and the per-run summaries."""

    from sim.runner import load_results

    res = load_results(results_dir)
    if not res.done_runs():
        raise CalibrationError(f"{results_dir}: batch status {res.status!r}, no finished runs "
                               "to draw (see the per-run errors in its manifest.json)")
    daily = res.daily
    start = res.start_date
    days = int(daily["day"].max())
    targets = build_targets(load_observations(observations), start, days)
    sims = np.stack([summaries(g.sort_values("day"), targets)
                     for _, g in daily.groupby("run", sort=True)])
    return daily, targets, sims
