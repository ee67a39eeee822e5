"""Front maps: YAML map files rasterised once into numpy arrays.

A map file (``scenarios/maps/*.yaml``, see ``docs/MAPS.md``) gives terrain features, the counted
area, named start lines, sectors, places, routes and railheads in degrees. ``load_map`` turns it
into a :class:`FrontMap` on a grid of square cells (local equirectangular projection, row 0 is
the southern edge, column 0 the western edge).

The line of contact is one number per sector. ``depth_km`` is the signed, terrain-weighted
distance from the start line (8-neighbour Dijkstra; positive on the Ukrainian-held side). A cell
in sector ``s`` is Russian-held when ``depth_km < line_km[s]``: ``line_km = 0`` reproduces the
start line exactly, a Russian advance raises the line, a Ukrainian advance lowers it. All heavy
work happens once in ``load_map`` (cached per process); the per-day queries are O(log n).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import sparse
from scipy.sparse import csgraph

TERRAIN_CLASSES = ("open", "urban", "forest", "river")  # codes 0..3
TERRAIN_CODE = {name: i for i, name in enumerate(TERRAIN_CLASSES)}
# later classes overwrite earlier ones where features overlap
PAINT_ORDER = ("forest", "river", "urban")
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQ = 111.32
DEFAULT_RADIUS_KM = {"city": 3.0, "town": 1.5, "village": 0.7}
SIDES = ("ru", "ua")  # the model indexes sides in this order: RU = 0, UA = 1
_SPAN = 1.0e6  # sector offset in the flat sorted key array (depths are far below this)


class MapError(ValueError):
    """A map file is missing or malformed; the message names the file and the key path."""


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


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


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
    # precomputed lookup tables (private)
    _keys: np.ndarray = field(default=None, repr=False)  # sorted sector*SPAN + depth, in-area
    _key_terrain: np.ndarray = field(default=None, repr=False)
    _sector_start: np.ndarray = field(default=None, repr=False)
    _sector_end: np.ndarray = field(default=None, repr=False)
    _sector_offset: np.ndarray = field(default=None, repr=False)
    _place_depth: np.ndarray = field(default=None, repr=False)
    _place_sector: np.ndarray = field(default=None, repr=False)
    _place_always: np.ndarray = field(default=None, repr=False)
    _n_area: int = 0

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
        line = np.clip(np.asarray(line_km, dtype=np.float64), -_SPAN / 4, _SPAN / 4)
        return np.searchsorted(self._keys, self._sector_offset + line, side="left")

    # ------------------------------------------------------------ per-day API
    def ru_cells(self, line_km: np.ndarray) -> np.ndarray:
        """Per-sector count of in-area Russian-held cells for this line vector."""
        return self._ru_index(line_km) - self._sector_start

    def ua_area_km2(self, line_km: np.ndarray) -> float:
        ru = int((self._ru_index(line_km) - self._sector_start).sum())
        return (self._n_area - ru) * self.cell_area_km2

    def ru_area_km2(self, line_km: np.ndarray) -> float:
        ru = int((self._ru_index(line_km) - self._sector_start).sum())
        return ru * self.cell_area_km2

    def control(self, line_km: np.ndarray) -> np.ndarray:
        """Boolean grid, True where Ukraine holds the cell."""
        line = np.asarray(line_km, dtype=np.float64)
        return (self.depth_km >= line[self.sector]) | self.always_ua

    def terrain_ahead(self, line_km: np.ndarray) -> np.ndarray:
        """Per sector: terrain code of the next in-area cell Russia would take, -1 if none."""
        idx = self._ru_index(line_km)
        ok = idx < self._sector_end
        out = np.full(self.n_sectors, -1, dtype=np.int8)
        out[ok] = self._key_terrain[idx[ok]]
        return out

    def frontage_at(self, line_km: np.ndarray, window_km: float = 2.0) -> np.ndarray:
        """Per sector: length of the current line of contact (km), estimated as the in-area
        area within ``window_km`` of the line on either side divided by twice the window.
        Terrain-weighted depth makes this an effective length (shorter through towns)."""
        line = np.clip(np.asarray(line_km, dtype=np.float64), -_SPAN / 4, _SPAN / 4)
        lo = np.searchsorted(self._keys, self._sector_offset + line - window_km)
        hi = np.searchsorted(self._keys, self._sector_offset + line + window_km)
        return (hi - lo) * self.cell_area_km2 / (2.0 * window_km)

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
        return _project(lat, lon, self.lat0, self.lon0)


# ====================================================================== loading
class MapContext:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, msg: str) -> MapError:
        return MapError(f"{self.path}: {key}: {msg}")

    def get(self, d: Any, key: str, where: str, *, required: bool = True, default=None):
        if not isinstance(d, dict):
            raise self.fail(where or "<top>", f"expected a mapping, got {type(d).__name__}")
        if key not in d:
            if required:
                raise self.fail(f"{where}.{key}" if where else key, "required key is missing")
            return default
        return d[key]

    def num(self, v: Any, where: str, *, positive: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(where, f"expected a number, got {v!r}")
        if positive and not v > 0:
            raise self.fail(where, f"must be > 0, got {v!r}")
        return float(v)

    def points(self, v: Any, where: str, *, min_n: int) -> np.ndarray:
        if not isinstance(v, list) or len(v) < min_n:
            raise self.fail(where, f"expected a list of at least {min_n} [lat, lon] pairs")
        out = []
        for i, p in enumerate(v):
            if not isinstance(p, list | tuple) or len(p) != 2:
                raise self.fail(f"{where}[{i}]", f"expected [lat, lon], got {p!r}")
            out.append((self.num(p[0], f"{where}[{i}]"), self.num(p[1], f"{where}[{i}]")))
        return np.array(out, dtype=np.float64)


def _project(lat, lon, lat0, lon0):
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    x = (lon - lon0) * KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    y = (lat - lat0) * KM_PER_DEG_LAT
    return x, y


def _in_polygon(px: np.ndarray, py: np.ndarray, poly_xy: np.ndarray) -> np.ndarray:
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


def _dist_to_polyline(px: np.ndarray, py: np.ndarray, line_xy: np.ndarray) -> np.ndarray:
    d = np.full(px.shape, np.inf)
    for (x1, y1), (x2, y2) in zip(line_xy[:-1], line_xy[1:], strict=True):
        dx, dy = x2 - x1, y2 - y1
        seg2 = dx * dx + dy * dy
        t = np.zeros_like(px) if seg2 == 0 else ((px - x1) * dx + (py - y1) * dy) / seg2
        t = np.clip(t, 0.0, 1.0)
        d = np.minimum(d, np.hypot(px - (x1 + t * dx), py - (y1 + t * dy)))
    return d


class Grid:
    def __init__(self, ctx: MapContext, lat0, lon0, extent, cell_km):
        self.ctx, self.lat0, self.lon0, self.cell = ctx, lat0, lon0, cell_km
        self.extent = extent
        x0, y0 = _project(extent["lat_min"], extent["lon_min"], lat0, lon0)
        x1, y1 = _project(extent["lat_max"], extent["lon_max"], lat0, lon0)
        self.xmin, self.ymin = float(x0), float(y0)
        self.ncols = max(1, int(math.ceil((float(x1) - self.xmin) / cell_km)))
        self.nrows = max(1, int(math.ceil((float(y1) - self.ymin) / cell_km)))
        self.x = self.xmin + (np.arange(self.ncols) + 0.5) * cell_km
        self.y = self.ymin + (np.arange(self.nrows) + 0.5) * cell_km
        self.X, self.Y = np.meshgrid(self.x, self.y)

    def xy(self, latlon: np.ndarray):
        return _project(latlon[..., 0], latlon[..., 1], self.lat0, self.lon0)

    def inside_extent(self, lat, lon) -> bool:
        e = self.extent
        return e["lat_min"] <= lat <= e["lat_max"] and e["lon_min"] <= lon <= e["lon_max"]

    def rc(self, x, y):
        col = int(np.clip((x - self.xmin) // self.cell, 0, self.ncols - 1))
        row = int(np.clip((y - self.ymin) // self.cell, 0, self.nrows - 1))
        return row, col

    def polygon_mask(self, latlon: np.ndarray) -> np.ndarray:
        x, y = self.xy(latlon)
        return _in_polygon(self.X, self.Y, np.column_stack([x, y]))

    def polyline_mask(self, latlon: np.ndarray, width_km: float) -> np.ndarray:
        x, y = self.xy(latlon)
        # at least ~sqrt(2)/2 cell so the rasterised line is 4-connected (no diagonal leaks)
        half = max(width_km / 2.0, 0.71 * self.cell)
        return _dist_to_polyline(self.X, self.Y, np.column_stack([x, y])) <= half

    def circle_mask(self, lat, lon, radius_km) -> np.ndarray:
        x, y = _project(lat, lon, self.lat0, self.lon0)
        r = max(radius_km, 0.5 * self.cell)
        return np.hypot(self.X - x, self.Y - y) <= r


def shape_mask(ctx: MapContext, grid: Grid, feat: Any, where: str, *,
               default_width=0.2) -> np.ndarray:
    if not isinstance(feat, dict):
        raise ctx.fail(where, "expected a mapping with polygon, polyline or circle")
    if "polygon" in feat:
        return grid.polygon_mask(ctx.points(feat["polygon"], f"{where}.polygon", min_n=3))
    if "polyline" in feat:
        w = ctx.num(feat.get("width_km", default_width), f"{where}.width_km", positive=True)
        return grid.polyline_mask(ctx.points(feat["polyline"], f"{where}.polyline", min_n=2), w)
    if "circle" in feat:
        c = feat["circle"]
        lat = ctx.num(ctx.get(c, "lat", f"{where}.circle"), f"{where}.circle.lat")
        lon = ctx.num(ctx.get(c, "lon", f"{where}.circle"), f"{where}.circle.lon")
        r = ctx.num(ctx.get(c, "radius_km", f"{where}.circle"), f"{where}.circle.radius_km",
                    positive=True)
        return grid.circle_mask(lat, lon, r)
    raise ctx.fail(where, "expected one of: polygon, polyline, circle")


def _grid_graph(cost: np.ndarray, cell_km: float, allowed: np.ndarray) -> sparse.csr_matrix:
    """Undirected 8-neighbour graph; edge weight = cell_km * mean cost * (sqrt 2 on diagonals).

    An edge exists only if ``allowed`` is true at one of its two ends.
    """
    nr, nc = cost.shape
    idx = np.arange(nr * nc).reshape(nr, nc)
    rows, cols, w = [], [], []
    for dr, dc, f in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, math.sqrt(2)), (1, -1, math.sqrt(2))):
        r0, r1 = 0, nr - dr
        c0, c1 = max(0, -dc), nc - max(0, dc)
        a = idx[r0:r1, c0:c1]
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        ok = allowed.ravel()[a] | allowed.ravel()[b]
        ca, cb = cost.ravel()[a], cost.ravel()[b]
        rows.append(a[ok])
        cols.append(b[ok])
        w.append((cell_km * f * 0.5 * (ca + cb))[ok])
    n = nr * nc
    return sparse.csr_matrix(
        (np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def _boundary_edges(ua: np.ndarray, sector: np.ndarray, ok: np.ndarray, n_sec: int):
    """Per-sector number of 4-neighbour UA/RU cell pairs with both ends in ``ok``."""
    out = np.zeros(n_sec)
    for a, b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        diff = (ua[a] != ua[b]) & ok[a] & ok[b]
        # attribute the edge to the sector of its Russian-held end
        sec = np.where(ua[a], sector[b], sector[a])[diff]
        out += np.bincount(sec, minlength=n_sec)[:n_sec]
    return out


@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, start_line: str) -> FrontMap:
    return _build(path, start_line)


def load_map(path: str | Path, start_line: str = "2025-01-05") -> FrontMap:
    """Load and rasterise a map file (cached: one FrontMap per file and start line per process)."""
    p = Path(path).expanduser().resolve()
    return _load_cached(p, str(start_line))


def _build(path: Path, start_line: str) -> FrontMap:
    ctx = MapContext(path)
    if not path.is_file():
        raise MapError(f"{path}: map file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MapError(f"{path}: invalid YAML: {e}") from e
    if not isinstance(doc, dict):
        raise MapError(f"{path}: <top>: expected a mapping at the top level")

    name = str(ctx.get(doc, "name", ""))
    proj = ctx.get(doc, "projection", "")
    lat0 = ctx.num(ctx.get(proj, "lat0", "projection"), "projection.lat0")
    lon0 = ctx.num(ctx.get(proj, "lon0", "projection"), "projection.lon0")
    ext_d = ctx.get(doc, "extent", "")
    extent = {k: ctx.num(ctx.get(ext_d, k, "extent"), f"extent.{k}")
              for k in ("lat_min", "lat_max", "lon_min", "lon_max")}
    if extent["lat_min"] >= extent["lat_max"] or extent["lon_min"] >= extent["lon_max"]:
        raise ctx.fail("extent", "need lat_min < lat_max and lon_min < lon_max")
    cell_km = ctx.num(ctx.get(doc, "cell_km", ""), "cell_km", positive=True)
    grid = Grid(ctx, lat0, lon0, extent, cell_km)
    if grid.nrows * grid.ncols > 200_000:
        raise ctx.fail("cell_km", f"grid of {grid.nrows}x{grid.ncols} cells is too large")
    shape = (grid.nrows, grid.ncols)
    allowed_cls = ", ".join(TERRAIN_CLASSES)

    # ---------------------------------------------------------------- terrain
    tdoc = ctx.get(doc, "terrain", "")
    if not isinstance(tdoc, dict):
        raise ctx.fail("terrain", "expected a mapping")
    default = tdoc.get("default", "open")
    if default not in TERRAIN_CODE:
        raise ctx.fail("terrain.default", f"unknown terrain class {default!r}; "
                       f"allowed: {allowed_cls}")
    for key in tdoc:
        if key != "default" and key not in TERRAIN_CODE:
            raise ctx.fail(f"terrain.{key}", f"unknown terrain class {key!r}; "
                           f"allowed: default, {allowed_cls}")
    terrain = np.full(shape, TERRAIN_CODE[default], dtype=np.int8)
    places_doc = ctx.get(doc, "places", "")
    if not isinstance(places_doc, list) or not places_doc:
        raise ctx.fail("places", "expected a non-empty list")
    for cls in PAINT_ORDER:
        feats = tdoc.get(cls) or []
        if not isinstance(feats, list):
            raise ctx.fail(f"terrain.{cls}", "expected a list of features")
        for i, feat in enumerate(feats):
            m = shape_mask(ctx, grid, feat, f"terrain.{cls}[{i}]")
            terrain[m] = TERRAIN_CODE[cls]
        if cls == "urban":  # every named place's town area is urban
            for i, pd in enumerate(places_doc):
                if isinstance(pd, dict) and "lat" in pd and "lon" in pd:
                    r = pd.get("radius_km",
                               DEFAULT_RADIUS_KM.get(pd.get("kind", "village"), 0.7))
                    r = ctx.num(r, f"places[{i}].radius_km", positive=True)
                    lat = ctx.num(pd["lat"], f"places[{i}].lat")
                    lon = ctx.num(pd["lon"], f"places[{i}].lon")
                    terrain[grid.circle_mask(lat, lon, r)] = TERRAIN_CODE["urban"]

    cdoc = ctx.get(doc, "terrain_cost", "")
    if not isinstance(cdoc, dict):
        raise ctx.fail("terrain_cost", "expected a mapping class -> cost")
    tcost = np.ones(len(TERRAIN_CLASSES))
    for key, v in cdoc.items():
        if key not in TERRAIN_CODE:
            raise ctx.fail(f"terrain_cost.{key}", f"unknown terrain class {key!r}; "
                           f"allowed: {allowed_cls}")
        tcost[TERRAIN_CODE[key]] = ctx.num(v, f"terrain_cost.{key}", positive=True)
    for cls in TERRAIN_CLASSES:
        if cls not in cdoc:
            raise ctx.fail(f"terrain_cost.{cls}", "required key is missing")

    # ------------------------------------------------------------------- area
    adoc = doc.get("area") or {}
    if not isinstance(adoc, dict):
        raise ctx.fail("area", "expected a mapping")
    always_ua = np.zeros(shape, dtype=bool)
    excluded = np.zeros(shape, dtype=bool)
    for key, ua_flag in (("outside_ukraine_proper", True), ("outside_other", False)):
        polys = adoc.get(key) or []
        if not isinstance(polys, list):
            raise ctx.fail(f"area.{key}", "expected a list of features")
        for i, feat in enumerate(polys):
            m = shape_mask(ctx, grid, feat, f"area.{key}[{i}]")
            excluded |= m
            if ua_flag:
                always_ua |= m
    for key in adoc:
        if key not in ("outside_ukraine_proper", "outside_other", "description", "source"):
            raise ctx.fail(f"area.{key}", "unknown key; allowed: outside_ukraine_proper, "
                           "outside_other, description, source")
    in_area = ~excluded
    if not in_area.any():
        raise ctx.fail("area", "no cell is left in the counted area")

    # ------------------------------------------------------------------ lines
    ldoc = ctx.get(doc, "lines", "")
    if not isinstance(ldoc, dict) or not ldoc:
        raise ctx.fail("lines", "expected a mapping of line name -> definition")
    ldoc = {str(k): v for k, v in ldoc.items()}
    if start_line not in ldoc:
        raise ctx.fail(f"lines.{start_line}", f"no such line; available: {', '.join(ldoc)}")
    line = ldoc[start_line]
    ua = always_ua.copy()
    feats = ctx.get(line, "ua_held", f"lines.{start_line}")
    if feats is None:
        feats = []
    if not isinstance(feats, list):
        raise ctx.fail(f"lines.{start_line}.ua_held", "expected a list of features (may be empty)")
    for i, feat in enumerate(feats):
        ua |= shape_mask(ctx, grid, feat, f"lines.{start_line}.ua_held[{i}]")

    # ---------------------------------------------------------------- sectors
    sdoc = ctx.get(doc, "sectors", "")
    if not isinstance(sdoc, dict) or not sdoc:
        raise ctx.fail("sectors", "expected a mapping of sector name -> {anchor: [lat, lon]}")
    if len(sdoc) > 127:
        raise ctx.fail("sectors", "too many sectors")
    sector_names = tuple(str(k) for k in sdoc)
    ax, ay = [], []
    for sname, sd in sdoc.items():
        a = ctx.points([ctx.get(sd, "anchor", f"sectors.{sname}")], f"sectors.{sname}.anchor",
                       min_n=1)[0]
        if not grid.inside_extent(a[0], a[1]):
            raise ctx.fail(f"sectors.{sname}.anchor", f"{list(a)} is outside the extent {extent}")
        x, y = _project(a[0], a[1], lat0, lon0)
        ax.append(float(x))
        ay.append(float(y))
    ax_, ay_ = np.array(ax), np.array(ay)
    d2 = (grid.X[..., None] - ax_) ** 2 + (grid.Y[..., None] - ay_) ** 2
    sector = np.argmin(d2, axis=-1).astype(np.int8)

    # ------------------------------------------------------------ depth field
    cost = tcost[terrain]
    graph = _grid_graph(cost, cell_km, in_area)
    flat_ua = ua.ravel()
    half = 0.5 * cell_km * float(tcost.min())
    depth = np.zeros(shape[0] * shape[1])
    ru_src = np.flatnonzero(~flat_ua)
    ua_src = np.flatnonzero(flat_ua)
    d_from_ru = (csgraph.dijkstra(graph, directed=False, indices=ru_src, min_only=True)
                 if ru_src.size else np.full(depth.shape, np.inf))
    d_from_ua = (csgraph.dijkstra(graph, directed=False, indices=ua_src, min_only=True)
                 if ua_src.size else np.full(depth.shape, np.inf))
    depth[flat_ua] = d_from_ru[flat_ua] - half
    depth[~flat_ua] = -(d_from_ua[~flat_ua] - half)
    depth = depth.reshape(shape)
    depth[always_ua] = np.inf
    area_depth = depth[in_area]
    if not np.all(np.isfinite(area_depth)):
        # an in-area cell that no line can reach: with no Russian (or no Ukrainian) cell at all
        # the distances are infinite; clip to a large finite value so lookups stay ordered
        big = float(cell_km * tcost.max() * 4 * (shape[0] + shape[1]))
        depth = np.where(in_area, np.clip(depth, -big, big), depth)

    # ---------------------------------------------------------- lookup tables
    n_sec = len(sector_names)
    sec_area = sector[in_area].astype(np.int64)
    keys = sec_area * _SPAN + depth[in_area]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    key_terrain = terrain[in_area][order]
    counts = np.bincount(sec_area, minlength=n_sec)
    sector_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sector_end = sector_start + counts
    # 4-neighbour edge counts overstate a line's length by 4/pi on average (Cauchy-Crofton)
    to_km = cell_km * math.pi / 4
    sec64 = sector.astype(np.int64)
    frontage = _boundary_edges(ua, sec64, in_area, n_sec) * to_km
    border = (_boundary_edges(ua, sec64, in_area | always_ua, n_sec) * to_km) - frontage

    # ----------------------------------------------------------------- places
    places = []
    seen = set()
    for i, pd in enumerate(places_doc):
        where = f"places[{i}]"
        pname = str(ctx.get(pd, "name", where))
        where = f"places[{i}] ({pname})"
        lat = ctx.num(ctx.get(pd, "lat", where), f"{where}.lat")
        lon = ctx.num(ctx.get(pd, "lon", where), f"{where}.lon")
        if not grid.inside_extent(lat, lon):
            raise ctx.fail(where, f"place at {lat}, {lon} is outside the extent {extent}")
        kind = str(pd.get("kind", "village"))
        if kind not in DEFAULT_RADIUS_KM:
            raise ctx.fail(f"{where}.kind", f"unknown kind {kind!r}; allowed: city, town, village")
        slug = slugify(pname)
        if slug in seen:
            raise ctx.fail(where, f"duplicate place {pname!r}")
        seen.add(slug)
        x, y = _project(lat, lon, lat0, lon0)
        r, c = grid.rc(float(x), float(y))
        pop = pd.get("population")
        places.append(Place(
            name=pname, slug=slug, lat=lat, lon=lon, x_km=float(x), y_km=float(y), row=r, col=c,
            cell=r * shape[1] + c, sector=int(sector[r, c]), depth_km=float(depth[r, c]),
            kind=kind, population=int(pop) if pop is not None else None,
            radius_km=float(pd.get("radius_km", DEFAULT_RADIUS_KM[kind])),
        ))

    # ----------------------------------------------------------------- routes
    routes: dict[str, Route] = {}
    rdoc = doc.get("routes") or {}
    if not isinstance(rdoc, dict):
        raise ctx.fail("routes", "expected a mapping of route name -> definition")
    flat_depth, flat_sector, flat_area = depth.ravel(), sector.ravel(), in_area.ravel()
    for rname, rd in rdoc.items():
        where = f"routes.{rname}"
        side = ctx.get(rd, "side", where)
        if side not in SIDES:
            raise ctx.fail(f"{where}.side", f"unknown side {side!r}; allowed: ua, ru")
        pts = ctx.points(ctx.get(rd, "polyline", where), f"{where}.polyline", min_n=2)
        x, y = _project(pts[:, 0], pts[:, 1], lat0, lon0)
        cells, length = [], 0.0
        for (x1, y1), (x2, y2) in zip(zip(x[:-1], y[:-1], strict=True),
                                      zip(x[1:], y[1:], strict=True), strict=True):
            seg = math.hypot(x2 - x1, y2 - y1)
            length += seg
            n = max(2, int(math.ceil(seg / (cell_km / 4))) + 1)
            for t in np.linspace(0.0, 1.0, n):
                px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
                col = math.floor((px - grid.xmin) / cell_km)
                row = math.floor((py - grid.ymin) / cell_km)
                if 0 <= row < shape[0] and 0 <= col < shape[1]:
                    cells.append(row * shape[1] + col)
        _, first = np.unique(np.array(cells, dtype=np.int64), return_index=True)
        cells_arr = np.array(cells, dtype=np.int64)[np.sort(first)] if cells else np.zeros(0, int)
        ia = flat_area[cells_arr]
        routes[str(rname)] = Route(
            name=str(rname), side=side, cells=cells_arr[ia], sectors=flat_sector[cells_arr[ia]],
            depth_km=flat_depth[cells_arr[ia]], in_area=ia, length_km=length,
            description=str(rd.get("description", "")), cells_all=cells_arr,
        )

    # -------------------------------------------------------------- railheads
    boundary = _line_cells(ua, in_area)
    bx, by = grid.X[boundary], grid.Y[boundary]
    railheads = []
    rhdoc = doc.get("railheads") or []
    if not isinstance(rhdoc, list):
        raise ctx.fail("railheads", "expected a list")
    for i, rd in enumerate(rhdoc):
        where = f"railheads[{i}]"
        rname = str(ctx.get(rd, "name", where))
        side = ctx.get(rd, "side", where)
        if side not in SIDES:
            raise ctx.fail(f"{where}.side", f"unknown side {side!r}; allowed: ua, ru")
        lat = ctx.num(ctx.get(rd, "lat", where), f"{where}.lat")
        lon = ctx.num(ctx.get(rd, "lon", where), f"{where}.lon")
        x, y = (float(v) for v in _project(lat, lon, lat0, lon0))
        inside = grid.inside_extent(lat, lon)
        if inside:
            r, c = grid.rc(x, y)
            cell = r * shape[1] + c
        else:
            cell = -1
        sec = int(np.argmin((ax_ - x) ** 2 + (ay_ - y) ** 2))
        dist = float(np.hypot(bx - x, by - y).min()) if bx.size else math.inf
        railheads.append(Railhead(
            name=rname, slug=slugify(rname), side=side, lat=lat, lon=lon, x_km=x, y_km=y,
            inside=inside, cell=cell, sector=sec, distance_km=dist,
            active=bool(rd.get("active", True)), note=str(rd.get("note", "")),
        ))

    pl = tuple(places)
    return FrontMap(
        name=name, path=path, cell_km=cell_km, cell_area_km2=cell_km * cell_km, shape=shape,
        lat0=lat0, lon0=lon0, x_km=grid.x, y_km=grid.y, terrain=terrain, in_area=in_area,
        always_ua=always_ua, sector_names=sector_names, sector=sector, depth_km=depth,
        start_line=start_line, places=pl, routes=routes, railheads=tuple(railheads),
        frontage_km=frontage, border_km=border, terrain_cost=tcost, line_names=tuple(ldoc),
        description=str(doc.get("description", "")),
        _keys=keys, _key_terrain=key_terrain, _sector_start=sector_start,
        _sector_end=sector_end, _sector_offset=np.arange(n_sec) * _SPAN,
        _place_depth=np.array([p.depth_km for p in pl]),
        _place_sector=np.array([p.sector for p in pl], dtype=np.int64),
        _place_always=np.array([always_ua[p.row, p.col] for p in pl], dtype=bool),
        _n_area=int(in_area.sum()),
    )


def _line_cells(ua: np.ndarray, in_area: np.ndarray) -> np.ndarray:
    """Cells (in area) with a 4-neighbour on the other side of the line."""
    edge = np.zeros(ua.shape, dtype=bool)
    dv = ua[1:, :] != ua[:-1, :]
    dh = ua[:, 1:] != ua[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    return edge & in_area
