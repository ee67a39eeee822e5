"""The start-of-day picture: everything a command may know when it plans the day.

:class:`DayPicture` is built once a day by ``WarModel.day_picture`` after diplomacy and before
the commands step, and handed to each command's ``step``. Commands decide from it alone and act
only through orders (``ForceState``'s and ``WarModel``'s order methods), so what a decision
depends on is written in one place, the two sides plan simultaneously, and a decision can be
computed for many replicates at once from pictures alone.

The per-sector and theatre facts (powers, line, corridor, area, diplomacy) are frozen as they
stood at the start of the day. The groupings' arrays are read-only *views* of the force state,
showing every row as it is now: a command's own orders change its own groupings' rows and the
command sees that (it plans its next order with what it has just moved). A command reads the
other side only through the frozen ``start_power`` (its grouping reads are masked to its own
rows), so the other side's orders of the day are invisible to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.model.state import KURSK

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.space import Route


def read_only(a: np.ndarray) -> np.ndarray:
    """A view of ``a`` that cannot be written through (``a`` itself stays writeable)."""
    v = a.view()
    v.setflags(False)  # (write=False; positional: a fifth of the cost of ``flags.writeable``)
    return v


class DayPicture(NamedTuple):
    """What a command knows at the start of day ``day``. Arrays are per grouping (``[G]``),
    per global sector (``[S]``, Kursk sectors first) or per place; none can be written.

    A named tuple rather than a frozen dataclass: equally immutable and typed, and built from
    today's fields and the run's (``_make``, one tuple) in a tenth of the time a frozen
    dataclass takes to set its ~60 fields one ``object.__setattr__`` at a time (~1 % of a
    run, built daily)."""

    # -- today's (built each morning; the fields up to ``scn``) ------------------------------
    day: int                            # days since the start date
    plan_power: np.ndarray              # [G] planning combat power (troop-equivalents)
    start_power: tuple[np.ndarray, np.ndarray]  # per side: [S] power in contact
    nothing_to_take: tuple[np.ndarray, np.ndarray]  # per side: [S] it holds all the ground
    line: np.ndarray                    # [S] line of contact (effective km, + = Russian advance)
    terrain_ahead: np.ndarray           # [S] terrain code of the next cell Russia would take
    place_ua: np.ndarray                # per place: Ukraine holds it
    kursk_ua_km2: float                 # Ukrainian-held Kursk area (km2)
    kursk_ever_held: bool               # Ukraine has held Kursk ground at some point
    ua_in_kursk: bool                   # a Ukrainian grouping is in Kursk oblast (not moving)
    corridor_margin_km: float           # Russian ground's distance from the corridor (km)
    corridor_interdiction: float        # share of the salient's supply interdicted
    confidence: float                   # Russian domestic confidence index
    talks: str                          # "none", "open", "agreed" or "ceasefire"
    # the groupings' arrays the force state replaces (on arrivals, or daily after the commands)
    side_front: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    on_front: tuple[np.ndarray, np.ndarray]     # per front: [G] on it (destination if moving)
    ammo: np.ndarray                    # [G] rounds
    supply_days: np.ndarray             # [G] days of general supply
    morale: np.ndarray                  # [G] cohesion in [0, 1]
    fatigue: np.ndarray                 # [G] exhaustion in [0, 1]
    broken: np.ndarray                  # [G]
    # -- the same every day (built once a run) -------------------------------------------------
    scn: Scenario                       # parameters: switches, operations, logistics, ...
    n_sectors: int
    sector_offset: np.ndarray           # per front: global index of its first sector
    front_secs: tuple[np.ndarray, np.ndarray]   # per front: its global sectors
    front_slice: tuple[slice, slice]    # per front: its global sectors as a slice
    front_mask: tuple[np.ndarray, np.ndarray]   # per front: [S] True on its sectors
    sector_names: tuple[tuple[str, ...], tuple[str, ...]]  # per front, in map order
    labels: tuple[str, ...]             # per global sector: "front/sector"
    names: tuple[str, ...]              # per grouping
    place_index: dict[str, int]         # place name -> index into place_ua
    terrain_defence_or_none: np.ndarray  # defence multiplier per terrain code (last: code -1)
    corridor: Route | None              # the Sudzha corridor, if the Kursk map has one
    front_losses: np.ndarray            # [day, side, front] casualties (rows < day are final)
    front_gain_km2: np.ndarray          # [day, side, front] ground gained (km2, ditto)
    # the groupings' arrays the force state only writes in place (views of the live rows)
    is_side: tuple[np.ndarray, np.ndarray]      # per side: [G] its groupings
    front: np.ndarray                   # [G] KURSK or DONETSK
    gsec: np.ndarray                    # [G] global sector
    posture: np.ndarray                 # [G] ATTACK .. WITHDRAWING
    personnel: np.ndarray               # [G] troops
    establishment: np.ndarray           # [G] troops at the start
    artillery: np.ndarray               # [G] guns
    allowed: np.ndarray                 # [G, front] fronts the grouping may serve on
    pending: np.ndarray                 # [G] not yet in the theatre
    transit_left: np.ndarray            # [G] days until arrival
    in_line: np.ndarray                 # [G] attacking or defending
    contact: np.ndarray                 # [G] in the line or withdrawing
    present: np.ndarray                 # [G] not in transit
    line_ready: np.ndarray              # [G] in the line and not broken
    reserve_ready: np.ndarray           # [G] in reserve and not broken

    def mine(self, side: int, front: int | None = None) -> np.ndarray:
        """[G] mask of ``side``'s groupings (on ``front`` if given)."""
        return self.is_side[side] if front is None else self.side_front[side][front]

    def sector_label(self, gsec: int) -> str:
        return self.labels[gsec]

    def names_of(self, idx: np.ndarray | list[int]) -> str:
        return ", ".join(self.names[i] for i in idx)

    def sector_power(self, side: int) -> np.ndarray:
        """[S] ``side``'s planning power in contact where its groupings are now: the start of
        the day's ``start_power[side]`` (bit for bit) until the side has moved a grouping."""
        mask = self.is_side[side] & self.contact
        return np.bincount(self.gsec[mask], weights=self.plan_power[mask],
                           minlength=self.n_sectors)

    def corridor_pinch_sector(self) -> int | None:
        """The global sector where Russian ground is nearest the Sudzha corridor (None
        without a corridor)."""
        route = self.corridor
        if route is None or route.depth_km.size == 0:
            return None
        line = self.line[self.front_slice[KURSK]][route.sectors]
        k = int(np.argmin(route.depth_km - line))
        return int(self.sector_offset[KURSK] + route.sectors[k])


__all__ = ["DayPicture", "read_only"]
