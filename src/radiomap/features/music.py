"""MUSIC angle of departure of the dominant path per AP (seed 000 eq. 5).

For AP ``b`` with a horizontal ULA, the spatial covariance over subcarriers (and symbols)
is ``R = (1/K) sum_k h_k h_k^H`` with ``h_k in C^{N_a}``. With one dominant path the signal
subspace is the principal eigenvector ``u_1`` and the noise subspace ``U_n`` the others, so
for a unit-norm steering vector the MUSIC pseudo-spectrum is

    S(theta) = 1 / ||U_n^H a(theta)||^2 = 1 / (1 - |u_1^H a(theta)|^2).

The denominator ``D(theta) = 1 - |u_1^H a(theta)|^2`` is smooth, so it is minimised on a fine
grid of cone angles in ``[-pi/2, pi/2]`` (searched coarse-to-fine) and refined by a parabola
through the best grid point and its two neighbours (offset clipped to half a grid step). Steering vectors follow the
package convention ``radiomap.scene.ula_steering`` (phase ``exp(+j 2 pi m d sin(theta) / lambda)``),
so the estimate is the local cone angle that ``AccessPoint.cone_angle`` defines:
``arcsin(cos(el) sin(az - orientation))``. ``local_to_global`` adds the orientation.
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.power import check_csi

_CHUNK = 4096


def _snapshots(csi: np.ndarray) -> np.ndarray:
    """[N, B, N_a, K(, S)] -> [N, B, N_a, K * S] (symbols are extra snapshots)."""
    if csi.ndim == 5:
        n, b, na, k, s = csi.shape
        return csi.reshape(n, b, na, k * s)
    return csi


def principal_eigenvector(snapshots: np.ndarray) -> np.ndarray:
    """Principal eigenvector of the sample covariance of each snapshot matrix.

    Parameters
    ----------
    snapshots : ndarray, complex [..., N_a, K]
        K snapshots of an N_a-element array.

    Returns
    -------
    ndarray, complex128 [..., N_a]
        Unit-norm eigenvector of ``R = X X^H / K`` with the largest eigenvalue.

    Raises
    ------
    DataError
        The covariance has no eigendecomposition (non-finite CSI).
    """
    x = snapshots.astype(np.complex64, copy=False)  # batched matmul in single precision is fast
    cov = (x @ np.conj(np.swapaxes(x, -1, -2))).astype(np.complex128) / x.shape[-1]
    try:
        _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues
    except np.linalg.LinAlgError as exc:
        raise DataError(f"MUSIC: the CSI covariance has no eigendecomposition ({exc}); "
                        "is the CSI finite and of sensible magnitude?") from exc
    return vecs[..., :, -1]


def music_peak(u1: np.ndarray, steering: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Grid search + parabolic refinement of the one-path MUSIC spectrum.

    Parameters
    ----------
    u1 : ndarray, complex [M, N_a]
        Unit-norm signal-subspace vectors.
    steering : ndarray, complex [G, N_a]
        Unit-norm steering vectors on ``grid``.
    grid : ndarray, float [G]
        Uniformly spaced angles (rad), increasing.

    Returns
    -------
    ndarray, float64 [M]
        Angle (rad) minimising ``D = 1 - |u1^H a|^2``, refined between grid points.
    """
    out = np.empty(u1.shape[0], dtype=np.float64)
    a_conj_t = steering.T.astype(np.complex128)  # [N_a, G]
    for start in range(0, u1.shape[0], _CHUNK):
        block = u1[start:start + _CHUNK].conj() @ a_conj_t  # [m, G] = u1^H a
        d = 1.0 - np.abs(block) ** 2
        out[start:start + _CHUNK] = _refine(d, np.broadcast_to(grid, d.shape))
    return out


def music_angle_ula(csi_b: np.ndarray, steering_fn, grid_step_deg: float = 0.1,
                    coarse_step_deg: float | None = 1.0) -> np.ndarray:
    """MUSIC cone angle for one AP's CSI, given its steering function.

    The search is coarse-to-fine: ``D`` on a ``coarse_step_deg`` grid, then on a ``grid_step_deg``
    grid within +-1.5 coarse steps of the coarse minimum (the 8-element main lobe spans tens of
    degrees, so this finds the same grid minimum as a full fine search), then the parabola.
    ``coarse_step_deg=None`` searches the full fine grid.

    Parameters
    ----------
    csi_b : ndarray, complex [N, N_a, K] or [N, N_a, K, S]
    steering_fn : callable
        ``theta [...] -> complex [..., N_a]`` (unit-norm ULA steering).
    grid_step_deg : float
        Fine grid step (degrees), in (0, 5].
    coarse_step_deg : float or None
        Coarse step (degrees); None searches the full fine grid.

    Returns
    -------
    ndarray, float64 [N]
        Local cone angle (rad) in ``[-pi/2, pi/2]``.
    """
    if not 0 < grid_step_deg <= 5:
        raise ParameterError(f"grid_step_deg={grid_step_deg}; expected a step in (0, 5] degrees")
    snaps = csi_b.reshape(csi_b.shape[0], csi_b.shape[1], -1)
    u1 = principal_eigenvector(snaps)
    if coarse_step_deg is None or coarse_step_deg <= grid_step_deg:
        grid = _grid(grid_step_deg)
        return music_peak(u1, np.asarray(steering_fn(grid)), grid)
    coarse = _grid(coarse_step_deg)
    a_coarse = np.asarray(steering_fn(coarse)).T.astype(np.complex128)  # [N_a, Gc]
    grid = _grid(grid_step_deg)
    table = np.asarray(steering_fn(grid)).astype(np.complex128)  # [G, N_a], the fine grid
    step = grid[1] - grid[0]
    half = int(np.ceil(1.5 * np.deg2rad(coarse_step_deg) / step))
    offsets = np.arange(-half, half + 1)  # [F] fine-grid index offsets
    out = np.empty(u1.shape[0], dtype=np.float64)
    for start in range(0, u1.shape[0], _CHUNK):
        u = u1[start:start + _CHUNK]
        centre = coarse[np.argmax(np.abs(u.conj() @ a_coarse), axis=1)]  # [m]
        # +-pi/2 share one steering vector at half-wavelength spacing: search both ends then
        alias = np.where(np.abs(centre) >= np.pi / 2 - 1e-12, -centre, centre)
        best_d, best = None, None
        for c in (centre, alias):
            idx = np.clip(np.rint((c + np.pi / 2) / step).astype(int)[:, None] + offsets, 0, len(grid) - 1)
            d = 1.0 - np.abs(np.einsum("mn,mfn->mf", u.conj(), table[idx])) ** 2  # [m, F]
            theta, dmin = _refine(d, grid[idx]), d.min(axis=1)
            if best is None:
                best_d, best = dmin, theta
            else:
                best = np.where(dmin < best_d, theta, best)
                best_d = np.minimum(dmin, best_d)
        out[start:start + _CHUNK] = best
    return out


