"""Rasterising a validated map (:class:`~sim.space.schema.MapSpec`) onto its grid of square
cells: polygon, polyline and circle masks, the terrain codes, the counted area, the start
line's Ukrainian-held cells, the sectors and the cells along a route.

The grid uses the local equirectangular projection of :mod:`sim.space.geo`; row 0 is the
southern edge, column 0 the western edge, and cell centres sit at ``xmin + (i + 0.5) * cell``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.space.geo import grid_frame, project
from sim.space.schema import (
    DEFAULT_WIDTH_KM,
    TERRAIN_CLASSES,
    Extent,
    Feature,
    MapSpec,
    RouteSpec,
)

TERRAIN_CODE = {name: i for i, name in enumerate(TERRAIN_CLASSES)}
PAINT_ORDER = ("forest", "river", "urban")  # later classes overwrite earlier ones


class Grid:
    """Cell centres of the grid covering ``extent`` (``X``, ``Y``: km, shape (rows, cols))."""

    def __init__(self, lat0: float, lon0: float, extent: Extent, cell_km: float):
        self.lat0, self.lon0, self.cell, self.extent = lat0, lon0, cell_km, extent
        self.xmin, self.ymin, self.nrows, self.ncols = grid_frame(
            lat0, lon0, extent.lat_min, extent.lat_max, extent.lon_min, extent.lon_max, cell_km)
        self.x = self.xmin + (np.arange(self.ncols) + 0.5) * cell_km
        self.y = self.ymin + (np.arange(self.nrows) + 0.5) * cell_km
        self.X, self.Y = np.meshgrid(self.x, self.y)

    @classmethod
    def of(cls, spec: MapSpec) -> Grid:
        return cls(spec.projection.lat0, spec.projection.lon0, spec.extent, spec.cell_km)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nrows, self.ncols)

    def xy(self, latlon: np.ndarray):
        return project(latlon[..., 0], latlon[..., 1], self.lat0, self.lon0)

    def rc(self, x: float, y: float) -> tuple[int, int]:
        """Row and column of the cell holding ``(x, y)`` km (clipped to the grid)."""
        col = int(np.clip((x - self.xmin) // self.cell, 0, self.ncols - 1))
        row = int(np.clip((y - self.ymin) // self.cell, 0, self.nrows - 1))
        return row, col

    def polygon_mask(self, latlon: np.ndarray) -> np.ndarray:
        x, y = self.xy(latlon)
        return in_polygon(self.X, self.Y, np.column_stack([x, y]))

    def polyline_mask(self, latlon: np.ndarray, width_km: float) -> np.ndarray:
        x, y = self.xy(latlon)
        # at least ~sqrt(2)/2 cell so the rasterised line is 4-connected (no diagonal leaks)
        half = max(width_km / 2.0, 0.71 * self.cell)
        return dist_to_polyline(self.X, self.Y, np.column_stack([x, y])) <= half

    def circle_mask(self, lat: float, lon: float, radius_km: float) -> np.ndarray:
        x, y = project(lat, lon, self.lat0, self.lon0)
        r = max(radius_km, 0.5 * self.cell)
        return np.hypot(self.X - x, self.Y - y) <= r


def in_polygon(px: np.ndarray, py: np.ndarray, poly_xy: np.ndarray) -> np.ndarray:
    """Even-odd rule point-in-polygon, vectorised over points."""
    inside = np.zeros(px.shape, dtype=bool)
    xs, ys = poly_xy[:, 0], poly_xy[:, 1]
    n = len(xs)
    for i in range(n):
        x1, y1, x2, y2 = xs[i], ys[i], xs[(i + 1) % n], ys[(i + 1) % n]
        if y1 == y2:
            continue
        crosses = (y1 > py) != (y2 > py)
        xint = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (px < xint)
    return inside


def dist_to_polyline(px: np.ndarray, py: np.ndarray, line_xy: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point to the nearest segment of the polyline."""
    d = np.full(px.shape, np.inf)
    for (x1, y1), (x2, y2) in zip(line_xy[:-1], line_xy[1:], strict=True):
        dx, dy = x2 - x1, y2 - y1
        seg2 = dx * dx + dy * dy
        t = np.zeros_like(px) if seg2 == 0 else ((px - x1) * dx + (py - y1) * dy) / seg2
        t = np.clip(t, 0.0, 1.0)
        d = np.minimum(d, np.hypot(px - (x1 + t * dx), py - (y1 + t * dy)))
    return d


def feature_mask(grid: Grid, feat: Feature) -> np.ndarray:
    """Cells covered by a polygon, a polyline (``width_km``, default 0.2) or a circle."""
    if feat.polygon is not None:
        return grid.polygon_mask(np.array(feat.polygon, dtype=np.float64))
    if feat.polyline is not None:
        width = feat.width_km if feat.width_km is not None else DEFAULT_WIDTH_KM
        return grid.polyline_mask(np.array(feat.polyline, dtype=np.float64), float(width))
    c = feat.circle
    return grid.circle_mask(c.lat, c.lon, c.radius_km)


