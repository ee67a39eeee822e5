"""Random streams: one generator per mechanism (per front or side where draws are made per
grouping or per side), each re-positioned at the start of every day.

Why: options are compared on common random numbers, and that holds only if two runs with the
same seed make the same draw wherever they share an event. With one generator per run, a
conditional draw (talks open, a ceasefire in force, wounded present) or a Poisson draw that
consumes a different count of uniforms shifts every later draw of the run. Here each stream is a
counter-based Philox generator keyed by the replicate's seed; on day ``d`` stream ``k`` starts at
counter ``(0, 0, d, k)``, so what one mechanism draws on one day never depends on what any other
mechanism drew, nor on what it drew itself on earlier days (each block holds 2**128 draws).
"""

from __future__ import annotations

import numpy as np

#: stream names in a fixed order: the order is part of the seed contract (golden records).
MECHANISMS = (
    "diplomacy",       # the day's agreement draw, or the collapse draw of a ceasefire in force
    "noise",           # combat noise per sector
    "manpower_ru",     # replacements (front split, allotment), then returns of today's wounded
    "manpower_ua",
    "losses_kursk",    # casualties per grouping on the front, their killed / wounded / captured
    "losses_donetsk",  # split, then the armour and guns lost with them
)


class Streams:
    """The run's random generators by mechanism name (``streams.noise``), Philox-based."""

    __slots__ = ("_counters", "_states", *MECHANISMS)

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        key = ss.generate_state(2, np.uint64)
        self._counters = np.zeros((len(MECHANISMS), 4), dtype=np.uint64)
        self._counters[:, 3] = np.arange(len(MECHANISMS))
        self._states = []
        for name, counter in zip(MECHANISMS, self._counters, strict=True):
            bits = np.random.Philox(key=key)
            # a state template per stream whose counter row is updated in place each day (the
            # state setter copies it): re-positioning costs one assignment per stream
            self._states.append((bits, {**bits.state, "state": {"counter": counter, "key": key}}))
            setattr(self, name, np.random.Generator(bits))
        self.start_day(0)

    def start_day(self, day: int) -> None:
        """Put every stream at the start of ``day``'s block (counter ``(0, 0, day, k)``)."""
        self._counters[:, 2] = day
        for bits, state in self._states:
            bits.state = state  # buffer_pos of the template: empty, so no stale draws remain


__all__ = ["MECHANISMS", "Streams"]
