"""Small scenes shared by the Sionna backend tests."""

from __future__ import annotations

import numpy as np

from radiomap.scene.arrays import ULA, Array
from radiomap.scene.elements import OFDM, AccessPoint, Material, Slab, Wall
from radiomap.scene.scene import Scene

ROOM = ((0.0, 0.0), (8.0, 0.0), (8.0, 6.0), (0.0, 6.0))


def room_scene(*, slabs: bool = True, partition_x: float = 4.0, ap_heights=(2.5, 2.0),
               wall_shift: float = 0.0, array: Array | None = None) -> Scene:
    """An 8 m x 6 m x 3 m room (concrete, eps 5, 20 dB), a partition wall at ``x = partition_x``
    from y = 0 to 3.5 m, optional floor and ceiling, two APs with 4-element ULAs at 3.5 GHz.

    ``wall_shift`` moves the east wall (x = 8 m) by that many metres (a deliberately wrong scene);
    ``array`` replaces the APs' ULA(4).
    """
    array = ULA(4) if array is None else array
    mats = {"concrete": Material("concrete", 0.0, 20.0, permittivity=5.0)}
    pts = [np.array(p) for p in ROOM]
    pts[1] = pts[1] + [wall_shift, 0.0]
    pts[2] = pts[2] + [wall_shift, 0.0]
    walls = tuple(Wall(tuple(pts[i]), tuple(pts[(i + 1) % 4]), 0.0, 3.0, "concrete") for i in range(4))
    walls += (Wall((partition_x, 0.0), (partition_x, 3.5), 0.0, 3.0, "concrete"),)
    aps = (AccessPoint("ap0", (1.0, 1.5, ap_heights[0]), array, 0.3),
           AccessPoint("ap1", (7.0, 4.5, ap_heights[1]), array, 2.5))
    floors = (Slab(0.0, "concrete"), Slab(3.0, "concrete")) if slabs else ()
    return Scene(name="room", ofdm=OFDM(3.5e9, 40e6, 64), aps=aps, walls=walls, materials=mats,
                 walkable=np.array(ROOM), slabs=floors)


def room_positions(n: int, seed: int = 0, height: float = 1.5) -> np.ndarray:
    """``[n, 3]`` user positions inside the room, away from the walls."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(0.3, 7.7, n), rng.uniform(0.3, 5.7, n)])
    xy = xy[np.abs(xy[:, 0] - 4.0) > 0.2]
    return np.column_stack([xy, np.full(len(xy), height)])
