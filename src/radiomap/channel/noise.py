"""Additive white Gaussian noise on CSI: by SNR, or by variance on unit-power-normalised CSI."""

from __future__ import annotations

import numpy as np

from radiomap.errors import ParameterError


def complex_gaussian(shape: tuple[int, ...], variance: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Circular complex Gaussian samples ``CN(0, variance)``.

    Parameters
    ----------
    shape : tuple of int
        Output shape.
    variance : float or ndarray broadcastable to ``shape``
        ``E|x|^2`` per entry (linear power, same unit as the CSI power).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, complex64 [shape]
    """
    std = np.sqrt(np.asarray(variance, dtype=np.float64) / 2.0)
    return (std * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))).astype(np.complex64)


def add_noise_snr(csi: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add noise at ``snr_db`` per (sample, AP).

    Parameters
    ----------
    csi : ndarray, complex [N, B, N_a, K(, S)]
    snr_db : float
        SNR (dB, finite): noise variance = mean ``|H|^2`` over antennas, subcarriers (and symbols)
        of each (sample, AP), divided by ``10^(snr_db/10)``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, complex64 [N, B, N_a, K(, S)]
    """
    if not np.isfinite(snr_db):
        raise ParameterError(f"snr_db must be finite, got {snr_db}")
    axes = tuple(range(2, csi.ndim))
    power = np.mean(np.abs(csi) ** 2, axis=axes, keepdims=True)
    return (csi + complex_gaussian(csi.shape, power / 10 ** (snr_db / 10), rng)).astype(np.complex64)


def normalise_and_add_noise(csi: np.ndarray, noise_variance: float, rng: np.random.Generator,
                            reference_power: float | None = None) -> tuple[np.ndarray, float]:
    """Scale CSI to unit average power, then add ``CN(0, noise_variance)`` noise (seed 000's convention).

    Parameters
    ----------
    csi : ndarray, complex [N, ...]
    noise_variance : float
        Noise variance (>= 0) on the normalised scale.
    rng : numpy.random.Generator
    reference_power : float or None
        Mean ``|H|^2`` that defines unit power; None = this dataset's own mean. Pass the training
        set's value for test sets so that all share one scale (power features stay comparable).

    Returns
    -------
    csi : ndarray, complex64 [N, ...]
        ``csi / sqrt(reference_power)`` plus noise.
    reference_power : float
        The reference power used.
    """
    if not noise_variance >= 0:
        raise ParameterError(f"noise_variance must be >= 0, got {noise_variance}")
    ref = float(np.mean(np.abs(csi) ** 2)) if reference_power is None else float(reference_power)
    if not ref > 0:
        raise ParameterError(f"reference power must be > 0, got {ref}")
    scaled = csi / np.sqrt(ref)
    return (scaled + complex_gaussian(csi.shape, noise_variance, rng)).astype(np.complex64), ref
