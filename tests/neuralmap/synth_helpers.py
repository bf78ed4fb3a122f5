"""Synthetic few-path channels for the neuralmap tests (independent of the ray tracer).

Point sources (e.g. image sources of an AP) radiate spherical waves; the CSI of a user at ``x``
on antenna ``n`` (ULA along y, centred on the array origin) and subcarrier ``k`` is
``sum_l g_l / d_ln exp(-j 2 pi f_k d_ln / c)`` with ``d_ln`` the exact element-to-user distance.
"""

from __future__ import annotations

import numpy as np

C = 299_792_458.0


def spherical_csi(x: np.ndarray, sources: np.ndarray, gains: np.ndarray, n_antennas: int,
                  freqs: np.ndarray) -> np.ndarray:
    """``x [N, 3]``, ``sources [L, 3]``, ``gains [L]`` complex, ``freqs [K]`` Hz -> ``[N, A, K]`` complex64."""
    lam = C / freqs.mean()
    offs = (np.arange(n_antennas) - (n_antennas - 1) / 2) * lam / 2
    elem = sources[:, None, :] + np.stack([np.zeros_like(offs), offs, np.zeros_like(offs)], axis=1)[None]
    d = np.linalg.norm(x[:, None, None, :] - elem[None], axis=-1)  # [N, L, A]
    h = (gains[None, :, None, None] / d[..., None]) * np.exp(-2j * np.pi * freqs / C * d[..., None])
    return h.sum(1).astype(np.complex64)


def plane_csi(x: np.ndarray, k: np.ndarray, psi_a: np.ndarray, psi_f: np.ndarray, amp: np.ndarray,
              wavelength: float) -> np.ndarray:
    """Exact few-plane-wave channel: ``sum_l amp_l exp(-j 2 pi / lambda k_l . x) psi_a_l psi_f_l^T``."""
    c = amp[None] * np.exp(-2j * np.pi / wavelength * (x @ k.T))  # [N, L]
    return np.einsum("nl,la,ls->nas", c, psi_a, psi_f).astype(np.complex64)


def default_sources(rng: np.random.Generator, n_paths: int = 4, distance: float = 15.0) -> tuple:
    """A LOS source and ``n_paths - 1`` image sources around a 2 m x 2 m area centred at the origin."""
    ang = np.concatenate([[np.pi], rng.uniform(0, 2 * np.pi, n_paths - 1)])
    dist = distance * np.concatenate([[1.0], rng.uniform(1.0, 1.6, n_paths - 1)])
    src = np.stack([dist * np.cos(ang), dist * np.sin(ang), np.full(n_paths, 3.0)], axis=1)
    gains = np.concatenate([[1.0], 0.6 * rng.uniform(0.3, 1.0, n_paths - 1)]) * np.exp(
        2j * np.pi * rng.uniform(size=n_paths)) * dist
    return src, gains
