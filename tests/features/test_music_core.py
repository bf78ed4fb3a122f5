"""MUSIC numerics on synthetic ULA snapshots built here (contract steering convention)."""

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.features.music import music_angle_ula, principal_eigenvector

WAVELENGTH = 0.06
SPACING = WAVELENGTH / 2


def steering(theta, n=8, d=SPACING, wl=WAVELENGTH):
    m = np.arange(n)
    return np.exp(2j * np.pi * m * d * np.sin(np.asarray(theta))[..., None] / wl) / np.sqrt(n)


def snapshots(theta, k=64, snr_db=40.0, seed=0, extra=None):
    """[N, N_a, K]: dominant path at theta with random per-subcarrier gains, optional weak path."""
    rng = np.random.default_rng(seed)
    theta = np.asarray(theta, dtype=float)
    n = theta.shape[0]
    a = steering(theta)  # [N, Na]
    g = (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))) / np.sqrt(2)
    x = a[:, :, None] * g[:, None, :]
    if extra is not None:
        g2 = (rng.standard_normal((n, k)) + 1j * rng.standard_normal((n, k))) / np.sqrt(2)
        x = x + 0.1 * steering(extra)[:, :, None] * g2[:, None, :]
    sigma = np.sqrt(np.mean(np.abs(x) ** 2) * 10 ** (-snr_db / 10) / 2)
    x = x + sigma * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    return x.astype(np.complex64)


PLANTED = np.deg2rad([-89.0, -87.5, -60.0, -33.3, -5.05, 0.0, 0.37, 12.34, 45.0, 71.7, 86.0, 88.5, 89.2])


def test_planted_angles_high_snr():
    est = music_angle_ula(snapshots(PLANTED), steering, grid_step_deg=0.1)
    err = np.rad2deg(np.abs(est - PLANTED))
    assert err.max() < 0.5, err
    # away from endfire the parabolic refinement is far below the grid step
    mid = np.abs(PLANTED) < np.deg2rad(80)
    assert err[mid].max() < 0.05, err


def test_coarse_grid_refined_below_step():
    theta = np.deg2rad(np.linspace(-70, 70, 57) + 0.37)
    est = music_angle_ula(snapshots(theta, snr_db=60), steering, grid_step_deg=1.0)
    assert np.rad2deg(np.abs(est - theta)).max() < 0.2


def test_weak_second_path_does_not_move_dominant():
    theta = np.deg2rad([-40.0, 10.0, 55.0])
    est = music_angle_ula(snapshots(theta, extra=theta[::-1]), steering, grid_step_deg=0.1)
    assert np.rad2deg(np.abs(est - theta)).max() < 0.5


def test_symbols_axis_is_extra_snapshots():
    x = snapshots(np.deg2rad([20.0, -30.0]), k=64)
    x5 = x.reshape(2, 8, 16, 4)
    a = music_angle_ula(x, steering)
    b = music_angle_ula(x5, steering)
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_principal_eigenvector_brute_force():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 30)) + 1j * rng.standard_normal((5, 4, 30))
    u = principal_eigenvector(x)
    for i in range(5):
        r = x[i] @ x[i].conj().T / 30
        w, v = np.linalg.eig(r)
        ref = v[:, np.argmax(w.real)]
        assert abs(abs(np.vdot(ref / np.linalg.norm(ref), u[i])) - 1) < 1e-9


def test_bad_grid_step():
    with pytest.raises(ParameterError, match="grid_step_deg"):
        music_angle_ula(snapshots(np.zeros(1)), steering, grid_step_deg=0.0)


def test_coarse_to_fine_equals_full_fine_search():
    rng = np.random.default_rng(11)
    theta = rng.uniform(-np.pi / 2 + 0.01, np.pi / 2 - 0.01, 300)
    x = snapshots(theta, snr_db=10.0, seed=5, extra=rng.uniform(-1.5, 1.5, 300))
    fast = music_angle_ula(x, steering, grid_step_deg=0.1, coarse_step_deg=1.0)
    full = music_angle_ula(x, steering, grid_step_deg=0.1, coarse_step_deg=None)
    np.testing.assert_allclose(fast, full, atol=1e-9)
