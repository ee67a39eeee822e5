"""The map file schema (pydantic) and the checks that need more than one key.

:func:`parse_map` turns the YAML mapping of a map file into a validated :class:`MapSpec` or
raises :class:`~sim.space.errors.MapError` listing every problem, one line each, in the
scenario's style: ``<file>: <key.path>: <what is wrong>; <what is allowed>``. Numbers must be
finite and of the right type (no strings, no booleans), coordinates inside the globe, unknown
keys are refused, and the grid's size and the rasterising work are bounded before anything is
allocated (the limits below; see docs/MAPS.md).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    model_validator,
)

from sim.space.errors import MapError, problem, shown
from sim.space.geo import grid_frame, project

TERRAIN_CLASSES = ("open", "urban", "forest", "river")  # codes 0..3
SIDES = ("ru", "ua")  # the model indexes sides in this order: RU = 0, UA = 1
DEFAULT_RADIUS_KM = {"city": 3.0, "town": 1.5, "village": 0.7}
DEFAULT_WIDTH_KM = 0.2  # a polyline feature without width_km

# limits (the shipped maps: 1 km cells, 6,720 and 12,688 cells, < 200 feature points)
MIN_CELL_KM, MAX_CELL_KM = 0.05, 50.0
MAX_CELLS = 1_000_000
MAX_SPAN_KM = 2_000.0  # width and height of the extent
MIN_COST, MAX_COST = 0.01, 10.0  # keeps every depth far below the lookup tables' sector offset
MAX_FEATURE_KM = 100.0  # width_km and radius_km
MAX_SECTORS = 127  # sector codes are int8
MAX_RASTER_WORK = 200_000_000  # cells x (feature points + circles + places + sectors)
MAX_ROUTE_SAMPLES = 2_000_000  # points sampled along the routes (4 per cell)
MAX_POPULATION = 100_000_000


def _finite(lo: float | None = None, hi: float | None = None, *, gt: float | None = None):
    return Annotated[float, Strict(), Field(ge=lo, le=hi, gt=gt, allow_inf_nan=False)]


Lat = _finite(-90.0, 90.0)
Lon = _finite(-180.0, 180.0)
Point = tuple[Lat, Lon]
Km = _finite(hi=MAX_FEATURE_KM, gt=0.0)
Cost = _finite(MIN_COST, MAX_COST)
Text = Annotated[str, Strict(), Field(max_length=10_000)]
Name = Annotated[str, Strict(), Field(min_length=1, max_length=200)]


def _key_text(v: Any) -> Any:
    """Mapping keys (line, sector and route names) as text: an unquoted ``2025-01-05`` is a
    date in YAML, and the loader has always read it as its ISO text."""
    return str(v) if isinstance(v, int | float | dt.date) else v


def _none_is(empty: Any):
    return BeforeValidator(lambda v: empty() if v is None else v)


Key = Annotated[Name, BeforeValidator(_key_text)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Circle(_Spec):
    lat: Lat
    lon: Lon
    radius_km: Km


class Feature(_Spec):
    """A terrain, area or line feature: exactly one of polygon, polyline (with optional width_km)
    or circle; ``name``, ``source`` and ``description`` are notes."""

    polygon: Annotated[list[Point], Field(min_length=3)] | None = None
    polyline: Annotated[list[Point], Field(min_length=2)] | None = None
    width_km: Km | None = None
    circle: Circle | None = None
    name: Text | None = None
    source: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Feature:
        given = [k for k in ("polygon", "polyline", "circle") if getattr(self, k) is not None]
        if len(given) != 1:
            got = ", ".join(given) if given else "none"
            raise ValueError(f"got {got}; allowed: exactly one of polygon, polyline, circle")
        if self.width_km is not None and self.polyline is None:
            raise ValueError("width_km given without a polyline; allowed: width_km on a "
                             "polyline only")
        return self


Features = Annotated[list[Feature], _none_is(list)]


class Projection(_Spec):
    lat0: Lat
    lon0: Lon


class Extent(_Spec):
    lat_min: Lat
    lat_max: Lat
    lon_min: Lon
    lon_max: Lon

    @model_validator(mode="after")
    def _ordered(self) -> Extent:
        if not (self.lat_min < self.lat_max and self.lon_min < self.lon_max):
            raise ValueError(f"got lat {self.lat_min}..{self.lat_max}, lon {self.lon_min}.."
                             f"{self.lon_max}; allowed: lat_min < lat_max and lon_min < lon_max")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max

    def text(self) -> str:
        return f"lat {self.lat_min}..{self.lat_max}, lon {self.lon_min}..{self.lon_max}"


class Terrain(_Spec):
    default: Literal["open", "urban", "forest", "river"] = "open"
    forest: Features = []
    river: Features = []
    urban: Features = []


class TerrainCost(_Spec):
    open: Cost
    urban: Cost
    forest: Cost
    river: Cost


class Area(_Spec):
    outside_ukraine_proper: Features = []
    outside_other: Features = []
    description: Text | None = None
    source: Text | None = None


class Line(_Spec):
    ua_held: Features  # required; may be empty (or null) for "no Ukrainian-held ground"
    description: Text | None = None
    source: Text | None = None


class Sector(_Spec):
    # unknown keys are ignored here only: kursk.yaml's flow mapping
    # ``{..., description: ... (Guevo, Gornal)}`` parses into a stray key ``Gornal)``
    model_config = ConfigDict(extra="ignore")
    anchor: Point
    description: Text | None = None


class PlaceSpec(_Spec):
    name: Name
    lat: Lat
    lon: Lon
    kind: Literal["city", "town", "village"] = "village"
    population: Annotated[int, Strict(), Field(ge=0, le=MAX_POPULATION)] | None = None
    radius_km: Km | None = None

    @property
    def radius(self) -> float:
        return float(self.radius_km if self.radius_km is not None
                     else DEFAULT_RADIUS_KM[self.kind])


class RouteSpec(_Spec):
    side: Literal["ru", "ua"]
    polyline: Annotated[list[Point], Field(min_length=2)]
    description: Text = ""


class RailheadSpec(_Spec):
    name: Name
    side: Literal["ru", "ua"]
    lat: Lat
    lon: Lon
    active: Annotated[bool, Strict()] = True
    note: Text = ""


class MapSpec(_Spec):
    """A validated map file (see docs/MAPS.md for the meaning of each key)."""

    name: Name
    description: Text = ""
    projection: Projection
    extent: Extent
    cell_km: _finite(MIN_CELL_KM, MAX_CELL_KM)
    terrain: Terrain
    terrain_cost: TerrainCost
    area: Annotated[Area, _none_is(Area)] = Area()
    lines: Annotated[dict[Key, Line], Field(min_length=1)]
    sectors: Annotated[dict[Key, Sector], Field(min_length=1, max_length=MAX_SECTORS)]
    places: Annotated[list[PlaceSpec], Field(min_length=1)]
    routes: Annotated[dict[Key, RouteSpec], _none_is(dict)] = {}
    railheads: Annotated[list[RailheadSpec], _none_is(list)] = []

    def frame(self) -> tuple[float, float, int, int]:
        """``(xmin, ymin, nrows, ncols)`` of the grid, computed without allocating it."""
        e = self.extent
        return grid_frame(self.projection.lat0, self.projection.lon0, e.lat_min, e.lat_max,
                          e.lon_min, e.lon_max, self.cell_km)

    def features(self) -> list[Feature]:
        t, a = self.terrain, self.area
        out = [*t.forest, *t.river, *t.urban, *a.outside_ukraine_proper, *a.outside_other]
        return out + [f for line in self.lines.values() for f in line.ua_held]


# ------------------------------------------------------------------ checks
def parse_map(path: Path | str, doc: Mapping[str, Any], start_line: str | None = None
              ) -> MapSpec:
    """Validate a map file's mapping (and, if given, that ``start_line`` is one of its lines)."""
    try:
        spec = MapSpec.model_validate(doc)
    except ValidationError as exc:
        raise MapError([problem(path, e["loc"], describe(e)) for e in exc.errors()]) from None
    problems = [problem(path, loc, msg) for loc, msg in cross_check(spec, start_line)]
    if problems:
        raise MapError(problems)
    return spec


