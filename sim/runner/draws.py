"""Parameter draws for posterior-predictive batches.

A scenario may name a calibration posterior (``calibration_posterior: file.parquet``): a table
of weighted particles written by ``wargame calibrate`` (one column per fitted parameter, given
by its dotted path, one per nuisance parameter the fit record names, plus ``weight``; the fit's
figures are in the Parquet metadata under ``wargame.fit``). A batch then runs in one of three
modes:

* ``posterior`` (the default when the scenario names one): replicates are cut into groups of
  ``dice_per_draw`` consecutive runs; group ``k`` gets particle
  ``rng.choice(n, p=weights)`` with ``rng = default_rng(SeedSequence(master_seed,
  spawn_key=(k, 1)))``. The draw is a function of the master seed and the replicate only, so
  every option scenario run with the same master seed gets the same parameter draw for
  replicate *i* (common random numbers *and* common parameter draws), whatever the number of
  workers. Runs of one group share the parameters and differ only in their dice, which is
  what the variance split (``sim.analysis.variance_split``) uses.
  Parameters the posterior's fit drew from their priors in every simulation (its fit record's
  ``nuisance``: the fit is marginal over them) and that the scenario lists in
  ``calibration_nuisance`` come with the particle: group ``k`` takes the values the particle's
  simulation drew (its table's columns of those names: the joint posterior, as the backtest's
  forecasts take them, docs/VALIDATION.md). A posterior whose table lacks such a column (a fit
  written before 2026-12-03) draws it from its uniform prior with
  ``default_rng(SeedSequence(master_seed, spawn_key=(k, 3)))`` instead.
* ``median``: every run uses the weighted posterior medians (the scenario with the medians
  written in; no parameter uncertainty).
* ``fixed``: the posterior is ignored; the scenario's own values run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.runner.records import RunRecord
from sim.scenario import Scenario, ScenarioError

MODES = ("posterior", "median", "fixed")
#: Columns of a posterior table that are not parameters.
RESERVED = ("weight", "distance", "particle", "generation")
FIT_METADATA_KEY = b"wargame.fit"
DEFAULT_DICE_PER_DRAW = 4
NUISANCE_KEY = 3          # second spawn key of a draw group's nuisance stream
PARAM_PREFIX = "param."   # runs.parquet column of a run's parameter value


class DrawError(ValueError):
    """A posterior table that cannot be used, or a mode that does not apply."""


def weighted_quantile(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray,
                      q: float) -> float:
    """The smallest value whose cumulative normalised weight reaches ``q`` (inverse CDF).

    Always one of ``values``: the median of an integer parameter is an integer, and the median
    written into a scenario is a particle's value exactly."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    cum /= cum[-1]
    k = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(v[order][min(k, len(v) - 1)])


@dataclass(frozen=True)
class Posterior:
    """Weighted particles of a calibration: ``values[i, j]`` is parameter ``names[j]`` of
    particle ``i``; ``weights`` sum to 1."""

    path: str
    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    integer: tuple[str, ...] = ()
    fit: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    #: parameters the fit drew from their uniform priors (path → (low, high)), and which of
    #: them are whole numbers
    nuisance: dict[str, tuple[float, float]] = field(default_factory=dict)
    nuisance_integer: frozenset[str] = frozenset()
    #: the values of those nuisance parameters each particle's simulation drew
    #: (``joint_values[i, j]`` of ``joint[j]``; a fit since 2026-12-03 stores all of them)
    joint: tuple[str, ...] = ()
    joint_values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def particle(self, i: int) -> dict[str, float]:
        return {n: (int(round(v)) if n in self.integer else float(v))
                for n, v in zip(self.names, self.values[i].tolist(), strict=True)}

    def particle_nuisance(self, i: int, names: Sequence[str]) -> dict[str, float]:
        """The values of the nuisance parameters ``names`` (all in :attr:`joint`) that
        particle ``i``'s simulation drew."""
        row = self.joint_values[i]
        return {n: (int(round(v)) if n in self.nuisance_integer else float(v))
                for n, v in ((n, float(row[self.joint.index(n)])) for n in names)}

    def medians(self) -> dict[str, float]:
        out = {}
        for j, n in enumerate(self.names):
            m = weighted_quantile(self.values[:, j], self.weights, 0.5)
            out[n] = int(round(m)) if n in self.integer else m
        return out


POSTERIOR_FILE = "posterior.parquet"  # in a fit folder
FIT_RECORD = "fit.json"  # the fit record beside a posterior; it holds the posterior's digest
DIGEST_KEY = "posterior_sha256"


