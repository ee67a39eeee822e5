"""Lookup tables built once per map: the per-sector sorted depths behind the O(log n) per-day
queries, and the places, routes and railheads located on the grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.space.depth import line_cells
from sim.space.geo import project
from sim.space.raster import Grid, route_cells
from sim.space.schema import MapSpec, slugify

SPAN = 1.0e6  # sector offset in the flat sorted key array (depths are far below this)


@dataclass(frozen=True)
class Place:
    name: str
    slug: str
    lat: float
    lon: float
    x_km: float
    y_km: float
    row: int
    col: int
    cell: int
    sector: int
    depth_km: float
    kind: str
    population: int | None = None
    radius_km: float = 0.0


@dataclass(frozen=True)
class Route:
    name: str
    side: str
    cells: np.ndarray  # flat indices, unique, in order along the route (cells inside the extent)
    sectors: np.ndarray
    depth_km: np.ndarray
    in_area: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    length_km: float = 0.0
    description: str = ""
    cells_all: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # incl. outside


@dataclass(frozen=True)
class Railhead:
    name: str
    slug: str
    side: str
    lat: float
    lon: float
    x_km: float
    y_km: float
    inside: bool  # inside the map extent
    cell: int  # flat index, -1 when outside the extent
    sector: int  # nearest sector anchor
    distance_km: float  # Euclidean km to the nearest cell on the start line
    active: bool = True
    note: str = ""


@dataclass(frozen=True)
class SectorLookup:
    """In-area cells sorted by ``sector * SPAN + depth``: a line vector's Russian-held cells in
    sector ``s`` are ``keys[start[s]:searchsorted(keys, s * SPAN + line[s])]``."""

    keys: np.ndarray
    key_terrain: np.ndarray
    sector_start: np.ndarray
    sector_end: np.ndarray
    sector_offset: np.ndarray
    n_area: int


def sector_lookup(sector: np.ndarray, depth: np.ndarray, terrain: np.ndarray,
                  in_area: np.ndarray, n_sec: int) -> SectorLookup:
    sec_area = sector[in_area].astype(np.int64)
    keys = sec_area * SPAN + depth[in_area]
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(sec_area, minlength=n_sec)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return SectorLookup(
        keys=keys[order], key_terrain=terrain[in_area][order], sector_start=start,
        sector_end=start + counts, sector_offset=np.arange(n_sec) * SPAN,
        n_area=int(in_area.sum()),
    )


def locate_places(spec: MapSpec, grid: Grid, sector: np.ndarray,
                  depth: np.ndarray) -> tuple[Place, ...]:
    out = []
    for p in spec.places:
        lat, lon = float(p.lat), float(p.lon)
        x, y = project(lat, lon, grid.lat0, grid.lon0)
        r, c = grid.rc(float(x), float(y))
        out.append(Place(
            name=p.name, slug=slugify(p.name), lat=lat, lon=lon, x_km=float(x), y_km=float(y),
            row=r, col=c, cell=r * grid.ncols + c, sector=int(sector[r, c]),
            depth_km=float(depth[r, c]), kind=p.kind, population=p.population,
            radius_km=p.radius,
        ))
    return tuple(out)


def locate_routes(spec: MapSpec, grid: Grid, sector: np.ndarray, depth: np.ndarray,
                  in_area: np.ndarray) -> dict[str, Route]:
    flat_depth, flat_sector, flat_area = depth.ravel(), sector.ravel(), in_area.ravel()
    out: dict[str, Route] = {}
    for name, r in spec.routes.items():
        cells, length = route_cells(grid, r)
        ia = flat_area[cells]
        out[name] = Route(
            name=name, side=r.side, cells=cells[ia], sectors=flat_sector[cells[ia]],
            depth_km=flat_depth[cells[ia]], in_area=ia, length_km=length,
            description=r.description, cells_all=cells,
        )
    return out


def locate_railheads(spec: MapSpec, grid: Grid, ua: np.ndarray, in_area: np.ndarray,
                     ax: np.ndarray, ay: np.ndarray) -> tuple[Railhead, ...]:
    """Railheads (inside or outside the extent) with their nearest sector anchor and their
    Euclidean distance to the start line."""
    boundary = line_cells(ua, in_area)
    bx, by = grid.X[boundary], grid.Y[boundary]
    out = []
    for rh in spec.railheads:
        lat, lon = float(rh.lat), float(rh.lon)
        x, y = (float(v) for v in project(lat, lon, grid.lat0, grid.lon0))
        inside = spec.extent.contains(lat, lon)
        if inside:
            r, c = grid.rc(x, y)
            cell = r * grid.ncols + c
        else:
            cell = -1
        out.append(Railhead(
            name=rh.name, slug=slugify(rh.name), side=rh.side, lat=lat, lon=lon, x_km=x, y_km=y,
            inside=inside, cell=cell, sector=int(np.argmin((ax - x) ** 2 + (ay - y) ** 2)),
            distance_km=float(np.hypot(bx - x, by - y).min()) if bx.size else math.inf,
            active=rh.active, note=rh.note,
        ))
    return tuple(out)


__all__ = ["SPAN", "Place", "Railhead", "Route", "SectorLookup", "locate_places",
           "locate_railheads", "locate_routes", "sector_lookup"]
