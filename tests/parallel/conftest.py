"""A 2-worker Dask ``LocalCluster`` shared by the parallel tests of a module, and a small simulation setup."""

import numpy as np
import pytest

from radiomap.scene import get_scene


@pytest.fixture(scope="module")
def dask2():
    """``radiomap.parallel.executor(workers=2)``: two single-threaded worker processes."""
    pytest.importorskip("distributed")
    from radiomap.parallel import executor

    with executor(workers=2) as ex:
        yield ex


@pytest.fixture(autouse=True)
def _fixed_created_time(monkeypatch):
    """``meta["created"]`` from ``SOURCE_DATE_EPOCH``, so that files of two runs can be compared byte for byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


@pytest.fixture(scope="module")
def small_sim():
    """(scene, positions [300, 3]): xing-indoor, order-0 tracing is a few ms per shard."""
    scene = get_scene("xing-indoor")
    cand = scene.grid(0.25)
    rng = np.random.default_rng(1)
    return scene, cand[rng.choice(len(cand), size=300, replace=False)]


SIM = {"max_order": 0, "snr_db": 15.0, "seed": 3, "shard_size": 64}
"""Settings of the small simulations (5 shards)."""
