"""Sensitivity analysis of a sweep: which parameters drive each outcome.

The method follows the sweep's design:

* ``sobol``: first- and total-order Sobol' indices (``SALib.analyze.sobol``) of the outcome's
  mean over replicates at each point, with bootstrap 95 % confidence intervals;
* ``morris``: Morris elementary effects μ* (with its bootstrap CI), μ and σ
  (``SALib.analyze.morris``) of the per-point mean;
* ``lhs`` / ``grid``: Spearman rank correlation and partial rank correlation (PRCC) of every
  run's outcome with each parameter, with Fisher-z 95 % intervals and p-values.

:func:`analyze_design` is the array-level entry point (used on the Ishigami test function in
the tests); :func:`sensitivity` reads a sweep folder. Results are a long table with columns
``outcome, parameter, index, value, low, high, p`` plus a plain-language ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table
from scipy import stats

from sim.analysis.experiments import Sweep, load_sweep, sweep_outcomes

COLUMNS = ["outcome", "parameter", "index", "value", "low", "high", "p"]
#: The index that ranks parameters, per design.
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "lhs": "PRCC", "grid": "PRCC"}
INDEX_LABEL = {
    "S1": "first-order Sobol' index", "ST": "total-order Sobol' index",
    "mu_star": "Morris μ*", "sigma": "Morris σ", "mu": "Morris μ",
    "spearman": "Spearman rank correlation", "PRCC": "partial rank correlation",
}
CONF = 0.95
#: The indices a table shows, per method.
SHOWN = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"],
         "correlation": ["spearman", "PRCC"]}


def method_for(design: str) -> str:
    return {"sobol": "sobol", "morris": "morris"}.get(design, "correlation")


# --------------------------------------------------------------------------- array level


def _fisher_ci(r: float, n: int, k: int = 0, spearman: bool = False) -> tuple[float, float]:
    """95 % interval of a (partial, rank) correlation by Fisher's z; ``k`` partialled out."""
    dof = n - 3 - k
    if not np.isfinite(r) or dof <= 0:
        return (np.nan, np.nan)
    se = np.sqrt((1.06 if spearman else 1.0) / dof)
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    q = stats.norm.ppf(0.5 + CONF / 2)
    return (float(np.tanh(z - q * se)), float(np.tanh(z + q * se)))


