"""Designed experiments: experiment files, designs (grid, LHS, Sobol, Morris) and sweeps.

An experiment file (``experiments/*.yaml``) names a scenario, the parameters to vary (dotted
scenario paths, list items by name) with bounds or levels, the design, the number of points,
the replicates per point and the outcomes of interest::

    name: transfer
    scenario: ../scenarios/reinforce.yaml      # relative to the experiment file
    set: {policy.ru.reinforce_kursk.trigger_day: 1}   # fixed changes (optional)
    parameters:
      policy.ru.reinforce_kursk.groupings: {low: 0, high: 6}
      combat.lethality: {levels: [0.003, 0.004, 0.005]}
    design: lhs                                # grid | lhs | sobol | morris
    points: 32
    runs: 10                                   # replicates per design point
    days: 90
    outcomes: [kursk_ua_km2@60, donetsk_ru_gain_km2@90]

``run_sweep`` writes a sweep folder::

    experiment.yaml   the experiment as run (design, points, runs, seed, days filled in)
    design.parquet    one row per point: point, then each parameter's value as applied
                      (integers rounded) and, as ``<path>#sample``, the design's raw value
    sweep.json        what was run: design, sizes, seed, status, the command line
    points/p0000/     one ordinary batch folder per design point (``load_results`` reads it)

Replicate *i* gets the same seed at every point (common random numbers: the master seed is
the same for every point; ``sim.batch.replicate_seeds``). ``resume`` finishes the points that
are not complete. :func:`sweep_outcomes` collects the outcomes of every run in one table.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import sim.runner as R
from sim.runner import (
    DAILY_OUTCOMES,
    OUTCOME_BY_NAME,
    BatchError,
    Executor,
    ProgressCallback,
    make_executor,
    now,
    run_batch,
)
from sim.scenario import (
    Scenario,
    ScenarioError,
    get_path,
    load_scenario,
    scenario_dict,
    with_values,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
DESIGN_FILE = "design.parquet"
SWEEP_FILE = "sweep.json"
EXPERIMENT_FILE = "experiment.yaml"
POINTS_DIR = "points"
SAMPLE_SUFFIX = "#sample"


# --------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamSpec(_Strict):
    """Bounds (``low``/``high``) or ``levels`` of one parameter."""

    low: float | None = None
    high: float | None = None
    levels: list[float] | None = Field(None, min_length=1)
    integer: bool | None = Field(
        None, description="round values (default: whether the scenario's value is an integer)")

    @model_validator(mode="after")
    def _bounds(self) -> ParamSpec:
        if self.levels is None:
            if self.low is None or self.high is None:
                raise ValueError("give low and high, or levels")
            if not self.low < self.high:
                raise ValueError(f"low {self.low} must be below high {self.high}")
        elif self.low is not None or self.high is not None:
            raise ValueError("give either low/high or levels, not both")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.levels is not None:
            return (min(self.levels), max(self.levels))
        return (float(self.low), float(self.high))  # type: ignore[arg-type]


class Experiment(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    scenario: Path
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, ParamSpec] = Field(min_length=1)
    design: Literal["grid", "lhs", "sobol", "morris"] = "lhs"
    points: int = Field(16, ge=1, le=1_000_000,
                        description="lhs: points; grid: levels per parameter without levels; "
                                    "sobol: base samples N (N*(D+2) points); morris: "
                                    "trajectories (r*(D+1) points)")
    runs: int = Field(10, ge=1, le=100_000, description="replicates per design point")
    days: int | None = Field(None, ge=1, le=1000)
    seed: int | None = Field(None, ge=0, lt=2**63)
    outcomes: list[str] = Field(min_length=1)
    second_order: bool = False
    morris_levels: int = Field(4, ge=2, le=20)
    source_path: Path | None = Field(None, exclude=True)

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    def scenario_path(self) -> Path:
        base = self.source_path.parent if self.source_path else Path.cwd()
        return self.scenario if self.scenario.is_absolute() else (base / self.scenario)


@dataclass(frozen=True)
class Outcome:
    """``column@day``: a daily-record column (or a headline such as ``ua_losses``) on a day."""

    text: str
    column: str
    day: int | None  # None: the last day

    @property
    def columns(self) -> tuple[str, ...]:
        o = OUTCOME_BY_NAME.get(self.column)
        return o.columns if o is not None and o.columns else (self.column,)


def parse_outcome(text: str) -> Outcome:
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:@\s*(\d+|last))?\s*", text)
    if not m:
        raise ValueError(f"outcome {text!r}: expected column@day, e.g. kursk_ua_km2@60")
    day = None if m.group(2) in (None, "last") else int(m.group(2))
    return Outcome(text.strip(), m.group(1), day)


def _loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        part = str(part)
        out += f"[{part}]" if "." in part else (("." if out else "") + part)
    return out


def _record_columns(scn: Scenario) -> list[str]:
    """The daily-record columns of a scenario (a 1-day run: a few milliseconds)."""
    from sim.model import run

    return list(run(scn, seed=0, days=1).daily.columns)


def _raw_value(scn: Scenario, key: str) -> Any:
    from sim.scenario import list_index

    node: Any = scenario_dict(scn)
    for part in key.split("."):
        node = node[list_index(node, part)] if isinstance(node, list) else node[part]
    return node


@dataclass
class LoadedExperiment:
    """An experiment checked against its scenario."""

    experiment: Experiment
    scenario: Any  # the base scenario, ``set`` and ``days`` applied
    integer: dict[str, bool]
    outcomes: list[Outcome]

    @property
    def names(self) -> list[str]:
        return self.experiment.names

    def problem(self) -> dict[str, Any]:
        """The SALib problem dict of the varied parameters."""
        exp = self.experiment
        return {"num_vars": len(exp.parameters), "names": exp.names,
                "bounds": [list(p.bounds) for p in exp.parameters.values()]}


def load_experiment(path: str | Path, design: str | None = None, points: int | None = None,
                    runs: int | None = None, days: int | None = None) -> LoadedExperiment:
    """Read and validate an experiment file; command-line choices override the file.

    Raises :class:`ScenarioError` naming the file and key path of every problem.
    """
    from sim.scenario import read_yaml

    path = Path(path)
    data = read_yaml(path)
    for key, value in (("design", design), ("points", points), ("runs", runs), ("days", days)):
        if value is not None:
            data[key] = value
    try:
        exp = Experiment.model_validate({**data, "source_path": path.resolve()})
    except ValidationError as exc:
        raise ScenarioError([
            f"{path}: {_loc(e['loc']) or '(top level)'}: {e['msg']}"
            + (f" (got {e['input']!r})" if e["type"] not in ("missing", "extra_forbidden")
               and not isinstance(e.get("input"), dict) else "")
            for e in exc.errors()
        ]) from None
    problems: list[str] = []
    overrides = [f"{k}={json.dumps(v) if isinstance(v, bool) else v}"
                 for k, v in exp.set.items()]
    if exp.days is not None:
        overrides.append(f"days={exp.days}")
    try:
        scn = load_scenario(exp.scenario_path(), overrides=overrides)
    except ScenarioError as exc:
        raise ScenarioError([f"{path}: scenario: {p}" for p in exc.problems]) from None
    integer: dict[str, bool] = {}
    for key, spec in exp.parameters.items():
        where = f"{path}: parameters.{key}"
        if get_path(scn, key) is None:
            problems.append(f"{where}: not a numeric parameter of {exp.scenario_path()}")
            continue
        integer[key] = (isinstance(_raw_value(scn, key), int) if spec.integer is None
                        else spec.integer)
        checks = ([(f"levels.{j}", v) for j, v in enumerate(spec.levels)]
                  if spec.levels is not None else [("low", spec.low), ("high", spec.high)])
        for name, value in checks:
            v = round(value) if integer[key] else value
            try:
                with_values(scn, {key: v})
            except ScenarioError as exc:
                msg = "; ".join(p.split(": ", 2)[-1] for p in exc.problems)
                problems.append(f"{where}.{name}: {value} is not allowed: {msg}")
    outcomes: list[Outcome] = []
    columns = set(_record_columns(scn)) | {o.name for o in DAILY_OUTCOMES}
    for i, text in enumerate(exp.outcomes):
        try:
            o = parse_outcome(text)
        except ValueError as exc:
            problems.append(f"{path}: outcomes.{i}: {exc}")
            continue
        if o.column not in columns:
            import difflib

            hint = difflib.get_close_matches(o.column, sorted(columns), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            problems.append(f"{path}: outcomes.{i}: unknown column '{o.column}'{did}")
        elif o.day is not None and not 0 <= o.day <= scn.days:
            problems.append(f"{path}: outcomes.{i}: day {o.day} is outside 0..{scn.days}")
        outcomes.append(o)
    if exp.design == "sobol" and not is_power_of_two(exp.points):
        near = " or ".join(map(str, powers_of_two_near(exp.points)))
        problems.append(f"{path}: points: {exp.points} is not allowed for design sobol: the "
                        f"base sample size N must be a power of 2 (1, 2, 4, 8, 16, 32, 64, ...;"
                        f" nearest: {near})")
    if exp.design == "grid":
        n = math.prod(len(s.levels) if s.levels else exp.points for s in exp.parameters.values())
        if n > 100_000:
            problems.append(f"{path}: design: a grid of {n} points is too large")
    if problems:
        raise ScenarioError(problems)
    return LoadedExperiment(exp, scn, integer, outcomes)


# --------------------------------------------------------------------------- designs


def is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def powers_of_two_near(n: int) -> list[int]:
    """The powers of 2 just below and above ``n`` (one if ``n`` is below 2)."""
    below = 1 << max(0, int(n).bit_length() - 1)
    return sorted({below, below * 2})


def make_design(problem: dict[str, Any], design: str, points: int, seed: int,
                levels: Sequence[Sequence[float] | None] | None = None,
                second_order: bool = False, morris_levels: int = 4) -> np.ndarray:
    """The design matrix (one row per point, one column per parameter) within the bounds.

    ``grid``: every combination of each parameter's ``levels`` (or ``points`` evenly spaced
    levels); ``lhs``: ``points`` rows of a seeded ``scipy.stats.qmc.LatinHypercube``;
    ``sobol``: SALib's Saltelli/Sobol' sample with ``points`` base samples (``points*(D+2)``
    rows, ``points*(2D+2)`` with ``second_order``); ``morris``: SALib's Morris sample of
    ``points`` trajectories (``points*(D+1)`` rows).
    """
    bounds = np.asarray(problem["bounds"], dtype=float)
    d = len(bounds)
    seed32 = int(seed) % 2**32
    if design == "grid":
        axes = []
        for j in range(d):
            lv = levels[j] if levels is not None and levels[j] is not None else None
            axes.append(list(lv) if lv is not None
                        else list(np.linspace(bounds[j, 0], bounds[j, 1], points)))
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    if design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed32)).random(points)
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    if design == "sobol":
        from SALib.sample import sobol

        if not is_power_of_two(points):  # the Sobol' sequence's balance properties need it
            raise ValueError(f"a sobol design needs a power of 2 base samples, not {points} "
                             f"(e.g. {', '.join(map(str, powers_of_two_near(points)))})")
        return sobol.sample(problem, points, calc_second_order=second_order, seed=seed32)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, points, num_levels=morris_levels, seed=seed32)
    raise ValueError(f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}")


def design_table(lx: LoadedExperiment, seed: int) -> pd.DataFrame:
    """The experiment's design as a table: point, applied values, raw samples."""
    exp = lx.experiment
    levels = [s.levels for s in exp.parameters.values()]
    raw = make_design(lx.problem(), exp.design, exp.points, seed, levels=levels,
                      second_order=exp.second_order, morris_levels=exp.morris_levels)
    df = pd.DataFrame({"point": np.arange(len(raw), dtype=np.int32)})
    for j, name in enumerate(exp.names):
        col = raw[:, j]
        df[name] = np.rint(col).astype(np.int64) if lx.integer[name] else col
    for j, name in enumerate(exp.names):
        df[name + SAMPLE_SUFFIX] = raw[:, j]
    return df


