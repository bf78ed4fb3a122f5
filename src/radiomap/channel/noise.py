"""Additive white Gaussian noise on CSI: by SNR, or by variance on unit-power-normalised CSI."""

from __future__ import annotations

import numpy as np

from radiomap.errors import ParameterError


def complex_gaussian(shape: tuple[int, ...], variance: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Circular complex Gaussian samples ``CN(0, variance)`` of ``shape`` (complex64)."""
    std = np.sqrt(np.asarray(variance, dtype=np.float64) / 2.0)
    return (std * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))).astype(np.complex64)


def add_noise_snr(csi: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add noise at ``snr_db`` per (sample, AP): variance = mean |H|^2 over antennas, subcarriers (and symbols) / SNR.

    Input: ``csi [N, B, N_a, K(, S)]`` complex. Output: same shape, complex64.
    """
    if not np.isfinite(snr_db):
        raise ParameterError(f"snr_db must be finite, got {snr_db}")
    axes = tuple(range(2, csi.ndim))
    power = np.mean(np.abs(csi) ** 2, axis=axes, keepdims=True)
    return (csi + complex_gaussian(csi.shape, power / 10 ** (snr_db / 10), rng)).astype(np.complex64)


def normalise_and_add_noise(csi: np.ndarray, noise_variance: float, rng: np.random.Generator,
                            reference_power: float | None = None) -> tuple[np.ndarray, float]:
    """Scale CSI to unit average power, then add ``CN(0, noise_variance)`` noise (seed 000's convention).

    Input
    -----
    csi : [N, ...] complex
    noise_variance : >= 0, on the normalised scale
    reference_power : mean |H|^2 that defines unit power; None = this dataset's own mean. Pass the
        training set's value for test sets so that all share one scale (power features stay comparable).

    Output
    ------
    (noisy normalised CSI complex64, the reference power used)
    """
    if not noise_variance >= 0:
        raise ParameterError(f"noise_variance must be >= 0, got {noise_variance}")
    ref = float(np.mean(np.abs(csi) ** 2)) if reference_power is None else float(reference_power)
    if not ref > 0:
        raise ParameterError(f"reference power must be > 0, got {ref}")
    scaled = csi / np.sqrt(ref)
    return (scaled + complex_gaussian(csi.shape, noise_variance, rng)).astype(np.complex64), ref
