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

    Input
    -----
    positions : [N, 3] (m)
    noise_variance : sigma^2 of the complex CSI noise per entry, scalar or [N] (CSI units)
    dims : 2 (x, y) or 3 (x, y, z)
    step : finite-difference step (m); default lambda/200 (truncation error ~1e-3 relative, well above the
        complex64 rounding of the CFR)

    Output
    ------
    [N, dims, dims] float64 Fisher information (1/m^2)
    """
    pos = np.asarray(positions, dtype=np.float64)
    if dims not in (2, 3):
        raise ParameterError(f"dims must be 2 or 3, got {dims}")
    var = np.broadcast_to(np.asarray(noise_variance, dtype=np.float64), (len(pos),))
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
        h = h.reshape(2, len(pos), -1)
        jac.append((h[0] - h[1]) / (2 * step))  # [N, M]
    g = np.stack(jac, axis=-1)  # [N, M, dims]
    return 2.0 / var[:, None, None] * np.real(np.einsum("nmi,nmj->nij", g.conj(), g))


def position_error_bound(scene: Scene, positions: np.ndarray, noise_variance: float | np.ndarray, *,
                         dims: int = 2, **kwargs) -> np.ndarray:
    """PEB ``sqrt(trace(J^-1))`` (m) per position ``[N]``; inf where the position is not identifiable
    (condition number of J above 1e8: finite differences of complex64 CSI cannot resolve more)."""
    j = fisher_information(scene, positions, noise_variance, dims=dims, **kwargs)
    out = np.full(len(j), np.inf)
    ok = np.linalg.cond(j) < 1e8
    out[ok] = np.sqrt(np.trace(np.linalg.inv(j[ok]), axis1=1, axis2=2))
    return out
