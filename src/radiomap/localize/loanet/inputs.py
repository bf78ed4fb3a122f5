"""Network inputs from a ``CSIDataset``: the compact TBF features ``x_ad`` / ``mask`` / ``x_d``.

Datasets built by :mod:`radiomap.experiments.zhao2026` store them under ``features``. A dataset
that holds SFT CSI ``[N, 1, N_a, K, S]`` instead gets them through the tensor route
(:func:`radiomap.features.beamspace.triple_beam`, one sample at a time).
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features import beamspace as bs


def scale_image(x: np.ndarray, scale: str = "db", floor_db: float = 40.0) -> np.ndarray:
    """Network-ready image from a peak-normalised power image.

    ``"linear"``: unchanged. ``"db"``: ``max(10 log10 x, -floor_db) / floor_db + 1`` in ``[0, 1]``,
    which keeps the weak scatterer paths (-10 .. -40 dB) visible next to the dominant one.
    """
    if scale == "linear":
        return np.asarray(x, dtype=np.float32)
    if scale != "db":
        raise ParameterError(f"input scale {scale!r}, expected 'linear' or 'db'")
    db = 10.0 * np.log10(np.maximum(np.asarray(x, dtype=np.float32), 1e-30))
    return (np.maximum(db, -floor_db) / floor_db + 1.0).astype(np.float32)


def tbf_features(ds, n_taps: int | None = None, eta: float | None = None, scale: str = "linear",
                 floor_db: float = 40.0) -> dict[str, np.ndarray]:
    """``{"x_ad": float32 [N, A, G], "mask": float32 [N, A, G], "x_d": float32 [N, T]}``.

    ``n_taps`` keeps the first ``G`` delay taps (None: all stored); ``eta`` recomputes the mask
    on the peak-normalised linear image (None: the stored mask, else ``eta = 0.01``); ``scale``
    maps ``x_ad`` through :func:`scale_image` (the mask is unaffected).
    """
    f = ds.features or {}
    if "x_ad" in f:
        x_ad = np.asarray(f["x_ad"], dtype=np.float32)
        x_d = np.asarray(f["x_d"], dtype=np.float32) if "x_d" in f else np.zeros((len(x_ad), 1), np.float32)
        m = np.asarray(f["mask"], dtype=np.float32) if ("mask" in f and eta is None) else None
    elif ds.csi is not None and ds.csi.ndim == 5:
        x_ad, x_d = _from_csi(ds)
        m = None
    else:
        raise DataError("dataset has neither features['x_ad'] nor SFT CSI [N, B, N_a, K, S] for TBFs")
    if n_taps is not None:
        if n_taps > x_ad.shape[-1]:
            raise DataError(f"features hold {x_ad.shape[-1]} delay taps, {n_taps} requested")
        x_ad = x_ad[..., :n_taps]
        m = None if m is None else m[..., :n_taps]
    x_ad = bs.angle_delay_image(x_ad)
    if m is None:
        m = bs.mask(x_ad, 0.01 if eta is None else eta).astype(np.float32)
    return {"x_ad": scale_image(x_ad, scale, floor_db), "mask": m, "x_d": bs.doppler_profile(x_d)}


def _from_csi(ds) -> tuple[np.ndarray, np.ndarray]:
    scene = ds.scene
    n_h, n_v = bs.array_shape(scene.aps[0].array)
    k, s = ds.csi.shape[3], ds.csi.shape[4]
    n_g = int(getattr(scene.ofdm, "cp_samples", 0) or k)
    shape = bs.TBShape(n_h, n_v, k, min(n_g, k), s)
    x_ad = np.empty((ds.n_samples, shape.n_beams, shape.n_g), np.float32)
    x_d = np.empty((ds.n_samples, s), np.float32)
    for i in range(ds.n_samples):
        p = np.abs(bs.triple_beam(ds.csi[i, 0], shape)) ** 2
        x_ad[i], x_d[i] = p.sum(-1), p.sum((0, 1))
    return x_ad, x_d
