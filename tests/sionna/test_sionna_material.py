"""Material mapping for the Sionna backend: ITU-R P.2040 slab formulas against closed forms."""

import numpy as np
import pytest

from radiomap import SPEED_OF_LIGHT
from radiomap.channel.sionna_rt import EPSILON_0, sionna_material_params, slab_coefficients
from radiomap.scene.elements import Material

LAM = SPEED_OF_LIGHT / 3.5e9


def test_lossless_slab_conserves_energy():
    c = np.linspace(0.05, 1.0, 40)
    r_te, r_tm, t_te, t_tm = slab_coefficients(c, 4.0 + 0j, 0.13, LAM)
    np.testing.assert_allclose(np.abs(r_te) ** 2 + np.abs(t_te) ** 2, 1.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(r_tm) ** 2 + np.abs(t_tm) ** 2, 1.0, atol=1e-12)


def test_half_wave_slab_is_transparent_at_normal_incidence():
    eps = 6.0
    d = LAM / (2 * np.sqrt(eps))  # q = pi
    r_te, _, t_te, _ = slab_coefficients(1.0, eps + 0j, d, LAM)
    assert abs(r_te) < 1e-12
    assert abs(abs(t_te) - 1.0) < 1e-12


def test_thick_lossy_slab_tends_to_half_space_fresnel():
    eps, c = 5.0, np.linspace(0.1, 1.0, 10)
    r_te = slab_coefficients(c, eps - 0.05j, 20.0, LAM)[0]  # loss tangent 0.01, 20 m: no internal echo
    m = Material("m", 0.0, 0.0, permittivity=eps)
    np.testing.assert_allclose(r_te, m.reflection_coefficient(c), atol=5e-3)


@pytest.mark.parametrize("pen_db", [3.0, 10.0, 20.0, 35.0])
def test_conductivity_reproduces_penetration_loss(pen_db):
    m = Material("concrete", 0.0, pen_db, permittivity=5.0)
    p = sionna_material_params(m, 3.5e9, thickness=0.2)
    eta = p["relative_permittivity"] - 1j * p["conductivity"] / (EPSILON_0 * 2 * np.pi * 3.5e9)
    t = slab_coefficients(1.0, eta, 0.2, LAM)[2]
    assert p["conductivity"] > 0
    assert -20 * np.log10(abs(t)) == pytest.approx(pen_db, abs=1e-6)


def test_zero_penetration_gives_lossless_material_and_reflection_magnitude():
    m = Material("glass", -0.4, 0.0)
    p = sionna_material_params(m, 3.5e9)
    assert p["conductivity"] == 0.0
    root = np.sqrt(p["relative_permittivity"])
    assert abs((1 - root) / (1 + root)) == pytest.approx(0.4, abs=1e-12)