def union_mask(grid: Grid, feats: list[Feature], base: np.ndarray | None = None) -> np.ndarray:
    """Cells covered by any of the features (OR-ed onto a copy of ``base``)."""
    out = np.zeros(grid.shape, dtype=bool) if base is None else base.copy()
    for feat in feats:
        out |= feature_mask(grid, feat)
    return out


def paint_terrain(spec: MapSpec, grid: Grid) -> np.ndarray:
    """Terrain codes (int8): the default class, then forest, river and urban features in that
    order (later wins), and every place's town circle as urban."""
    terrain = np.full(grid.shape, TERRAIN_CODE[spec.terrain.default], dtype=np.int8)
    for cls in PAINT_ORDER:
        for feat in getattr(spec.terrain, cls):
            terrain[feature_mask(grid, feat)] = TERRAIN_CODE[cls]
        if cls == "urban":
            for p in spec.places:
                terrain[grid.circle_mask(p.lat, p.lon, p.radius)] = TERRAIN_CODE["urban"]
    return terrain


def terrain_costs(spec: MapSpec) -> np.ndarray:
    """Cost per terrain code."""
    return np.array([float(getattr(spec.terrain_cost, c)) for c in TERRAIN_CLASSES])


def area_masks(spec: MapSpec, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """``(in_area, always_ua)``: the counted cells, and the cells outside the count that are
    always Ukrainian-held (Ukraine proper)."""
    always_ua = union_mask(grid, spec.area.outside_ukraine_proper)
    excluded = union_mask(grid, spec.area.outside_other, always_ua)
    return ~excluded, always_ua


def start_control(spec: MapSpec, grid: Grid, start_line: str,
                  always_ua: np.ndarray) -> np.ndarray:
    """Ukrainian-held cells on the start line: Ukraine proper plus the line's features."""
    return union_mask(grid, spec.lines[start_line].ua_held, always_ua)


def sector_anchors_xy(spec: MapSpec) -> tuple[np.ndarray, np.ndarray]:
    p = spec.projection
    xs, ys = [], []
    for s in spec.sectors.values():
        x, y = project(s.anchor[0], s.anchor[1], p.lat0, p.lon0)
        xs.append(float(x))
        ys.append(float(y))
    return np.array(xs), np.array(ys)


def sector_grid(grid: Grid, ax: np.ndarray, ay: np.ndarray) -> np.ndarray:
    """Sector code (int8) of every cell: the nearest anchor in km (Voronoi; ties go to the
    first anchor). One anchor at a time, so memory stays at a few grids."""
    best = (grid.X - ax[0]) ** 2 + (grid.Y - ay[0]) ** 2
    sector = np.zeros(grid.shape, dtype=np.int8)
    for k in range(1, len(ax)):
        d2 = (grid.X - ax[k]) ** 2 + (grid.Y - ay[k]) ** 2
        closer = d2 < best
        sector[closer] = k
        best = np.where(closer, d2, best)
    return sector


def route_cells(grid: Grid, route: RouteSpec) -> tuple[np.ndarray, float]:
    """``(cells, length_km)``: flat indices of the grid cells the route passes through, unique,
    in order along it (sampled 4 times per cell), and its length."""
    pts = np.array(route.polyline, dtype=np.float64)
    x, y = project(pts[:, 0], pts[:, 1], grid.lat0, grid.lon0)
    chunks, length = [], 0.0
    for i in range(len(x) - 1):
        x1, y1, x2, y2 = x[i], y[i], x[i + 1], y[i + 1]
        seg = math.hypot(x2 - x1, y2 - y1)
        length += seg
        n = max(2, int(math.ceil(seg / (grid.cell / 4))) + 1)
        t = np.linspace(0.0, 1.0, n)
        col = np.floor(((x1 + t * (x2 - x1)) - grid.xmin) / grid.cell)
        row = np.floor(((y1 + t * (y2 - y1)) - grid.ymin) / grid.cell)
        ok = (row >= 0) & (row < grid.nrows) & (col >= 0) & (col < grid.ncols)
        chunks.append(row[ok].astype(np.int64) * grid.ncols + col[ok].astype(np.int64))
    cells = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    if not cells.size:
        return np.zeros(0, int), length
    _, first = np.unique(cells, return_index=True)
    return cells[np.sort(first)], length


__all__ = ["PAINT_ORDER", "TERRAIN_CODE", "Grid", "area_masks", "dist_to_polyline",
           "feature_mask", "in_polygon", "paint_terrain", "route_cells", "sector_anchors_xy",
           "sector_grid", "start_control", "terrain_costs", "union_mask"]