def point_values(design: pd.DataFrame, names: Sequence[str], i: int) -> dict[str, Any]:
    row = design.iloc[i]
    return {n: (int(row[n]) if pd.api.types.is_integer_dtype(design[n]) else float(row[n]))
            for n in names}


# --------------------------------------------------------------------------- sweeps


@dataclass
class SweepResult:
    out_dir: Path
    points: int
    runs: int
    done: int
    failed: int
    interrupted: bool = False
    seconds: float = 0.0
    point_dirs: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.done == self.points * self.runs


def point_dir(out_dir: Path | str, i: int) -> Path:
    return Path(out_dir) / POINTS_DIR / f"p{i:04d}"


def _experiment_yaml(lx: LoadedExperiment, seed: int) -> str:
    exp = lx.experiment
    data = exp.model_dump(mode="json", exclude_none=True)
    data["scenario"] = str(exp.scenario_path().resolve())
    data.update(seed=seed, days=int(lx.scenario.days))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def check_sweep_dir(out: Path, resume: bool, force: bool) -> bool:
    """Like :func:`sim.batch.check_out_dir` for a sweep folder; True if there is one to resume."""
    if resume and force:
        raise BatchError("--resume and --force exclude each other")
    if out.exists() and not out.is_dir():
        raise BatchError(f"{out}: exists and is not a folder")
    existing = (out / SWEEP_FILE).exists() or (out / DESIGN_FILE).exists()
    if out.is_dir() and not existing and (out / R.MANIFEST).exists():
        raise BatchError(f"{out} holds a batch, not a sweep; use --out for another folder")
    if existing and not (resume or force):
        raise BatchError(f"{out} already holds a sweep; use --resume to finish it, --force to "
                         "replace it, or --out for another folder")
    return resume and existing


