"""How much of an outcome's spread comes from the parameters and how much from the dice.

A posterior-predictive batch (``wargame run`` with ``--params posterior``) runs replicates in
groups of ``dice_per_draw`` that share one posterior draw and differ only in their seeds. By
the law of total variance, ``Var(Y) = Var_θ(E[Y|θ]) + E_θ[Var(Y|θ)]``; with groups of size
``g`` the one-way random-effects (ANOVA) estimator is

* dice (within groups): ``s²_dice`` = mean of the within-group variances (ddof 1);
* parameters (between groups): ``s²_param = max(0, Var(group means) − s²_dice / g)``;

and the parameters' share is ``s²_param / (s²_param + s²_dice)``. Only complete groups are used
(a failed run drops its group); fewer than two complete groups give NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.runner import Manifest


@dataclass(frozen=True)
class VarianceSplit:
    """Estimated variance from the parameters and from the dice, and the parameters' share."""

    param_var: float
    dice_var: float
    groups: int
    group_size: int

    @property
    def param_share(self) -> float:
        total = self.param_var + self.dice_var
        return self.param_var / total if total > 0 else float("nan")


NO_SPLIT = VarianceSplit(float("nan"), float("nan"), 0, 0)


def variance_split(values: Sequence[float] | np.ndarray, groups: Sequence[int | None]
                   ) -> VarianceSplit:
    """Split the variance of ``values`` by their draw ``groups`` (None: no group)."""
    by: dict[int, list[float]] = {}
    for v, g in zip(np.asarray(values, dtype=float), groups, strict=True):
        if g is not None and np.isfinite(v):
            by.setdefault(int(g), []).append(float(v))
    if not by:
        return NO_SPLIT
    size = max(len(v) for v in by.values())
    full = [np.array(v) for v in by.values() if len(v) == size]
    if size < 2 or len(full) < 2:
        return NO_SPLIT
    dice = float(np.mean([x.var(ddof=1) for x in full]))
    between = float(np.var([x.mean() for x in full], ddof=1))
    return VarianceSplit(max(0.0, between - dice / size), dice, len(full), size)


def draw_groups(manifest: Manifest) -> dict[int, int | None]:
    """``run -> draw group`` of a batch manifest (None for every run of a fixed-parameter
    batch)."""
    return {r.run: r.draw_group for r in manifest.runs}
