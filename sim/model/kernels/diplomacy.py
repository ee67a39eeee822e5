"""Negotiation and the article's intangibles: agreement probability, bargaining value, Russian
domestic confidence.

The formulas are assumptions made visible as parameters (docs/MODEL.md, "Diplomacy" and
"Indices").
"""

from __future__ import annotations

import math


def logistic(x: float) -> float:
    """The logistic function, written with tanh so that it cannot overflow."""
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def willingness(base: float, *, seek: bool = False, seek_bonus: float = 0.0,
                bargaining_value: float = 0.0, bargaining_weight: float = 0.0,
                confidence_lost: float = 0.0, confidence_weight: float = 0.0,
                momentum_km2_per_day: float = 0.0, momentum_weight: float = 0.0) -> float:
    """A side's willingness to agree (a logit): baseline, plus the option's bonus, plus the
    value of its bargaining chips or the domestic cost it pays, minus its battlefield momentum
    (a side that is gaining ground is less willing to freeze the line)."""
    return (base + (seek_bonus if seek else 0.0) + bargaining_weight * bargaining_value
            + confidence_weight * confidence_lost - momentum_weight * momentum_km2_per_day)


def agreement_probability(ru_willingness: float, ua_willingness: float,
                          max_daily_probability: float) -> float:
    """Daily probability that open talks produce an agreement: both sides must be willing,
    ``p = p_max · σ(w_ru) · σ(w_ua)``."""
    return max_daily_probability * logistic(ru_willingness) * logistic(ua_willingness)


def bargaining_value(area_km2: float, reference_area_km2: float, held_days: float,
                     duration_weight: float) -> float:
    """Ukraine's bargaining value of Russian ground it holds:
    ``BV = (A / A_ref) · (1 + w · held_days / 365)``; 0 when it holds nothing."""
    return area_km2 / reference_area_km2 * (1.0 + duration_weight * held_days / 365.0)


def confidence_step(confidence: float, area_km2: float, reference_area_km2: float,
                    cost_per_day: float, recovery_per_day: float) -> float:
    """Russian domestic confidence, an index in [0, 1]: it falls each day by
    ``cost · A / A_ref`` while Ukraine holds Russian ground and recovers toward 1 at
    ``recovery · (1 − C)`` once it holds none."""
    if area_km2 > 0.0:
        c = confidence - cost_per_day * area_km2 / reference_area_km2
    else:
        c = confidence + recovery_per_day * (1.0 - confidence)
    return min(1.0, max(0.0, c))
