"""Replicate seeds: child *i* of ``numpy.random.SeedSequence(master)``, the same in every batch
with that master seed (common random numbers across scenarios), whatever the number of runs."""

from __future__ import annotations

import numpy as np


def replicate_seed(master_seed: int, i: int) -> int:
    """The seed of replicate ``i``: child ``i`` of ``SeedSequence(master_seed)``, 63 bits."""
    child = np.random.SeedSequence(master_seed, spawn_key=(i,))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seeds(master_seed: int, n: int) -> list[int]:
    """Seeds of replicates ``0..n-1``; ``replicate_seeds(m, n)[i]`` does not depend on ``n``.

    Same as ``SeedSequence(master_seed).spawn(n)[i].generate_state(1, uint64)[0] >> 1``.
    """
    children = np.random.SeedSequence(master_seed).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


__all__ = ["replicate_seed", "replicate_seeds"]
