"""Geometric, unsupervised baselines: weighted centroid (WCL) and AoA triangulation.

Neither needs positions to fit: both only read the AP geometry of the scene (stored at ``fit``
so that a saved model is self-contained) and the CSI of the queries.

WCL (SPEC 2.6): ``x_hat = sum_b w_b o_b / sum_b w_b`` with ``w_b = (linear RSS_b)^g``; the
horizontal coordinates come from the AP positions, the height is the scene's user height.

AoA triangulation (the POG-AMP role in seed 000): AP ``b``'s MUSIC cone angle ``theta_b`` defines
a bearing line from ``o_b`` in the horizontal plane. The weighted least-squares intersection
``argmin_x sum_b w_b (n_b . (x - o_b))^2`` (``n_b`` the line normal) solves a 2 x 2 system per
sample. A horizontal ULA measures ``sin(theta) = cos(el) sin(az_local)``, so the azimuth depends
on the (unknown) elevation; it is found by fixed-point iteration: start from ``el = 0``, intersect,
recompute each AP's elevation toward the estimate at the user height, re-intersect. On noiseless
geometry the true position is a fixed point, and the iteration converges to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from radiomap.localize.base import Localizer, require_aps
from radiomap.params import Boolean, Interval, Options, Param

if TYPE_CHECKING:
    from radiomap.data import CSIDataset


class _GeometryLocalizer(Localizer):
    """Stores the AP geometry of the training scene."""

    supervised = False
    min_antennas = 1  # per AP

    def _fit(self, train: CSIDataset) -> None:
        scene = train.scene
        scene.require_geometry(self.name)
        require_aps(scene, self.name, min_aps=2, min_antennas=self.min_antennas)
        self.ap_positions_ = scene.ap_positions.copy()
        self.orientations_ = np.array([ap.orientation for ap in scene.aps], dtype=np.float64)
        self.bounds_ = np.array(scene.bounds, dtype=np.float64)
        self.height_ = float(scene.user_heights[0])

    def _clip(self, xy: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self.bounds_
        return np.column_stack([np.clip(xy[:, 0], x0, x1), np.clip(xy[:, 1], y0, y1)])


def weighted_centroid(rss_db: np.ndarray, ap_xy: np.ndarray, g: float = 1.0) -> np.ndarray:
    """Weighted centroid of AP positions.

    Parameters
    ----------
    rss_db : array_like, float [N, B]
        Received power per AP (dB).
    ap_xy : array_like, float [B, 2]
        AP positions (m).
    g : float
        Weight exponent.

    Returns
    -------
    ndarray, float64 [N, 2]
        ``sum_b w_b o_b / sum_b w_b`` (m), ``w_b = 10^(g RSS_b / 10)`` (computed stably).
    """
    p = np.asarray(rss_db, dtype=np.float64)
    logw = g * p / 10.0 * np.log(10.0)
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    return (w @ np.asarray(ap_xy, dtype=np.float64)) / w.sum(axis=1, keepdims=True)


class WCL(_GeometryLocalizer):
    """Weighted centroid localization, ``w_b = (linear RSS_b)^g`` (seed 000 baseline).

    Parameters
    ----------
    g : float
        Exponent (> 0) of the linear-power weights (1 = power weighting).

    Attributes
    ----------
    ap_positions_ : ndarray, float64 [B, 3]
        AP positions of the training scene (m).
    orientations_ : ndarray, float64 [B]
        Array orientations (rad).
    bounds_ : ndarray, float64 [4]
        Walkable bounding box (x_min, x_max, y_min, y_max) (m).
    height_ : float
        Height of the predicted positions (m): the scene's first user height.
    """

    param_spec = {"g": Param(Interval(float, 0, None, closed="neither"), "exponent of the linear-power weights")}

    def __init__(self, g: float = 1.0):
        self.g = g

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        from radiomap.features.power import rss_db

        xy = weighted_centroid(rss_db(ds.csi), self.ap_positions_[:, :2], float(self.g))
        return np.column_stack([xy, np.full(len(xy), self.height_)])


def intersect_bearings(ap_xy: np.ndarray, azimuth: np.ndarray, weights: np.ndarray | None = None,
                       ridge: float = 1e-9) -> np.ndarray:
    """Weighted least-squares intersection of bearing lines.

    Parameters
    ----------
    ap_xy : array_like, float [B, 2]
        Line origins (m).
    azimuth : array_like, float [N, B]
        Global bearing angles (rad).
    weights : array_like, float [N, B] or None
        Weights >= 0; None: uniform.
    ridge : float
        Relative Tikhonov term toward the AP centroid.

    Returns
    -------
    ndarray, float64 [N, 2]
        ``argmin_x sum_b w_b (n_b . (x - o_b))^2`` (m), ``n_b = (-sin az_b, cos az_b)``.
    """
    az = np.asarray(azimuth, dtype=np.float64)
    w = np.ones_like(az) if weights is None else np.asarray(weights, dtype=np.float64)
    n = np.stack([-np.sin(az), np.cos(az)], axis=-1)  # [N, B, 2]
    a = np.einsum("nb,nbi,nbj->nij", w, n, n)  # [N, 2, 2]
    rhs = np.einsum("nb,nbi,nbj,bj->ni", w, n, n, np.asarray(ap_xy, dtype=np.float64))
    lam = ridge * np.trace(a, axis1=1, axis2=2)[:, None, None] + 1e-300
    centre = np.asarray(ap_xy, dtype=np.float64).mean(axis=0)
    a = a + lam * np.eye(2)
    rhs = rhs + lam[:, :, 0] * centre
    return np.linalg.solve(a, rhs[..., None])[..., 0]


def triangulate_cone_angles(theta: np.ndarray, ap_positions: np.ndarray, orientations: np.ndarray,
                            height: float, weights: np.ndarray | None = None, n_iter: int = 20) -> np.ndarray:
    """Positions at height ``height`` from ULA cone angles by fixed-point WLS triangulation.

    Parameters
    ----------
    theta : array_like, float [N, B]
        Local cone angles (rad).
    ap_positions : ndarray, float [B, 3]
        AP positions (m).
    orientations : ndarray, float [B]
        Array orientations (rad).
    height : float
        User height (m).
    weights : array_like, float [N, B] or None
        Bearing weights; None: uniform.
    n_iter : int
        Elevation-correction iterations.

    Returns
    -------
    ndarray, float64 [N, 2]
        Horizontal position estimates (m).
    """
    theta = np.asarray(theta, dtype=np.float64)
    dz = height - ap_positions[:, 2]  # [B]
    sin_t = np.sin(theta)
    xy = intersect_bearings(ap_positions[:, :2], orientations + theta, weights)
    for _ in range(int(n_iter)):
        horiz = np.linalg.norm(xy[:, None, :] - ap_positions[None, :, :2], axis=-1)  # [N, B]
        cos_el = horiz / np.sqrt(horiz**2 + dz**2)
        az_local = np.arcsin(np.clip(sin_t / np.maximum(cos_el, 1e-6), -1.0, 1.0))
        xy = intersect_bearings(ap_positions[:, :2], orientations + az_local, weights)
    return xy


class AoATriangulation(_GeometryLocalizer):
    """Least-squares intersection of the APs' MUSIC bearings.

    Parameters
    ----------
    weighting : str
        ``"power"`` (weights = linear RSS, favouring strong, usually LOS, APs) or ``"uniform"``.
    grid_step_deg : float
        MUSIC grid step (degrees).
    n_iter : int
        Elevation-correction iterations.
    clip : bool
        Clip estimates to the walkable bounding box.

    Attributes
    ----------
    ap_positions_ : ndarray, float64 [B, 3]
        AP positions of the training scene (m).
    orientations_ : ndarray, float64 [B]
        Array orientations (rad).
    bounds_ : ndarray, float64 [4]
        Walkable bounding box (x_min, x_max, y_min, y_max) (m).
    height_ : float
        Height of the predicted positions (m): the scene's first user height.
    """

    min_antennas = 2
    param_spec = {
        "weighting": Param(Options("power", "uniform"), "bearing weights: linear RSS or uniform"),
        "grid_step_deg": Param(Interval(float, 0, 10, closed="right"), "MUSIC angle grid step (degrees)"),
        "n_iter": Param(Interval(int, 0, None), "elevation-correction iterations"),
        "clip": Param(Boolean(), "clip estimates to the walkable bounding box"),
    }

    def __init__(self, weighting: str = "power", grid_step_deg: float = 0.1, n_iter: int = 20,
                 clip: bool = True):
        self.weighting = weighting
        self.grid_step_deg = grid_step_deg
        self.n_iter = n_iter
        self.clip = clip

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        from radiomap.features.music import music_angle
        from radiomap.features.power import rss_db

        theta = music_angle(ds.csi, ds.scene, self.grid_step_deg)
        weights = None
        if self.weighting == "power":
            p = rss_db(ds.csi)
            weights = 10.0 ** ((p - p.max(axis=1, keepdims=True)) / 10.0)
        xy = triangulate_cone_angles(theta, self.ap_positions_, self.orientations_, self.height_, weights,
                                     self.n_iter)
        if self.clip:
            xy = self._clip(xy)
        return np.column_stack([xy, np.full(len(xy), self.height_)])
