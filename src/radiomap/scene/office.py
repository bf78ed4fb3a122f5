"""A generated office floor: rows of rooms along corridors, with doors, for benchmarks and tests.

Layout (x east, y north, metres): ``bands`` corridor bands stacked north, each a row of rooms,
a corridor and a row of rooms; neighbouring bands share the rooms' back walls. Every room is
``room_width`` x ``room_depth`` with a door of ``door_width`` in the middle of its corridor wall.
Walls: facades ``concrete`` (one segment per room or corridor end), corridor walls ``brick`` (two
segments per room, around the door), partitions and back walls ``drywall``; floor and ceiling
slabs. APs hang from the corridor ceilings at room-centre x positions, their ULA normals
alternately north and south. The preset ``office-floor`` is ``office_floor()`` (308 walls),
written by ``scripts/make_office_floor.py``.
"""

from __future__ import annotations

import numpy as np

from radiomap.scene.arrays import ULA
from radiomap.scene.elements import OFDM, AccessPoint, Material, Slab, Walk, Wall
from radiomap.scene.scene import Scene

MATERIALS = {
    "concrete": Material("concrete", 0.6, 20.0),
    "brick": Material("brick", 0.5, 10.0),
    "drywall": Material("drywall", 0.4, 5.0),
    "floor": Material("floor", 0.4, 30.0),
}


def office_floor(*, rooms_per_row: int = 20, bands: int = 2, room_width: float = 3.5, room_depth: float = 5.0,
                 corridor_width: float = 2.0, door_width: float = 0.9, height: float = 3.0,
                 aps_per_corridor: int = 2, n_antennas: int = 8, name: str = "office-floor") -> Scene:
    """The office floor scene (layout in the module docstring).

    Parameters
    ----------
    rooms_per_row : int
        Rooms in each of the ``2 * bands`` rows.
    bands : int
        Corridor bands stacked north.
    room_width, room_depth, corridor_width, door_width, height : float
        Sizes (m); ``0 < door_width < room_width``; ``height`` is the wall and ceiling height.
    aps_per_corridor : int
        APs per corridor, ``height - 0.2`` m high.
    n_antennas : int
        Elements of each AP's ULA.
    name : str
        Scene name.

    Returns
    -------
    Scene
        ``(7 * bands + 1) * rooms_per_row + 4 * bands`` wall segments, ``aps_per_corridor * bands``
        APs, OFDM 5 GHz / 80 MHz / 64 subcarriers (CP 16), users at 1.5 m, one walk ``train``.

    Raises
    ------
    ValueError
        A count below 1 or a door not narrower than a room.
    """
    if rooms_per_row < 1 or bands < 1 or aps_per_corridor < 1:
        raise ValueError(f"need rooms_per_row, bands, aps_per_corridor >= 1; got {rooms_per_row}, {bands}, "
                         f"{aps_per_corridor}")
    if not 0 < door_width < room_width:
        raise ValueError(f"door_width must be in (0, room_width = {room_width}), got {door_width}")
    band = 2 * room_depth + corridor_width
    length, depth = rooms_per_row * room_width, bands * band
    xs = np.arange(rooms_per_row + 1) * room_width
    walls: list[Wall] = []

    def wall(a, b, material):
        walls.append(Wall((float(a[0]), float(a[1])), (float(b[0]), float(b[1])), 0.0, height, material))

    for i in range(rooms_per_row):  # south and north facades, one segment per room
        wall((xs[i], 0.0), (xs[i + 1], 0.0), "concrete")
        wall((xs[i], depth), (xs[i + 1], depth), "concrete")
    corridors = []
    for k in range(bands):
        y0 = k * band
        south, corr0, corr1, north = y0, y0 + room_depth, y0 + room_depth + corridor_width, y0 + band
        corridors.append((corr0 + corr1) / 2)
        for y_a, y_b in ((south, corr0), (corr0, corr1), (corr1, north)):  # west and east facades
            wall((0.0, y_a), (0.0, y_b), "concrete")
            wall((length, y_a), (length, y_b), "concrete")
        for i in range(rooms_per_row):
            door0 = xs[i] + (room_width - door_width) / 2
            for y in (corr0, corr1):  # corridor walls around the doors
                wall((xs[i], y), (door0, y), "brick")
                wall((door0 + door_width, y), (xs[i + 1], y), "brick")
            if k > 0:  # back wall shared with the band to the south
                wall((xs[i], south), (xs[i + 1], south), "drywall")
        for x in xs[1:-1]:  # partitions between rooms
            wall((x, south), (x, corr0), "drywall")
            wall((x, corr1), (x, north), "drywall")
    aps = []
    for k, yc in enumerate(corridors):
        cols = np.linspace(0, rooms_per_row, aps_per_corridor + 2)[1:-1].astype(int).clip(0, rooms_per_row - 1)
        for j, c in enumerate(cols):
            aps.append(AccessPoint(f"AP{len(aps) + 1}", (float(xs[c] + room_width / 2), float(yc), height - 0.2),
                                   ULA(n_antennas), orientation=float(np.pi / 2 if (j + k) % 2 == 0 else -np.pi / 2)))
    yc = corridors[0]
    door_x = xs[min(2, rooms_per_row - 1)] + room_width / 2
    walk = Walk(waypoints=((0.8, yc), (door_x, yc), (door_x, yc + corridor_width / 2 + room_depth / 2),
                           (door_x, yc), (length - 0.8, yc)),
                speeds=(1.2, 0.8, 0.8, 1.2), height=1.5,
                description="along the first corridor, into and out of the third north room")
    return Scene(
        name=name,
        description=(f"Generated office floor ({length:.1f} m x {depth:.1f} m): {2 * bands} rows of "
                     f"{rooms_per_row} rooms ({room_width} m x {room_depth} m, {door_width} m doors) along "
                     f"{bands} corridors of {corridor_width} m; {len(walls)} wall segments (concrete facades, "
                     f"brick corridor walls, drywall partitions), floor and ceiling; {len(aps)} corridor APs "
                     f"with {n_antennas}-element ULAs; 5 GHz, 80 MHz, 64 subcarriers, users at 1.5 m."),
        ofdm=OFDM(5e9, 80e6, 64, n_symbols=1, cp_samples=16),
        aps=tuple(aps),
        walls=tuple(walls),
        materials=dict(MATERIALS),
        slabs=(Slab(0.0, "floor"), Slab(height, "floor")),
        walkable=np.array([[0.3, 0.3], [length - 0.3, 0.3], [length - 0.3, depth - 0.3], [0.3, depth - 0.3]]),
        user_heights=(1.5,),
        walks={"train": walk},
    )
