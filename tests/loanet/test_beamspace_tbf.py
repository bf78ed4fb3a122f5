"""Triple-beam transform: closed form vs tensor route, bin placement, Theorem 2, preprocessing."""

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.features import beamspace as bs


def _params(rng, n, n_paths, max_kappa=0.2, max_nu=0.05):
    return bs.BeamParams(
        power=rng.uniform(0.1, 1.0, (n, n_paths)),
        psi_h=rng.uniform(-0.5, 0.5, (n, n_paths)),
        psi_v=rng.uniform(-0.5, 0.5, (n, n_paths)),
        kappa=rng.uniform(0.0, max_kappa, (n, n_paths)),
        nu=rng.uniform(-max_nu, max_nu, (n, n_paths)),
    )


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_fejer_matches_brute_force():
    x = np.linspace(-2.3, 2.3, 1001)
    for n in (1, 3, 8, 37):
        brute = np.abs(np.exp(2j * np.pi * np.outer(x, np.arange(n))).sum(1)) ** 2 / n**2
        np.testing.assert_allclose(bs.fejer(x, n), brute, atol=1e-12)
    assert bs.fejer(np.array([1e-12, 3.0]), 16) == pytest.approx([1.0, 1.0])


def test_transforms_unitary():
    va = bs.angle_transform(4, 2)
    np.testing.assert_allclose(va.conj().T @ va, np.eye(8), atol=1e-12)
    fd = bs.delay_transform(16, 5)
    np.testing.assert_allclose(fd.conj().T @ fd, np.eye(5), atol=1e-12)
    ft = bs.doppler_transform(7)
    np.testing.assert_allclose(ft.conj().T @ ft, np.eye(7), atol=1e-12)


def test_closed_form_equals_tensor_route_via_sftf():
    """E|G|^2 in closed form == diag(W^H R W) with R the materialised SFTF, incl. noise."""
    rng = np.random.default_rng(1)
    p = _params(rng, 3, 5)
    shape = bs.TBShape(n_h=4, n_v=2, n_c=16, n_g=8, n_t=4)
    omega = bs.tbf_from_params(p, shape, noise_var=np.array([0.0, 0.3, 1.2]))
    via_sftf = bs.tbf_from_sftf(bs.sftf_from_params(p, shape, noise_var=np.array([0.0, 0.3, 1.2])), shape)
    assert _rel(omega, via_sftf) < 1e-5


def test_closed_form_equals_monte_carlo_csi_expectation():
    """Exact phase expectation: averaging |G|^2 over the L^2 phase grid of 0/pi flips is exact."""
    rng = np.random.default_rng(2)
    p = _params(rng, 1, 3)
    shape = bs.TBShape(n_h=3, n_v=2, n_c=12, n_g=6, n_t=5)
    # phases from a balanced design: every pair of paths sees both relative signs equally often
    signs = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=float) * np.pi
    csi = bs.synthesize_csi(p, shape, phases=signs[:, None, :])
    assert _rel(bs.tbf_from_csi(csi, shape)[0], bs.tbf_from_params(p, shape)[0]) < 1e-5
    # and the sample SFTF of those realisations gives the same TBF through the transform
    assert _rel(bs.tbf_from_sftf(bs.sftf_from_csi(csi), shape)[0], bs.tbf_from_params(p, shape)[0]) < 1e-5


def test_single_path_tensor_equals_closed_form_and_lands_in_bin():
    shape = bs.TBShape(n_h=8, n_v=4, n_c=64, n_g=16, n_t=8)
    # on-grid parameters: beam (3, 1), tap 5, Doppler bin 2 (and a negative Doppler -> bin n_t - 1)
    for nu, q in ((2 / 8, 2), (-1 / 8, 7)):
        p = bs.BeamParams(power=[[2.0]], psi_h=[[3 / 8]], psi_v=[[1 / 4 - 1.0]], kappa=[[5 / 64]], nu=[[nu]])
        g = bs.triple_beam(bs.synthesize_csi(p, shape), shape)
        omega = bs.tbf_from_params(p, shape)
        assert _rel(np.abs(g) ** 2, omega) < 1e-5
        peak = np.unravel_index(np.argmax(omega[0]), shape.tb)
        assert peak == (3 * 4 + 1, 5, q)
        # all the energy is in that bin (on-grid) and equals P N_c N_t
        assert omega[0][peak] == pytest.approx(2.0 * 64 * 8, rel=1e-9)


