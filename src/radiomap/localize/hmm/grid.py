"""The state space of the HMM: walkable grid cells, reachable offsets and neighbour tables.

A ``CellGraph`` indexes the ``G`` walkable cells of a square lattice of pitch ``delta`` and the
``R`` lattice offsets a user can move by in one slot (``|offset| <= max_step``). The tables
``nxt[g, r]`` (cell ``g + d_r``) and ``prv[g, r]`` (cell ``g - d_r``) hold ``-1`` where the target
is not walkable; the second-order Viterbi only needs these two tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.errors import ParameterError
from radiomap.memory import check_allocation


@dataclass(frozen=True, eq=False)
class CellGraph:
    """Walkable cells and sparse reachability.

    Attributes
    ----------
    xy : float64 [G, 2]
        Cell centres (m).
    ij : int64 [G, 2]
        Integer lattice coordinates of the cells.
    delta : float
        Lattice pitch (m).
    offsets : int64 [R, 2]
        Reachable lattice offsets, ``offsets[0] = (0, 0)``.
    nxt, prv : int64 [G, R]
        Index of ``g + offsets[r]`` / ``g - offsets[r]``, ``-1`` where not walkable.
    pairs : int64 [E, 2]
        4-neighbour cell pairs (each unordered pair once), for the Potts term.
    """

    xy: np.ndarray
    ij: np.ndarray
    delta: float
    offsets: np.ndarray
    nxt: np.ndarray
    prv: np.ndarray
    pairs: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.xy)

    @property
    def n_offsets(self) -> int:
        return len(self.offsets)

    def lookup(self, ij: np.ndarray) -> np.ndarray:
        """Cell index ``[...]`` of lattice coordinates ``ij [..., 2]``; ``-1`` where not a cell."""
        return _lookup(self._table, self._origin, np.asarray(ij, dtype=np.int64))

    def offset_index(self, d_ij: np.ndarray) -> np.ndarray:
        """Index ``[...]`` into ``offsets`` of lattice moves ``d_ij [..., 2]``; ``-1`` if not reachable."""
        d = np.asarray(d_ij, dtype=np.int64)
        m = int(np.abs(self.offsets).max())
        table = -np.ones((2 * m + 1, 2 * m + 1), dtype=np.int64)
        table[self.offsets[:, 0] + m, self.offsets[:, 1] + m] = np.arange(self.n_offsets)
        ok = (np.abs(d) <= m).all(-1)
        out = np.full(d.shape[:-1], -1, dtype=np.int64)
        out[ok] = table[d[ok][:, 0] + m, d[ok][:, 1] + m]
        return out

    def moves(self, cells: np.ndarray) -> np.ndarray:
        """Offset indices ``[T-1]`` of the moves of a cell sequence ``cells [T]``; ``-1`` if not reachable."""
        cells = np.asarray(cells, dtype=np.int64)
        return self.offset_index(self.ij[cells[1:]] - self.ij[cells[:-1]])

    def nearest(self, xy: np.ndarray) -> np.ndarray:
        """Index ``[N]`` of the cell nearest to each point ``xy [N, 2]`` (m)."""
        from scipy.spatial import cKDTree

        return cKDTree(self.xy).query(np.asarray(xy, dtype=np.float64)[:, :2])[1].astype(np.int64)

    @property
    def _origin(self) -> np.ndarray:
        return self.ij.min(axis=0)

    @property
    def _table(self) -> np.ndarray:
        cached = self.__dict__.get("_table_cache")
        if cached is None:
            rel = self.ij - self._origin
            cached = -np.ones(rel.max(axis=0) + 1, dtype=np.int64)
            cached[rel[:, 0], rel[:, 1]] = np.arange(len(rel))
            object.__setattr__(self, "_table_cache", cached)
        return cached


def reachable_offsets(max_step_cells: float) -> np.ndarray:
    """Lattice offsets ``[R, 2]`` with Euclidean length ``<= max_step_cells``, (0, 0) first.

    Ordered by length then angle, so the table is deterministic.
    """
    if max_step_cells < 0:
        raise ParameterError(f"max_step_cells must be >= 0, got {max_step_cells}")
    m = int(np.floor(max_step_cells))
    a = np.arange(-m, m + 1)
    di, dj = np.meshgrid(a, a, indexing="ij")
    off = np.stack([di.ravel(), dj.ravel()], axis=-1)
    length = np.hypot(off[:, 0], off[:, 1])
    off = off[length <= max_step_cells + 1e-9]
    length = np.hypot(off[:, 0], off[:, 1])
    order = np.lexsort((np.arctan2(off[:, 1], off[:, 0]), length))
    return off[order].astype(np.int64)


def build_cell_graph(xy: np.ndarray, delta: float, max_step_cells: float) -> CellGraph:
    """Index the cells ``xy [G, 2]`` (centres of a lattice of pitch ``delta``, m).

    Input
    -----
    xy : float [G, 2] cell centres (m), e.g. ``scene.grid(delta)[:, :2]``
    delta : lattice pitch (m)
    max_step_cells : largest move per slot, in cells (``v_max * dt / delta``)

    Output
    ------
    CellGraph
    """
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    if len(xy) == 0:
        raise ParameterError("the grid has no walkable cells")
    if delta <= 0:
        raise ParameterError(f"grid pitch must be > 0 m, got {delta}")
    span = np.ceil((xy.max(axis=0) - xy.min(axis=0)) / delta) + 1
    offsets = reachable_offsets(max_step_cells)
    check_allocation(8 * (float(np.prod(span)) + 2 * len(xy) * len(offsets)),
                     f"the HMM cell graph of {len(xy)} cells ({int(span[0])} x {int(span[1])} lattice, "
                     f"{len(offsets)} moves per slot)", "raise resolution= or lower max_speed=")
    ij = np.round((xy - xy.min(axis=0)) / delta).astype(np.int64)
    if len(np.unique(ij, axis=0)) != len(ij):
        raise ParameterError(f"cells are not on a lattice of pitch {delta} m (duplicate lattice points)")
    origin = ij.min(axis=0)
    rel = ij - origin
    table = -np.ones(rel.max(axis=0) + 1, dtype=np.int64)
    table[rel[:, 0], rel[:, 1]] = np.arange(len(ij))
    nxt = _lookup(table, origin, ij[:, None, :] + offsets[None])
    prv = _lookup(table, origin, ij[:, None, :] - offsets[None])
    right = _lookup(table, origin, ij + np.array([1, 0]))
    up = _lookup(table, origin, ij + np.array([0, 1]))
    g = np.arange(len(ij))
    pairs = np.concatenate([np.stack([g[right >= 0], right[right >= 0]], -1),
                            np.stack([g[up >= 0], up[up >= 0]], -1)])
    graph = CellGraph(xy=xy, ij=ij, delta=float(delta), offsets=offsets, nxt=nxt, prv=prv, pairs=pairs)
    object.__setattr__(graph, "_table_cache", table)
    return graph


def _lookup(table: np.ndarray, origin: np.ndarray, ij: np.ndarray) -> np.ndarray:
    rel = ij - origin
    ok = (rel >= 0).all(-1) & (rel[..., 0] < table.shape[0]) & (rel[..., 1] < table.shape[1])
    out = np.full(ij.shape[:-1], -1, dtype=np.int64)
    out[ok] = table[rel[ok][:, 0], rel[ok][:, 1]]
    return out


def reachable_cells(scene, resolution: float, height: float, points: np.ndarray, margin: float) -> np.ndarray:
    """Walkable cells of the scene's lattice within ``margin`` m of ``points``: the area a fit can reach.

    Only the box around the points (plus the margin, clipped to the scene box) is enumerated, so a
    measured scene whose walkable box is far too large (or wrong) costs what the data cover, not what
    the box claims. Cells are those of ``scene.grid(resolution)`` (same lattice), restricted.

    Parameters
    ----------
    scene : Scene (``bounds``, ``contains``)
    resolution : lattice pitch (m); height : user height (m) of the returned cells
    points : float [N, 2] (m), e.g. position-free heuristic tracks of the training walks
    margin : float (m), distance to the nearest point a cell may have

    Returns
    -------
    float64 [G, 3] : cell centres (m).
    """
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=np.float64)[:, :2]
    if len(pts) == 0 or not np.isfinite(pts).all():
        raise ParameterError("reachable_cells needs finite points")
    x0, x1, y0, y1 = scene.bounds
    lo = np.maximum(pts.min(0) - margin, (x0, y0))
    hi = np.minimum(pts.max(0) + margin, (x1, y1))
    i = np.arange(np.floor((lo[0] - x0) / resolution), np.ceil((hi[0] - x0) / resolution) + 1)
    j = np.arange(np.floor((lo[1] - y0) / resolution), np.ceil((hi[1] - y0) / resolution) + 1)
    check_allocation(48 * len(i) * len(j), f"a {resolution} m grid over the {hi[0] - lo[0]:.4g} m x "
                     f"{hi[1] - lo[1]:.4g} m box the walks reach", "raise resolution= or lower grid_margin=")
    xs, ys = x0 + resolution / 2 + i * resolution, y0 + resolution / 2 + j * resolution
    xs, ys = xs[(xs > x0) & (xs < x1)], ys[(ys > y0) & (ys < y1)]
    xx, yy = np.meshgrid(xs, ys, indexing="ij")
    xy = np.stack([xx.ravel(), yy.ravel()], axis=-1)
    xy = xy[scene.contains(xy)]
    xy = xy[cKDTree(pts).query(xy, distance_upper_bound=margin + 1e-9)[0] <= margin + 1e-9]
    if len(xy) == 0:
        raise ParameterError(f"no walkable cell within {margin} m of the walks")
    return np.column_stack([xy, np.full(len(xy), float(height))])
