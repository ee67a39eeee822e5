"""Front maps: YAML map files rasterised once into numpy arrays (see ``frontmap``)."""

from sim.space.frontmap import (
    SIDES,
    TERRAIN_CLASSES,
    FrontMap,
    MapError,
    Place,
    Route,
    load_map,
    slugify,
)

__all__ = ["SIDES", "TERRAIN_CLASSES", "FrontMap", "MapError", "Place", "Route", "load_map",
           "slugify"]
