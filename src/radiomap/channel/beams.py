"""Beams of image sources in the floor plan (2-D beam tracing), built once per AP.

Walls are vertical, so a specular path's horizontal projection is the 2-D path of its wall
reflections alone (a floor or ceiling bounce mirrors only ``z``). A wall sequence
``(w_1, ..., w_m)`` seen from an AP at ``o`` has the 2-D image ``I_m`` (``o`` mirrored across the
lines of ``w_1 .. w_m``) and a *window*: the part of ``w_m`` that the parent beam
``(w_1 .. w_{m-1})`` illuminates. Its *beam* is the region behind the window as seen from
``I_m``: the wedge from ``I_m`` through the window's ends, on the far side of ``w_m``'s line.
A user position can only have a valid path through the sequence if it lies in the beam, so the
tracer tests a position against a sequence only when this 2-D test passes.

Every test here is *conservative*: regions are widened by ``EPS_M`` metres plus ``EPS_REL`` of
the distance, many orders of magnitude above floating-point error, so pruning never drops a
path that the exact 3-D test would accept; that test then decides (``radiomap.channel.tracer``).
A beam whose image lies on its wall's line (an AP on the extension of a wall) has no wedge; it
is kept as a *full* beam that every position is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS_M = 1e-6
"""Absolute widening of every beam test (m)."""
EPS_REL = 1e-9
"""Relative widening of the wedge tests (fraction of the distance to the image)."""
_PAIRS_PER_BLOCK = 1 << 21  # (beam, wall) pairs clipped at once


@dataclass(frozen=True)
class Beams:
    """The beams of one reflection order ``m`` for one AP (``Q`` beams).

    Attributes
    ----------
    seq : ndarray, int64 [Q, m]
        Wall indices, AP side first.
    image : ndarray, float64 [Q, 2]
        2-D image of the AP across the sequence (m).
    win_a, win_b : ndarray, float64 [Q, 2]
        Window ends on the last wall (m), ordered so that ``cross(win_a - image, win_b - image) >= 0``.
    full : ndarray, bool [Q]
        Degenerate beam (image on the wall's line): no region test.
    line_p, line_n : ndarray, float64 [Q, 2]
        A point of the last wall's line (m) and its unit normal.
    side : ndarray, float64 [Q]
        +-1: sign of ``(x - line_p) . line_n`` on the user's side of the wall.
    dir_a, dir_b : ndarray, float64 [Q, 2]
        Unit vectors from the image toward ``win_a``, ``win_b``.
    """

    seq: np.ndarray
    image: np.ndarray
    win_a: np.ndarray
    win_b: np.ndarray
    full: np.ndarray
    line_p: np.ndarray
    line_n: np.ndarray
    side: np.ndarray
    dir_a: np.ndarray
    dir_b: np.ndarray

    @property
    def n(self) -> int:
        """int: number of beams Q."""
        return len(self.seq)

    def contains(self, xy: np.ndarray, idx: np.ndarray, pad: float | np.ndarray = 0.0) -> np.ndarray:
        """Conservative membership of points in beams.

        Parameters
        ----------
        xy : ndarray, float64 [..., 2]
            Points (m), broadcast with ``idx``.
        idx : ndarray, int [...]
            Beam indices.
        pad : float or ndarray, float [...]
            Radius (m) of disks around ``xy`` to test instead of the points.

        Returns
        -------
        ndarray, bool [...]
            False means that no point (of the disk) can have a valid path through the beam.
        """
        im, da, db = self.image[idx], self.dir_a[idx], self.dir_b[idx]
        rel = xy - im
        tol = EPS_M + EPS_REL * (np.abs(rel).sum(-1) + 2 * pad) + pad
        in_a = da[..., 0] * rel[..., 1] - da[..., 1] * rel[..., 0] >= -tol
        in_b = rel[..., 0] * db[..., 1] - rel[..., 1] * db[..., 0] >= -tol
        behind = _sd(xy, self.line_p[idx], self.line_n[idx]) * self.side[idx] >= -(EPS_M + pad)
        return (in_a & in_b & behind) | self.full[idx]


def halfplanes(beams: Beams) -> np.ndarray:
    """The three half-planes of every beam as linear forms, for tests by matrix product.

    Row ``3 c + j`` holds constraint ``c``'s coefficient of ``x``, ``y`` and 1 (``j`` = 0, 1, 2),
    so that ``f_c(x, y) = h[3c] x + h[3c+1] y + h[3c+2] >= 0`` (c = 0: the wedge side through
    ``win_a``, 1: through ``win_b``, 2: behind the wall's line) holds, in exact arithmetic, where
    the expressions of ``Beams.contains`` with zero tolerance do. Rounding the linear forms
    differently moves them by at most ``1e-15`` of the coordinates' magnitude, far below
    ``EPS_M`` (see ``linear_contains`` for the tolerances).

    Parameters
    ----------
    beams : Beams
        Q beams of one source.

    Returns
    -------
    ndarray, float64 [9, Q]
        The linear forms, three rows per constraint.
    """
    im, da, db = beams.image, beams.dir_a, beams.dir_b
    sn = beams.line_n * beams.side[:, None]
    return np.stack([
        -da[:, 1], da[:, 0], da[:, 1] * im[:, 0] - da[:, 0] * im[:, 1],  # cross(da, xy - im)
        db[:, 1], -db[:, 0], db[:, 0] * im[:, 1] - db[:, 1] * im[:, 0],  # cross(xy - im, db)
        sn[:, 0], sn[:, 1], -(sn * beams.line_p).sum(-1),  # side * (xy - p) . n
    ])


def reach_l1(beams: Beams, xy: np.ndarray) -> float:
    """An upper bound (m) of ``|xy - image|_1`` and of the forms' magnitudes over points and beams.

    Parameters
    ----------
    beams : Beams
        Q beams of one source.
    xy : ndarray, float64 [..., 2]
        Points in the floor plan (m).

    Returns
    -------
    float
        ``max |xy|_1 + max(|image|_1, |line_p|_1)`` (m).
    """
    far = max(np.abs(beams.image).sum(-1).max(), np.abs(beams.line_p).sum(-1).max()) if beams.n else 0.0
    return float(np.abs(xy).reshape(-1, 2).sum(-1).max(initial=0.0) + far)


def linear_contains(forms: np.ndarray, full: np.ndarray, reach: float, pad: np.ndarray | float = 0.0,
                    values: np.ndarray | None = None, xy: np.ndarray | None = None) -> np.ndarray:
    """``Beams.contains`` from the linear forms of ``halfplanes``, at least as permissive.

    Parameters
    ----------
    forms : ndarray, float64 [9, ...]
        ``halfplanes`` columns, broadcast with ``xy``'s leading axes (or unused if ``values``).
    full : ndarray, bool [...]
        ``Beams.full`` of those beams.
    reach : float
        ``reach_l1`` of the points and beams (m): bounds ``|xy - image|_1``.
    pad : float or ndarray, float [...]
        Disk radii (m), as in ``Beams.contains``.
    values : ndarray, float64 [3, ...] or None
        The three forms already evaluated (e.g. by a matrix product); else from ``xy``.
    xy : ndarray, float64 [..., 2] or None
        Points (m), when ``values`` is None.

    Returns
    -------
    ndarray, bool [...]
        True wherever ``Beams.contains`` is True: the wedge tolerance uses ``reach`` in place of
        each point's distance (larger), plus ``1e-12 (reach + 1)`` m for the rounding of the forms.
    """
    if values is None:
        values = [forms[3 * c] * xy[..., 0] + forms[3 * c + 1] * xy[..., 1] + forms[3 * c + 2] for c in range(3)]
    slack = 1e-12 * (reach + 1.0)
    tol = EPS_M + EPS_REL * (reach + 2 * pad) + pad + slack
    behind = values[2] >= -(EPS_M + pad + slack)
    return ((values[0] >= -tol) & (values[1] >= -tol) & behind) | full


def build_beams(o: np.ndarray, wall_a: np.ndarray, wall_b: np.ndarray, max_order: int) -> list[Beams]:
    """Beams of reflection orders ``1..max_order`` for one AP.

    Parameters
    ----------
    o : ndarray, float64 [2]
        AP position in the floor plan (m).
    wall_a, wall_b : ndarray, float64 [W, 2]
        Wall end points (m).
    max_order : int
        Highest reflection order.

    Returns
    -------
    list of Beams
        ``max_order`` entries; order ``m`` holds every wall sequence without a wall twice in a
        row whose window is not empty (cost ``O(W * Q_{m-1})`` per order).
    """
    n_w = len(wall_a)
    e = wall_b - wall_a
    wall_n = _unit2(np.column_stack([e[:, 1], -e[:, 0]]))
    out: list[Beams] = []
    if not n_w or max_order < 1:
        return out
    # order 1: the AP's images, windows = whole walls
    parent_img = np.broadcast_to(np.asarray(o, dtype=np.float64)[:2], (n_w, 2))
    seq = np.arange(n_w)[:, None]
    beams = _make(seq, parent_img, wall_a, wall_b, wall_a, wall_n)
    out.append(beams)
    for _ in range(2, max_order + 1):
        beams = _children(beams, wall_a, e, wall_n)
        out.append(beams)
    return out


def _make(seq, parent_img, win_a, win_b, wall_a, wall_n) -> Beams:
    """Beams for sequences ``seq [Q, m]`` whose parent image is ``parent_img [Q, 2]``."""
    last = seq[:, -1]
    lp, ln = wall_a[last], wall_n[last]
    sd_parent = _sd(parent_img, lp, ln)
    image = parent_img - 2.0 * sd_parent[:, None] * ln
    full = np.abs(sd_parent) < EPS_M
    side = np.where(sd_parent >= 0, 1.0, -1.0)  # the user is on the parent image's side of the line
    swap = _cross(win_a - image, win_b - image) < 0
    wa = np.where(swap[:, None], win_b, win_a)
    wb = np.where(swap[:, None], win_a, win_b)
    return Beams(seq=seq, image=image, win_a=wa, win_b=wb, full=full, line_p=lp, line_n=ln, side=side,
                 dir_a=_unit2(wa - image), dir_b=_unit2(wb - image))


def _children(parent: Beams, wall_a: np.ndarray, e: np.ndarray, wall_n: np.ndarray) -> Beams:
    """Beams one order higher: every wall clipped by every parent beam (non-empty windows only)."""
    n_w = len(wall_a)
    block = max(1, _PAIRS_PER_BLOCK // n_w)
    parts = []
    for i in range(0, parent.n, block):
        q = np.arange(i, min(i + block, parent.n))
        pq, w = np.repeat(q, n_w), np.tile(np.arange(n_w), len(q))
        keep = w != parent.seq[pq, -1]
        pq, w = pq[keep], w[keep]
        s0, s1 = _clip(parent, pq, wall_a[w], e[w])
        ok = s0 <= s1
        pq, w, s0, s1 = pq[ok], w[ok], s0[ok], s1[ok]
        parts.append((pq, w, wall_a[w] + s0[:, None] * e[w], wall_a[w] + s1[:, None] * e[w]))
    pq, w, wa, wb = (np.concatenate(x) for x in zip(*parts, strict=True)) if parts else \
        (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2)))
    seq = np.column_stack([parent.seq[pq], w]).astype(np.int64)
    return _make(seq, parent.image[pq], wa, wb, wall_a, wall_n)


def _clip(parent: Beams, pq: np.ndarray, a: np.ndarray, e: np.ndarray):
    """Parameter interval ``[s0, s1]`` of segments ``a + s e`` (s in [0, 1]) inside the (widened) beams ``pq``."""
    im = parent.image[pq]
    b = a + e
    reach = np.maximum(np.abs(a - im).sum(-1), np.abs(b - im).sum(-1))
    tol = EPS_M + EPS_REL * reach
    s0, s1 = np.zeros(len(pq)), np.ones(len(pq))
    da, db = parent.dir_a[pq], parent.dir_b[pq]
    side = parent.side[pq]
    lp, ln = parent.line_p[pq], parent.line_n[pq]
    # affine constraints f(s) = f(0) + s (f(1) - f(0)) >= -tol
    constraints = [
        (_cross(da, a - im), _cross(da, b - im), tol),
        (_cross(a - im, db), _cross(b - im, db), tol),
        (side * _sd(a, lp, ln), side * _sd(b, lp, ln), np.full(len(pq), EPS_M)),
    ]
    for f0, f1, t in constraints:
        df = f1 - f0
        with np.errstate(divide="ignore", invalid="ignore"):
            root = (-t - f0) / df  # where f(s) = -tol
        rising, falling = df > 0, df < 0
        s0 = np.where(rising, np.maximum(s0, root), s0)
        s1 = np.where(falling, np.minimum(s1, root), s1)
        flat_out = (df == 0) & (f0 < -t)
        s1 = np.where(flat_out, -1.0, s1)
    full = parent.full[pq]
    return np.where(full, 0.0, s0), np.where(full, 1.0, s1)


def _sd(x: np.ndarray, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Signed distance ``(x - p) . n`` over a last axis of size 2."""
    return (x[..., 0] - p[..., 0]) * n[..., 0] + (x[..., 1] - p[..., 1]) * n[..., 1]


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _unit2(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.sqrt(v[..., 0] ** 2 + v[..., 1] ** 2), 1e-300)[..., None]
