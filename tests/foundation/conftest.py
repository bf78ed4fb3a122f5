"""Small hand-made scenes with known answers."""

import numpy as np
import pytest

from radiomap.scene import OFDM, ULA, AccessPoint, Material, Scene, Slab, Wall


def make_scene(walls=(), slabs=(), aps=None, scatterers=(), n_ant=4, carrier=5e9, bandwidth=80e6, k=16,
               n_symbols=1, reflection=0.5, penetration_db=10.0) -> Scene:
    aps = aps or (AccessPoint("AP", (0.0, 0.0, 2.0), ULA(n_ant), orientation=0.0),)
    return Scene(
        name="test",
        ofdm=OFDM(carrier, bandwidth, k, n_symbols=n_symbols, cp_samples=4),
        aps=tuple(aps),
        walls=tuple(walls),
        materials={"m": Material("m", reflection, penetration_db)},
        slabs=tuple(slabs),
        walkable=np.array([[-20.0, -20.0], [20.0, -20.0], [20.0, 20.0], [-20.0, 20.0]]),
        scatterers=np.asarray(scatterers, dtype=float).reshape(-1, 3),
        scatterer_gain=0.7,
    )


@pytest.fixture
def free_space():
    return make_scene()


@pytest.fixture
def one_wall():
    """A single wall x = 5 (y in [-10, 10], z in [0, 4]); AP at the origin, 2 m high."""
    return make_scene(walls=[Wall((5.0, -10.0), (5.0, 10.0), 0.0, 4.0, "m")])


@pytest.fixture
def floor_scene():
    return make_scene(slabs=[Slab(0.0, "m")])
