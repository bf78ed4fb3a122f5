"""Mobility models: statistics, wall constraints, walks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radiomap.errors import ParameterError, SceneError
from radiomap.mobility import fit_gauss_markov, gauss_markov, random_walk, random_waypoint, waypoint_walk
from radiomap.scene import Wall, get_scene

from .conftest import make_scene


def test_gauss_markov_statistics_recover_parameters():
    big = make_scene()  # 40 m x 40 m, no walls: no boundary effects for this walk
    big = type(big).from_dict(big.to_dict() | {"walkable": [[-1e4, -1e4], [1e4, -1e4], [1e4, 1e4], [-1e4, 1e4]]})
    rng = np.random.default_rng(3)
    traj = gauss_markov(big, 20000, dt=0.1, alpha=0.8, mean_velocity=(0.5, -0.3), sigma=0.7, rng=rng, start=(0, 0))
    est = fit_gauss_markov(traj.positions, 0.1)
    assert est.alpha == pytest.approx(0.8, abs=0.02)
    np.testing.assert_allclose(est.mean_velocity, [0.5, -0.3], atol=0.05)
    assert est.sigma == pytest.approx(0.7, rel=0.03)


def _crossings(scene, pos):
    return scene.crosses_wall(pos[:-1, :2], pos[1:, :2])


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_no_trajectory_crosses_a_wall(seed):
    scene = get_scene("xing-indoor")
    rng = np.random.default_rng(seed)
    for traj in (gauss_markov(scene, 400, dt=0.1, alpha=0.7, mean_velocity=(1.0, 0.5), sigma=1.5, rng=rng),
                 random_walk(scene, 40.0, dt=0.1, rng=rng),
                 random_waypoint(scene, 40.0, dt=0.1, rng=rng)):
        assert not _crossings(scene, traj.positions).any()
        assert scene.contains(traj.positions).all()


def test_training_walk_matches_seed_length_and_speeds():
    scene = get_scene("xing-indoor")
    w = scene.walks["train"]
    assert w.length_m == pytest.approx(167.0, abs=1e-3)
    assert sorted(set(w.speeds)) == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    traj = waypoint_walk(scene, w.waypoints, w.speeds, dt=0.1)
    steps = np.linalg.norm(np.diff(traj.positions, axis=0), axis=1)
    assert steps.max() <= 4.0 * 0.1 + 1e-9
    regions = scene.region_labels(traj.positions)
    assert set(np.unique(regions)) == {0, 1, 2}


def test_waypoint_walk_rejects_wall_crossing():
    scene = make_scene(walls=[Wall((0.0, -5.0), (0.0, 5.0), 0.0, 3.0, "m")])
    with pytest.raises(SceneError, match="crosses a wall"):
        waypoint_walk(scene, [(-2.0, 0.0), (2.0, 0.0)], 1.0, dt=0.1)
    with pytest.raises(ParameterError):
        gauss_markov(scene, 10, dt=0.1, alpha=1.5, mean_velocity=(0, 0), sigma=1, rng=np.random.default_rng(0))


def test_random_waypoint_visits_the_meeting_room():
    scene = get_scene("xing-indoor")
    traj = random_waypoint(scene, 400.0, dt=0.1, rng=np.random.default_rng(0))
    assert (scene.region_labels(traj.positions) == 0).mean() > 0.02
