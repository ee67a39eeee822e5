"""Logistics kernels: corridor interdiction, ammunition, general supply, replacements.

Pure functions on numpy arrays. Units: rounds, days of supply, km. See docs/MODEL.md,
section "Logistics".
"""

from __future__ import annotations

import math

import numpy as np

ArrayF = np.ndarray


def corridor_interdiction(margin_km: float, base: float, maximum: float, range_km: float
                          ) -> float:
    """Share of deliveries lost on a route whose nearest enemy ground is ``margin_km`` away.

    ``i = base + (max − base) · exp(−margin / range)``; a cut route (margin ≤ 0) delivers
    nothing (``i = 1``).
    """
    if margin_km <= 0.0:
        return 1.0
    # math.exp, not np.exp: numpy's scalar exp takes a CPU-specific SIMD path (AVX-512 or
    # AVX2) whose last bit differs between machines; libm's gives the same double on both
    return base + (maximum - base) * math.exp(-margin_km / range_km)


def fire_ammunition(stock: ArrayF, demand: ArrayF) -> tuple[ArrayF, ArrayF]:
    """Rounds fired today (at most the stock) and the stock left."""
    fired = np.minimum(stock, demand)
    return fired, stock - fired


def deliver_ammunition(stock: ArrayF, target: ArrayF, depot: float, share_per_day: float,
                       interdiction: ArrayF) -> tuple[ArrayF, float, float]:
    """Move rounds from the side's depot toward each grouping's target stock.

    Each grouping asks for ``share_per_day`` of its shortfall; if the depot cannot cover all
    asks they are scaled down pro rata. A share ``interdiction`` of what leaves the depot is
    destroyed on the way. Returns (new stock, new depot, rounds destroyed).
    """
    ask = np.maximum(target - stock, 0.0) * share_per_day
    total = float(ask.sum())
    if total <= 0.0 or depot <= 0.0:
        return stock, depot, 0.0
    sent = ask * min(1.0, depot / total)
    arrived = sent * (1.0 - interdiction)
    return stock + arrived, depot - float(sent.sum()), float((sent - arrived).sum())


def supply_step(supply_days: ArrayF, resupply_days_per_day: float, interdiction: ArrayF,
                max_days: float) -> ArrayF:
    """General supply (food, fuel, water) in days: one day used, deliveries net of losses."""
    # np.minimum/np.maximum: np.clip's values at a fraction of its call overhead
    return np.minimum(np.maximum(
        supply_days - 1.0 + resupply_days_per_day * (1.0 - interdiction), 0.0), max_days)


def supply_factor(supply_days: ArrayF, full_days: float, floor: float) -> ArrayF:
    """Combat-power factor of supply: 1 at or above ``full_days``, ``floor`` at zero."""
    return floor + (1.0 - floor) * np.minimum(1.0, supply_days / full_days)


def fill_to_room(asked: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Troops each destination takes (integers): its ask up to its ``room``, then what the
    others could not take, in order, up to the room left. ``asked`` and ``room`` are per
    destination (troops); the total taken is ``min(Σ asked, Σ room)``."""
    taken = np.minimum(asked, room)
    spare = int(asked.sum() - taken.sum())
    for j in range(len(taken)):
        extra = min(spare, int(room[j] - taken[j]))
        taken[j] += extra
        spare -= extra
    return taken


def allocate(rng: np.random.Generator, total: int, weights: ArrayF) -> np.ndarray:
    """Split ``total`` troops among groupings in proportion to ``weights`` (multinomial).

    Integer counts that add up exactly to ``total``; nothing if no grouping can take them.
    """
    w = np.asarray(weights, dtype=float)
    s = w.sum()
    if total <= 0 or s <= 0:
        return np.zeros(w.shape, dtype=np.int64)
    return rng.multinomial(int(total), w / s)
