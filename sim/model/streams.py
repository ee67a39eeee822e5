"""Random streams: one generator per mechanism (and per front or side where draws are made per
grouping), each re-positioned at the start of every day.

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
    "diplomacy",             # the day's agreement draw
    "ceasefire",             # the day's ceasefire-collapse draw
    "noise",                 # combat noise per sector
    "replacements_ru",       # Russia's replacements and returned wounded: front split, allotment
    "replacements_ua",
    "wounded_return_ru",     # how many of today's wounded return to duty
    "wounded_return_ua",
    "losses_kursk",          # casualties per grouping (by the grouping's front)
    "losses_donetsk",
    "casualty_split_kursk",  # killed / wounded / captured split of those casualties
    "casualty_split_donetsk",
    "equipment_kursk",       # armour and guns lost with them
    "equipment_donetsk",
)


class Streams:
    """The run's random generators by mechanism name (``streams.noise``), Philox-based."""

    __slots__ = ("_gens", "_key", "_state", *MECHANISMS)

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._key = ss.generate_state(2, np.uint64)
        self._gens = [np.random.Generator(np.random.Philox(key=self._key)) for _ in MECHANISMS]
        self._state = self._gens[0].bit_generator.state  # template: buffers empty
        for name, gen in zip(MECHANISMS, self._gens, strict=True):
            setattr(self, name, gen)
        self.start_day(0)

    def start_day(self, day: int) -> None:
        """Put every stream at the start of ``day``'s block (counter ``(0, 0, day, k)``)."""
        state = dict(self._state)
        for k, gen in enumerate(self._gens):
            state["state"] = {"counter": np.array([0, 0, day, k], dtype=np.uint64),
                              "key": self._key}
            gen.bit_generator.state = state


__all__ = ["MECHANISMS", "Streams"]