def load_posterior(path: str | Path) -> Posterior:
    """Read a posterior table (Parquet) written by ``wargame calibrate``; :class:`DrawError`
    (one line naming the file) when it is unreadable, differs from the digest its fit record
    (``fit.json`` beside it) holds, or its weights, values or metadata are not usable."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DrawError(f"{path}: calibration posterior not found")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    recorded = recorded_digest(path)
    if recorded is not None and recorded != sha:
        raise DrawError(f"{path}: damaged (its sha256 {sha[:12]} differs from the "
                        f"{DIGEST_KEY} {recorded[:12]} of {path.parent / FIT_RECORD})")
    try:
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        fit = json.loads(meta[FIT_METADATA_KEY]) if FIT_METADATA_KEY in meta else {}
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user mistake
        raise DrawError(f"{path}: not a readable Parquet posterior table "
                        f"({' '.join(str(exc).split())[:160]})") from None
    nuisance_names = set(fit.get("nuisance", {})) if isinstance(fit, dict) else set()
    joint = tuple(c for c in table.column_names if c in nuisance_names)
    names = tuple(c for c in table.column_names if c not in RESERVED and c not in joint)
    if "weight" not in table.column_names or not names or table.num_rows == 0:
        raise DrawError(f"{path}: a posterior table needs a 'weight' column, at least one "
                        "parameter column and one particle")
    integer = fit.get("integer", []) if isinstance(fit, dict) else None
    if not (isinstance(integer, list) and all(isinstance(n, str) for n in integer)):
        raise DrawError(f"{path}: the fit record ({FIT_METADATA_KEY.decode()}) must be a JSON "
                        "object whose 'integer' lists parameter columns")
    unknown = [n for n in integer if n not in names]
    if unknown:
        raise DrawError(f"{path}: the fit record declares {', '.join(unknown)[:120]} whole "
                        "numbers, but the table has no such column")
    try:
        df = table.to_pandas()
        w = df["weight"].to_numpy(dtype=float)
        values = df[list(names)].to_numpy(dtype=float)
        joint_values = df[list(joint)].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DrawError(f"{path}: columns must be numbers ({str(exc)[:120]})") from None
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise DrawError(f"{path}: weights must be finite, non-negative and not all zero")
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(joint_values))):
        raise DrawError(f"{path}: parameter values must be finite")
    nuisance, nuisance_integer = _nuisance(path, fit, names)
    return Posterior(str(path), names, values, w / w.sum(), tuple(integer), fit, sha,
                     nuisance, nuisance_integer, joint, joint_values)


def _nuisance(path: Path, fit: dict[str, Any], names: Sequence[str]
              ) -> tuple[dict[str, tuple[float, float]], frozenset[str]]:
    """The fit record's nuisance priors, checked: finite ``[low, high]`` pairs with low <
    high, none of them a parameter column."""
    raw, whole = fit.get("nuisance", {}), fit.get("nuisance_integer", [])
    where = f"{path}: the fit record's nuisance"
    if not isinstance(raw, dict) or not isinstance(whole, list):
        raise DrawError(f"{where} must map parameter paths to [low, high] and "
                        "nuisance_integer list some of them")
    out = {}
    for name, pair in raw.items():
        ok = (isinstance(pair, list) and len(pair) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair))
        if not ok or not (np.isfinite(pair).all() and pair[0] < pair[1]) or name in names:
            raise DrawError(f"{where} {str(name)[:80]!r} must be [low, high] with finite "
                            "low < high, and not a parameter column")
        out[str(name)] = (float(pair[0]), float(pair[1]))
    if not set(whole) <= set(out):
        raise DrawError(f"{where}_integer names parameters that are not nuisance")
    return out, frozenset(whole)


def draw_uniform(ranges: Mapping[str, tuple[float, float]], integer: Set[str],
                 rng: np.random.Generator | Any) -> dict[str, float]:
    """One value of each parameter from its uniform prior ``ranges[name] = (low, high)``, in
    ``ranges``' order, from ``rng`` (a Generator or numpy's seeded global RNG); rounded to the
    nearest whole number where the name is in ``integer``."""
    out: dict[str, float] = {}
    for name, (lo, hi) in ranges.items():
        v = float(rng.uniform(lo, hi))
        out[name] = int(round(v)) if name in integer else v
    return out


def recorded_digest(path: Path) -> str | None:
    """The posterior's sha256 as its fit record (``fit.json`` beside it) states it, or None
    when there is no fit record or it states none."""
    record = path.parent / FIT_RECORD
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DrawError(f"{record}: the fit record cannot be read ({str(exc)[:120]})") from None
    digest = data.get(DIGEST_KEY) if isinstance(data, dict) else None
    if digest is not None and not isinstance(digest, str):
        raise DrawError(f"{record}: {DIGEST_KEY} is not text")
    return digest


def posterior_file(path: Path | str) -> Path | None:
    """The posterior table ``path`` names: the file itself, or ``posterior.parquet`` in a fit
    folder; None when it names neither."""
    p = Path(path)
    try:
        if p.is_dir():
            p = p / POSTERIOR_FILE
        return p if p.suffix == ".parquet" and p.is_file() else None
    except (OSError, ValueError):
        return None


def posterior_problems(posterior: Posterior, scenario: Scenario) -> list[str]:
    """Every particle checked against the scenario's schema, column by column: each problem
    as one line naming the particle (empty when all are valid)."""
    out = []
    for j, name in enumerate(posterior.names):
        integer = name in posterior.integer
        column = posterior.values[:, j]
        values = [int(round(v)) for v in column] if integer else column.tolist()
        out += scenario.value_problems(name, values, integer=integer, item="particle")
    return out


def write_posterior(path: str | Path, particles: Any, fit: Mapping[str, Any] | None = None
                    ) -> Path:
    """Write weighted particles (a DataFrame: parameter columns and ``weight``) as a posterior
    table, the fit's figures (JSON) in the Parquet metadata; atomically."""
    import pyarrow as pa

    from sim.runner.folder import atomic_write_table

    table = pa.Table.from_pandas(particles, preserve_index=False)
    table = table.replace_schema_metadata(
        {FIT_METADATA_KEY: json.dumps(dict(fit or {}), default=str).encode()})
    path = Path(path)
    atomic_write_table(path, table)
    return path


