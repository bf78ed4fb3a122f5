"""Uniform grid over wall segments: candidate walls for the crossings of arbitrary segments.

Penetration losses add the loss of *every* wall a leg crosses, so the grid must list all
crossings, not just one. Each wall is registered in every cell that its bounding box, widened
by half a cell, touches; a segment is sampled at a spacing of at most one cell. A crossing
point lies on the wall and some sample lies within half a cell of it, so that sample's cell
lists the wall: the candidates are a superset of the crossings. ``indexed_crossings`` then tests
them with exactly the arithmetic of ``radiomap.scene.geometry.segment_wall_crossings``
(``pair_crossings``, the same test on gathered rows, is its reference in the tests).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9  # segment_wall_crossings' tolerance
_MARGIN_M = 1e-6  # extra widening of the wall boxes (m)
_MAX_CELLS = 1 << 22


class WallGrid:
    """Walls in a uniform grid: each is listed in every cell its box, widened by half a cell, touches.

    Parameters
    ----------
    a, b : array_like, float [W, 2]
        Wall end points (m).
    cell : float or None
        Grid pitch (m); None: about two cells per wall (at least 5 cm, at most 2^22 cells).

    Attributes
    ----------
    h : float
        Grid pitch (m).
    origin : ndarray, float64 [2]
        Lower-left corner of cell (0, 0) (m).
    shape : tuple[int, int]
        Cells along x and y.
    cell_walls : ndarray, int64 [E]
        Wall indices, cell by cell.
    cell_start : ndarray, int64 [n_x n_y + 1]
        First entry of each cell (index ``i_x * n_y + i_y``) in ``cell_walls``.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, cell: float | None = None):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        n = len(a)
        lo, hi = np.minimum(a, b).min(0), np.maximum(a, b).max(0)
        area = float(np.prod(np.maximum(hi - lo, 1e-3)))
        h = cell if cell is not None else max(np.sqrt(area / (2.0 * n)), 0.05)
        h = max(h, np.sqrt(area / _MAX_CELLS))
        pad = h / 2 + _MARGIN_M
        self.h, self.origin = h, lo - pad
        self.shape = tuple(int(v) for v in np.floor((hi + pad - self.origin) / h) + 1)
        i0, i1 = self._index(np.minimum(a, b) - pad), self._index(np.maximum(a, b) + pad)  # inclusive ranges
        nx, ny = i1[:, 0] - i0[:, 0] + 1, i1[:, 1] - i0[:, 1] + 1
        wall = np.repeat(np.arange(n), nx * ny)
        k = np.arange(len(wall)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
        cells = (i0[wall, 0] + k // ny[wall]) * self.shape[1] + i0[wall, 1] + k % ny[wall]
        order = np.argsort(cells, kind="stable")
        self.cell_walls = wall[order]
        self.cell_start = np.searchsorted(cells[order], np.arange(self.shape[0] * self.shape[1] + 1))

    def _index(self, xy: np.ndarray) -> np.ndarray:
        """Cell indices ``[..., 2]`` of points ``xy [..., 2]``, clipped to the grid."""
        i = np.floor((xy - self.origin) / self.h).astype(np.int64)
        return np.clip(i, 0, np.array(self.shape) - 1)

    def candidates(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate (segment, wall) pairs: a superset of the walls each segment crosses.

        Parameters
        ----------
        p, q : ndarray, float64 [M, 2|3]
            Segment end points (m); z ignored.

        Returns
        -------
        segment : ndarray, int64 [P]
            Index into the M segments.
        wall : ndarray, int64 [P]
            Wall index (a wall may repeat for one segment).
        """
        length = np.hypot(q[:, 0] - p[:, 0], q[:, 1] - p[:, 1])
        ns = np.floor(length / self.h).astype(np.int64) + 2  # sample spacing <= h
        seg = np.repeat(np.arange(len(p)), ns)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(ns) - ns, ns)
        t = k / (ns - 1)[seg]
        ij = self._index(p[seg, :2] + t[:, None] * (q[seg, :2] - p[seg, :2]))
        cell = ij[:, 0] * self.shape[1] + ij[:, 1]
        new = np.ones(len(seg), bool)  # the samples of a segment visit each cell in one run: keep the first
        new[1:] = (seg[1:] != seg[:-1]) | (cell[1:] != cell[:-1])
        seg, cell = seg[new], cell[new]
        cnt = self.cell_start[cell + 1] - self.cell_start[cell]
        off = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        return np.repeat(seg, cnt), self.cell_walls[np.repeat(self.cell_start[cell], cnt) + off]


def pack_walls(a: np.ndarray, b: np.ndarray, z: np.ndarray, penetration_db: np.ndarray) -> np.ndarray:
    """Walls as rows for ``pair_crossings``.

    Parameters
    ----------
    a, b : ndarray, float [W, 2]
        Wall end points (m).
    z : ndarray, float [W, 2]
        (z_min, z_max) (m).
    penetration_db : ndarray, float [W]
        One-way penetration loss (dB).

    Returns
    -------
    ndarray, float64 [W, 7]
        start x, y; direction ``b - a`` x, y; z_min, z_max (m); penetration (dB).
    """
    return np.column_stack([a, b - a, z, penetration_db])


def pair_crossings(p: np.ndarray, q: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """``segment_wall_crossings`` for matched pairs: segment ``p[m] -> q[m]`` against wall row ``m`` only.

    The same arithmetic as the ``[..., W]`` version, so the result is bit-identical.

    Parameters
    ----------
    p, q : ndarray, float64 [M, 3]
        Segment end points (m).
    walls : ndarray, float64 [M, >=6]
        Rows of ``pack_walls`` (one wall per segment).

    Returns
    -------
    ndarray, bool [M]
        Segment ``m`` crosses wall row ``m`` strictly inside and within its height range.
    """
    dx, dy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    ex, ey = walls[:, 2], walls[:, 3]
    wx, wy = walls[:, 0] - p[:, 0], walls[:, 1] - p[:, 1]
    denom = dx * ey - dy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (wx * ey - wy * ex) / denom
        s = (wx * dy - wy * dx) / denom
    hit = (np.abs(denom) > _EPS) & (t > _EPS) & (t < 1 - _EPS) & (s > -_EPS) & (s < 1 + _EPS)
    z = p[:, 2] + np.where(hit, t, 0.0) * (q[:, 2] - p[:, 2])
    return hit & (z >= walls[:, 4]) & (z <= walls[:, 5])


def indexed_crossings(p: np.ndarray, q: np.ndarray, walls: np.ndarray, leg: np.ndarray,
                      wall: np.ndarray) -> np.ndarray:
    """``pair_crossings(p[leg], q[leg], walls[wall])`` without gathering whole rows: the pairs that cross.

    The same arithmetic, so the result is bit-identical; per-segment and per-wall columns are
    gathered one at a time and the height test runs only on the pairs that cross in the plan.

    Parameters
    ----------
    p, q : ndarray, float64 [M, 3]
        Segment end points (m).
    walls : ndarray, float64 [W, >=6]
        Rows of ``pack_walls``.
    leg : ndarray, int [P]
        Segment of each pair.
    wall : ndarray, int [P]
        Wall of each pair.

    Returns
    -------
    ndarray, int64 [H]
        Indices into the P pairs of those whose segment crosses the wall (increasing).
    """
    d = q - p  # per segment: the same values pair_crossings computes per pair
    dx, dy = d[:, 0][leg], d[:, 1][leg]
    ex, ey = walls[:, 2][wall], walls[:, 3][wall]
    wx = walls[:, 0][wall] - p[:, 0][leg]
    wy = walls[:, 1][wall] - p[:, 1][leg]
    denom = dx * ey - dy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (wx * ey - wy * ex) / denom
        s = (wx * dy - wy * dx) / denom
    hit = np.flatnonzero((np.abs(denom) > _EPS) & (t > _EPS) & (t < 1 - _EPS) & (s > -_EPS) & (s < 1 + _EPS))
    lh, wh = leg[hit], wall[hit]
    z = p[:, 2][lh] + t[hit] * d[:, 2][lh]
    return hit[(z >= walls[:, 4][wh]) & (z <= walls[:, 5][wh])]