def test_off_grid_path_peaks_at_nearest_bin():
    shape = bs.TBShape(n_h=16, n_v=8, n_c=256, n_g=32, n_t=16)
    psi_h, psi_v, tau_taps, nu_bins = 0.31, -0.2, 9.3, 2.8
    p = bs.BeamParams(power=[[1.0]], psi_h=[[psi_h]], psi_v=[[psi_v]], kappa=[[tau_taps / 256]],
                      nu=[[nu_bins / 16]])
    x_ad, x_d = bs.compact_tbf(p, shape)
    a, g = np.unravel_index(np.argmax(x_ad[0]), x_ad.shape[1:])
    assert (a // 8, a % 8, g) == (round(psi_h * 16) % 16, round(psi_v * 8) % 8, 9)
    assert int(np.argmax(x_d[0])) == 3


def test_compact_marginals_equal_dense_sums():
    rng = np.random.default_rng(3)
    p = _params(rng, 4, 6)
    shape = bs.TBShape(n_h=4, n_v=2, n_c=32, n_g=8, n_t=6, oversample=2)
    omega = bs.tbf_from_params(p, shape)
    x_ad, x_d = bs.compact_tbf(p, shape, chunk=3)
    assert _rel(x_ad, omega.sum(-1)) < 1e-5
    assert _rel(x_d, omega.sum((1, 2))) < 1e-5


def test_doppler_from_weights_equals_compact():
    rng = np.random.default_rng(9)
    p = _params(rng, 30, 6)
    shape = bs.TBShape(n_h=4, n_v=2, n_c=64, n_g=8, n_t=16)
    _, x_d = bs.compact_tbf(p, shape)
    w = bs.doppler_weights(p, shape, chunk=7)
    assert _rel(bs.doppler_profile_from_weights(w, p.nu, shape), x_d) < 1e-5
    nu2 = rng.uniform(-0.1, 0.1, p.nu.shape)  # the weights serve any other velocity
    assert _rel(bs.doppler_profile_from_weights(w, nu2, shape), bs.compact_tbf(p.with_doppler(nu2), shape)[1]) < 1e-5


def test_compact_noise_statistics():
    """Noise enters with the right mean: sigma^2 per TB cell, sigma^2 = mean SFT entry power / SNR."""
    rng = np.random.default_rng(4)
    p = _params(rng, 1, 3)
    p = p.subset(np.zeros(4000, dtype=int))
    shape = bs.TBShape(n_h=4, n_v=2, n_c=32, n_g=8, n_t=6)
    clean_ad, clean_d = bs.compact_tbf(p.subset([0]), shape)
    x_ad, x_d = bs.compact_tbf(p, shape, snr_db=0.0, rng=np.random.default_rng(5))
    sigma2 = p.power[0].sum() / shape.n_a  # SNR 0 dB
    np.testing.assert_allclose(x_ad.mean(0), clean_ad[0] + sigma2 * shape.n_t, rtol=0.02, atol=0.02 * sigma2)
    np.testing.assert_allclose(x_d.mean(0), clean_d[0] + sigma2 * shape.n_a * shape.n_g, rtol=0.02)
    with pytest.raises(ParameterError):
        bs.compact_tbf(p, shape, snr_db=10.0)


def test_collinearity_closed_forms_match_materialised():
    rng = np.random.default_rng(6)
    p1, p2 = _params(rng, 1, 3), _params(rng, 1, 4)
    shape = bs.TBShape(n_h=2, n_v=2, n_c=8, n_g=4, n_t=4)
    r1, r2 = bs.sftf_from_params(p1, shape)[0], bs.sftf_from_params(p2, shape)[0]
    assert bs.sftf_collinearity(p1, p2, shape) == pytest.approx(bs.collinearity(r1, r2), rel=1e-9)
    o1, o2 = bs.tbf_from_params(p1, shape)[0], bs.tbf_from_params(p2, shape)[0]
    assert bs.tbf_collinearity(p1, p2, shape) == pytest.approx(bs.collinearity(o1, o2), rel=1e-9)
    assert bs.collinearity(o1, o1) == pytest.approx(1.0)
    assert bs.collinearity(o1, 3.0 * o1) == pytest.approx(1.0)


def test_theorem2_gap_shrinks_with_size():
    """Positions with independent multipath: |c(SFTF) - c(TBF)| decreases as all sizes grow."""
    rng = np.random.default_rng(7)
    shapes = [bs.TBShape(2 * s, s, 16 * s, 4 * s, 4 * s) for s in (1, 2, 4, 8, 16)]
    gaps = np.mean([bs.theorem2_gap(_params(rng, 1, 5), _params(rng, 1, 5), shapes)[:, 2] for _ in range(10)],
                   axis=0)
    assert np.all(np.diff(gaps) < 0)
    assert gaps[-1] < 1e-3 and gaps[-1] < 0.02 * gaps[0]


def test_preprocess_normalises_and_masks():
    rng = np.random.default_rng(8)
    x_ad = rng.exponential(1.0, (5, 6, 4)) * np.arange(1, 6)[:, None, None]
    x_d = rng.exponential(1.0, (5, 7))
    f = bs.preprocess(x_ad, x_d, eta=0.5)
    assert f["x_ad"].dtype == np.float16 and f["mask"].dtype == np.uint8 and f["x_d"].dtype == np.float32
    np.testing.assert_allclose(f["x_ad"].reshape(5, -1).max(1), 1.0, rtol=1e-3)
    np.testing.assert_allclose(f["x_d"].max(1), 1.0, rtol=1e-6)
    expected = (x_ad / x_ad.reshape(5, -1).max(1)[:, None, None]) > 0.5
    assert (f["mask"].astype(bool) == expected).mean() > 0.99
    with pytest.raises(ParameterError):
        bs.mask(f["x_ad"], 1.5)
