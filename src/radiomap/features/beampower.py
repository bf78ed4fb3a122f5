"""Beamspace power per AP: a phase-free CSI amplitude fingerprint (feature ``beamspace``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.power import check_csi
from radiomap.features.stage import Feature
from radiomap.params import Interval, Param

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

_TINY = 1e-30


def beamspace_power_db(csi: np.ndarray, n_subbands: int = 8) -> np.ndarray:
    """Beam x subband power per AP, in dB.

    Parameters
    ----------
    csi : ndarray, complex64 [N, B, N_a, K] or [N, B, N_a, K, S]
    n_subbands : int
        Number of contiguous subcarrier groups (1..K).

    Returns
    -------
    ndarray, float32 [N, B * N_a * n_subbands]
        ``10 log10`` of the power of the antenna-DFT beams (orthonormal) summed over each subband
        (and symbols), in dB; index order (AP, beam, subband).
    """
    arr = check_csi(csi)
    k = arr.shape[3]
    if not 1 <= n_subbands <= k:
        raise ParameterError(f"n_subbands={n_subbands}; expected 1..{k} (number of subcarriers)")
    beams = np.fft.fft(arr, axis=2, norm="ortho")
    p = beams.real.astype(np.float64) ** 2 + beams.imag.astype(np.float64) ** 2
    if p.ndim == 5:
        p = p.sum(axis=4)
    starts = np.linspace(0, k, n_subbands + 1).astype(int)[:-1]
    sub = np.add.reduceat(p, starts, axis=3)  # [N, B, N_a, n_subbands]
    return (10.0 * np.log10(sub + _TINY)).reshape(arr.shape[0], -1).astype(np.float32)


def _beamspace(ds: CSIDataset, n_subbands: int) -> np.ndarray:
    if ds.csi is None:
        raise DataError("feature 'beamspace' needs CSI; the dataset stores only features")
    return beamspace_power_db(ds.csi, n_subbands)


BEAMSPACE = Feature(_beamspace, "beam x subband power per AP (dB): float32 [N, B N_a n_subbands]",
                    params={"n_subbands": Param(Interval(int, 1, None), "contiguous subcarrier groups")},
                    defaults={"n_subbands": 8})
