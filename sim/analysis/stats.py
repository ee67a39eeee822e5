"""Pure statistics for comparing Monte Carlo batches (no batch folders, no I/O).

* :func:`mean_ci` — mean with the Student *t* interval (``scipy.stats.ttest_1samp``'s
  ``confidence_interval``);
* :func:`wilson_ci` — a proportion with the Wilson score interval
  (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``);
* :func:`paired_stats` / :func:`unpaired_stats` — option − baseline on matched / independent
  runs: the mean difference with the 95 % interval **and** the p-value of one test (paired
  *t* / Welch *t*), so that the interval excludes 0 exactly when p < 0.05, and the shares of
  runs where the option is higher, equal or lower;
* :func:`runs_needed` — runs per option needed to separate a difference (normal
  approximation, 5 % significance, 80 % power).

Warnings: only the ones these computations are expected to raise on degenerate inputs
(constant samples, too few distinct values for BCa) are caught, by category, and each case is
handled explicitly; anything else still reaches the caller.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["mean_ci", "paired_stats", "runs_needed", "shares", "unpaired_stats", "wilson_ci"]


class _LazyScipyStats:
    """``scipy.stats``, imported on first use: it takes a second or more to import, and the
    modules importing this one (comparison: ``horizon``, ``read_table``, used by every figure)
    also serve commands that compute no statistic (the fan chart of ``wargame run``)."""

    def __getattr__(self, name: str) -> Any:
        from scipy import stats as scipy_stats

        return getattr(scipy_stats, name)


stats = _LazyScipyStats()


@contextlib.contextmanager
def nearly_constant_ok() -> Iterator[None]:
    """Silence only scipy's "Precision loss ... data are nearly identical" RuntimeWarning of
    the t-tests: model outcomes that differ in a few runs by a few units out of thousands
    raise it, and the statistic is still right to the precision reported."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Precision loss occurred in moment",
                                category=RuntimeWarning)
        yield


def constant(x: np.ndarray) -> bool:
    """True for an empty sample or one whose values are all equal."""
    return x.size == 0 or bool(np.all(x == x[0]))


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval (``nan`` bounds for fewer than 2 values; the
    degenerate interval (mean, mean) for a constant sample)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    m = float(x.mean()) if n else math.nan
    if n < 2:
        return m, math.nan, math.nan
    if constant(x):  # zero standard error: t is undefined, the interval is the point
        return m, m, m
    with nearly_constant_ok():
        ci = stats.ttest_1samp(x, 0.0).confidence_interval(level)
    return m, float(ci.low), float(ci.high)


def wilson_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Proportion k/n with the Wilson score interval (``nan`` for n = 0)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="wilson")
    return k / n, float(ci.low), float(ci.high)


def runs_needed(sd: float, delta: float, *, paired: bool = True, power: float = 0.8,
                alpha: float = 0.05) -> float:
    """Runs (per option) needed to detect a difference ``delta`` given the SD (normal approx.).

    Paired: ``((z_{1-α/2} + z_power)·sd_d / δ)²``; unpaired: twice that per option with the
    pooled SD. ``inf`` when ``delta`` is 0 or not finite.
    """
    if not (math.isfinite(delta) and math.isfinite(sd)) or delta == 0:
        return math.inf
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    n = (z * sd / abs(delta)) ** 2
    return math.ceil(n if paired else 2 * n)


def shares(d: np.ndarray) -> tuple[float, float, float]:
    """Shares of differences that are > 0, == 0 and < 0 (they add up to 1)."""
    d = np.asarray(d, dtype=float)
    if not d.size:
        return math.nan, math.nan, math.nan
    return float((d > 0).mean()), float((d == 0).mean()), float((d < 0).mean())


def _t_result(res: Any, level: float = 0.95) -> tuple[float, float, float]:
    """(low, high, p) of a scipy t-test result: interval and p-value of the same test."""
    ci = res.confidence_interval(level)
    return float(ci.low), float(ci.high), float(res.pvalue)


def paired_stats(opt: np.ndarray, base: np.ndarray) -> dict[str, Any]:
    """Paired comparison of matched runs (same seed): option − baseline, paired *t*."""
    d = np.asarray(opt, dtype=float) - np.asarray(base, dtype=float)
    n = d.size
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        with nearly_constant_ok():
            lo, hi, p = _t_result(stats.ttest_1samp(d, 0.0))
    elif n == 0:  # nothing to compare (e.g. a value that exists only with a ceasefire)
        lo = hi = p = math.nan
    else:  # constant differences: no test needed (and t would divide by zero)
        lo = hi = mean
        p = 1.0 if mean == 0 or n < 2 else 0.0
    higher, tie, lower = shares(d)
    return {"paired": True, "n_pairs": n, "diff": mean, "diff_lo": lo, "diff_hi": hi,
            "p_value": p, "test": "paired t", "p_higher": higher, "p_tie": tie,
            "p_lower": lower, "sd": sd}


def unpaired_stats(opt: np.ndarray, base: np.ndarray) -> dict[str, Any]:
    """Unpaired comparison (independent samples): difference of means with Welch's *t*
    interval and p-value; Mann–Whitney U's p-value as ``p_value_mw`` (tables only).

    ``p_higher``/``p_tie``/``p_lower`` are P(X > Y), P(X = Y), P(X < Y) over all pairs of an
    option run X and a baseline run Y.
    """
    x = np.asarray(opt, dtype=float)
    y = np.asarray(base, dtype=float)
    diff = float(x.mean() - y.mean()) if x.size and y.size else math.nan
    lo = hi = math.nan
    p_welch = p_mw = 1.0
    p_higher = p_tie = p_lower = math.nan
    if x.size > 1 and y.size > 1:
        if constant(x) and constant(y):
            # Welch's t is undefined (zero variances): two different constants differ with
            # certainty, identical ones not at all (nor does Mann-Whitney see a difference)
            lo = hi = diff
            p_welch = 1.0 if x[0] == y[0] else 0.0
            if x[0] != y[0]:
                p_mw = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
        else:
            with nearly_constant_ok():
                lo, hi, p_welch = _t_result(stats.ttest_ind(x, y, equal_var=False))
            p_mw = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
        # probabilities of superiority from the ranks of the pooled sample
        ys = np.sort(y)
        below = np.searchsorted(ys, x, side="left").sum()
        above = (y.size - np.searchsorted(ys, x, side="right")).sum()
        pairs = x.size * y.size
        p_higher = float(below) / pairs
        p_lower = float(above) / pairs
        p_tie = float(pairs - below - above) / pairs
    s = math.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2) if x.size > 1 and y.size > 1 else math.nan
    return {"paired": False, "n_pairs": 0, "diff": diff, "diff_lo": lo, "diff_hi": hi,
            "p_value": p_welch, "p_value_mw": p_mw, "test": "Welch t",
            "p_higher": p_higher, "p_tie": p_tie, "p_lower": p_lower, "sd": s}