def cross_check(spec: MapSpec, start_line: str | None = None) -> list[tuple[tuple, str]]:
    """Problems that need more than one key: ``(key path, message)`` pairs."""
    out: list[tuple[tuple, str]] = []
    e, p = spec.extent, spec.projection
    x0, y0 = project(e.lat_min, e.lon_min, p.lat0, p.lon0)
    x1, y1 = project(e.lat_max, e.lon_max, p.lat0, p.lon0)
    width, height = float(x1 - x0), float(y1 - y0)
    if max(width, height) > MAX_SPAN_KM:
        out.append((("extent",), f"the extent is {width:,.0f} km wide and {height:,.0f} km "
                    f"high; allowed: at most {MAX_SPAN_KM:,.0f} km each way"))
        return out  # the grid checks below would only repeat this
    _, _, nrows, ncols = spec.frame()
    cells = nrows * ncols
    if cells > MAX_CELLS:
        out.append((("cell_km",), f"a grid of {nrows:,} x {ncols:,} = {cells:,} cells; "
                    f"allowed: at most {MAX_CELLS:,} cells (use larger cells)"))
        return out
    points = sum(len(f.polygon or f.polyline or ()) + (f.circle is not None)
                 for f in spec.features())
    work = cells * (points + len(spec.places) + len(spec.sectors))
    if work > MAX_RASTER_WORK:
        out.append((("cell_km",), f"{cells:,} cells x {points:,} feature points, "
                    f"{len(spec.places)} places and {len(spec.sectors)} sectors is "
                    f"{work:,} point-cells to rasterise; allowed: at most "
                    f"{MAX_RASTER_WORK:,} (use larger cells or fewer points)"))
    samples = sum(route_samples(r, spec) for r in spec.routes.values())
    if samples > MAX_ROUTE_SAMPLES:
        out.append((("routes",), f"the routes sample {samples:,} points at 4 per cell; "
                    f"allowed: at most {MAX_ROUTE_SAMPLES:,} (use larger cells or shorter "
                    "routes)"))
    if start_line is not None and start_line not in spec.lines:
        out.append((("lines", start_line), "no such line; available: "
                    + ", ".join(spec.lines)))
    for name, s in spec.sectors.items():
        if not e.contains(*s.anchor):
            out.append((("sectors", name, "anchor"), f"{list(s.anchor)} is outside the extent; "
                        f"allowed: {e.text()}"))
    seen: dict[str, int] = {}
    for i, pl in enumerate(spec.places):
        if not e.contains(pl.lat, pl.lon):
            out.append((("places", i), f"place {pl.name!r} at {pl.lat}, {pl.lon} is outside "
                        f"the extent; allowed: {e.text()}"))
        slug = slugify(pl.name)
        if slug in seen:
            out.append((("places", i, "name"), f"duplicate place {pl.name!r} (same as "
                        f"places.{seen[slug]}); allowed: one entry per place"))
        seen.setdefault(slug, i)
    return out


