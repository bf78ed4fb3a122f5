"""The tracer's vectorised kernels agree bit for bit with the reference tests they replace."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from radiomap.channel.beams import build_beams, halfplanes, linear_contains, reach_l1
from radiomap.channel.wallgrid import indexed_crossings, pack_walls, pair_crossings
from radiomap.scene.geometry import segment_wall_crossings

_coord = st.integers(0, 16).map(lambda i: i * 0.5)  # a lattice: segments through wall ends, collinear ones


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lattice=st.booleans())
def test_indexed_crossings_equal_pair_crossings_and_the_dense_test(seed, lattice):
    rng = np.random.default_rng(seed)
    m, w = 40, 12
    if lattice:
        p = np.column_stack([rng.integers(0, 17, (m, 2)) * 0.5, rng.choice([0.0, 1.0, 3.0], m)])
        q = np.column_stack([rng.integers(0, 17, (m, 2)) * 0.5, rng.choice([0.0, 1.5, 3.0], m)])
        a, b = rng.integers(0, 17, (w, 2)) * 0.5, rng.integers(0, 17, (w, 2)) * 0.5
    else:
        p, q = rng.uniform(0, 8, (m, 3)), rng.uniform(0, 8, (m, 3))
        a, b = rng.uniform(0, 8, (w, 2)), rng.uniform(0, 8, (w, 2))
    b = np.where((a == b).all(-1, keepdims=True), a + [0.5, 0.0], b)
    z = np.sort(rng.choice([0.0, 1.0, 2.5, 3.0], (w, 2)), axis=1)
    walls = pack_walls(a, b, z, rng.uniform(0, 10, w))
    leg, wall = np.repeat(np.arange(m), w), np.tile(np.arange(w), m)  # every pair, as the dense test
    hit = indexed_crossings(p, q, walls, leg, wall)
    np.testing.assert_array_equal(hit, np.flatnonzero(pair_crossings(p[leg], q[leg], walls[wall])))
    np.testing.assert_array_equal(hit, np.flatnonzero(segment_wall_crossings(p, q, a, b, z).ravel()))
    sub = rng.permutation(len(leg))[: len(leg) // 3]  # any subset of pairs, in any order
    np.testing.assert_array_equal(indexed_crossings(p, q, walls, leg[sub], wall[sub]),
                                  np.flatnonzero(pair_crossings(p[leg[sub]], q[leg[sub]], walls[wall[sub]])))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lattice=st.booleans(), order=st.integers(1, 3))
def test_linear_beam_test_accepts_whatever_contains_accepts(seed, lattice, order):
    rng = np.random.default_rng(seed)
    w = 6
    if lattice:  # APs and points on wall lines and at wall ends
        a, b = rng.integers(0, 17, (w, 2)) * 0.5, rng.integers(0, 17, (w, 2)) * 0.5
        o, xy = rng.integers(0, 17, 2) * 0.5, rng.integers(0, 17, (64, 2)) * 0.5
    else:
        a, b = rng.uniform(0, 8, (w, 2)), rng.uniform(0, 8, (w, 2))
        o, xy = rng.uniform(0, 8, 2), rng.uniform(-2, 10, (64, 2))
    b = np.where((a == b).all(-1, keepdims=True), a + [0.5, 0.0], b)
    for beams in build_beams(o, a, b, order):
        if not beams.n:
            continue
        forms, reach = halfplanes(beams), reach_l1(beams, xy)
        idx = np.arange(beams.n)[None, :]
        ref = beams.contains(xy[:, None, :], idx)
        got = linear_contains(forms[:, None, :], beams.full[None, :], reach, xy=xy[:, None, :])
        assert (got | ~ref).all()  # never drops a point that contains keeps
        assert (got == ref).mean() > 0.95  # and stays as tight, up to the widened tolerance
        pad = rng.uniform(0, 1, (len(xy), 1))
        ref = beams.contains(xy[:, None, :], idx, pad)
        got = linear_contains(forms[:, None, :], beams.full[None, :], reach, pad=pad, xy=xy[:, None, :])
        assert (got | ~ref).all()
