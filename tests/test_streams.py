"""Random streams per mechanism: what one mechanism draws never shifts another's draws, nor a
later day's (the common random numbers that every paired comparison relies on)."""

from __future__ import annotations

import numpy as np

from sim.model import MECHANISMS, Streams


def test_a_mechanism_draws_the_same_whatever_the_others_drew() -> None:
    quiet, busy = Streams(7), Streams(7)
    busy.losses_kursk.poisson(np.full(60, 80.0))  # a different option draws more losses today
    busy.diplomacy.random()                         # and has talks open
    assert np.array_equal(quiet.noise.gamma(4.0, 0.25, 12), busy.noise.gamma(4.0, 0.25, 12))


def test_a_day_starts_where_it_always_starts() -> None:
    a, b = Streams(7), Streams(7)
    a.start_day(3)
    first = a.noise.random(5)
    b.noise.random(1000)   # b drew on days 0-2, a did not
    b.start_day(3)
    assert np.array_equal(first, b.noise.random(5))
    a.start_day(4)
    assert not np.array_equal(first, a.noise.random(5))  # each day has its own block


def test_streams_differ_by_mechanism_and_seed() -> None:
    s = Streams(7)
    draws = {name: getattr(s, name).random() for name in MECHANISMS}
    assert len(set(draws.values())) == len(MECHANISMS)
    assert Streams(8).noise.random() != Streams(7).noise.random()
    # a SeedSequence works as a seed too (the app's previews reseed with children)
    child = np.random.SeedSequence(7, spawn_key=(2,))
    assert Streams(child).noise.random() == Streams(child).noise.random()
