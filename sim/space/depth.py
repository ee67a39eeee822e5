"""The signed depth field: terrain-weighted distance from the start line (8-neighbour Dijkstra),
positive on the Ukrainian-held side, plus the start line's length per sector.

An edge joins 8-neighbours and costs ``cell_km * (cost_a + cost_b) / 2`` (times sqrt 2 on
diagonals); edges with both ends outside the counted area are dropped. A Ukrainian-held cell's
depth is its distance to the nearest Russian-held cell minus half a step ``h``, a Russian-held
cell's is minus (distance to the nearest Ukrainian-held cell minus ``h``), so a line value of 0
reproduces the start control exactly. Ukraine-proper cells get ``+inf``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


def grid_graph(cost: np.ndarray, cell_km: float, allowed: np.ndarray) -> sparse.csr_matrix:
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


def depth_field(terrain: np.ndarray, tcost: np.ndarray, cell_km: float, in_area: np.ndarray,
                ua: np.ndarray, always_ua: np.ndarray) -> np.ndarray:
    """Signed depth (km, terrain-weighted) of every cell from the start line ``ua``."""
    shape = terrain.shape
    graph = grid_graph(tcost[terrain], cell_km, in_area)
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
    if not np.all(np.isfinite(depth[in_area])):
        # an in-area cell that no line can reach: with no Russian (or no Ukrainian) cell at all
        # the distances are infinite; clip to a large finite value so lookups stay ordered
        big = float(cell_km * tcost.max() * 4 * (shape[0] + shape[1]))
        depth = np.where(in_area, np.clip(depth, -big, big), depth)
    return depth


def boundary_edges(ua: np.ndarray, sector: np.ndarray, ok: np.ndarray, n_sec: int) -> np.ndarray:
    """Per-sector number of 4-neighbour UA/RU cell pairs with both ends in ``ok``."""
    out = np.zeros(n_sec)
    for a, b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                 ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        diff = (ua[a] != ua[b]) & ok[a] & ok[b]
        # attribute the edge to the sector of its Russian-held end
        sec = np.where(ua[a], sector[b], sector[a])[diff]
        out += np.bincount(sec, minlength=n_sec)[:n_sec]
    return out


def line_lengths(ua: np.ndarray, sector: np.ndarray, in_area: np.ndarray, always_ua: np.ndarray,
                 cell_km: float, n_sec: int) -> tuple[np.ndarray, np.ndarray]:
    """``(frontage_km, border_km)`` per sector: the start line inside the counted area, and the
    state border facing Russian-held ground (Ukraine proper)."""
    # 4-neighbour edge counts overstate a line's length by 4/pi on average (Cauchy-Crofton)
    to_km = cell_km * math.pi / 4
    sec64 = sector.astype(np.int64)
    frontage = boundary_edges(ua, sec64, in_area, n_sec) * to_km
    border = (boundary_edges(ua, sec64, in_area | always_ua, n_sec) * to_km) - frontage
    return frontage, border


def line_cells(ua: np.ndarray, in_area: np.ndarray) -> np.ndarray:
    """Cells (in area) with a 4-neighbour on the other side of the line."""
    edge = np.zeros(ua.shape, dtype=bool)
    dv = ua[1:, :] != ua[:-1, :]
    dh = ua[:, 1:] != ua[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    return edge & in_area


__all__ = ["boundary_edges", "depth_field", "grid_graph", "line_cells", "line_lengths"]
