"""Position-error bound against the closed form of a single LOS path."""

import numpy as np
import pytest

from radiomap import SPEED_OF_LIGHT as C
from radiomap.limits import fisher_information, position_error_bound
from radiomap.scene import ULA, AccessPoint

from .conftest import make_scene


def test_single_path_fisher_information_closed_form():
    ap = AccessPoint("AP", (0.0, 0.0, 1.5), ULA(1), orientation=0.0)
    scene = make_scene(aps=[ap], k=16, bandwidth=100e6, carrier=3e9)
    d, sigma2 = 7.0, 1e-12
    j = fisher_information(scene, np.array([[d, 0.0, 1.5]]), sigma2, scatterers=False, max_order=0)[0]
    f = scene.ofdm.frequencies
    amp2 = (scene.ofdm.wavelength / (4 * np.pi * d)) ** 2
    radial = 2 / sigma2 * amp2 * np.sum(1 / d**2 + (2 * np.pi * f / C) ** 2)
    assert j[0, 0] == pytest.approx(radial, rel=2e-3)
    assert abs(j[1, 1]) < 1e-5 * radial  # a single antenna and one path: no information across the ray


def test_peb_shrinks_with_antennas_and_is_finite_with_an_array():
    pos = np.array([[5.0, 3.0, 1.5], [2.0, -4.0, 1.5]])
    pebs = []
    for n in (1, 16):
        scene = make_scene(aps=[AccessPoint("AP", (0.0, 0.0, 1.5), ULA(n))], k=16)
        pebs.append(position_error_bound(scene, pos, 1e-13, scatterers=False, max_order=0))
    assert np.isinf(pebs[0]).all()  # one antenna, one path: the angle is unobservable
    assert np.isfinite(pebs[1]).all() and (pebs[1] < 0.05).all()


def test_snr_bound_uses_the_simulators_noise_convention_and_scales_with_snr():
    from radiomap.channel import trace
    from radiomap.limits import snr_position_error_bound

    aps = [AccessPoint("A", (0.0, 0.0, 1.5), ULA(8)), AccessPoint("B", (6.0, 0.0, 2.5), ULA(8), orientation=np.pi)]
    scene = make_scene(aps=aps, k=16)
    pos = np.array([[3.0, 2.0, 1.5], [1.0, -3.0, 1.5]])
    peb = snr_position_error_bound(scene, pos, np.array([0.0, 20.0]), scatterers=False, max_order=0)
    assert peb.shape == (2, 2) and np.allclose(peb[1], peb[0] / 10)  # PEB ~ 1 / sqrt(SNR)
    # explicit per-(sample, AP) variance: mean |H_b|^2 / SNR, as add_noise_snr draws it
    h = trace(scene, pos, scatterers=False, max_order=0).cfr(scene.ofdm)
    var = np.mean(np.abs(h.astype(np.complex128)) ** 2, axis=(2, 3)) / 100.0
    direct = position_error_bound(scene, pos, var, scatterers=False, max_order=0)
    assert np.allclose(snr_position_error_bound(scene, pos, 20.0, scatterers=False, max_order=0), direct, rtol=1e-9)
    # one AP's information alone is less: the two-AP bound is below each single-AP bound
    big = np.stack([var[:, 0], np.full(2, 1e30)], axis=1)
    assert np.all(position_error_bound(scene, pos, big, scatterers=False, max_order=0) > direct)
