"""Pure statistics for comparing Monte Carlo batches (no batch folders, no I/O).

* :func:`mean_ci` — mean with the Student *t* interval (``scipy.stats.ttest_1samp``'s
  ``confidence_interval``);
* :func:`wilson_ci` — a proportion with the Wilson score interval
  (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``);
* :func:`bootstrap_ci` — bootstrap CI of a mean or of a difference of means
  (``scipy.stats.bootstrap``, BCa with a percentile fallback);
* :func:`paired_stats` / :func:`unpaired_stats` — option − baseline on matched / independent
  runs, with the shares of runs where the option is higher, equal or lower;
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

N_RESAMPLES = 2000
BOOT_SEED = 20250105

__all__ = [
    "BOOT_SEED", "N_RESAMPLES", "bootstrap_ci", "mean_ci", "paired_stats", "runs_needed",
    "shares", "unpaired_stats", "wilson_ci",
]


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


def bootstrap_ci(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOT_SEED,
    level: float = 0.95,
    method: str = "BCa",
) -> tuple[float, float]:
    """Bootstrap CI of ``mean(x)`` (one sample, e.g. paired differences) or of
    ``mean(x) - mean(y)`` (two independent samples).

    Constant data give the degenerate interval (value, value); BCa falls back to the
    percentile method where its acceleration cannot be computed (few distinct values: scipy
    then warns ``DegenerateDataWarning`` and returns NaN bounds).
    """
    x = np.asarray(x, dtype=float)
    if y is None:
        if x.size < 2 or constant(x):
            v = float(x.mean()) if x.size else math.nan
            return v, v
        data: tuple[np.ndarray, ...] = (x,)

        def stat(a, axis=-1):
            return np.mean(a, axis=axis)
    else:
        y = np.asarray(y, dtype=float)
        if x.size < 2 or y.size < 2 or (constant(x) and constant(y)):
            v = float(x.mean() - y.mean()) if x.size and y.size else math.nan
            return v, v
        data = (x, y)

        def stat(a, b, axis=-1):
            return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    def run(how: str) -> tuple[float, float]:
        with warnings.catch_warnings():
            # BCa on a sample with few distinct values (or a bootstrap distribution with one
            # value): NaN bounds, handled below by the percentile fallback
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            res = stats.bootstrap(data, stat, n_resamples=n_resamples, confidence_level=level,
                                  method=how, rng=np.random.default_rng(seed), vectorized=True)
        return float(res.confidence_interval.low), float(res.confidence_interval.high)

    lo, hi = run(method)
    if not (math.isfinite(lo) and math.isfinite(hi)) and method != "percentile":
        lo, hi = run("percentile")
    return lo, hi


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


def paired_stats(opt: np.ndarray, base: np.ndarray, *, n_resamples: int = N_RESAMPLES,
                 seed: int = BOOT_SEED) -> dict[str, Any]:
    """Paired comparison of matched runs (same seed): option − baseline."""
    d = np.asarray(opt, dtype=float) - np.asarray(base, dtype=float)
    n = d.size
    mean = float(d.mean()) if n else math.nan
    lo, hi = bootstrap_ci(d, n_resamples=n_resamples, seed=seed)
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        with nearly_constant_ok():
            p = float(stats.ttest_1samp(d, 0.0).pvalue)
    elif n == 0:  # nothing to compare (e.g. a value that exists only with a ceasefire)
        p = math.nan
    else:  # constant differences: no test needed (and t would divide by zero)
        p = 1.0 if mean == 0 or n < 2 else 0.0
    higher, tie, lower = shares(d)
    return {"paired": True, "n_pairs": n, "diff": mean, "diff_lo": lo, "diff_hi": hi,
            "p_value": p, "test": "paired t", "p_higher": higher, "p_tie": tie,
            "p_lower": lower, "sd": sd}


def unpaired_stats(opt: np.ndarray, base: np.ndarray, *, n_resamples: int = N_RESAMPLES,
                   seed: int = BOOT_SEED) -> dict[str, Any]:
    """Unpaired comparison (independent samples): difference of means, Welch and Mann–Whitney.

    ``p_higher``/``p_tie``/``p_lower`` are P(X > Y), P(X = Y), P(X < Y) over all pairs of an
    option run X and a baseline run Y.
    """
    x = np.asarray(opt, dtype=float)
    y = np.asarray(base, dtype=float)
    diff = float(x.mean() - y.mean()) if x.size and y.size else math.nan
    lo, hi = bootstrap_ci(x, y, n_resamples=n_resamples, seed=seed)
    p_welch = p_mw = 1.0
    p_higher = p_tie = p_lower = math.nan
    if x.size > 1 and y.size > 1:
        if constant(x) and constant(y):
            # Welch's t is undefined (zero variances): two different constants differ with
            # certainty, identical ones not at all (nor does Mann-Whitney see a difference)
            p_welch = 1.0 if x[0] == y[0] else 0.0
            if x[0] != y[0]:
                p_mw = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
        else:
            with nearly_constant_ok():
                p_welch = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
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
            "p_value": p_welch, "p_value_mw": p_mw, "test": "Welch t / Mann-Whitney U",
            "p_higher": p_higher, "p_tie": p_tie, "p_lower": p_lower, "sd": s}