def _grid(step_deg: float) -> np.ndarray:
    """Uniform cone-angle grid over [-pi/2, pi/2] (rad) with about ``step_deg`` spacing."""
    return np.linspace(-np.pi / 2, np.pi / 2, int(round(180.0 / step_deg)) + 1)


def _refine(d: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per row: grid point minimising ``d [m, F]`` refined by a parabola (``grid [m, F]`` uniform)."""
    g = d.shape[1]
    idx = np.argmin(d, axis=1)
    rows = np.arange(idx.shape[0])
    i_c = np.clip(idx, 1, g - 2)
    dm, d0, dp = d[rows, i_c - 1], d[rows, i_c], d[rows, i_c + 1]
    step = grid[rows, i_c + 1] - grid[rows, i_c - 1]  # 2 steps (less where clipped at +-pi/2)
    curv = dm - 2.0 * d0 + dp
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curv > 0, 0.5 * (dm - dp) / curv, 0.0)
    inner = (idx > 0) & (idx < g - 1) & (step > 0)
    offset = np.where(inner, np.clip(offset, -0.5, 0.5), 0.0)
    return np.clip(grid[rows, idx] + offset * step / 2, -np.pi / 2, np.pi / 2)


def music_angle(csi: np.ndarray, scene, grid_step_deg: float = 0.1, *,
                coarse_step_deg: float | None = 1.0) -> np.ndarray:
    """Local cone angle of the dominant path per sample and AP by MUSIC.

    Parameters
    ----------
    csi : ndarray, complex64 [N, B, N_a, K] or [N, B, N_a, K, S]
    scene : Scene
        B APs carrying horizontal ULAs of N_a >= 2 elements.
    grid_step_deg : float
        Search grid step (degrees); the result is refined below it.
    coarse_step_deg : float or None
        Coarse-to-fine search step (degrees), None for a full fine-grid search.

    Returns
    -------
    ndarray, float64 [N, B]
        Local cone angle (rad) in ``[-pi/2, pi/2]``, as ``ap.cone_angle`` defines it.

    Raises
    ------
    ParameterError
        AP count or antenna count that does not match the scene, a UPA, or a single antenna.
    """
    from radiomap.scene import ula_steering

    arr = _snapshots(check_csi(csi))
    if arr.shape[1] != len(scene.aps):
        raise ParameterError(f"csi has {arr.shape[1]} APs, scene {scene.name!r} has {len(scene.aps)}")
    wavelength = scene.ofdm.wavelength
    out = np.empty(arr.shape[:2], dtype=np.float64)
    for b, ap in enumerate(scene.aps):  # loop over APs (few), vectorised over samples
        n, spacing = _ula_geometry(ap, wavelength)
        if n != arr.shape[2]:
            raise ParameterError(f"AP {ap.name!r} has {n} antennas, csi has {arr.shape[2]}")
        if n < 2:
            raise ParameterError(f"AP {ap.name!r} has one antenna: an angle of arrival (MUSIC) needs an array "
                                 "of >= 2 antennas; use a method that does not need angles")
        out[:, b] = music_angle_ula(
            arr[:, b], lambda th, n=n, d=spacing: ula_steering(th, n, d, wavelength), grid_step_deg,
            coarse_step_deg,
        )
    return out


def _ula_geometry(ap, wavelength: float) -> tuple[int, float]:
    """(number of elements, spacing in metres) of an AP's horizontal ULA."""
    array = ap.array
    if not hasattr(array, "spacing") or hasattr(array, "n_v"):
        raise ParameterError(f"AP {ap.name!r}: MUSIC angle needs a ULA, got {type(array).__name__}")
    spacing = array.spacing if array.spacing is not None else wavelength / 2
    return int(array.n), float(spacing)


def local_to_global(theta_local: np.ndarray, scene) -> np.ndarray:
    """Global angle ``theta_local + orientation_b`` wrapped to ``(-pi, pi]``.

    Parameters
    ----------
    theta_local : array_like, float [N, B]
        Local cone angles (rad).
    scene : Scene
        B APs (their orientations).

    Returns
    -------
    ndarray, float64 [N, B]
        Global angle (rad); exact for users in the AP's horizontal plane.
    """
    orient = np.array([ap.orientation for ap in scene.aps], dtype=np.float64)
    g = np.asarray(theta_local, dtype=np.float64) + orient
    return np.angle(np.exp(1j * g))
