"""OFDM synthesis: closed forms, spherical vs plane wave, Doppler, noise."""

import numpy as np
import pytest

from radiomap import SPEED_OF_LIGHT as C
from radiomap.channel import Paths, add_noise_snr, normalise_and_add_noise, trace
from radiomap.errors import ParameterError
from radiomap.scene import ULA, AccessPoint

from .conftest import make_scene


def _one_path(gain, length, element_length, departure=(1.0, 0.0, 0.0), doppler=None, n_ant=4):
    a = np.zeros((1, 1, 1))
    el = np.asarray(element_length, float).reshape(1, 1, 1, n_ant)
    return Paths(
        positions=np.zeros((1, 3)), ap_positions=np.zeros((1, 3)),
        element_positions=np.zeros((1, n_ant, 3)), gain=a + gain, length=a + length, element_length=el,
        departure=np.broadcast_to(departure, (1, 1, 1, 3)).copy(), arrival=np.zeros((1, 1, 1, 3)),
        valid=np.ones((1, 1, 1), bool), order=np.zeros((1, 1, 1), np.int8), kind=np.zeros((1, 1, 1), np.int8),
        los=np.ones((1, 1), bool), doppler=None if doppler is None else a + doppler)


def test_one_path_cfr_equals_closed_form():
    scene = make_scene(k=32, bandwidth=100e6)
    g, d = 0.3 * np.exp(1j * 0.4), 12.345
    el = d + np.array([-0.05, 0.0, 0.031, 0.07])
    h = _one_path(g, d, el).cfr(scene.ofdm)[0, 0]
    f = scene.ofdm.frequencies
    ref = g * (d / el)[:, None] * np.exp(-2j * np.pi * f * el[:, None] / C)
    np.testing.assert_allclose(h, ref, rtol=1e-5, atol=1e-6)


def test_subcarrier_grid():
    scene = make_scene(k=4, bandwidth=40e6, carrier=1e9)
    np.testing.assert_allclose(scene.ofdm.frequencies, 1e9 + np.array([-2, -1, 0, 1]) * 10e6)


def _spherical_vs_plane_error(distance):
    ap = AccessPoint("AP", (0.0, 0.0, 1.5), ULA(64), orientation=0.0)
    scene = make_scene(aps=[ap], k=8, carrier=3.5e9, bandwidth=20e6)
    user = np.array([[distance * np.cos(0.3), distance * np.sin(0.3), 1.5]])
    p = trace(scene, user, max_order=0, scatterers=False)
    hs, hp = p.cfr(scene.ofdm, wavefront="spherical"), p.cfr(scene.ofdm, wavefront="plane")
    return np.linalg.norm(hs - hp) / np.linalg.norm(hs)


def test_spherical_and_plane_agree_in_far_field_and_differ_in_near_field():
    # 64-element ULA at 3.5 GHz: aperture D = 2.7 m, Fraunhofer distance 2 D^2 / lambda = 170 m
    assert _spherical_vs_plane_error(5000.0) < 0.03
    assert _spherical_vs_plane_error(5.0) > 0.5


def test_plane_wave_steering_matches_ap_steering():
    ap = AccessPoint("AP", (1.0, 2.0, 3.0), ULA(8), orientation=0.7)
    scene = make_scene(aps=[ap])
    user = np.array([[9.0, -4.0, 1.5]])
    p = trace(scene, user, max_order=0, scatterers=False)
    h = p.cfr(scene.ofdm, wavefront="plane")[0, 0, :, 0]
    a = ap.steering(p.departure[0, 0, 0], scene.ofdm.wavelength)
    np.testing.assert_allclose(h / h[0], a / a[0], rtol=1e-5)


def test_doppler_time_axis():
    scene = make_scene(k=8, n_symbols=6)
    nu = 4000.0
    h = _one_path(1.0, 10.0, np.full(4, 10.0), doppler=nu).cfr(scene.ofdm, n_symbols=6)
    assert h.shape == (1, 1, 4, 8, 6)
    ratio = h[0, 0, 0, 0, 1:] / h[0, 0, 0, 0, :-1]
    np.testing.assert_allclose(np.angle(ratio), 2 * np.pi * nu * scene.ofdm.symbol_duration, atol=1e-6)


def test_time_axis_needs_doppler():
    scene = make_scene()
    with pytest.raises(ParameterError, match="Doppler"):
        _one_path(1.0, 10.0, np.full(4, 10.0)).cfr(scene.ofdm, n_symbols=4)


def test_noise_snr_and_variance_modes():
    rng = np.random.default_rng(0)
    h = (rng.standard_normal((400, 2, 8, 16)) + 1j * rng.standard_normal((400, 2, 8, 16))).astype(np.complex64)
    h[:, 1] *= 10
    noisy = add_noise_snr(h, 10.0, rng)
    snr = np.mean(np.abs(h) ** 2, axis=(0, 2, 3)) / np.mean(np.abs(noisy - h) ** 2, axis=(0, 2, 3))
    np.testing.assert_allclose(10 * np.log10(snr), [10.0, 10.0], atol=0.1)
    out, ref = normalise_and_add_noise(h, 0.2, rng)
    clean = h / np.sqrt(ref)
    assert np.mean(np.abs(clean) ** 2) == pytest.approx(1.0, rel=1e-5)
    assert np.var(out - clean) == pytest.approx(0.2, rel=0.02)
    out2, ref2 = normalise_and_add_noise(h[:10], 0.0, rng, reference_power=ref)
    assert ref2 == ref
    np.testing.assert_allclose(out2, h[:10] / np.sqrt(ref), rtol=1e-6)
