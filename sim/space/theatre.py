"""Several fronts as one line of contact: global sectors (front by front), queried once a day.

The model moves one line vector over all sectors; :meth:`Theatre.query` answers everything the
day needs from it — Russian-held cells and areas per front, the terrain ahead, the length of
the line, who holds each place, route margins — with one sorted-array search per front instead
of one per question. The answers are the same numbers :class:`FrontMap`'s methods give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.space.frontmap import FrontMap
from sim.space.tables import SPAN

#: Half-width of the band around the line whose area measures the line's length (km).
FRONTAGE_WINDOW_KM = 2.0


@dataclass(frozen=True)
class LineState:
    """What one line vector means on the ground (arrays over global sectors)."""

    ru_cells: np.ndarray        # in-area Russian-held cells per sector
    ua_area_km2: np.ndarray     # Ukrainian-held counted area per front (km²)
    terrain_ahead: np.ndarray   # terrain code of the next cell Russia would take; -1 if none
    frontage_km: np.ndarray     # effective length of the line per sector (km)
    place_ua: np.ndarray        # per place (fronts in order): True while Ukraine holds it


class Theatre:
    """The fronts' maps in order; global sector ``g`` of front ``f`` is
    ``sector_offset[f] + s``."""

    def __init__(self, maps: Sequence[FrontMap]) -> None:
        self.maps = tuple(maps)
        counts = [m.n_sectors for m in self.maps]
        self.sector_offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.n_sectors = int(sum(counts))
        self.slices = [slice(int(o), int(o) + n) for o, n in zip(self.sector_offset, counts,
                                                                  strict=True)]
        self.n_area = np.array([m.lookup.n_area for m in self.maps])
        self.cell_area_km2 = np.array([m.cell_area_km2 for m in self.maps])
        self.place_depth = np.array([p.depth_km for m in self.maps for p in m.places])
        self.place_sector = np.array([o + p.sector for o, m in zip(self.sector_offset, self.maps,
                                                                   strict=True)
                                      for p in m.places], dtype=np.int64)
        self.place_always = np.array([m.always_ua[p.row, p.col] for m in self.maps
                                      for p in m.places], dtype=bool)
        # the per-sector tables of all fronts side by side, so that everything but the sorted
        # search is one numpy call over all sectors
        lks = [m.lookup for m in self.maps]
        base = np.concatenate([[0], np.cumsum([len(lk.keys) for lk in lks])[:-1]])
        self._key_offset = np.concatenate([lk.sector_offset for lk in lks]).astype(np.float64)
        self._sector_start = np.concatenate([lk.sector_start for lk in lks])
        self._sector_end = np.concatenate([lk.sector_end for lk in lks])
        self._key_base = np.repeat(base, counts)  # where each front's keys start, per sector
        self._key_terrain = np.concatenate([lk.key_terrain for lk in lks] + [np.zeros(1, np.int8)])
        self._sector_cell_km2 = np.repeat(self.cell_area_km2, counts)
        # the line and the two edges of the frontage window (adding -w is subtracting w)
        self._window = np.array([[0.0], [-FRONTAGE_WINDOW_KM], [FRONTAGE_WINDOW_KM]])

    def query(self, line_km: np.ndarray) -> LineState:
        """Everything the day needs to know about the line ``line_km`` (global sectors)."""
        w = FRONTAGE_WINDOW_KM
        line_km = np.asarray(line_km, dtype=np.float64)
        # np.minimum/np.maximum: np.clip's values without its call overhead
        at = self._key_offset + np.minimum(np.maximum(line_km, -SPAN / 4), SPAN / 4)
        q = at + self._window
        # the keys' searchsorted method: less dispatch than np.searchsorted
        idx, lo, hi = np.concatenate([m.lookup.keys.searchsorted(q[:, sl])
                                      for m, sl in zip(self.maps, self.slices, strict=True)],
                                     axis=1)
        ru = idx - self._sector_start
        ua = (self.n_area - np.add.reduceat(ru, self.sector_offset)) * self.cell_area_km2
        terrain = np.where(idx < self._sector_end, self._key_terrain[idx + self._key_base],
                           np.int8(-1))
        frontage = (hi - lo) * self._sector_cell_km2 / (2.0 * w)
        holds = (self.place_depth >= line_km[self.place_sector]) | self.place_always
        return LineState(ru, ua, terrain, frontage, holds)


__all__ = ["FRONTAGE_WINDOW_KM", "LineState", "Theatre"]
