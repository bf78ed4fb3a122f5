"""Heuristic starting trajectories for the alternating optimisation (no positions needed).

- ``aoa_track``: power-weighted least-squares intersection of the APs' bearing lines, with the
  cone angle converted to azimuth using the elevation at the current estimate (two passes).
- ``wcl_track``: weighted centroid of the AP positions, weights ``(linear power)^g``.
Both are clipped to the walkable bounding box and smoothed by a running median.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from radiomap.localize.hmm.walks import walk_slices


def wcl_track(power_db: np.ndarray, ap_xy: np.ndarray, g: float = 1.0) -> np.ndarray:
    """Weighted-centroid positions ``[T, 2]`` from powers ``[T, B]`` (dB) and ``ap_xy [B, 2]`` (m)."""
    p = np.asarray(power_db, dtype=np.float64)
    w = 10.0 ** (g * (p - p.max(axis=1, keepdims=True)) / 10.0)
    return (w @ np.asarray(ap_xy)[:, :2]) / w.sum(axis=1, keepdims=True)


def aoa_track(angle: np.ndarray, power_db: np.ndarray, aps, user_height: float,
              bounds: tuple[float, float, float, float], n_pass: int = 2) -> np.ndarray:
    """Bearing-intersection positions ``[T, 2]`` (m).

    Input
    -----
    angle : [T, B] measured cone angles (rad); power_db : [T, B] (dB), used as weights
    aps : sequence of AccessPoint; user_height : m; bounds : (x_min, x_max, y_min, y_max)
    """
    pos = np.array([ap.position for ap in aps], dtype=np.float64)
    ori = np.array([ap.orientation for ap in aps], dtype=np.float64)
    p = np.asarray(power_db, dtype=np.float64)
    w = 10.0 ** ((p - p.max(axis=1, keepdims=True)) / 10.0)
    x = wcl_track(p, pos)
    for _ in range(n_pass):
        horiz = np.maximum(np.linalg.norm(x[:, None, :] - pos[None, :, :2], axis=-1), 0.5)
        cos_el = horiz / np.hypot(horiz, pos[None, :, 2] - user_height)
        az = ori[None] + np.arcsin(np.clip(np.sin(angle) / cos_el, -1.0, 1.0))
        n = np.stack([-np.sin(az), np.cos(az)], axis=-1)  # normal to each bearing line [T, B, 2]
        A = np.einsum("tb,tbi,tbj->tij", w, n, n) + 1e-6 * np.eye(2)
        rhs = np.einsum("tb,tbi,tb->ti", w, n, (n * pos[None, :, :2]).sum(-1))
        x = np.linalg.solve(A, rhs[..., None])[..., 0]
        x[:, 0] = np.clip(x[:, 0], bounds[0], bounds[1])
        x[:, 1] = np.clip(x[:, 1], bounds[2], bounds[3])
    return x


def smooth_track(xy: np.ndarray, size: int = 5, lengths=None) -> np.ndarray:
    """Running median over time (per axis) of ``xy [T, 2]`` (m), within each walk of ``lengths`` (ints, sum T)."""
    xy = np.asarray(xy, dtype=np.float64)
    if lengths is None:
        return median_filter(xy, size=(size, 1), mode="nearest")
    out = np.empty_like(xy)
    for s in walk_slices(lengths):
        out[s] = median_filter(xy[s], size=(size, 1), mode="nearest")
    return out
