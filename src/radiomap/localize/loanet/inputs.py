"""Network inputs from a ``CSIDataset``: the registered ``tbf`` feature (``x_ad`` / ``mask``), stored
(``radiomap simulate``, ``radiomap features compute tbf``, :mod:`radiomap.experiments.zhao2026`) or computed
from the dataset's paths or SFT CSI (:mod:`radiomap.features.tbf`)."""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features import beamspace as bs
from radiomap.features.tbf import tbf_inputs
from radiomap.params import Param, Pattern

TBF = Param(Pattern(r"auto|tbf(\(.*\))?", "'auto' or tbf(key=value,...)"),
               "stored TBF feature read ('auto': the one the dataset stores, else tbf computed from paths/CSI)")
"""The ``tbf`` parameter of every method on triple-beam fingerprints (which stored ``tbf`` feature it reads)."""


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


def tbf_features(ds, tbf: str = "auto", n_taps: int | None = None, eta: float | None = None,
                 scale: str = "linear", floor_db: float = 40.0) -> dict[str, np.ndarray]:
    """Network inputs ``{"x_ad": float32 [N, A, G], "mask": float32 [N, A, G]}`` from the ``tbf`` feature.

    ``tbf`` names the stored feature (:func:`radiomap.features.tbf.tbf_inputs`: ``"auto"`` or a spec such as
    ``"tbf(n_taps=16)"``); ``n_taps`` keeps the first ``G`` delay taps (None: all stored); ``eta`` recomputes
    the mask on the peak-normalised linear image (None: the stored mask); ``scale`` maps ``x_ad`` through
    :func:`scale_image` (the mask is unaffected).
    """
    f = tbf_inputs(ds, tbf, ("x_ad", "mask") if eta is None else ("x_ad",))
    x_ad = np.asarray(f["x_ad"], dtype=np.float32)
    m = np.asarray(f["mask"], dtype=np.float32) if eta is None else None
    if n_taps is not None:
        if n_taps > x_ad.shape[-1]:
            raise DataError(f"features hold {x_ad.shape[-1]} delay taps, {n_taps} requested")
        x_ad = x_ad[..., :n_taps]
        m = None if m is None else m[..., :n_taps]
    x_ad = bs.angle_delay_image(x_ad)
    if m is None:
        m = bs.mask(x_ad, eta).astype(np.float32)
    return {"x_ad": scale_image(x_ad, scale, floor_db), "mask": m}
