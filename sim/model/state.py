"""The force state: every grouping's numbers as one row of a structure of arrays.

The daily arithmetic is vectorised over these arrays (why the model is fast); agents and
commands change them only through the methods below, which keep front, sector, posture and
transit consistent. A grouping's sector within its front is derived from its global sector
(``gsec``), never stored twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.space import SIDES

RU, UA = 0, 1  # indices into SIDES
KURSK, DONETSK = 0, 1
FRONTS = ("kursk", "donetsk")
ATTACK, DEFEND, RESERVE, TRANSIT, WITHDRAWING = range(5)
POSTURE_NAMES = ("attack", "defend", "reserve", "transit", "withdrawing")

Index = np.ndarray | Sequence[int] | int
_NONE = np.empty(0, dtype=np.intp)  # no grouping (read-only)
_NONE.flags.writeable = False


@dataclass(eq=False)
class ForceState:
    """One row per grouping. Units: troops, vehicles, guns, rounds, days."""

    side: np.ndarray            # int8: RU or UA
    front: np.ndarray           # int8: KURSK or DONETSK (destination front while in transit)
    gsec: np.ndarray            # int: global sector index (Kursk sectors first)
    posture: np.ndarray         # int8: ATTACK .. WITHDRAWING
    personnel: np.ndarray       # troops present
    establishment: np.ndarray   # troops at the start (replacements refill towards it)
    armour: np.ndarray          # armoured vehicles
    artillery: np.ndarray       # guns
    quality: np.ndarray         # training and experience multiplier
    morale: np.ndarray          # cohesion index in [0, 1]
    morale0: np.ndarray         # cohesion the grouping recovers towards
    ammo: np.ndarray            # rounds in the grouping's stock
    supply_days: np.ndarray     # general supply in days
    dprk: np.ndarray            # bool: the North Korean contingent
    allowed: np.ndarray         # bool [grouping, front]: fronts the grouping may serve on
    sector_offset: np.ndarray   # per front: global index of its first sector
    broken: np.ndarray = field(init=False)
    transit_left: np.ndarray = field(init=False)   # days until arrival
    dest_front: np.ndarray = field(init=False)
    dest_gsec: np.ndarray = field(init=False)
    pending: np.ndarray = field(init=False)        # not yet in the theatre (arrives later)
    fatigue: np.ndarray = field(init=False)        # exhaustion in [0, 1]
    contact: np.ndarray = field(init=False)        # bool: attacking, defending or withdrawing
    in_line: np.ndarray = field(init=False)        # bool: attacking or defending
    transit: np.ndarray = field(init=False)        # bool: in transit (or not yet arrived)
    present: np.ndarray = field(init=False)        # bool: not in transit
    line_ready: np.ndarray = field(init=False)     # bool: in the line and not broken
    reserve_ready: np.ndarray = field(init=False)  # bool: in reserve and not broken
    side_front: np.ndarray = field(init=False)     # flat index of (side, front) in a 2x2 table
    side_place: np.ndarray = field(init=False)     # flat index of (side, place) in a 2x4 table:
    # place 0 Kursk, 1 Donetsk, 2 in transit, 3 not yet arrived
    ua_sign: np.ndarray = field(init=False)        # +1 for Ukrainian groupings, -1 for Russian

    def __post_init__(self) -> None:
        n = len(self.side)
        self.broken = np.zeros(n, dtype=bool)
        self.transit_left = np.zeros(n, dtype=np.int16)
        self.dest_front = self.front.copy()
        self.dest_gsec = self.gsec.copy()
        self.pending = np.zeros(n, dtype=bool)
        self.fatigue = np.zeros(n)
        self.is_side = _frozen(self.side == RU, self.side == UA)
        self.ua_sign = np.where(self.is_side[UA], 1.0, -1.0)
        # the contact masks are rewritten in place, never rebound, so that a read-only view of
        # one (the commands' DayPicture) always shows the current postures
        self.in_line, self.contact, self.transit, self.present, self.line_ready, \
            self.reserve_ready = (np.zeros(n, dtype=bool) for _ in range(6))
        self._update_fronts()
        self._update_contact()

    def __len__(self) -> int:
        return len(self.side)

    # ------------------------------------------------------------------ derived views
    @property
    def sector(self) -> np.ndarray:
        """Sector index within each grouping's front."""
        return self.gsec - self.sector_offset[self.front]

    def mine(self, side: int, front: int | None = None) -> np.ndarray:
        """Mask of ``side``'s groupings (on ``front`` if given); shared and read-only."""
        return self.is_side[side] if front is None else self._side_front[side][front]

    # The masks below are asked for many times a day and change only through the methods of
    # this class, so they are kept up to date here instead of recomputed by every caller.
    def _update_fronts(self) -> None:
        self.on_front = _frozen(self.front == KURSK, self.front == DONETSK)
        self.side_front = self.side * 2 + self.front.astype(np.int64)  # [side, front], flat
        self._side_front = tuple(_frozen(*(s & fr for fr in self.on_front)) for s in self.is_side)

    def _update_contact(self) -> None:
        p = self.posture
        np.logical_or(p == ATTACK, p == DEFEND, out=self.in_line)
        np.logical_or(self.in_line, p == WITHDRAWING, out=self.contact)
        np.equal(p, TRANSIT, out=self.transit)
        np.logical_not(self.transit, out=self.present)
        self._update_ready()
        self._update_place()

    def _update_place(self) -> None:
        place = np.where(self.transit, 2 + self.pending, self.front)
        self.side_place = self.side * 4 + place

    def _update_ready(self) -> None:
        fit = ~self.broken
        np.logical_and(self.in_line, fit, out=self.line_ready)
        np.logical_and(self.posture == RESERVE, fit, out=self.reserve_ready)

    # ------------------------------------------------------------------ orders
    def set_posture(self, idx: Index, posture: int | np.ndarray) -> None:
        """Give the groupings ``idx`` (indices or a mask) a posture (one, or one each)."""
        self.posture[idx] = posture
        self._update_contact()

    def set_line_postures(self, line: np.ndarray, attack: np.ndarray) -> None:
        """Groupings in ``line`` (a mask of groupings in the line) attack where ``attack`` is
        true, else defend. Both postures are in contact, so contact does not change."""
        self.posture[line] = np.where(attack[line], ATTACK, DEFEND)

    def move(self, idx: Index, gsec: int, posture: int | None = None) -> None:
        """Move groupings within their front to global sector ``gsec`` (and set a posture)."""
        self.gsec[idx] = gsec
        if posture is not None:
            self.set_posture(idx, posture)

    def rotate(self, tired: int, fresh: int) -> None:
        """Relief in place: the reserve ``fresh`` takes over ``tired``'s sector and posture,
        ``tired`` goes into reserve to recover."""
        self.gsec[fresh] = self.gsec[tired]
        self.posture[fresh] = self.posture[tired]
        self.posture[tired] = RESERVE
        self._update_contact()

    def start_transfer(self, i: int, front: int, gsec: int, transit_days: int) -> None:
        """Put grouping ``i`` on the move to ``gsec`` of ``front``; it arrives after
        ``transit_days``. Raises ``ValueError`` for a front the grouping may not serve on."""
        if not self.allowed[i, front]:
            raise ValueError(f"grouping {i} may not serve on the {FRONTS[front]} front")
        self.transit_left[i] = transit_days
        self.dest_front[i] = front
        self.dest_gsec[i] = gsec
        self.set_posture(i, TRANSIT)

    def hold_back(self, i: Index, days: np.ndarray | int) -> None:
        """Groupings that enter the theatre later wait off-map, in transit, out of every count."""
        self.pending[i] = True
        self.transit_left[i] = days
        self.set_posture(i, TRANSIT)

    def advance_transit(self) -> np.ndarray:
        """One day of movement; returns the indices of groupings that arrived today (they
        take up a defensive posture in their destination sector)."""
        moving = self.transit
        if not moving.any():
            return np.empty(0, dtype=np.intp)
        self.transit_left[moving] -= 1
        arrived = np.flatnonzero(moving & (self.transit_left <= 0))
        if arrived.size:
            self.front[arrived] = self.dest_front[arrived]
            self.gsec[arrived] = self.dest_gsec[arrived]
            self._update_fronts()
            self.set_posture(arrived, DEFEND)
        return arrived

    def enter(self, i: int) -> None:
        """Grouping ``i`` has entered the theatre: it counts from now on."""
        self.pending[i] = False
        self._update_place()

    def apply_losses(self, losses: np.ndarray, armour_lost: np.ndarray,
                     artillery_lost: np.ndarray) -> None:
        """Remove casualties (troops) and destroyed vehicles and guns."""
        self.personnel -= losses
        self.armour -= armour_lost
        self.artillery -= artillery_lost

    def reinforce(self, mask: Index | slice, troops: np.ndarray) -> None:
        """Add replacements or returning wounded to the groupings in ``mask`` (a mask, indices
        or a slice); rested troops dilute a grouping's fatigue in proportion (a unit kept up to
        strength stays fresher). Adding 0 troops leaves a row exactly as it was."""
        before = self.personnel[mask]
        after = before + troops
        tired = self.fatigue[mask]
        if tired.any():  # nothing to dilute on most days early in a run
            self.fatigue[mask] = tired * np.divide(before, after, out=np.ones(after.shape),
                                                   where=after > 0)
        self.personnel[mask] = after

    def set_broken(self, broken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Update who is broken; a grouping that breaks withdraws, one that rallies in
        withdrawal defends again. Returns the indices that (broke, rallied) today."""
        was = self.broken
        self.broken = broken
        if not (broken ^ was).any():  # most days nobody breaks or rallies
            return _NONE, _NONE
        broke = np.flatnonzero(broken & ~was)
        rallied = np.flatnonzero(was & ~broken)
        if broke.size:
            self.posture[broke] = WITHDRAWING
        back = rallied[self.posture[rallied] == WITHDRAWING]
        if back.size:
            self.posture[back] = DEFEND
        if broke.size or back.size:
            self._update_contact()
        else:
            self._update_ready()
        return broke, rallied


def _frozen(*masks: np.ndarray) -> tuple[np.ndarray, ...]:
    """``masks`` made read-only: they are shared (by every caller of ``mine`` and by the
    commands' picture) and replaced, never changed, when groupings change front."""
    for a in masks:
        a.flags.writeable = False
    return masks


__all__ = ["ATTACK", "DEFEND", "DONETSK", "FRONTS", "KURSK",
           "POSTURE_NAMES", "RESERVE", "RU", "SIDES", "TRANSIT", "UA", "WITHDRAWING",
           "ForceState"]