def run_sweep(
    experiment: LoadedExperiment | str | Path,
    out_dir: Path | str,
    workers: int | None = None,
    executor: Any = None,
    resume: bool = False,
    force: bool = False,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> SweepResult:
    """Run every design point's replicates through :func:`sim.runner.run_batch`.

    ``executor`` (an :class:`~sim.runner.executors.Executor`, ``"local"`` or ``"dask"``) runs
    every point; a name starts one pool or cluster for the whole sweep. With ``resume`` the
    stored design is used and only incomplete points run.
    """
    import shutil
    import time

    from sim.runner import replicate_seeds
    from sim.scenario import scenario_hash

    t0 = time.perf_counter()
    lx = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    exp = lx.experiment
    master = int(seed if seed is not None else exp.seed if exp.seed is not None
                 else lx.scenario.seed)
    out = Path(out_dir)
    resuming = check_sweep_dir(out, resume, force)
    base_hash = scenario_hash(lx.scenario)
    if resuming:
        meta = json.loads((out / SWEEP_FILE).read_text(encoding="utf-8"))
        for key, value in (("design", exp.design), ("runs", exp.runs), ("master_seed", master),
                         ("scenario_hash", base_hash), ("parameters", exp.names),
                         ("points_arg", exp.points)):
            if meta.get(key) != value:
                raise BatchError(f"{out}: the sweep was run with {key} {meta.get(key)!r}, not "
                                 f"{value!r}; use --force to replace it or --out for another "
                                 "folder")
        design = pd.read_parquet(out / DESIGN_FILE)
    else:
        if force and out.is_dir():
            for name in (SWEEP_FILE, DESIGN_FILE, EXPERIMENT_FILE):
                (out / name).unlink(missing_ok=True)
            shutil.rmtree(out / POINTS_DIR, ignore_errors=True)
        design = design_table(lx, master)
        out.mkdir(parents=True, exist_ok=True)
        R.atomic_write_text(out / EXPERIMENT_FILE, _experiment_yaml(lx, master))
        R.atomic_write_table(out / DESIGN_FILE, pa.Table.from_pandas(design, preserve_index=False))
        meta = {
            "format_version": 1,
            "experiment": exp.name,
            "experiment_file": str(exp.source_path) if exp.source_path else None,
            "scenario": lx.scenario.name,
            "scenario_file": str(exp.scenario_path().resolve()),
            "scenario_hash": base_hash,
            "design": exp.design,
            "points_arg": exp.points,
            "n_points": len(design),
            "parameters": exp.names,
            "integer": lx.integer,
            "bounds": lx.problem()["bounds"],
            "second_order": exp.second_order,
            "morris_levels": exp.morris_levels,
            "runs": exp.runs,
            "days": int(lx.scenario.days),
            "master_seed": master,
            "seeds": replicate_seeds(master, exp.runs),
            "outcomes": [o.text for o in lx.outcomes],
            "started": now(),
        }
    meta.update(status="running", command=command if command is not None else " ".join(sys.argv))
    R.atomic_write_text(out / SWEEP_FILE, json.dumps(meta, indent=1))

    n_points, reps = len(design), exp.runs
    total = n_points * reps
    done_before = 0

    def point_progress(finished: int, _total: int) -> None:
        if progress:
            progress(done_before + finished, total)

    own_executor = None
    if not isinstance(executor, Executor):  # one pool or cluster for every point
        executor = own_executor = make_executor(executor, workers)
    done = failed = 0
    interrupted = False
    dirs = []
    try:
        for i in range(n_points):
            pdir = point_dir(out, i)
            dirs.append(pdir)
            mpath = pdir / R.MANIFEST
            if mpath.is_file():
                m = R.read_manifest(pdir)
                if m.status == "complete" and (m.n_runs or 0) == reps:
                    done += reps
                    done_before += reps
                    point_progress(0, reps)
                    continue
            values = point_values(design, exp.names, i)
            scn = with_values(lx.scenario, values)
            scn = scn.model_copy(update={"name": f"{lx.scenario.name}-p{i:04d}"})
            pdir.parent.mkdir(parents=True, exist_ok=True)
            res = run_batch(scn, pdir, runs=reps, master_seed=master, days=int(scn.days),
                            workers=workers, resume=mpath.is_file(),
                            force=not mpath.is_file(),  # a point folder is ours alone
                            progress=point_progress,
                            command=command, executor=executor,
                            # at the fixed calibrated values: the design is the variation
                            # studied, and posterior draws shared by a handful of replicates
                            # would put every point on one random parameter set
                            params="fixed")
            done += res.done
            failed += len(res.failed)
            done_before += reps
            if res.interrupted:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if own_executor is not None:
            own_executor.close()
    meta.update(status="complete" if done == total else "interrupted" if interrupted
                else "incomplete", finished=now(), n_done=done, n_failed=failed)
    R.atomic_write_text(out / SWEEP_FILE, json.dumps(meta, indent=1))
    return SweepResult(out, n_points, reps, done, failed, interrupted,
                       time.perf_counter() - t0, dirs)


# --------------------------------------------------------------------------- reading


@dataclass
class Sweep:
    """A sweep folder: its metadata, design and outcomes."""

    path: Path
    meta: dict[str, Any]
    design: pd.DataFrame

    @property
    def names(self) -> list[str]:
        return list(self.meta["parameters"])

    def source(self) -> str:
        """The source line of the sweep's figures: the package and its version, the design,
        points, runs, seed and base scenario, and the calibration status of its first point."""
        from sim.analysis.validation_status import model_output, status_line

        m, first = self.meta, point_dir(self.path, 0)
        status = status_line(first if (first / R.MANIFEST).is_file() else None)
        return (f"{model_output()}; sweep {m['experiment']}: {m['design']} design, "
                f"{m['n_points']} points x {m['runs']} runs, seed {m['master_seed']}, scenario "
                f"{m['scenario']} hash {str(m['scenario_hash'])[:7]}. Calibration: {status}.")

    @property
    def method(self) -> str:
        return self.meta["design"]

    def problem(self) -> dict[str, Any]:
        return {"num_vars": len(self.names), "names": self.names, "bounds": self.meta["bounds"]}

    def raw(self) -> np.ndarray:
        """The design's raw sample (before rounding integer parameters)."""
        return self.design[[n + SAMPLE_SUFFIX for n in self.names]].to_numpy(float)

    def outcomes(self, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per finished run: point, run, seed, each parameter, each outcome."""
        return sweep_outcomes(self, outcomes)


def load_sweep(path: Path | str) -> Sweep:
    p = Path(path)
    if not (p / SWEEP_FILE).is_file():
        raise FileNotFoundError(f"{p}: not a sweep folder (no {SWEEP_FILE})")
    try:
        meta = json.loads((p / SWEEP_FILE).read_text(encoding="utf-8"))
        design = pd.read_parquet(p / DESIGN_FILE)
    except (OSError, ValueError, pa.ArrowException) as exc:  # truncated, not JSON, no design
        raise R.ResultsError(f"{p}: damaged sweep folder ({' '.join(str(exc).split())[:200]})"
                           ) from None
    if not isinstance(meta, dict):
        raise R.ResultsError(f"{p / SWEEP_FILE}: damaged (not a JSON object)")
    return Sweep(p, meta, design)


def sweep_outcomes(sweep: Sweep | Path | str, outcomes: Sequence[str] | None = None,
                   on_point: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Outcomes of every finished run of a sweep: ``point, run, seed, <params>, <outcomes>``."""
    sw = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    outs = [parse_outcome(o) for o in (outcomes or sw.meta["outcomes"])]
    last = int(sw.meta["days"])
    days = sorted({last if o.day is None else o.day for o in outs})
    frames = []
    for i in range(len(sw.design)):
        pdir = point_dir(sw.path, i)
        if not (pdir / R.MANIFEST).is_file():
            continue
        res = R.load_results(pdir)
        cols = sorted({c for o in outs for c in o.columns})
        names = set(pq.read_schema(pdir / "daily.parquet").names) if (
            pdir / "daily.parquet").is_file() else set()
        cols = [c for c in cols if c in names] if names else cols
        daily = res.table("daily", columns=["run", "seed", "day", *cols])
        if daily.empty:
            continue
        daily = daily[daily["day"].isin(days)]
        rows = daily[daily["day"] == days[0]][["run", "seed"]].reset_index(drop=True)
        for o in outs:
            d = last if o.day is None else o.day
            sel = daily[daily["day"] == d].set_index("run")
            vals = sel[list(o.columns)].astype(float).sum(axis=1)
            rows[o.text] = rows["run"].map(vals).to_numpy()
        rows.insert(0, "point", i)
        frames.append(rows)
        if on_point:
            on_point(i)
    if not frames:
        return pd.DataFrame(columns=["point", "run", "seed", *sw.names, *[o.text for o in outs]])
    df = pd.concat(frames, ignore_index=True)
    params = sw.design[["point", *sw.names]]
    df = df.merge(params, on="point", how="left")
    return df[["point", "run", "seed", *sw.names, *[o.text for o in outs]]]
