"""Received power per AP (seed 000 eq. 4).

``P_b = 10 log10 ||H_b||_F^2``: the squared Frobenius norm of AP ``b``'s CSI over antennas,
subcarriers (and OFDM symbols when present), in dB.
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError

_TINY = 1e-30


def check_csi(csi: np.ndarray, name: str = "csi") -> np.ndarray:
    """Validate a CSI array and return it as a complex ndarray.

    Parameters
    ----------
    csi : array_like, complex [N, B, N_a, K] or [N, B, N_a, K, S]
    name : str
        Field name, for messages.

    Returns
    -------
    ndarray, complex [N, B, N_a, K(, S)]
        The same array (not copied when already complex; real input becomes complex64).

    Raises
    ------
    DataError
        None (no CSI stored) or another number of dimensions.
    """
    if csi is None:
        raise DataError(f"{name} is missing: this feature needs complex CSI, the dataset stores none")
    arr = np.asarray(csi)
    if arr.ndim not in (4, 5):
        raise DataError(f"{name} has shape {arr.shape}; expected [N, B, N_a, K] or [N, B, N_a, K, S]")
    if not np.iscomplexobj(arr):
        arr = arr.astype(np.complex64)
    return arr


def rss_db(csi: np.ndarray) -> np.ndarray:
    """Received signal strength per sample and AP (dB).

    Parameters
    ----------
    csi : ndarray, complex64 [N, B, N_a, K] or [N, B, N_a, K, S]

    Returns
    -------
    ndarray, float64 [N, B]
        ``10 log10 sum_{n,k(,s)} |H[n, k(, s)]|^2`` in dB (relative to the CSI's unit power). An
        all-zero channel gives ``10 log10(1e-30) = -300`` dB instead of ``-inf``.
    """
    arr = check_csi(csi)
    power = np.sum(arr.real.astype(np.float64) ** 2 + arr.imag.astype(np.float64) ** 2,
                   axis=tuple(range(2, arr.ndim)))
    return 10.0 * np.log10(np.maximum(power, _TINY))