def prcc(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Partial rank correlation coefficient of each column of ``X`` with ``y``."""
    n, d = X.shape
    R = np.column_stack([stats.rankdata(X[:, j]) for j in range(d)])
    ry = stats.rankdata(y)
    out = np.full(d, np.nan)
    for j in range(d):
        others = np.column_stack([np.ones(n), np.delete(R, j, axis=1)])
        bx, *_ = np.linalg.lstsq(others, R[:, j], rcond=None)
        by, *_ = np.linalg.lstsq(others, ry, rcond=None)
        ex, ey = R[:, j] - others @ bx, ry - others @ by
        if ex.std() > 1e-12 and ey.std() > 1e-12:
            out[j] = float(np.corrcoef(ex, ey)[0, 1])
    return out


def correlation_indices(names: Sequence[str], X: np.ndarray, y: np.ndarray,
                        outcome: str = "y") -> pd.DataFrame:
    """Spearman and partial rank correlations with 95 % intervals and p-values."""
    n, d = X.shape
    rows = []
    partial = prcc(X, y) if d > 1 else None
    for j, name in enumerate(names):
        x = X[:, j]
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            rho, p = np.nan, np.nan
        else:
            res = stats.spearmanr(x, y)
            rho, p = float(res.statistic), float(res.pvalue)
        lo, hi = _fisher_ci(rho, n, spearman=True)
        rows.append([outcome, name, "spearman", rho, lo, hi, p])
        r = rho if partial is None else partial[j]
        k = d - 1
        if np.isfinite(r) and n - 2 - k > 0:
            t = r * np.sqrt((n - 2 - k) / max(1e-300, 1 - r * r))
            pp = float(2 * stats.t.sf(abs(t), n - 2 - k))
        else:
            pp = np.nan
        lo, hi = _fisher_ci(r, n, k, spearman=True)
        rows.append([outcome, name, "PRCC", r, lo, hi, pp])
    return pd.DataFrame(rows, columns=COLUMNS)


def analyze_design(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, method: str,
                   outcome: str = "y", second_order: bool = False, num_levels: int = 4,
                   seed: int = 0) -> pd.DataFrame:
    """Indices of one outcome from a design ``X`` (rows in design order) and outputs ``Y``.

    ``method`` is ``sobol``, ``morris`` or ``correlation`` (``lhs``/``grid`` map to it).
    For Sobol/Morris ``Y`` holds one value per design row; for correlation one per run, with
    ``X`` repeated per run.
    """
    method = method_for(method) if method in ("lhs", "grid") else method
    names = list(problem["names"])
    Y = np.asarray(Y, dtype=float)
    rows = []
    if method == "sobol":
        from SALib.analyze import sobol

        Si = sobol.analyze(problem, Y, calc_second_order=second_order, conf_level=CONF,
                           seed=seed)
        for j, name in enumerate(names):
            for idx in ("S1", "ST"):
                v, c = float(Si[idx][j]), float(Si[f"{idx}_conf"][j])
                rows.append([outcome, name, idx, v, v - c, v + c, np.nan])
    elif method == "morris":
        from SALib.analyze import morris

        Si = morris.analyze(problem, np.asarray(X, dtype=float), Y, conf_level=CONF,
                            num_levels=num_levels, seed=seed)
        for j, name in enumerate(names):
            v, c = float(Si["mu_star"][j]), float(Si["mu_star_conf"][j])
            rows.append([outcome, name, "mu_star", v, v - c, v + c, np.nan])
            rows.append([outcome, name, "mu", float(Si["mu"][j]), np.nan, np.nan, np.nan])
            rows.append([outcome, name, "sigma", float(Si["sigma"][j]), np.nan, np.nan, np.nan])
    elif method == "correlation":
        return correlation_indices(names, np.asarray(X, dtype=float), Y, outcome)
    else:
        raise ValueError(f"unknown method {method!r}")
    return pd.DataFrame(rows, columns=COLUMNS)


# --------------------------------------------------------------------------- sweep level


@dataclass
class SensitivityResult:
    path: Path
    design: str
    method: str
    table: pd.DataFrame
    outcomes: pd.DataFrame = field(repr=False)
    names: list[str] = field(default_factory=list)

    @property
    def main_index(self) -> str:
        return MAIN_INDEX[self.design] if len(self.names) > 1 or self.method != "correlation" \
            else "spearman"

    def ranking(self) -> dict[str, list[str]]:
        return ranking(self.table, self.main_index)

    def to_rich(self) -> list[Table]:
        """One table per outcome: each parameter's indices with their 95 % intervals."""
        shown = SHOWN[self.method]
        tables = []
        for o, rows in self.table.groupby("outcome", sort=False):
            table = Table(title=f"{o} ({self.design} design, {len(self.outcomes)} runs)",
                          title_justify="left")
            table.add_column("parameter")
            for idx in shown:
                table.add_column(INDEX_LABEL.get(idx, idx) + "\n[95 % interval]",
                                 justify="right")
            for param in self.names:
                cells = []
                for idx in shown:
                    r = rows[(rows["parameter"] == param) & (rows["index"] == idx)]
                    if r.empty:
                        cells.append("")
                        continue
                    r = r.iloc[0]
                    ci = f" [{r['low']:.2f}, {r['high']:.2f}]" if r["low"] == r["low"] else ""
                    cells.append(f"{r['value']:.2f}{ci}")
                table.add_row(param, *cells)
            tables.append(table)
        return tables


def sensitivity(path: Path | str | Sweep, outcomes: Sequence[str] | None = None,
                seed: int = 0) -> SensitivityResult:
    """Indices of every outcome (or ``outcomes``) of a sweep folder."""
    sw = path if isinstance(path, Sweep) else load_sweep(path)
    df = sweep_outcomes(sw, outcomes)
    outs = [c for c in df.columns if c not in ("point", "run", "seed", *sw.names)]
    design = sw.method
    method = method_for(design)
    problem = sw.problem()
    frames = []
    for o in outs:
        if method == "correlation":
            ok = df[o].notna()
            X = df.loc[ok, sw.names].to_numpy(float)
            frames.append(analyze_design(problem, X, df.loc[ok, o].to_numpy(float), method, o))
            continue
        means = df.groupby("point")[o].mean()
        missing = sorted(set(range(len(sw.design))) - set(means.index[means.notna()]))
        if missing:
            raise ValueError(f"{sw.path}: {len(missing)} design point(s) have no finished runs "
                             f"(e.g. point {missing[0]}); finish the sweep with --resume")
        Y = means.sort_index().to_numpy(float)
        frames.append(analyze_design(problem, sw.raw(), Y, method, o,
                                     second_order=bool(sw.meta.get("second_order")),
                                     num_levels=int(sw.meta.get("morris_levels", 4)), seed=seed))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return SensitivityResult(Path(sw.path), design, method, table, df, sw.names)


def _matters(index: str, value: float, low: float, high: float) -> bool:
    if not np.isfinite(value):
        return False
    if index in ("spearman", "PRCC"):
        return bool(np.isfinite(low) and (low > 0 or high < 0))
    return bool(np.isfinite(low) and low > 0 and value >= 0.01)


def ranking(table: pd.DataFrame, index: str) -> dict[str, list[str]]:
    """Per outcome, sentences ranking the parameters by ``index`` (largest effect first)."""
    out: dict[str, list[str]] = {}
    label = INDEX_LABEL.get(index, index)
    for outcome, rows in table[table["index"] == index].groupby("outcome", sort=False):
        rows = rows.assign(mag=rows["value"].abs()).sort_values("mag", ascending=False,
                                                                 na_position="last")
        lines = []
        for k, r in enumerate(rows.itertuples(), 1):
            ci = (f" [{r.low:.2f} – {r.high:.2f}]" if np.isfinite(r.low) else "")
            if _matters(index, r.value, r.low, r.high):
                how = "matters most" if k == 1 else "matters"
                if index in ("spearman", "PRCC"):
                    how += (": higher values give a higher outcome" if r.value > 0
                            else ": higher values give a lower outcome")
            else:
                how = "no clear effect (interval includes 0)" if np.isfinite(r.value) \
                    else "not estimable (constant, or too few design points)"
            lines.append(f"{k}. {r.parameter}: {label} {r.value:.2f}{ci} — {how}")
        out[str(outcome)] = lines
    return out


def write_sensitivity(res: SensitivityResult, out_dir: Path | str | None = None) -> Path:
    """Write ``sensitivity.csv`` (the index table) into the sweep folder (or ``out_dir``)."""
    from sim.runner import atomic_write_text

    path = Path(out_dir or res.path) / "sensitivity.csv"
    atomic_write_text(path, res.table.to_csv(index=False, float_format="%.6g"))
    return path
