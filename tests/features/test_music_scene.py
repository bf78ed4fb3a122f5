"""music_angle on a Scene: agrees with AccessPoint.cone_angle for every AP orientation."""

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.features.music import local_to_global, music_angle
from radiomap.scene import OFDM, ULA, UPA, AccessPoint, Scene

OFDM5 = OFDM(carrier_hz=5e9, bandwidth_hz=80e6, n_subcarriers=64)
ORIENTATIONS = (np.pi / 4, -3 * np.pi / 4, 0.3, np.pi / 2 + 0.1)


def make_scene(orientations=ORIENTATIONS, array=None):
    aps = tuple(
        AccessPoint(f"ap{i}", (0.0, 0.0, 4.0), array or ULA(8), float(o)) for i, o in enumerate(orientations)
    )
    walkable = np.array([[-20.0, -20.0], [20.0, -20.0], [20.0, 20.0], [-20.0, 20.0]])
    return Scene(name="music-test", ofdm=OFDM5, aps=aps, walls=(), materials={}, walkable=walkable)


def planted_points(ap, cone_deg, dist=6.0, height=1.5):
    """Points at height 1.5 m whose cone angle seen from ``ap`` is ``cone_deg`` (front half-plane)."""
    dz = height - ap.position[2]
    horiz = np.sqrt(dist**2 - dz**2)
    s = np.sin(np.deg2rad(cone_deg)) * dist / horiz  # sin(az_local) = sin(cone) / cos(el)
    az_local = np.arcsin(np.clip(s, -1, 1))  # clipped where unreachable at this height
    az = ap.orientation + az_local
    return np.column_stack([horiz * np.cos(az), horiz * np.sin(az), np.full(len(az), height)]) + np.array(
        [ap.position[0], ap.position[1], 0.0]
    )


def synth_csi(scene, points, snr_db=40.0, seed=0):
    """[N, B, N_a, K]: LOS path from each AP plus white noise; delay phase over subcarriers."""
    rng = np.random.default_rng(seed)
    f = scene.ofdm.frequencies
    wl = scene.ofdm.wavelength
    out = []
    for ap in scene.aps:
        d = points - np.asarray(ap.position)
        dist = np.linalg.norm(d, axis=-1)
        a = ap.steering(d / dist[:, None], wl)  # [N, Na]
        h = a[:, :, None] * np.exp(-2j * np.pi * f[None, None, :] * (dist / 3e8)[:, None, None])
        out.append(h)
    csi = np.stack(out, axis=1)
    sigma = np.sqrt(np.mean(np.abs(csi) ** 2) * 10 ** (-snr_db / 10) / 2)
    csi = csi + sigma * (rng.standard_normal(csi.shape) + 1j * rng.standard_normal(csi.shape))
    return csi.astype(np.complex64)


CONES = np.array([-88.0, -85.0, -60.0, -20.0, 0.0, 15.5, 45.0, 75.0, 86.5, 88.0])


@pytest.mark.parametrize("b", range(len(ORIENTATIONS)))
def test_music_matches_cone_angle(b):
    scene = make_scene()
    ap = scene.aps[b]
    # users at 1.5 m see at most arcsin(cos(el)); near endfire the point is at the AP's height
    low, level = planted_points(ap, CONES), planted_points(ap, CONES, height=4.0)
    pts = np.where(np.abs(CONES)[:, None] <= 60, low, level)
    np.testing.assert_allclose(np.rad2deg(ap.cone_angle(pts)), CONES, atol=1e-6)  # planting is right
    est = music_angle(synth_csi(scene, pts), scene)
    truth = np.stack([a.cone_angle(pts) for a in scene.aps], axis=1)
    # the planted AP sees the planted angles; every other AP sees its own cone angle of the
    # same points, which is in the front or back half-plane (a ULA cannot tell them apart)
    err = np.rad2deg(np.abs(est - truth))
    assert err[:, b].max() < 0.5, err[:, b]
    assert err.max() < 0.5, err


def test_local_to_global_in_plane():
    scene = make_scene()
    theta = np.deg2rad(np.array([[10.0, -30.0, 0.0, 80.0]]))
    g = local_to_global(theta, scene)
    expected = np.angle(np.exp(1j * (theta + np.array(ORIENTATIONS))))
    np.testing.assert_allclose(g, expected)
    # a user in the AP's horizontal plane: cone angle + orientation = global azimuth
    ap = scene.aps[0]
    pts = np.array([[3.0, 1.0, 4.0]])
    assert local_to_global(np.full((1, 4), ap.cone_angle(pts)[0]), scene)[0, 0] == pytest.approx(
        ap.azimuth(pts)[0]
    )


def test_music_shape_and_array_errors():
    scene = make_scene()
    with pytest.raises(ParameterError, match="APs"):
        music_angle(np.ones((2, 3, 8, 16), np.complex64), scene)
    with pytest.raises(ParameterError, match="antennas"):
        music_angle(np.ones((2, 4, 6, 16), np.complex64), scene)
    with pytest.raises(ParameterError, match="ULA"):
        music_angle(np.ones((2, 4, 8, 16), np.complex64), make_scene(array=UPA(4, 2)))
