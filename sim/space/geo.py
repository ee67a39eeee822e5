"""Degrees to km: the local equirectangular projection and the grid's size, shared by the schema
checks (which size the grid before anything is allocated) and the rasteriser."""

from __future__ import annotations

import math

import numpy as np

KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQ = 111.32


def project(lat, lon, lat0: float, lon0: float):
    """``(x_km, y_km)`` of points in degrees, relative to the origin ``(lat0, lon0)``."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    x = (lon - lon0) * KM_PER_DEG_LON_EQ * math.cos(math.radians(lat0))
    y = (lat - lat0) * KM_PER_DEG_LAT
    return x, y


def grid_frame(lat0: float, lon0: float, lat_min: float, lat_max: float, lon_min: float,
               lon_max: float, cell_km: float) -> tuple[float, float, int, int]:
    """``(xmin, ymin, nrows, ncols)`` of the grid covering the extent (no array is allocated)."""
    x0, y0 = project(lat_min, lon_min, lat0, lon0)
    x1, y1 = project(lat_max, lon_max, lat0, lon0)
    xmin, ymin = float(x0), float(y0)
    ncols = max(1, int(math.ceil((float(x1) - xmin) / cell_km)))
    nrows = max(1, int(math.ceil((float(y1) - ymin) / cell_km)))
    return xmin, ymin, nrows, ncols


__all__ = ["KM_PER_DEG_LAT", "KM_PER_DEG_LON_EQ", "grid_frame", "project"]
