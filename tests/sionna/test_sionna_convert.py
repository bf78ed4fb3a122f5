"""Sionna output -> radiomap Paths, on synthetic solver arrays (no Sionna needed).

Per-element lengths of reflected paths are checked against a brute-force Fermat minimisation
over the reflection points (an oracle independent of the image method used by the converter).
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from sionna_scenes import room_scene

from radiomap import SPEED_OF_LIGHT
from radiomap.channel import trace
from radiomap.channel.sionna_rt import paths_from_sionna_arrays, scene_planes, trace_sionna
from radiomap.errors import ParameterError, RadiomapError, SceneError
from radiomap.scene.arrays import UPA

SPEC, DIFF = 1, 2
EAST, WEST = 1, 3  # plane indices in scene_planes order (4 room walls, partition, floor, ceiling)


def _on_plane(t, pt, nrm):
    """Point on the plane ``(pt, nrm)`` from 2 coordinates (plane basis)."""
    u = np.cross(nrm, [0.0, 0.0, 1.0]) if abs(nrm[2]) < 0.5 else np.array([1.0, 0.0, 0.0])
    u = u / np.linalg.norm(u)
    v = np.cross(nrm, u)
    return pt + t[0] * u + t[1] * v


def _fermat(src, dst, planes):
    """Shortest path src -> planes[0] -> ... -> dst by numerical minimisation: (length, points)."""
    if not planes:
        return float(np.linalg.norm(dst - src)), []
    pts, nrm = scene_planes(room_scene())

    def pts_of(x):
        return [_on_plane(x[2 * i:2 * i + 2], pts[p], nrm[p]) for i, p in enumerate(planes)]

    def f(x):
        chain = [src] + pts_of(x) + [dst]
        return sum(np.linalg.norm(b - a) for a, b in zip(chain[:-1], chain[1:], strict=True))

    best = None
    for x0 in (np.zeros(2 * len(planes)), np.full(2 * len(planes), 3.0)):
        r = minimize(f, x0, method="BFGS", options={"gtol": 1e-12})
        best = r if best is None or r.fun < best.fun else best
    return best.fun, pts_of(best.x)


def _synthetic(scene, pos, plane_seqs, kinds):
    """Sionna-like arrays for the given per-path plane sequences (same for every position and AP)."""
    n, nb, n_l, d = len(pos), scene.n_aps, len(plane_seqs), 2
    out = {"a": np.zeros((n, nb, n_l), complex), "tau": np.zeros((n, nb, n_l)),
           "valid": np.ones((n, nb, n_l), bool),
           "interactions": np.zeros((d, n, nb, n_l), int), "plane_index": -np.ones((d, n, nb, n_l), int),
           "vertices": np.zeros((d, n, nb, n_l, 3))}
    for i in range(n):
        for b, ap in enumerate(scene.aps):
            for l_, (seq, kind) in enumerate(zip(plane_seqs, kinds, strict=True)):
                length, points = _fermat(np.asarray(ap.position), pos[i], seq)
                out["tau"][i, b, l_] = length / SPEED_OF_LIGHT
                out["a"][i, b, l_] = (0.3 + 0.1j) / length
                for j, (p, q) in enumerate(zip(seq, points, strict=True)):
                    out["interactions"][j, i, b, l_] = kind
                    out["plane_index"][j, i, b, l_] = p
                    out["vertices"][j, i, b, l_] = q
    return out


@pytest.fixture(scope="module", params=["ula", "upa"])
def case(request):
    scene = room_scene(array=UPA(2, 2) if request.param == "upa" else None)
    pos = np.array([[2.0, 4.5, 1.5], [6.0, 1.0, 1.2]])
    arr = _synthetic(scene, pos, [[], [EAST], [EAST, WEST]], [SPEC, SPEC, SPEC])
    return scene, pos, arr


def test_lengths_and_directions_match_fermat_oracle(case):
    scene, pos, arr = case
    paths = paths_from_sionna_arrays(scene, pos, max_order=2, **arr)
    assert paths.valid.all() and paths.n_paths == 3
    np.testing.assert_array_equal(paths.order[0, 0], [0, 1, 2])
    np.testing.assert_array_equal(paths.kind[0, 0], [0, 1, 1])
    np.testing.assert_allclose(paths.length, arr["tau"] * SPEED_OF_LIGHT, atol=1e-6)
    np.testing.assert_allclose(paths.gain, arr["a"])
    assert paths.los.all()
    lam = scene.ofdm.wavelength
    for i in range(len(pos)):
        for b, ap in enumerate(scene.aps):
            for l_, seq in enumerate([[], [EAST], [EAST, WEST]]):
                elem = ap.element_positions(lam)
                brute = [_fermat(e, pos[i], seq)[0] for e in elem]
                np.testing.assert_allclose(paths.element_length[i, b, l_], brute, atol=1e-6)
                _, pts = _fermat(np.asarray(ap.position), pos[i], seq)
                first = pts[0] if seq else pos[i]
                last = pts[-1] if seq else np.asarray(ap.position)
                d0 = (first - np.asarray(ap.position)) / np.linalg.norm(first - np.asarray(ap.position))
                d1 = (pos[i] - last) / np.linalg.norm(pos[i] - last)
                np.testing.assert_allclose(paths.departure[i, b, l_], d0, atol=1e-6)
                np.testing.assert_allclose(paths.arrival[i, b, l_], d1, atol=1e-6)


def test_max_order_drops_paths_and_los_needs_a_free_path(case):
    scene, pos, arr = case
    paths = paths_from_sionna_arrays(scene, pos, max_order=1, **arr)
    assert paths.n_paths == 2 and (paths.order <= 1).all()
    blocked = dict(arr, valid=arr["valid"].copy())
    blocked["valid"][1, 0, 0] = False  # no interaction-free path for (user 1, AP 0)
    p2 = paths_from_sionna_arrays(scene, pos, max_order=2, **blocked)
    assert not p2.los[1, 0] and p2.los[0, 0] and p2.los[1, 1]


def test_wrong_plane_is_detected(case):
    scene, pos, arr = case
    bad = dict(arr, plane_index=arr["plane_index"].copy())
    bad["plane_index"][0, :, :, 1] = 3  # the west wall instead of the east wall
    with pytest.raises(RadiomapError, match="differ"):
        paths_from_sionna_arrays(scene, pos, max_order=2, **bad)


def test_diffuse_path_uses_interaction_points():
    scene = room_scene()
    pos = np.array([[2.0, 4.5, 1.5]])
    v = np.array([5.0, 6.0, 2.0])  # a point on the north wall
    n, nb = 1, scene.n_aps
    inter = np.zeros((1, n, nb, 1), int)
    inter[0] = DIFF
    o = scene.ap_positions
    length = np.linalg.norm(v - o, axis=1) + np.linalg.norm(pos[0] - v)
    paths = paths_from_sionna_arrays(
        scene, pos, a=np.ones((n, nb, 1)), tau=(length / SPEED_OF_LIGHT)[None, :, None],
        valid=np.ones((n, nb, 1), bool), interactions=inter, plane_index=np.full((1, n, nb, 1), 2),
        vertices=np.broadcast_to(v, (1, n, nb, 1, 3)), max_order=2)
    assert paths.kind[0, 0, 0] == 2 and paths.order[0, 0, 0] == 1
    np.testing.assert_allclose(paths.length[0, :, 0], length)
    for b, ap in enumerate(scene.aps):
        el = ap.element_positions(scene.ofdm.wavelength)
        np.testing.assert_allclose(paths.element_length[0, b, 0],
                                   np.linalg.norm(el - v, axis=1) + np.linalg.norm(pos[0] - v))


def test_cfr_equals_builtin_for_the_same_direct_paths():
    scene = room_scene()
    pos = np.array([[2.0, 4.5, 1.5], [6.0, 1.0, 1.2], [5.0, 4.0, 1.0]])
    ref = trace(scene, pos, max_order=0, scatterers=False)
    n, nb = len(pos), scene.n_aps
    paths = paths_from_sionna_arrays(
        scene, pos, a=ref.gain, tau=ref.delay, valid=ref.valid,
        interactions=np.zeros((0, n, nb, 1), int), plane_index=np.zeros((0, n, nb, 1), int),
        vertices=np.zeros((0, n, nb, 1, 3)), max_order=2)
    np.testing.assert_allclose(paths.element_length, ref.element_length, rtol=1e-14)
    np.testing.assert_allclose(paths.cfr(scene.ofdm), ref.cfr(scene.ofdm), rtol=1e-5, atol=1e-9)


def test_trace_sionna_validates_before_importing_sionna():
    scene = room_scene()
    with pytest.raises(SceneError, match="shape"):
        trace_sionna(scene, np.zeros((4, 2)))
    with pytest.raises(SceneError, match="NaN"):
        trace_sionna(scene, np.full((1, 3), np.nan))
    with pytest.raises(ParameterError, match="max_depth"):
        trace_sionna(scene, np.ones((1, 3)), max_order=2, max_depth=1)
    with pytest.raises(ParameterError, match="velocity"):
        trace_sionna(scene, np.ones((2, 3)), velocity=np.zeros((3, 3)))