def draw_index(master_seed: int, group: int, weights: np.ndarray) -> int:
    """The particle of draw group ``group``: a weighted draw from its own seed sequence."""
    rng = np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(group, 1)))
    return int(rng.choice(len(weights), p=weights))


@dataclass(frozen=True)
class ParameterPlan:
    """Which parameter values each run of a batch uses (see the module docstring)."""

    mode: str
    posterior: Posterior
    master_seed: int
    dice_per_draw: int = DEFAULT_DICE_PER_DRAW
    #: fitted parameters the scenario sets itself (a ``--set``, a sweep's design): never drawn
    pinned: tuple[str, ...] = ()
    #: nuisance parameters each group draws from its prior (posterior mode; see the module
    #: docstring)
    nuisance: tuple[str, ...] = ()

    def group(self, run: int) -> int:
        return run // self.dice_per_draw

    def draw(self, run: int) -> int | None:
        """Particle used by ``run`` (None for the medians)."""
        if self.mode != "posterior":
            return None
        return draw_index(self.master_seed, self.group(run), self.posterior.weights)

    def values(self, run: int) -> dict[str, float]:
        k = self.draw(run)
        drawn = self.posterior.medians() if k is None else self.posterior.particle(k)
        if k is not None and self.nuisance:
            post = self.posterior
            joint = [n for n in self.nuisance if n in post.joint]
            rng = np.random.default_rng(np.random.SeedSequence(
                self.master_seed, spawn_key=(self.group(run), NUISANCE_KEY)))
            drawn |= draw_uniform({n: post.nuisance[n] for n in self.nuisance
                                   if n not in post.joint}, post.nuisance_integer, rng)
            drawn |= post.particle_nuisance(k, joint)
        return {n: v for n, v in drawn.items() if n not in self.pinned}

    def describe(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The manifest's ``parameters`` entry (the posterior named relative to
        ``relative_to``, the batch folder)."""
        path = self.posterior.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):  # another drive: keep it absolute
                path = os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())
        return {"mode": self.mode, "posterior": path,
                "sha256": self.posterior.sha256, "names": list(self.posterior.names),
                "particles": len(self.posterior.weights),
                "dice_per_draw": self.dice_per_draw if self.mode == "posterior" else None,
                "medians": self.posterior.medians(), "pinned": list(self.pinned),
                "nuisance": {n: list(self.posterior.nuisance[n]) for n in self.nuisance
                             if self.mode == "posterior"}}

    def annotate(self, runs: Sequence[RunRecord]) -> None:
        """Record every run's draw group, particle and parameter values in its manifest entry."""
        for r in runs:
            r.draw_group = self.group(r.run) if self.mode == "posterior" else None
            r.particle = self.draw(r.run)
            r.params = self.values(r.run)

    def apply(self, scenario: Scenario, run: int) -> tuple[Scenario, dict[str, float]]:
        """The scenario of ``run`` with its parameter values written in, and those values
        (every particle was validated when the plan was made)."""
        values = self.values(run)
        return scenario.replace(values), values


