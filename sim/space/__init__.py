"""Front maps: YAML map files validated and rasterised once into numpy arrays.

``load_map(path, start_line)`` gives a :class:`FrontMap`; any problem with the file raises
:class:`MapError` (a ``ValueError`` whose ``problems`` are one line each). Steps: ``reading``
(the file at the door), ``schema`` (pydantic schema, limits, cross-checks), ``raster``
(projection, grid, masks), ``depth`` (signed depth field), ``tables`` (lookups), ``frontmap``
(the per-day API of one map), ``theatre`` (all fronts' lines queried at once, once a day).
Other sub-packages use only the names below.
"""

from sim.space.errors import MapError
from sim.space.frontmap import FrontMap, load_map
from sim.space.reading import MAX_FILE_BYTES, UniqueKeyLoader, load_yaml, yaml_size_problem
from sim.space.schema import SIDES, TERRAIN_CLASSES, slugify
from sim.space.tables import Place, Route
from sim.space.theatre import LineState, Theatre

__all__ = ["MAX_FILE_BYTES", "SIDES", "TERRAIN_CLASSES", "FrontMap", "LineState", "MapError",
           "Place", "Route", "Theatre", "UniqueKeyLoader", "load_map", "load_yaml", "slugify",
           "yaml_size_problem"]
