"""WCL and AoA triangulation: exact on noiseless synthetic geometry."""

import numpy as np
import pytest

from radiomap.localize.geometric import (
    WCL,
    AoATriangulation,
    intersect_bearings,
    triangulate_cone_angles,
    weighted_centroid,
)

from ._synth import make_dataset, random_positions, room_scene


def test_weighted_centroid_closed_form():
    ap_xy = np.array([[0.0, 0.0], [16.0, 0.0], [16.0, 8.0], [0.0, 8.0]])
    p_lin = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    for g in (1.0, 2.0, 0.5):
        w = p_lin**g
        expected = (w @ ap_xy) / w.sum(1, keepdims=True)
        np.testing.assert_allclose(weighted_centroid(10 * np.log10(p_lin), ap_xy, g), expected, rtol=1e-12)
    # very large g -> the strongest AP
    strongest = weighted_centroid(10 * np.log10(p_lin[:1]), ap_xy, 400.0)
    np.testing.assert_allclose(strongest, ap_xy[3:4], atol=1e-9)


def test_wcl_localizer_exact_on_synthetic_powers():
    """Users equidistant from all APs (room centre) get the centre; others the closed-form centroid."""
    scene = room_scene()
    pos = np.array([[8.0, 4.0, 1.5], [3.0, 2.0, 1.5], [12.0, 6.5, 1.5]])
    ds = make_dataset(positions=pos, scene=scene)
    loc = WCL(g=1.0).fit(ds.without_positions())
    pred = loc.predict(ds)
    np.testing.assert_allclose(pred[0], [8.0, 4.0, 1.5], atol=1e-5)
    d2 = ((pos[:, None, :] - scene.ap_positions[None]) ** 2).sum(-1)  # LOS amplitude 1/d -> power 1/d^2
    w = 1.0 / d2
    expected = (w @ scene.ap_positions[:, :2]) / w.sum(1, keepdims=True)
    np.testing.assert_allclose(pred[:, :2], expected, rtol=1e-5)
    np.testing.assert_allclose(pred[:, 2], 1.5)


def test_intersect_bearings_exact():
    ap_xy = np.array([[0.0, 0.0], [16.0, 0.0], [16.0, 8.0], [0.0, 8.0]])
    pts = random_positions(50, seed=3)[:, :2]
    az = np.arctan2(pts[:, None, 1] - ap_xy[None, :, 1], pts[:, None, 0] - ap_xy[None, :, 0])
    np.testing.assert_allclose(intersect_bearings(ap_xy, az), pts, atol=1e-6)
    w = np.random.default_rng(0).uniform(0.1, 1, az.shape)
    np.testing.assert_allclose(intersect_bearings(ap_xy, az, w), pts, atol=1e-6)


def test_triangulate_cone_angles_exact_with_elevation():
    scene = room_scene()
    pts = random_positions(100, seed=4)
    theta = np.stack([ap.cone_angle(pts) for ap in scene.aps], axis=1)
    orient = np.array([ap.orientation for ap in scene.aps])
    xy = triangulate_cone_angles(theta, scene.ap_positions, orient, 1.5)
    np.testing.assert_allclose(xy, pts[:, :2], atol=1e-6)
    # without the elevation correction the cone angle is biased: the test can fail
    xy0 = triangulate_cone_angles(theta, scene.ap_positions, orient, 1.5, n_iter=0)
    assert np.abs(xy0 - pts[:, :2]).max() > 0.05


@pytest.mark.parametrize("weighting", ["power", "uniform"])
def test_aoa_localizer_noiseless_csi(weighting):
    ds = make_dataset(n=60, seed=5)
    loc = AoATriangulation(weighting=weighting).fit(ds.without_positions())
    err = np.linalg.norm(loc.predict(ds)[:, :2] - ds.positions[:, :2], axis=1)
    assert err.max() < 0.02, err.max()  # MUSIC angles refined well below the 0.1 degree grid


def test_aoa_beats_wcl_with_noise():
    ds = make_dataset(n=80, seed=6, noise=0.05, scatter=0.1)
    err = {}
    for loc in (WCL(), AoATriangulation()):
        loc.fit(ds.without_positions())
        err[loc.name] = np.linalg.norm(loc.predict(ds)[:, :2] - ds.positions[:, :2], axis=1).mean()
    assert err["aoa"] < err["wcl"]
