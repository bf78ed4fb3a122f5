"""The visibility-pruned tracer returns exactly the brute-force oracle's paths.

Presets, random floor plans (hypothesis: walls on a 0.25 m lattice, so collinear walls, walls
meeting at their ends, APs on wall lines and users on walls occur often), orders 1-3, slabs,
partial-height walls, Fresnel and constant materials, 0 dB walls, gain culling. Small plans are
traced both with every leg tested against every wall and with the angular wall index.
"""

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from radiomap.channel import _tracer_pruned, trace
from radiomap.channel.tracer import trace_with_sequences
from radiomap.scene import OFDM, ULA, AccessPoint, Material, Scene, Slab, Wall, get_scene

from ._exact import assert_same_paths


def _sample(scene, n, seed=0):
    grid = scene.grid(0.1)
    return grid[np.random.default_rng(seed).choice(len(grid), n, replace=False)]


@pytest.mark.parametrize(("name", "n", "max_order"), [
    ("xing-indoor", 24, 2), ("xing-indoor", 8, 3), ("chatelier-plane", 24, 3), ("zhao-tbf", 6, 2),
    ("office-floor", 3, 2),
])
def test_presets_match_brute_force(name, n, max_order):
    scene = get_scene(name)
    ref = assert_same_paths(scene, _sample(scene, n), max_order=max_order)
    assert (ref.order[ref.valid] == max_order).any()


@pytest.mark.slow
@pytest.mark.parametrize("cull_db", [None, -60.0])
def test_office_floor_match_brute_force_many_positions(cull_db):
    scene = get_scene("office-floor")
    assert_same_paths(scene, _sample(scene, 24, seed=3), cull_db=cull_db)


def test_culling_matches_brute_force_and_drops_only_weak_paths():
    scene = get_scene("xing-indoor")
    pos = _sample(scene, 16, seed=1)
    culled = assert_same_paths(scene, pos, max_order=3, cull_db=-50.0)
    full = trace(scene, pos, max_order=3)
    assert culled.valid.sum() < full.valid.sum()
    # every dropped reflection is below the level; direct and scatterer paths are never culled
    lam = scene.ofdm.wavelength
    d = np.linalg.norm(pos[:, None, :] - scene.ap_positions[None], axis=-1)
    rel = np.abs(full.gain) / (lam / (4 * np.pi * d[..., None]))
    kept = full.valid & ((rel >= 10 ** (-50 / 20)) | (full.kind != 1))
    assert culled.valid.sum() == kept.sum()


def test_sequences_name_the_reflecting_planes():
    scene = get_scene("xing-indoor")
    pos = _sample(scene, 4)
    paths, seq = trace_with_sequences(scene, pos, max_order=2)
    v = paths.valid
    n_planes = (seq[v] >= 0).sum(-1)
    np.testing.assert_array_equal(n_planes[paths.kind[v] == 1], paths.order[v][paths.kind[v] == 1])
    assert (n_planes[paths.kind[v] == 0] == 0).all()
    assert (seq[v][paths.kind[v] == 2][:, 0] <= -2).all()
    assert (seq[~v] == -1).all()


# -- random floor plans -------------------------------------------------------------------------
_MATERIALS = {"m0": Material("m0", 0.5, 10.0), "m1": Material("m1", -0.7, 0.0),
              "m2": Material("m2", 0.0, 6.0, permittivity=4.5)}
_lattice = st.integers(0, 32).map(lambda i: i * 0.25)  # 0 .. 8 m


@st.composite
def floor_plans(draw):
    n_walls = draw(st.integers(1, 10))
    walls = []
    for _ in range(n_walls):
        a = (draw(_lattice), draw(_lattice) * 0.75)
        b = (draw(_lattice), draw(_lattice) * 0.75)
        if a == b:
            b = (a[0] + 0.5, a[1])
        z = draw(st.sampled_from([(0.0, 3.0), (0.0, 1.2), (1.0, 3.0)]))
        walls.append(Wall(a, b, z[0], z[1], draw(st.sampled_from(sorted(_MATERIALS)))))
    n_ant = draw(st.sampled_from([1, 4]))
    aps = [AccessPoint(f"AP{i}", (draw(_lattice), draw(_lattice) * 0.75, draw(st.sampled_from([1.0, 2.5]))),
                       ULA(n_ant), orientation=draw(st.floats(-3, 3)))
           for i in range(draw(st.integers(1, 2)))]
    slabs = draw(st.sampled_from([(), (Slab(0.0, "m0"),), (Slab(0.0, "m0"), Slab(3.0, "m2"))]))
    scatterers = np.array(draw(st.lists(st.tuples(_lattice, _lattice, st.just(1.0)), max_size=2))).reshape(-1, 3)
    scene = Scene(name="random", ofdm=OFDM(3.5e9, 40e6, 8), aps=tuple(aps), walls=tuple(walls),
                  materials=dict(_MATERIALS), slabs=slabs,
                  walkable=np.array([[0.0, 0.0], [8.0, 0.0], [8.0, 6.0], [0.0, 6.0]]), scatterers=scatterers)
    # users: on the lattice (on walls, on wall lines, at wall ends), near walls, anywhere
    near = draw(st.sampled_from([0.0, 1e-7, 1e-3]))
    users = [(draw(_lattice) + near, draw(_lattice) * 0.75, draw(st.sampled_from([1.5, 0.5, 2.9])))
             for _ in range(draw(st.integers(1, 6)))]
    return scene, np.array(users)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=floor_plans(), max_order=st.integers(1, 3), indexed=st.booleans(), cull=st.sampled_from([None, -40.0]))
@example(  # AP on the line of a wall, user on a wall, collinear walls touching end to end
    plan=(Scene(name="edge", ofdm=OFDM(3.5e9, 40e6, 8),
                aps=(AccessPoint("AP", (1.0, 2.0, 2.5), ULA(4)),),
                walls=(Wall((2.0, 2.0), (4.0, 2.0), 0.0, 3.0, "m0"), Wall((4.0, 2.0), (6.0, 2.0), 0.0, 3.0, "m2"),
                       Wall((3.0, 0.0), (3.0, 5.0), 0.0, 3.0, "m1"), Wall((5.0, 1.0), (5.0, 4.0), 0.0, 1.2, "m0")),
                materials=dict(_MATERIALS), slabs=(Slab(0.0, "m0"),),
                walkable=np.array([[0.0, 0.0], [8.0, 0.0], [8.0, 6.0], [0.0, 6.0]])),
          np.array([[3.0, 1.0, 1.5], [4.0, 3.0, 1.5], [6.5, 2.0, 1.5], [2.0 + 1e-7, 4.0, 0.5]])),
    max_order=3, indexed=True, cull=None)
def test_random_floor_plans_match_brute_force(plan, max_order, indexed, cull):
    scene, users = plan
    with mock.patch.object(_tracer_pruned, "_DENSE_MAX_WALLS", -1 if indexed else 10**6):
        assert_same_paths(scene, users, max_order=max_order, cull_db=cull)
