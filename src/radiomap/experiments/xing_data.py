"""The seed-000 data on ``xing-indoor``: the 167 m training walk and random-walk tests I and II.

Settings (SPEC §2.6): dt = 0.1 s; training walk at 1, 1.5, ..., 4 m/s (the scene's ``train`` walk);
test I a 160 m random-waypoint walk with CSI noise variance 0.2, test II 240 m with variance 0.4,
both at 1-2 m/s. All three share the training set's CSI normalisation (unit average power over the
training walk), so power features are comparable. The training walk itself gets variance
``train_noise_variance`` (default 0.2).
"""

from __future__ import annotations

import numpy as np

from radiomap.data.dataset import CSIDataset
from radiomap.mobility import Trajectory, random_waypoint, waypoint_walk
from radiomap.scene import get_scene
from radiomap.simulate import simulate_dataset

DT = 0.1
TEST_SETTINGS = {"test1": (160.0, 0.2), "test2": (240.0, 0.4)}
"""Test name -> (walk length m, noise variance)."""


def _simulate(scene, traj: Trajectory, noise_variance: float, reference_power, seed: int, tid: int,
              progress: bool) -> CSIDataset:
    return simulate_dataset(scene, traj.positions, velocity=traj.velocity, timestamps=traj.timestamps,
                            trajectory_id=np.full(len(traj), tid), noise_variance=noise_variance,
                            reference_power=reference_power, seed=seed, progress=progress)


def make_xing_datasets(seed: int = 0, progress: bool = False, train_noise_variance: float = 0.2,
                       scene_name: str = "xing-indoor") -> dict[str, CSIDataset]:
    """Simulate ``{"train", "test1", "test2"}`` (labelled; use ``without_positions()`` for unsupervised fits)."""
    scene = get_scene(scene_name)
    walk = scene.walks["train"]
    rng = np.random.default_rng(seed)
    train_traj = waypoint_walk(scene, walk.waypoints, walk.speeds, dt=DT, height=walk.height)
    out = {"train": _simulate(scene, train_traj, train_noise_variance, None, seed, 0, progress)}
    ref = out["train"].meta["noise"]["reference_power"]
    for tid, (name, (length, var)) in enumerate(TEST_SETTINGS.items(), start=1):
        traj = random_waypoint(scene, length, dt=DT, speed=(1.0, 2.0), rng=rng, height=walk.height)
        out[name] = _simulate(scene, traj, var, ref, seed + tid, tid, progress)
    return out
