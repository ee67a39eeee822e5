"""Front maps: YAML map files rasterised once into numpy arrays.

A map file (``scenarios/maps/*.yaml``, see ``docs/MAPS.md``) gives terrain features, the counted
area, named start lines, sectors, places, routes and railheads in degrees. ``load_map`` turns it
into a :class:`FrontMap` on a grid of square cells (local equirectangular projection, row 0 is
the southern edge, column 0 the western edge), in steps that each live in their own module:

* :mod:`sim.space.reading`: the file at the door (regular, bounded, UTF-8, YAML without
  duplicate keys, bounded nesting and aliases);
* :mod:`sim.space.schema`: the pydantic schema and cross-checks (every problem one line of a
  :class:`~sim.space.errors.MapError`; grid size and work bounded before allocating);
* :mod:`sim.space.raster`: projection, grid, polygon/polyline/circle masks, terrain, area,
  start line, sectors;
* :mod:`sim.space.depth`: the signed depth field (Dijkstra) and the start line's length;
* :mod:`sim.space.tables`: the per-sector sorted depths, places, routes and railheads.

The line of contact is one number per sector. ``depth_km`` is the signed, terrain-weighted
distance from the start line (8-neighbour Dijkstra; positive on the Ukrainian-held side). A cell
in sector ``s`` is Russian-held when ``depth_km < line_km[s]``: ``line_km = 0`` reproduces the
start line exactly, a Russian advance raises the line, a Ukrainian advance lowers it. All heavy
work happens once in ``load_map`` (cached per process and file version); the per-day queries are
O(log n).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.space.depth import depth_field, line_lengths
from sim.space.errors import MapError, problem
from sim.space.geo import project
from sim.space.raster import (
    Grid,
    area_masks,
    paint_terrain,
    sector_anchors_xy,
    sector_grid,
    start_control,
    terrain_costs,
)
from sim.space.reading import check_file, read_map_yaml
from sim.space.schema import SIDES, TERRAIN_CLASSES, parse_map, slugify
from sim.space.tables import (
    SPAN,
    Place,
    Railhead,
    Route,
    SectorLookup,
    locate_places,
    locate_railheads,
    locate_routes,
    sector_lookup,
)


@dataclass(frozen=True, eq=False)
class FrontMap:
    name: str
    path: Path
    cell_km: float
    cell_area_km2: float
    shape: tuple[int, int]
    lat0: float
    lon0: float
    x_km: np.ndarray
    y_km: np.ndarray
    terrain: np.ndarray
    in_area: np.ndarray
    always_ua: np.ndarray  # cells outside the area that are always Ukrainian (Ukraine proper)
    sector_names: tuple[str, ...]
    sector: np.ndarray
    depth_km: np.ndarray
    start_line: str
    places: tuple[Place, ...]
    routes: dict[str, Route]
    railheads: tuple[Railhead, ...]
    frontage_km: np.ndarray  # start line inside the counted area, km per sector
    border_km: np.ndarray  # state border facing Russian-held ground (Ukraine proper), per sector
    terrain_cost: np.ndarray  # per terrain code
    line_names: tuple[str, ...]
    description: str = ""
    # precomputed lookup tables
    lookup: SectorLookup = field(default=None, repr=False)  # in-area cells by sector and depth
    _place_depth: np.ndarray = field(default=None, repr=False)
    _place_sector: np.ndarray = field(default=None, repr=False)
    _place_always: np.ndarray = field(default=None, repr=False)

    # ---------------------------------------------------------------- helpers
    @property
    def n_sectors(self) -> int:
        return len(self.sector_names)

    def place(self, name_or_slug: str) -> Place:
        key = slugify(name_or_slug)
        for p in self.places:
            if p.slug == key:
                return p
        raise KeyError(f"{self.name}: no place {name_or_slug!r}")

    def zero_line(self) -> np.ndarray:
        return np.zeros(self.n_sectors)

    def _ru_index(self, line_km: np.ndarray) -> np.ndarray:
        line = np.clip(np.asarray(line_km, dtype=np.float64), -SPAN / 4, SPAN / 4)
        return np.searchsorted(self.lookup.keys, self.lookup.sector_offset + line, side="left")

    # ------------------------------------------------------------ per-day API
    def ru_cells(self, line_km: np.ndarray) -> np.ndarray:
        """Per-sector count of in-area Russian-held cells for this line vector."""
        return self._ru_index(line_km) - self.lookup.sector_start

    def ua_area_km2(self, line_km: np.ndarray) -> float:
        ru = int((self._ru_index(line_km) - self.lookup.sector_start).sum())
        return (self.lookup.n_area - ru) * self.cell_area_km2

    def ru_area_km2(self, line_km: np.ndarray) -> float:
        ru = int((self._ru_index(line_km) - self.lookup.sector_start).sum())
        return ru * self.cell_area_km2

    def control(self, line_km: np.ndarray) -> np.ndarray:
        """Boolean grid, True where Ukraine holds the cell."""
        line = np.asarray(line_km, dtype=np.float64)
        return (self.depth_km >= line[self.sector]) | self.always_ua

    def terrain_ahead(self, line_km: np.ndarray) -> np.ndarray:
        """Per sector: terrain code of the next in-area cell Russia would take, -1 if none."""
        idx = self._ru_index(line_km)
        ok = idx < self.lookup.sector_end
        out = np.full(self.n_sectors, -1, dtype=np.int8)
        out[ok] = self.lookup.key_terrain[idx[ok]]
        return out

    def place_holder_ua(self, line_km: np.ndarray) -> np.ndarray:
        line = np.asarray(line_km, dtype=np.float64)
        return (self._place_depth >= line[self._place_sector]) | self._place_always

    def route_margin_km(self, route_name: str, line_km: np.ndarray) -> float:
        """Distance (depth km) between the route and the other side's ground; <= 0 means cut.

        For a Ukrainian route: min over its in-area cells of ``depth_km - line_km[sector]``;
        for a Russian route the sign is flipped (``line_km[sector] - depth_km``). ``inf`` if the
        route has no in-area cell.
        """
        r = self.routes[route_name]
        if r.depth_km.size == 0:
            return math.inf
        line = np.asarray(line_km, dtype=np.float64)[r.sectors]
        m = r.depth_km - line if r.side == "ua" else line - r.depth_km
        return float(m.min())

    # --------------------------------------------------------------- geometry
    def latlon_to_xy(self, lat, lon):
        return project(lat, lon, self.lat0, self.lon0)


# ====================================================================== loading
@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, start_line: str, mtime_ns: int, size: int) -> FrontMap:
    return build_map(path, start_line)


def load_map(path: str | Path, start_line: str = "2025-01-05") -> FrontMap:
    """Load and rasterise a map file (cached: one FrontMap per file, file version and start line
    per process). Any problem with the file raises :class:`MapError`, one line per problem."""
    try:
        p = Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise MapError(f"{path}: cannot use this path as a map file ({exc})") from None
    st = check_file(p)
    return _load_cached(p, str(start_line), st.st_mtime_ns, st.st_size)


def build_map(path: Path, start_line: str) -> FrontMap:
    """Read, validate and rasterise one map file (uncached)."""
    spec = parse_map(path, read_map_yaml(path), start_line)
    grid = Grid.of(spec)
    terrain = paint_terrain(spec, grid)
    tcost = terrain_costs(spec)
    in_area, always_ua = area_masks(spec, grid)
    if not in_area.any():
        raise MapError(problem(path, ("area",), "no cell is left in the counted area; allowed: "
                               "outside_* features that leave at least one cell"))
    ua = start_control(spec, grid, start_line, always_ua)
    ax, ay = sector_anchors_xy(spec)
    sector = sector_grid(grid, ax, ay)
    depth = depth_field(terrain, tcost, spec.cell_km, in_area, ua, always_ua)
    n_sec = len(spec.sectors)
    frontage, border = line_lengths(ua, sector, in_area, always_ua, spec.cell_km, n_sec)
    look = sector_lookup(sector, depth, terrain, in_area, n_sec)
    places = locate_places(spec, grid, sector, depth)
    cell_km = float(spec.cell_km)
    return FrontMap(
        name=spec.name, path=path, cell_km=cell_km, cell_area_km2=cell_km * cell_km,
        shape=grid.shape, lat0=float(spec.projection.lat0), lon0=float(spec.projection.lon0),
        x_km=grid.x, y_km=grid.y, terrain=terrain, in_area=in_area, always_ua=always_ua,
        sector_names=tuple(spec.sectors), sector=sector, depth_km=depth, start_line=start_line,
        places=places, routes=locate_routes(spec, grid, sector, depth, in_area),
        railheads=locate_railheads(spec, grid, ua, in_area, ax, ay), frontage_km=frontage,
        border_km=border, terrain_cost=tcost, line_names=tuple(spec.lines),
        description=spec.description,
        lookup=look,
        _place_depth=np.array([p.depth_km for p in places]),
        _place_sector=np.array([p.sector for p in places], dtype=np.int64),
        _place_always=np.array([always_ua[p.row, p.col] for p in places], dtype=bool),
    )


__all__ = ["SIDES", "TERRAIN_CLASSES", "FrontMap", "MapError", "Place", "Railhead", "Route",
           "build_map", "load_map", "slugify"]
