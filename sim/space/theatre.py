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

    def query(self, line_km: np.ndarray) -> LineState:
        """Everything the day needs to know about the line ``line_km`` (global sectors)."""
        w = FRONTAGE_WINDOW_KM
        cells, ua, terrain, frontage = [], [], [], []
        line = np.clip(np.asarray(line_km, dtype=np.float64), -SPAN / 4, SPAN / 4)
        for k, (m, sl) in enumerate(zip(self.maps, self.slices, strict=True)):
            lk = m.lookup
            at = lk.sector_offset + line[sl]
            idx, lo, hi = np.searchsorted(lk.keys, np.concatenate((at, at - w, at + w))
                                          ).reshape(3, -1)
            ru = idx - lk.sector_start
            cells.append(ru)
            ua.append((lk.n_area - int(ru.sum())) * self.cell_area_km2[k])
            ok = idx < lk.sector_end
            t = np.full(len(idx), -1, dtype=np.int8)
            t[ok] = lk.key_terrain[idx[ok]]
            terrain.append(t)
            frontage.append((hi - lo) * self.cell_area_km2[k] / (2.0 * w))
        holds = (self.place_depth >= np.asarray(line_km, dtype=np.float64)[self.place_sector]
                 ) | self.place_always
        return LineState(np.concatenate(cells), np.array(ua), np.concatenate(terrain),
                         np.concatenate(frontage), holds)


__all__ = ["FRONTAGE_WINDOW_KM", "LineState", "Theatre"]
