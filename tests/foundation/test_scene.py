"""Scenes: presets, serialisation, LOS against brute force, regions, arrays."""

import json

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from radiomap.errors import SceneError
from radiomap.scene import (
    REGION_NAMES,
    ULA,
    UPA,
    AccessPoint,
    get_scene,
    list_scenes,
    load_scene,
    save_scene,
    ula_steering,
)
from radiomap.scene.geometry import point_segment_distance


def test_presets_exist_and_load():
    assert {"xing-indoor", "chatelier-plane", "zhao-tbf"} <= set(list_scenes())
    zhao = get_scene("zhao-tbf")
    assert zhao.aps[0].n_antennas == 128 and zhao.ofdm.n_subcarriers == 2048 and zhao.ofdm.n_symbols == 112
    assert zhao.aps[0].position[2] == 25.0 and zhao.user_heights == (1.5, 4.5, 7.5)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("name", ["xing-indoor", "zhao-tbf", "chatelier-plane"])
def test_save_load_round_trip(tmp_path, name, suffix):
    scene = get_scene(name)
    path = save_scene(scene, tmp_path / f"s{suffix}")
    again = load_scene(path)
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(scene.to_dict(), sort_keys=True)
    assert again.geometry_signature() == scene.geometry_signature()


def test_bad_scene_inputs(tmp_path):
    with pytest.raises(SceneError, match="unknown scene 'nowhere'"):
        get_scene("nowhere")
    d = get_scene("xing-indoor").to_dict()
    del d["aps"]
    with pytest.raises(SceneError, match="missing field 'aps'"):
        type(get_scene("xing-indoor")).from_dict(d)
    d = get_scene("xing-indoor").to_dict()
    d["walls"][0]["material"] = "unobtainium"
    with pytest.raises(SceneError, match="unobtainium"):
        type(get_scene("xing-indoor")).from_dict(d)
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    with pytest.raises(SceneError, match="cannot be parsed"):
        load_scene(bad)
    d = get_scene("xing-indoor").to_dict()
    d["materials"]["brick"]["reflection"] = 1.5
    with pytest.raises(SceneError, match="reflection"):
        type(get_scene("xing-indoor")).from_dict(d)


def test_xing_indoor_has_all_three_regions():
    scene = get_scene("xing-indoor")
    regions = scene.region_labels(scene.grid(0.1))
    frac = np.bincount(regions, minlength=3) / len(regions)
    assert (frac >= 0.10).all(), dict(zip(REGION_NAMES, frac, strict=True))


def _brute_force_los(scene, p):
    """Per-AP, per-wall scalar segment intersection with exact 3-D height check."""
    out = []
    for ap in scene.aps:
        o = np.asarray(ap.position)
        blocked = False
        for w in scene.walls:
            a, b = np.asarray(w.start), np.asarray(w.end)
            m = np.array([[p[0] - o[0], a[0] - b[0]], [p[1] - o[1], a[1] - b[1]]])
            if abs(np.linalg.det(m)) < 1e-12:
                continue
            t, s = np.linalg.solve(m, a - o[:2])
            if 0 < t < 1 and 0 <= s <= 1:
                z = o[2] + t * (p[2] - o[2])
                blocked |= w.z_min <= z <= w.z_max
        for sl in scene.slabs:
            blocked |= (o[2] - sl.z) * (p[2] - sl.z) < 0
        out.append(not blocked)
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.35, 15.65), st.floats(0.35, 7.65), st.floats(0.2, 4.3))
@example(3.0, 2.0, 1.0)  # on a wall: skipped
@example(3.01, 2.0, 1.0)
def test_los_matches_brute_force(x, y, z):
    scene = get_scene("xing-indoor")
    p = np.array([x, y, z])
    ends = np.array([[w.start[:2], w.end[:2]] for w in scene.walls], dtype=np.float64)
    assume(point_segment_distance(p[None, :2], ends[:, 0], ends[:, 1]).min() > 1e-6)  # on a wall: neither side
    np.testing.assert_array_equal(scene.los(p[None])[0], _brute_force_los(scene, p))


def test_los_multi_floor_slabs():
    zhao = get_scene("zhao-tbf")
    assert not zhao.los(np.array([[3.0, 4.0, 1.5], [3.0, 4.0, 7.5]])).any()  # the roof slab blocks every path


def test_ula_steering_matches_ap_steering_and_cone_angle():
    ap = AccessPoint("AP", (1.0, 2.0, 4.0), ULA(8), orientation=np.deg2rad(40))
    lam = 0.06
    pts = np.array([[6.0, 3.0, 1.5], [1.5, 8.0, 1.5], [-3.0, 2.5, 0.0]])
    theta = ap.cone_angle(pts)
    u = (pts - ap.position) / np.linalg.norm(pts - ap.position, axis=1, keepdims=True)
    a_ap = ap.steering(u, lam)
    a_ula = ula_steering(theta, 8, lam / 2, lam)
    ratio = a_ap / a_ula  # a common phase per point
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones((1, 8)), atol=1e-12)


def test_upa_element_order_is_kron_h_v():
    ap = AccessPoint("BS", (0.0, 0.0, 0.0), UPA(4, 2), orientation=0.0)
    el = ap.element_positions(0.1)
    # element m * n_v + n: horizontal index m along the array axis (+y for orientation 0), vertical n along z
    assert np.allclose(el[1] - el[0], [0, 0, 0.05]) and np.allclose(el[2] - el[0], [0, 0.05, 0])


def test_grid_and_contains():
    scene = get_scene("xing-indoor")
    g = scene.grid(0.5)
    assert scene.contains(g).all() and np.allclose(g[:, 2], 1.5)
    assert not scene.contains(np.array([[-1.0, 2.0], [20.0, 3.0]])).any()
