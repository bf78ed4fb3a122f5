"""Vectorised 2-D/3-D geometry: segment-wall crossings and point-in-polygon tests."""

from __future__ import annotations

import numpy as np

_EPS = 1e-9


def segment_wall_crossings(
    p: np.ndarray, q: np.ndarray, wall_a: np.ndarray, wall_b: np.ndarray, wall_z: np.ndarray | None = None
) -> np.ndarray:
    """Which walls each segment ``p -> q`` crosses.

    Parameters
    ----------
    p, q : array_like, float [..., 2|3]
        Segment end points (m).
    wall_a, wall_b : ndarray, float [W, 2]
        Wall end points (m).
    wall_z : ndarray, float [W, 2] or None
        (z_min, z_max) per wall (m); None ignores heights (2-D test, also for 2-D ``p``).

    Returns
    -------
    ndarray, bool [..., W]
        The open segment ``p -> q`` intersects the wall segment strictly inside ``p -> q``
        (touching at an end point does not count) and, in 3-D, at a height within the wall's range.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    dx, dy = (q[..., 0] - p[..., 0])[..., None], (q[..., 1] - p[..., 1])[..., None]  # [..., 1]
    ex, ey = wall_b[:, 0] - wall_a[:, 0], wall_b[:, 1] - wall_a[:, 1]  # [W]
    wx, wy = wall_a[:, 0] - p[..., 0, None], wall_a[:, 1] - p[..., 1, None]  # [..., W]
    denom = dx * ey - dy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (wx * ey - wy * ex) / denom  # along p->q
        s = (wx * dy - wy * dx) / denom  # along wall
    hit = (np.abs(denom) > _EPS) & (t > _EPS) & (t < 1 - _EPS) & (s > -_EPS) & (s < 1 + _EPS)
    if wall_z is not None and p.shape[-1] == 3:
        z = p[..., 2, None] + np.where(hit, t, 0.0) * (q[..., 2] - p[..., 2])[..., None]
        hit &= (z >= wall_z[:, 0]) & (z <= wall_z[:, 1])
    return hit


def slab_crossings(p: np.ndarray, q: np.ndarray, slab_z: np.ndarray) -> np.ndarray:
    """Which horizontal planes the segments ``p -> q`` strictly cross.

    Parameters
    ----------
    p, q : array_like, float [..., 3]
        Segment end points (m).
    slab_z : ndarray, float [P]
        Plane heights (m).

    Returns
    -------
    ndarray, bool [..., P]
        The end points lie strictly on opposite sides of ``z = slab_z``.
    """
    zp = np.asarray(p)[..., 2:3]
    zq = np.asarray(q)[..., 2:3]
    return (zp - slab_z) * (zq - slab_z) < -_EPS


def points_in_polygon(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test.

    Parameters
    ----------
    xy : array_like, float [N, 2]
        Points (m).
    polygon : array_like, float [V, 2]
        Polygon vertices (m), closed implicitly.

    Returns
    -------
    ndarray, bool [N]
        Inside the polygon.
    """
    xy = np.asarray(xy, dtype=np.float64)
    poly = np.asarray(polygon, dtype=np.float64)
    x, y = xy[:, 0:1], xy[:, 1:2]
    x1, y1 = poly[:, 0][None, :], poly[:, 1][None, :]
    x2, y2 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    straddle = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return (straddle & (x < x_cross)).sum(axis=1) % 2 == 1


def point_segment_distance(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance from points to segments.

    Parameters
    ----------
    xy : ndarray, float [N, 2]
        Points (m).
    a, b : ndarray, float [W, 2]
        Segment end points (m).

    Returns
    -------
    ndarray, float64 [N, W]
        Distance from each point to the closest point of each segment (m).
    """
    ab = b - a
    t = np.clip(((xy[:, None, :] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), _EPS), 0.0, 1.0)
    proj = a + t[..., None] * ab
    return np.linalg.norm(xy[:, None, :] - proj, axis=-1)
