"""The scene of imported measurements: APs whose positions may be unknown, no walls.

A measurement campaign rarely comes with a floor plan; radiomap still needs a ``Scene`` to hold
what IS known: the receiving arrays (how many antennas, their spacing and orientation if given),
the carrier and the subcarrier grid, and the area the measurements cover. ``measured_scene``
builds one with ``Scene.measured = True``; methods that need AP positions call
``Scene.require_geometry`` and refuse in one line when they are unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiomap.errors import SceneError
from radiomap.scene.arrays import ULA, Array
from radiomap.scene.elements import OFDM, AccessPoint
from radiomap.scene.scene import Scene

_PAD_M = 1.0
"""Margin (m) around the measured positions' bounding box that forms the walkable area."""


def measured_scene(name: str, ofdm: OFDM, *, n_aps: int = 1, n_antennas: int = 1,
                   ap_names: Sequence[str] | None = None, ap_positions: np.ndarray | None = None,
                   arrays: Sequence[Array] | None = None, orientations: Sequence[float] | None = None,
                   positions: np.ndarray | None = None, description: str = "") -> Scene:
    """A ``Scene`` for measured data.

    Parameters
    ----------
    name : str
        Scene name (e.g. the capture format and folder).
    ofdm : OFDM
        Carrier (Hz), bandwidth (Hz) and number of stored subcarriers K.
    n_aps, n_antennas : int
        B receiving APs (used when ``ap_names`` is None) and N_a antennas each (used when
        ``arrays`` is None: a ULA of N_a elements, spacing unknown, taken as half a wavelength).
    ap_names : Sequence[str] [B] or None
        AP names (e.g. MAC addresses); default ``AP0 .. AP{B-1}``.
    ap_positions : ndarray, float [B, 3] or None
        AP positions (m), NaN rows where unknown; None: all unknown.
    arrays : Sequence[ULA | UPA] [B] or None
        One array per AP.
    orientations : Sequence[float] [B] or None
        Array normal vs the x axis (rad); None: 0.
    positions : ndarray, float [N, 3] or None
        Measured user positions (m): the walkable area is the bounding box of them and the known AP
        positions padded by 1 m (a 2 m square at the origin without any); their median height is the
        user height (1.5 m without).
    description : str
        Free text.

    Returns
    -------
    Scene
        ``measured=True``, no walls, no materials.
    """
    names = list(ap_names) if ap_names is not None else [f"AP{b}" for b in range(n_aps)]
    n_b = len(names)
    pos = np.full((n_b, 3), np.nan) if ap_positions is None else np.asarray(ap_positions, dtype=np.float64)
    if pos.shape != (n_b, 3):
        raise SceneError(f"ap_positions: expected shape ({n_b}, 3), got {pos.shape}")
    arrs = list(arrays) if arrays is not None else [ULA(n_antennas)] * n_b
    orient = list(orientations) if orientations is not None else [0.0] * n_b
    if len(arrs) != n_b or len(orient) != n_b:
        raise SceneError(f"measured scene: {n_b} AP names but {len(arrs)} arrays and {len(orient)} orientations")
    aps = tuple(AccessPoint(str(nm), tuple(float(v) for v in p), a, float(o))
                for nm, p, a, o in zip(names, pos, arrs, orient, strict=True))
    return Scene(name=name, ofdm=ofdm, aps=aps, walls=(), materials={}, walkable=_walkable(positions, pos),
                 user_heights=(_height(positions),), description=description, measured=True)


def _walkable(positions: np.ndarray | None, ap_positions: np.ndarray) -> np.ndarray:
    """Bounding box (padded) of the measured positions and known AP positions, as a polygon [4, 2]."""
    pts = [p[:, :2] for p in (positions, ap_positions) if p is not None and len(p)]
    xy = np.concatenate(pts) if pts else np.zeros((0, 2))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        xy = np.array([[0.0, 0.0], [0.0, 0.0]])
    x0, y0 = xy.min(axis=0) - _PAD_M
    x1, y1 = xy.max(axis=0) + _PAD_M
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _height(positions: np.ndarray | None) -> float:
    if positions is None or not len(positions):
        return 1.5
    z = np.asarray(positions, dtype=np.float64)[:, 2]
    z = z[np.isfinite(z)]
    return float(np.median(z)) if len(z) else 1.5