def route_samples(route: RouteSpec, spec: MapSpec) -> int:
    """How many points the rasteriser samples along a route (see raster.route_cells)."""
    x, y = project([q[0] for q in route.polyline], [q[1] for q in route.polyline],
                   spec.projection.lat0, spec.projection.lon0)
    seg = [math.hypot(float(x[i + 1] - x[i]), float(y[i + 1] - y[i])) for i in range(len(x) - 1)]
    return sum(max(2, int(math.ceil(s / (spec.cell_km / 4))) + 1) for s in seg)


def slugify(name: str) -> str:
    """A name as a key: lower case, runs of other characters as one ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --------------------------------------------------------------- messages
_KINDS = {"float": "a number", "int": "a whole number", "bool": "true or false",
          "string": "text", "list": "a list", "dict": "a mapping", "model": "a mapping",
          "tuple": "a [lat, lon] pair"}


def describe(err: Mapping[str, Any]) -> str:
    """One pydantic error as ``<what is wrong>; <what is allowed>``."""
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    what = (f"got a {type(got).__name__}" if isinstance(got, dict | list | tuple)
            else f"got {shown(got)}")
    if kind == "extra_forbidden":
        allowed = allowed_keys(tuple(err["loc"][:-1]))
        hint = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1, cutoff=0.6)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key{did}; allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    if kind == "finite_number":
        return f"{what}; allowed: a finite number"
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}",
              "less_than": "< {lt}", "less_than_equal": "<= {le}"}
    if kind in bounds:
        return f"{what}; allowed: {bounds[kind].format(**ctx)}"
    if kind == "literal_error":
        return f"{what}; allowed: {ctx.get('expected', '')}".replace("' or '", "', '")
    if kind in ("too_short", "too_long"):
        n = ctx.get("actual_length")
        limit = (f"at least {ctx.get('min_length')}" if kind == "too_short"
                 else f"at most {ctx.get('max_length')}")
        what_items = "[lat, lon] values" if ctx.get("field_type") == "Tuple" else "entries"
        return f"got {n} {what_items}; allowed: {limit}"
    if kind == "string_too_short":
        return f"{what}; allowed: non-empty text"
    if kind == "string_too_long":
        return f"text of {len(got)} characters; allowed: at most {ctx.get('max_length')}"
    for prefix, allowed in _KINDS.items():
        if kind.startswith(prefix):
            return f"{what}; allowed: {allowed}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return f"{err['msg']} ({what})"


def allowed_keys(loc: tuple) -> list[str]:
    """The keys the schema allows at a key path (list indices and mapping keys skipped)."""
    model: Any = MapSpec
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            continue  # a free mapping key (line, sector or route name)
        model = _model_in(fields[part].annotation)
    return list(getattr(model, "model_fields", {}))


def _model_in(tp: Any) -> Any:
    """The first pydantic model inside a type (``list[Feature] | None`` -> ``Feature``)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


__all__ = [
    "DEFAULT_RADIUS_KM", "DEFAULT_WIDTH_KM", "MAX_CELLS", "MAX_CELL_KM", "MAX_COST",
    "MAX_FEATURE_KM", "MAX_RASTER_WORK", "MAX_ROUTE_SAMPLES", "MAX_SECTORS", "MAX_SPAN_KM",
    "MIN_CELL_KM", "MIN_COST", "SIDES", "TERRAIN_CLASSES", "Area", "Circle", "Extent", "Feature",
    "Line", "MapSpec", "PlaceSpec", "Projection", "RailheadSpec", "RouteSpec", "Sector",
    "Terrain", "TerrainCost", "allowed_keys", "cross_check", "describe", "parse_map",
    "route_samples", "slugify",
]