def plan_mode(scenario: Scenario, mode: str | None, dice_per_draw: int | None = None) -> str:
    """The ``--params`` mode a batch of ``scenario`` runs (None: ``posterior`` when the
    scenario names a posterior, else ``fixed``); :class:`DrawError` for an unknown mode or a
    ``--dice-per-draw`` that would be ignored. Cheap: reads no posterior."""
    if mode is None:
        mode = "posterior" if scenario.calibration_posterior else "fixed"
    if mode not in MODES:
        raise DrawError(f"--params {mode!r}: expected one of {', '.join(MODES)}")
    if dice_per_draw is not None and mode != "posterior":
        raise DrawError(f"--dice-per-draw applies to --params posterior only (this batch runs "
                        f"--params {mode}: every run has the same parameter values)")
    return mode


def make_plan(scenario: Scenario, mode: str | None, master_seed: int,
              dice_per_draw: int | None = None, pinned: Sequence[str] = ()
              ) -> ParameterPlan | None:
    """The plan of a batch: ``mode`` None means ``posterior`` when the scenario names a
    posterior and ``fixed`` otherwise; ``fixed`` gives None (the scenario runs as it is).
    ``pinned`` names parameters the caller set on purpose (``--set``, a sweep's design): a
    fitted one among them keeps the scenario's value instead of a draw. Every particle is
    validated against the scenario's schema here, once, so no run fails on a bad draw."""
    path = scenario.calibration_posterior
    mode = plan_mode(scenario, mode, dice_per_draw)
    if mode == "fixed":
        return None
    if not path:
        raise DrawError(f"--params {mode}: the scenario names no calibration_posterior")
    g = DEFAULT_DICE_PER_DRAW if dice_per_draw is None else int(dice_per_draw)
    if g < 1:
        raise DrawError(f"--dice-per-draw must be at least 1 (got {g})")
    post = load_posterior(path)
    missing = [n for n in post.names if scenario.value_at(n) is None]
    if missing:
        raise DrawError(f"{path}: column(s) {', '.join(missing)} are not numeric parameters of "
                        f"scenario {scenario.name}")
    problems = posterior_problems(post, scenario)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DrawError(f"{path}: damaged or not for this scenario: {problems[0]}{more}")
    try:  # the checks between keys, on the values the batch's resolved scenario shows
        scenario.replace(post.medians())
    except ScenarioError as exc:
        raise DrawError(f"{path}: posterior medians do not validate: {exc}") from None
    keep = tuple(n for n in post.names if n in set(pinned))
    unknown = [n for n in scenario.calibration_nuisance if scenario.value_at(n) is None]
    if unknown:
        raise DrawError(f"{scenario.name}: calibration_nuisance {', '.join(unknown)[:120]}: not "
                        "a numeric parameter of the scenario")
    # a posterior whose fit drew none of them (another fit, --set calibration_posterior=...)
    # leaves them at the scenario's values; the manifest's parameters.nuisance says which drew
    nuisance = tuple(n for n in scenario.calibration_nuisance
                     if n in post.nuisance and n not in set(pinned))
    for n in nuisance:   # the particles' values where the fit stored them, else the prior
        whole = n in post.nuisance_integer
        if n in post.joint:
            column = post.joint_values[:, post.joint.index(n)]
            values, item = ([int(round(v)) for v in column] if whole else column.tolist(),
                            "particle")
        else:
            values, item = list(post.nuisance[n]), "prior bound"
        problems = scenario.value_problems(n, values, integer=whole, item=item)
        if problems:
            raise DrawError(f"{path}: nuisance {item} of {n} does not fit {scenario.name}: "
                            f"{problems[0]}")
    return ParameterPlan(mode, post, int(master_seed), g, keep, nuisance)


def values_columns(values: Mapping[str, float]) -> dict[str, float]:
    """``runs.parquet`` columns of a run's parameter values."""
    return {PARAM_PREFIX + k: v for k, v in values.items()}


__all__ = ["DEFAULT_DICE_PER_DRAW", "DIGEST_KEY", "FIT_METADATA_KEY", "FIT_RECORD", "MODES",
           "PARAM_PREFIX", "DrawError", "ParameterPlan", "Posterior", "draw_index", "draw_uniform",
           "load_posterior", "make_plan", "plan_mode", "posterior_file", "posterior_problems",
           "recorded_digest", "values_columns", "weighted_quantile", "write_posterior"]
