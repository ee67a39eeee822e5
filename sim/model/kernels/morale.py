"""Morale and cohesion kernels: daily update, breaking and rallying.

Morale is an index in [0, 1]. See docs/MODEL.md, section "Morale".
"""

from __future__ import annotations

import numpy as np

ArrayF = np.ndarray


def morale_step(morale: ArrayF, baseline: ArrayF, loss_fraction: ArrayF, supply_shortfall: ArrayF,
                ground_lost_km: ArrayF, in_reserve: ArrayF, *, loss_sensitivity: float,
                supply_sensitivity: float, ground_sensitivity: float, recovery_rate: float,
                reserve_recovery_rate: float) -> ArrayF:
    """``m' = clip(m + r·(m0 − m) − a·loss − b·shortfall − c·ground lost, 0, 1)``.

    ``loss_fraction`` is today's casualties over strength, ``supply_shortfall`` is
    1 − supply factor (0 when fully supplied), ``ground_lost_km`` is the ground the grouping's
    side lost in its sector today (negative = gained, which does not raise morale here).
    """
    rate = np.where(in_reserve, reserve_recovery_rate, recovery_rate)
    drop = (loss_sensitivity * loss_fraction + supply_sensitivity * supply_shortfall
            + ground_sensitivity * np.maximum(ground_lost_km, 0.0))
    # np.minimum/np.maximum: np.clip's values at a fraction of its call overhead
    return np.minimum(np.maximum(morale + rate * (baseline - morale) - drop, 0.0), 1.0)


def update_broken(morale: ArrayF, broken: ArrayF, break_threshold: float,
                  rally_threshold: float) -> ArrayF:
    """Hysteresis: a grouping breaks below ``break_threshold``, rallies at ``rally_threshold``."""
    return np.where(broken, morale < rally_threshold, morale < break_threshold)


def morale_factor(morale: ArrayF, floor: float) -> ArrayF:
    """Combat-power factor: ``floor`` at zero morale, 1 at full morale."""
    return floor + (1.0 - floor) * morale
