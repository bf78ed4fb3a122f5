"""Delay and power features against closed forms."""

import numpy as np
import pytest

from radiomap.errors import DataError, ParameterError
from radiomap.features.delay import (
    frequency_selectivity,
    mean_delay,
    power_delay_profile,
    rms_delay_spread,
)
from radiomap.features.power import rss_db

B = 80e6
K = 64


def taps_csi(delays, powers, n_ant=4, k=K, bw=B, fc=5e9, seed=0):
    """[1, 1, n_ant, k] CSI of discrete taps: H[n, k] = sum_l g_l exp(-j 2 pi f_k tau_l)."""
    rng = np.random.default_rng(seed)
    f = fc + (np.arange(k) - k / 2) * bw / k
    h = np.zeros((n_ant, k), complex)
    for tau, p in zip(delays, powers, strict=True):
        phase = np.exp(2j * np.pi * rng.random(n_ant))
        h += np.sqrt(p) * phase[:, None] * np.exp(-2j * np.pi * f * tau)[None, :]
    return h[None, None].astype(np.complex64)


def closed_form(t1, t2, p1, p2):
    return np.sqrt(p1 * p2) / (p1 + p2) * abs(t2 - t1)


@pytest.mark.parametrize("window", ["hann", None])
@pytest.mark.parametrize("m1,m2,p1,p2", [(3, 10, 1.0, 1.0), (2, 20, 1.0, 0.25), (5, 8, 2.0, 0.5)])
def test_two_tap_rms_on_grid_exact(m1, m2, p1, p2, window):
    t1, t2 = m1 / B, m2 / B
    csi = taps_csi([t1, t2], [p1, p2])
    rms = rms_delay_spread(csi, B, oversample=1, window=window)[0, 0]
    assert rms == pytest.approx(closed_form(t1, t2, p1, p2), rel=1e-4)
    mean = mean_delay(csi, B, oversample=1, window=window)[0, 0]
    assert mean == pytest.approx((p1 * t1 + p2 * t2) / (p1 + p2), rel=1e-4)


def test_two_adjacent_taps_rectangular_exact():
    t1, t2 = 5 / B, 6 / B
    csi = taps_csi([t1, t2], [2.0, 0.5])
    rms = rms_delay_spread(csi, B, oversample=1, window=None)[0, 0]
    assert rms == pytest.approx(closed_form(t1, t2, 2.0, 0.5), rel=1e-4)


def test_two_tap_rms_oversampled_close():
    # well separated taps: the main-lobe width (~1/B) adds little to a 100 ns spread
    t1, t2 = 41.3e-9, 237.9e-9  # off the delay grid
    csi = taps_csi([t1, t2], [1.0, 0.5])
    rms = rms_delay_spread(csi, B, oversample=4)[0, 0]
    assert rms == pytest.approx(closed_form(t1, t2, 1.0, 0.5), rel=0.03)
    mean = mean_delay(csi, B, oversample=4)[0, 0]
    assert mean == pytest.approx((t1 + 0.5 * t2) / 1.5, rel=0.03)


def test_single_tap_near_zero_delay_does_not_wrap():
    csi = taps_csi([0.0], [1.0])
    assert abs(mean_delay(csi, B, oversample=4)[0, 0]) < 1e-10
    assert rms_delay_spread(csi, B, oversample=4)[0, 0] < 1e-10
    # an off-grid single path leaks little with the Hann taper (< 1/10 of a 12.5 ns bin)
    off = taps_csi([3.7e-9], [1.0])
    assert abs(mean_delay(off, B)[0, 0] - 3.7e-9) < 0.5e-9
    assert rms_delay_spread(off, B)[0, 0] < 1.25e-9


def test_pdp_parseval():
    csi = taps_csi([10e-9, 70e-9], [1.0, 0.3], k=K)
    pdp = power_delay_profile(csi, oversample=2, window=None)
    total = np.sum(np.abs(csi.astype(complex)) ** 2)
    # zero-padded IDFT of length 2K: sum |x|^2 = sum |H|^2 / (2K)
    assert pdp.sum() == pytest.approx(total / (2 * K), rel=1e-5)


def test_frequency_selectivity_flat_and_two_tap():
    flat = taps_csi([30e-9], [1.0], n_ant=1)
    assert frequency_selectivity(flat)[0, 0] == pytest.approx(0.0, abs=1e-6)
    # |1 + a e^{-j w tau}|^2 over a full period: var/mean^2 = 2 a^2 / (1 + a^2)^2
    a = 0.5
    csi = taps_csi([0.0, 1 / B], [1.0, a**2], n_ant=1)
    assert frequency_selectivity(csi)[0, 0] == pytest.approx(2 * a**2 / (1 + a**2) ** 2, rel=1e-4)


def test_rss_db_closed_form_and_symbols():
    csi = np.full((2, 3, 4, 8), 0.5 + 0.5j, dtype=np.complex64)
    np.testing.assert_allclose(rss_db(csi), 10 * np.log10(32 * 0.5), rtol=1e-6)
    csi5 = np.ones((1, 1, 2, 4, 3), np.complex64)
    np.testing.assert_allclose(rss_db(csi5), 10 * np.log10(24.0))


def test_bad_inputs():
    with pytest.raises(DataError, match="shape"):
        rss_db(np.ones((3, 4)))
    with pytest.raises(DataError, match="missing"):
        frequency_selectivity(None)
    with pytest.raises(ParameterError, match="oversample"):
        power_delay_profile(np.ones((1, 1, 1, 8), np.complex64), oversample=0)
    with pytest.raises(ParameterError, match="bandwidth"):
        rms_delay_spread(np.ones((1, 1, 1, 8), np.complex64), -1.0)
