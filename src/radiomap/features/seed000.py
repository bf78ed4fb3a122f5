"""The feature vector of seed 000: power, MUSIC angle and delay per AP.

``seed000_features`` returns the three per-AP features; ``feature_matrix`` stacks them as
``[power_1..B, angle_1..B, delay_1..B]`` for fingerprinting methods. The default delay feature
is the frequency selectivity (see ``radiomap.features.delay`` for why).
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.delay import frequency_selectivity, rms_delay_spread
from radiomap.features.music import music_angle
from radiomap.features.power import check_csi, rss_db
from radiomap.features.stage import Feature
from radiomap.params import Interval, Options, Param

DELAY_FEATURES = ("selectivity", "rms")
FEATURE_ORDER = ("power", "angle", "delay")


def seed000_features(csi: np.ndarray, scene, delay: str = "selectivity",
                     grid_step_deg: float = 0.1) -> dict[str, np.ndarray]:
    """Power (dB), MUSIC cone angle (rad) and delay feature per sample and AP.

    Parameters
    ----------
    csi : ndarray, complex64 [N, B, N_a, K] or [N, B, N_a, K, S]
    scene : Scene
        AP arrays, orientations, OFDM bandwidth.
    delay : str
        ``"selectivity"`` (``var_k p_k / mean_k^2 p_k``, dimensionless) or ``"rms"`` (RMS delay spread, s).
    grid_step_deg : float
        MUSIC grid step (degrees).

    Returns
    -------
    dict[str, ndarray]
        ``"power"`` float64 [N, B] (dB), ``"angle"`` float64 [N, B] (rad, local cone angle),
        ``"delay"`` float64 [N, B].
    """
    if delay not in DELAY_FEATURES:
        raise ParameterError(f"delay={delay!r}; expected one of {DELAY_FEATURES}")
    arr = check_csi(csi)
    if delay == "selectivity":
        d = frequency_selectivity(arr)
    else:
        d = rms_delay_spread(arr, scene.ofdm.bandwidth_hz)
    return {"power": rss_db(arr), "angle": music_angle(arr, scene, grid_step_deg), "delay": d}


def feature_matrix(csi: np.ndarray, scene, delay: str = "selectivity",
                   grid_step_deg: float = 0.1) -> np.ndarray:
    """Seed 000 features stacked per sample.

    Parameters
    ----------
    csi : ndarray, complex64 [N, B, N_a, K] or [N, B, N_a, K, S]
    scene, delay, grid_step_deg
        As in ``seed000_features``.

    Returns
    -------
    ndarray, float64 [N, 3 B]
        Columns ``[power_1..B (dB), angle_1..B (rad), delay_1..B]``.
    """
    f = seed000_features(csi, scene, delay=delay, grid_step_deg=grid_step_deg)
    return np.concatenate([f[name] for name in FEATURE_ORDER], axis=1)


def _seed000(ds, delay: str, grid_step_deg: float) -> np.ndarray:
    if ds.csi is None:
        raise DataError("feature 'seed000' needs CSI; the dataset stores only features")
    return feature_matrix(ds.csi, ds.scene, delay=delay, grid_step_deg=grid_step_deg)


SEED000 = Feature(_seed000, "seed 000 vector: float64 [N, 3 B] = power (dB), MUSIC cone angle (rad), delay feature "
                  "per AP", params={"delay": Param(Options(*DELAY_FEATURES), "delay feature: frequency selectivity "
                                                   "or RMS delay spread (s)"),
                                    "grid_step_deg": Param(Interval(float, 0, 10, closed="right"),
                                                           "MUSIC grid step (degrees)")},
                  defaults={"delay": "selectivity", "grid_step_deg": 0.1})


def per_ap_features(ds, delay: str = "selectivity") -> np.ndarray:
    """The ``seed000`` feature regrouped per AP, as the HMM and channel charting model it.

    Reads the registered ``seed000`` feature (stored in ``ds.features`` or computed,
    ``radiomap.features.stage.extract``).

    Parameters
    ----------
    ds : CSIDataset with CSI or a stored ``seed000`` feature (N samples, B APs)
    delay : "selectivity" (returned as log10 of the frequency selectivity) or "rms" (RMS delay spread in ns)

    Returns
    -------
    float64 [N, B, 3] : (power dB, MUSIC cone angle rad, delay feature) per sample and AP.
    """
    from radiomap.features.stage import extract

    v = np.asarray(extract(ds, "seed000", delay=delay), dtype=np.float64)
    n_b = v.shape[1] // 3
    power, angle, dl = v[:, :n_b], v[:, n_b:2 * n_b], v[:, 2 * n_b:]
    dl = np.log10(np.maximum(dl, 1e-12)) if delay == "selectivity" else dl * 1e9
    return np.stack([power, angle, dl], axis=-1)
