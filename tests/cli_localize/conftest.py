import numpy as np
import pytest


@pytest.fixture(scope="package")
def xing_files(tmp_path_factory):
    """Small xing-indoor train/test HDF5 files simulated on grids (noise variance 0.2)."""
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    scene = get_scene("xing-indoor")
    grid = scene.grid(0.5)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(grid))
    d = tmp_path_factory.mktemp("xing")
    train = simulate_dataset(scene, grid[idx[:300]], noise_variance=0.2, seed=1)
    ref = train.meta["noise"]["reference_power"]
    test = simulate_dataset(scene, grid[idx[300:360]], noise_variance=0.2, reference_power=ref, seed=2)
    train.save(d / "train.h5")
    test.save(d / "test.h5")
    test.without_positions().save(d / "test_unlabelled.h5")
    return d
