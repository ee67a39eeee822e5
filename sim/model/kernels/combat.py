"""Combat kernels: combat power, Lanchester-type attrition, casualty split, advance of the line.

Pure functions on numpy arrays. Units: personnel in troops, power in troop-equivalents, rates
per day, distances in effective (terrain-weighted) km. See docs/MODEL.md, section "Combat".
"""

from __future__ import annotations

import numpy as np

ArrayF = np.ndarray


def combat_power(personnel: ArrayF, quality: ArrayF, armour: ArrayF, rounds_fired: ArrayF,
                 morale_factor: ArrayF, supply_factor: ArrayF, *, armour_bonus_per_1000: float,
                 artillery_share: float, reference_rounds_per_troop: float,
                 artillery_cap: float = 2.0) -> ArrayF:
    """Effective combat power of each grouping, in troop-equivalents.

    ``P = N · q · (1 + b · armour per 1000 troops) · A · m · s`` where the artillery term
    ``A = (1 − a) + a · min(cap, rounds fired per troop / reference)`` makes a grouping that
    fires the reference rate worth exactly its infantry (``A = 1``).
    """
    n = np.asarray(personnel, dtype=float)
    manned = n > 0
    everyone = manned.all()  # the usual case: no masking needed (same numbers, fewer calls)
    safe_n = n if everyone else np.where(manned, n, 1.0)
    per_k = armour / (safe_n / 1000.0)
    fire = np.minimum(artillery_cap, rounds_fired / (safe_n * reference_rounds_per_troop))
    if not everyone:
        per_k = np.where(manned, per_k, 0.0)
        fire = np.where(manned, fire, 0.0)
    art = (1.0 - artillery_share) + artillery_share * fire
    return n * quality * (1.0 + armour_bonus_per_1000 * per_k) * art * morale_factor * supply_factor


def fire_multipliers(attack_x: ArrayF, attack_y: ArrayF, defence: ArrayF) -> tuple[ArrayF, ArrayF]:
    """Multipliers on the fire each side receives, per sector.

    When X attacks and Y only defends, X faces the defence multiplier ``D`` (terrain, prepared
    positions) and Y's losses are divided by it; in a meeting engagement or static front both
    are 1. Returns (on X, on Y).
    """
    x_only = attack_x & ~attack_y
    y_only = attack_y & ~attack_x
    inverse = 1.0 / defence
    on_x = np.where(x_only, defence, np.where(y_only, inverse, 1.0))
    on_y = np.where(y_only, defence, np.where(x_only, inverse, 1.0))
    return on_x, on_y


def sector_casualties(power_x: ArrayF, power_y: ArrayF, attack_x: ArrayF, attack_y: ArrayF,
                      defence: ArrayF, intensity: ArrayF, lethality: float
                      ) -> tuple[ArrayF, ArrayF]:
    """Expected casualties per sector and day for both sides (Lanchester square law).

    ``C_X = k · I · M_X · P_Y`` and ``C_Y = k · I · M_Y · P_X`` with ``k`` the lethality
    (casualties per unit of enemy power per day), ``I`` the sector's intensity and ``M`` the
    fire multipliers of :func:`fire_multipliers`. A side with no power inflicts nothing.
    """
    on_x, on_y = fire_multipliers(attack_x, attack_y, defence)
    k = lethality * intensity
    return k * on_x * power_y, k * on_y * power_x


def split_casualties(rng: np.random.Generator, losses: np.ndarray, killed_share: float,
                     captured_share: ArrayF) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split integer losses into (killed, wounded, captured) with exact integer totals.

    Captured first (its share varies per grouping: ordinary, broken, cut off), then killed as
    a share of the rest.
    """
    losses = np.asarray(losses, dtype=np.int64)
    captured = rng.binomial(losses, np.minimum(np.maximum(captured_share, 0.0), 1.0))
    killed = rng.binomial(losses - captured, killed_share)
    return killed, losses - captured - killed, captured


def advance_km(force_ratio: ArrayF, max_km_per_day: float, half_force_ratio: float,
               steepness: float) -> ArrayF:
    """Attritional advance per day (effective km) at a given attacker/defender force ratio.

    ``v = v_max · R^p / (R^p + R½^p)``: zero at R = 0, half of ``v_max`` at ``R½``, saturating
    at ``v_max`` (the published ceiling for attritional advances).
    """
    r = np.power(np.maximum(force_ratio, 0.0), steepness)
    finite = np.isfinite(r)
    v = np.full(r.shape, float(max_km_per_day))
    np.divide(max_km_per_day * r, r + half_force_ratio**steepness, out=v, where=finite)
    return v


def lanchester_square(a0: float, b0: float, alpha: float, beta: float, t: ArrayF
                      ) -> tuple[ArrayF, ArrayF]:
    """Closed-form Lanchester square law ``dA/dt = −β·B``, ``dB/dt = −α·A`` (until one hits 0).

    Used by the tests as the limiting case the model must recover.
    """
    g = np.sqrt(alpha * beta)
    t = np.asarray(t, dtype=float)
    a = a0 * np.cosh(g * t) - np.sqrt(beta / alpha) * b0 * np.sinh(g * t)
    b = b0 * np.cosh(g * t) - np.sqrt(alpha / beta) * a0 * np.sinh(g * t)
    # Once a side is annihilated the survivor stays at the level the square-law invariant
    # alpha*A^2 - beta*B^2 = const gives it (the closed form would otherwise grow it again).
    inv = alpha * a0**2 - beta * b0**2
    a = np.where(b <= 0.0, np.sqrt(max(inv, 0.0) / alpha), a)
    b = np.where(a <= 0.0, np.sqrt(max(-inv, 0.0) / beta), b)
    return np.maximum(a, 0.0), np.maximum(b, 0.0)
