"""Position-error bound (PEB) from the deterministic channel model.

For CSI ``h = mu(x) + n`` with circular white Gaussian noise ``n ~ CN(0, sigma^2 I)`` and a known
propagation environment (the scene fixes every path's existence, gain law and geometry), the
Fisher information of the position is

    J(x) = (2 / sigma^2) Re{ (d mu / d x)^H (d mu / d x) }

and any unbiased estimator has ``E||x_hat - x||^2 >= trace(J^-1)``; ``PEB = sqrt(trace(J^-1))``.
``mu(x)`` is the simulator's exact spherical-wavefront CFR (all APs, antennas, subcarriers), and its
Jacobian is taken by central finite differences of the tracer (paths are piecewise smooth in x).
This is the bound for a receiver that knows the environment, the regime the model-based neural
map (seeds 001/003) approaches; estimators that must learn the map cannot beat it.
"""

from __future__ import annotations

import numpy as np

from radiomap.channel import trace
from radiomap.errors import ParameterError
from radiomap.scene.scene import Scene


def fisher_information(scene: Scene, positions: np.ndarray, noise_variance: float | np.ndarray, *,
                       dims: int = 2, step: float | None = None, max_order: int = 2,
                       scatterers: bool = True) -> np.ndarray:
    """Position Fisher information matrices.

    Parameters
    ----------
    scene : Scene
        The propagation environment (every AP of it contributes).
    positions : ndarray, float [N, 3]
        User positions (m).
    noise_variance : float or ndarray, float [N] or [N, B]
        sigma^2 of the complex CSI noise per entry (CSI units): one value, one per sample, or one per
        (sample, AP).
    dims : int
        2 (x, y) or 3 (x, y, z).
    step : float or None
        Finite-difference step (m); default lambda/200 (truncation error ~1e-3 relative, well above the
        complex64 rounding of the CFR).
    max_order, scatterers : as ``radiomap.channel.trace``.

    Returns
    -------
    ndarray, float64 [N, dims, dims]
        Fisher information (1/m^2), ``sum_b (2 / sigma_b^2) Re(G_b^H G_b)`` with ``G_b`` the Jacobian of AP
        ``b``'s CSI.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if dims not in (2, 3):
        raise ParameterError(f"dims must be 2 or 3, got {dims}")
    n_aps = len(scene.aps)
    var = np.asarray(noise_variance, dtype=np.float64)
    var = np.broadcast_to(var[:, None] if var.ndim == 1 else var, (len(pos), n_aps))
    if not (var > 0).all():
        raise ParameterError("noise_variance must be > 0")
    step = scene.ofdm.wavelength / 200 if step is None else step
    if not 0 < step < scene.ofdm.wavelength / 10:
        raise ParameterError(f"step must be in (0, lambda/10 = {scene.ofdm.wavelength / 10:.4g}) m, got {step}")
    jac = []
    for d in range(dims):
        e = np.zeros(3)
        e[d] = step
        both = np.concatenate([pos + e, pos - e])
        h = trace(scene, both, max_order=max_order, scatterers=scatterers).cfr(scene.ofdm).astype(np.complex128)
        h = h.reshape(2, len(pos), n_aps, -1)
        jac.append((h[0] - h[1]) / (2 * step))  # [N, B, M]
    g = np.stack(jac, axis=-1)  # [N, B, M, dims]
    per_ap = np.real(np.einsum("nbmi,nbmj->nbij", g.conj(), g))
    return np.einsum("nb,nbij->nij", 2.0 / var, per_ap)


def position_error_bound(scene: Scene, positions: np.ndarray, noise_variance: float | np.ndarray, *,
                         dims: int = 2, **kwargs) -> np.ndarray:
    """Position-error bound ``sqrt(trace(J^-1))``.

    Parameters
    ----------
    scene : Scene
    positions : ndarray, float [N, 3]
        User positions (m).
    noise_variance : float or ndarray, float [N] or [N, B]
        As :func:`fisher_information`.
    dims : int
        2 or 3.
    **kwargs
        ``step``, ``max_order``, ``scatterers`` of :func:`fisher_information`.

    Returns
    -------
    ndarray, float64 [N]
        PEB (m); inf where the position is not identifiable (condition number of J above 1e8: finite
        differences of complex64 CSI cannot resolve more).
    """
    return _bound(fisher_information(scene, positions, noise_variance, dims=dims, **kwargs))


def _bound(j: np.ndarray) -> np.ndarray:
    out = np.full(len(j), np.inf)
    ok = np.linalg.cond(j) < 1e8
    out[ok] = np.sqrt(np.trace(np.linalg.inv(j[ok]), axis1=1, axis2=2))
    return out


def snr_position_error_bound(scene: Scene, positions: np.ndarray, snr_db: float | np.ndarray, *, dims: int = 2,
                             max_order: int = 2, scatterers: bool = True, **kwargs) -> np.ndarray:
    """PEB under the SNR noise convention of ``simulate_dataset(snr_db=...)``.

    The noise variance of each (sample, AP) is the mean ``|H|^2`` of its noiseless CSI over antennas and
    subcarriers divided by ``10^(snr_db / 10)`` (``radiomap.channel.noise.add_noise_snr``). The Fisher
    information is computed once at 0 dB; since it is proportional to the SNR, the bound at ``snr_db`` is
    that one times ``10^(-snr_db / 20)`` exactly.

    Parameters
    ----------
    scene : Scene
    positions : ndarray, float [N, 3]
        User positions (m).
    snr_db : float or ndarray, float [S]
        SNR(s) (dB).
    dims : int
        2 or 3.
    max_order, scatterers : as ``radiomap.channel.trace``.
    **kwargs
        ``step`` of :func:`fisher_information`.

    Returns
    -------
    ndarray, float64 [N] (scalar ``snr_db``) or [S, N]
        PEB (m), inf where not identifiable.
    """
    pos = np.asarray(positions, dtype=np.float64)
    snr = np.asarray(snr_db, dtype=np.float64)
    if not np.isfinite(snr).all():
        raise ParameterError(f"snr_db must be finite, got {snr_db}")
    h = trace(scene, pos, max_order=max_order, scatterers=scatterers).cfr(scene.ofdm)
    power = np.mean(np.abs(h.astype(np.complex128)) ** 2, axis=(2, 3))  # [N, B] = noise variance at 0 dB
    if not (power > 0).all():
        raise ParameterError("snr_position_error_bound: a position receives no power from an AP")
    peb0 = _bound(fisher_information(scene, pos, power, dims=dims, max_order=max_order, scatterers=scatterers,
                                     **kwargs))
    return peb0 * 10 ** (-snr[..., None] / 20) if snr.ndim else peb0 * 10 ** (-float(snr) / 20)
