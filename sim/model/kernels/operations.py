"""Operations and exhaustion kernels: culmination tests, fatigue, diminishing returns.

Pure functions. Units: fractions of strength, km² of ground, casualties, days. See
docs/MODEL.md, section 3.4.
"""

from __future__ import annotations

import numpy as np

ArrayF = np.ndarray


def culmination_reason(*, days_running: int, min_days: int, loss_fraction: float,
                       max_loss_fraction: float, window_gain_km2: float,
                       window_losses: float, min_km2_per_1000: float,
                       ammo_fraction: float, min_ammo_fraction: float) -> str | None:
    """Why an operation culminates today, or None while it can go on.

    An operation runs at least ``min_days``; then it culminates when its attackers have lost
    ``max_loss_fraction`` of their strength since it began, when the ground it gains per 1000
    of its own casualties over the recent window falls below ``min_km2_per_1000`` (it is
    paying too much for too little), or when its ammunition is below ``min_ammo_fraction`` of
    the stock target.
    """
    if days_running < min_days:
        return None
    if loss_fraction >= max_loss_fraction:
        return f"losses {loss_fraction:.0%} of its strength >= {max_loss_fraction:.0%}"
    if window_losses > 0:
        rate = window_gain_km2 / (window_losses / 1000.0)
        if rate < min_km2_per_1000:
            return (f"{rate:.1f} km2 gained per 1000 casualties in the last days "
                    f"< {min_km2_per_1000:g}")
    if ammo_fraction < min_ammo_fraction:
        return f"ammunition at {ammo_fraction:.0%} of stock < {min_ammo_fraction:.0%}"
    return None


def main_effort(ratio: ArrayF, defence_ahead: ArrayF | None, sectors: int) -> np.ndarray:
    """Positions of the ``sectors`` sectors an operation makes its main effort: the best odds
    ``ratio / defence_ahead`` (the attacker/defender ratio against the defence multiplier of
    the ground the attacker would take next: open, forest, towns, rivers), or the best
    ``ratio`` alone when ``defence_ahead`` is None. Ties go to the earlier sector."""
    odds = ratio if defence_ahead is None else ratio / defence_ahead
    return (-odds).argsort(kind="stable")[:sectors]


def fatigue_step(fatigue: ArrayF, contact: ArrayF, attacking: ArrayF, in_reserve: ArrayF, *,
                 rate_per_day: float, attack_multiplier: float,
                 recovery_per_day: float) -> ArrayF:
    """One day of fatigue in [0, 1]: gained in contact (faster when attacking), shed in
    reserve, unchanged otherwise (in transit)."""
    gain = np.where(attacking, rate_per_day * attack_multiplier, rate_per_day)
    out = np.where(contact, fatigue + gain, fatigue)
    out = np.where(in_reserve, out - recovery_per_day, out)
    return np.minimum(np.maximum(out, 0.0), 1.0)  # np.clip, without its Python overhead


def fatigue_after(days: int, contact: ArrayF, attacking: ArrayF, *, rate_per_day: float,
                  attack_multiplier: float) -> ArrayF:
    """Fatigue in [0, 1] after ``days`` of :func:`fatigue_step` from 0 in an unchanging
    posture: ``min(1, r·days)`` defending, ``min(1, r·a·days)`` attacking, 0 out of contact
    (rested in reserve, or not yet there)."""
    gain = np.where(attacking, rate_per_day * attack_multiplier, rate_per_day)
    return np.where(contact, np.minimum(gain * max(days, 0), 1.0), 0.0)


def saturating_share(troops: ArrayF, capacity: ArrayF) -> ArrayF:
    """Share of ``troops`` that fight effectively when a frontage can use ``capacity``.

    Effective troops ``E = C (1 − exp(−N/C))``: ``E ≈ N`` while N ≪ C, ``E → C`` as N grows,
    and ``dE/dN = exp(−N/C) > 0``: every added soldier adds something, less and less (troops
    beyond the frontage are depth that replaces losses and sustains the effort). Returns
    ``E / N`` (1 where N = 0).
    """
    n = np.asarray(troops, dtype=float)
    c = np.asarray(capacity, dtype=float)
    manned = n > 0
    safe = np.where(manned, n, 1.0)
    return np.where(manned, -c * np.expm1(-n / c) / safe, 1.0)


def engaged_share(troops: ArrayF, capacity: ArrayF, *, soft: bool) -> ArrayF:
    """Share of ``troops`` a frontage of ``capacity`` lets fight: :func:`saturating_share`
    with the soft frontage, else the hard cap ``min(1, C/N)`` (1 where N = 0)."""
    if soft:
        return saturating_share(troops, capacity)
    n = np.asarray(troops, dtype=float)
    return np.minimum(1.0, capacity / np.where(n > 0, n, 1.0))
