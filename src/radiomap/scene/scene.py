"""The Scene: floor plan, materials, access points, OFDM numerology, walkable area.

A Scene holds state; simulators are stateless callables over it. It serialises to a plain
dict (TOML/JSON via ``radiomap.scene.io``) so that users can describe their own building.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from radiomap.errors import SceneError
from radiomap.memory import check_allocation
from radiomap.scene.elements import OFDM, AccessPoint, Material, Slab, Walk, Wall
from radiomap.scene.geometry import points_in_polygon, segment_wall_crossings, slab_crossings

REGION_NAMES = ("NLOS", "single-LOS", "double-LOS")
"""Region label names by code: code = min(number of APs in LOS, 2) (SPEC §1.4)."""


@dataclass(frozen=True, eq=False)
class Scene:
    """A propagation scene.

    Attributes
    ----------
    name : str
    ofdm : OFDM
        Numerology (carrier, bandwidth, subcarriers, symbols).
    aps : tuple of AccessPoint [B]
    walls : tuple of Wall [W]
        Vertical, finite, each with a material name.
    materials : dict[str, Material]
    walkable : ndarray, float64 [V, 2]
        Outline polygon of the walkable area (m).
    slabs : tuple of Slab [P]
        Horizontal planes: floor, ceilings, roof.
    obstacles : tuple of ndarray, float64 [V_i, 2]
        Polygons removed from the walkable area (m).
    scatterers : ndarray, float64 [S, 3]
        Fixed point scatterers (m) for diffuse NLOS multipath.
    scatterer_gain : float
        Amplitude coefficient of a single scatterer bounce.
    user_heights : tuple of float
        Heights (m) at which users move, one per floor.
    walks : dict[str, Walk]
        Named piecewise-linear walks (e.g. the seed's training walk).
    tx_power_dbm : float
        Transmit power (dBm), recorded in metadata.
    description : str
    measured : bool
        True for the scene of imported measurements: AP positions may be unknown (NaN), walls are
        usually absent and ``walkable`` is the padded bounding box of the measured positions (see
        ``radiomap.scene.measured``); ``require_geometry`` guards what needs more.
    simulate : dict[str, Any]
        Defaults of ``radiomap simulate`` for this scene (option name -> value, a ``[simulate]`` table in
        its file), e.g. the positions and stored features a seed's protocol needs; options given on the
        command line win.
    """

    name: str
    ofdm: OFDM
    aps: tuple[AccessPoint, ...]
    walls: tuple[Wall, ...]
    materials: dict[str, Material]
    walkable: np.ndarray
    slabs: tuple[Slab, ...] = ()
    obstacles: tuple[np.ndarray, ...] = ()
    scatterers: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    scatterer_gain: float = 0.3
    user_heights: tuple[float, ...] = (1.5,)
    walks: dict[str, Walk] = field(default_factory=dict)
    tx_power_dbm: float = 0.0
    description: str = ""
    measured: bool = False
    simulate: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.aps:
            raise SceneError(f"scene {self.name!r} has no access points")
        for w in self.walls:
            if w.material not in self.materials:
                raise SceneError(f"scene {self.name!r}: wall material {w.material!r} not in materials")
        for s in self.slabs:
            if s.material not in self.materials:
                raise SceneError(f"scene {self.name!r}: slab material {s.material!r} not in materials")
        walk = np.asarray(self.walkable, dtype=np.float64)
        if walk.ndim != 2 or walk.shape[1] != 2 or len(walk) < 3:
            raise SceneError(f"scene {self.name!r}: walkable must be a polygon [V>=3, 2], got {walk.shape}")
        object.__setattr__(self, "walkable", walk)
        sc = np.asarray(self.scatterers, dtype=np.float64).reshape(-1, 3)
        object.__setattr__(self, "scatterers", sc)
        object.__setattr__(self, "obstacles", tuple(np.asarray(o, dtype=np.float64) for o in self.obstacles))

    # -- derived arrays --------------------------------------------------------------------
    @property
    def n_aps(self) -> int:
        """int: number of APs B."""
        return len(self.aps)

    @cached_property
    def ap_positions(self) -> np.ndarray:
        """ndarray, float64 [B, 3]: AP array centres (m)."""
        return np.array([ap.position for ap in self.aps], dtype=np.float64)

    @cached_property
    def wall_arrays(self) -> dict[str, np.ndarray]:
        """dict[str, ndarray]: walls as float64 arrays.

        ``a, b [W, 2]`` end points (m), ``z [W, 2]`` (z_min, z_max) (m), ``reflection [W]``,
        ``penetration_db [W]`` (dB).
        """
        if not self.walls:
            z2 = np.zeros((0, 2))
            return {"a": z2, "b": z2, "z": z2, "reflection": np.zeros(0), "penetration_db": np.zeros(0)}
        return {
            "a": np.array([w.start for w in self.walls], dtype=np.float64),
            "b": np.array([w.end for w in self.walls], dtype=np.float64),
            "z": np.array([(w.z_min, w.z_max) for w in self.walls], dtype=np.float64),
            "reflection": np.array([self.materials[w.material].reflection for w in self.walls]),
            "penetration_db": np.array([self.materials[w.material].penetration_db for w in self.walls]),
        }

    @cached_property
    def slab_arrays(self) -> dict[str, np.ndarray]:
        """dict[str, ndarray]: slabs as float64 arrays.

        ``z [P]`` heights (m), ``reflection [P]``, ``penetration_db [P]`` (dB).
        """
        return {
            "z": np.array([s.z for s in self.slabs], dtype=np.float64),
            "reflection": np.array([self.materials[s.material].reflection for s in self.slabs]),
            "penetration_db": np.array([self.materials[s.material].penetration_db for s in self.slabs]),
        }

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """tuple[float, float, float, float]: walkable-area bounding box ``(x_min, x_max, y_min, y_max)`` (m)."""
        w = self.walkable
        return float(w[:, 0].min()), float(w[:, 0].max()), float(w[:, 1].min()), float(w[:, 1].max())

    @property
    def has_ap_positions(self) -> bool:
        """bool: every AP position is known (False for measured scenes imported without them)."""
        return all(ap.position_known for ap in self.aps)

    def require_geometry(self, what: str) -> None:
        """Raise a one-line ``SceneError`` when ``what`` needs AP positions this scene does not have.

        Example: ``scene.require_geometry("WCL")`` before a weighted centroid of AP positions.

        Parameters
        ----------
        what : str
            The method or step that needs the positions, named in the message.

        Raises
        ------
        SceneError
            Some AP position is unknown (the message names up to four such APs).
        """
        missing = [ap.name for ap in self.aps if not ap.position_known]
        if missing:
            names = ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else "")
            raise SceneError(f"{what} needs AP positions, but scene {self.name!r} (measured) does not know them "
                             f"for {names}; pass them at import (radiomap import ... --aps FILE)")

    # -- geometry queries --------------------------------------------------------------------
    def los(self, positions: np.ndarray) -> np.ndarray:
        """LOS flags: the segment AP -> user crosses no wall and no slab.

        Parameters
        ----------
        positions : array_like, float [N, 3]
            User positions (m).

        Returns
        -------
        ndarray, bool [N, B]
        """
        pos = _as_positions(positions)
        wa = self.wall_arrays
        p = np.broadcast_to(self.ap_positions[None], (len(pos), self.n_aps, 3))
        q = np.broadcast_to(pos[:, None, :], p.shape)
        blocked = segment_wall_crossings(p, q, wa["a"], wa["b"], wa["z"]).any(-1)
        if self.slabs:
            blocked |= slab_crossings(p, q, self.slab_arrays["z"]).any(-1)
        return ~blocked

    def region_labels(self, positions: np.ndarray) -> np.ndarray:
        """Region codes of positions from ``los``.

        Parameters
        ----------
        positions : array_like, float [N, 3]
            User positions (m).

        Returns
        -------
        ndarray, int8 [N]
            0 NLOS, 1 single-LOS, 2 double-LOS (``REGION_NAMES``).
        """
        return region_codes(self.los(positions))

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Walkable test: inside the outline and outside every obstacle.

        Parameters
        ----------
        xy : array_like, float [N, 2|3]
            Points (m); z ignored.

        Returns
        -------
        ndarray, bool [N]
        """
        pts = np.asarray(xy, dtype=np.float64).reshape(-1, np.shape(xy)[-1])[:, :2]
        inside = points_in_polygon(pts, self.walkable)
        for obs in self.obstacles:
            inside &= ~points_in_polygon(pts, obs)
        return inside

    def crosses_wall(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Whether segments ``p -> q`` cross any wall (2-D test, heights ignored).

        Parameters
        ----------
        p, q : array_like, float [N, 2|3]
            Segment end points (m); z ignored.

        Returns
        -------
        ndarray, bool [N]
        """
        wa = self.wall_arrays
        return segment_wall_crossings(np.asarray(p)[..., :2], np.asarray(q)[..., :2], wa["a"], wa["b"]).any(-1)

    def grid(self, resolution: float, height: float | None = None) -> np.ndarray:
        """Walkable cell centres of a square grid over the walkable bounding box.

        Parameters
        ----------
        resolution : float
            Grid pitch (m, > 0).
        height : float or None
            Height of the cells (m); None repeats the grid at every user height (floor).

        Returns
        -------
        ndarray, float64 [G, 3]
            Cell centres (m) that ``contains`` accepts, floor by floor.
        """
        if resolution <= 0:
            raise SceneError(f"grid resolution must be > 0 m, got {resolution}")
        x0, x1, y0, y1 = self.bounds
        n_cells = np.ceil((x1 - x0) / resolution) * np.ceil((y1 - y0) / resolution)
        check_allocation(48 * n_cells * max(len(self.user_heights), 1),
                         f"a {resolution} m grid over the {x1 - x0:.4g} m x {y1 - y0:.4g} m walkable box of scene "
                         f"{self.name!r}", "raise the resolution or fix the scene's walkable outline")
        xs = np.arange(x0 + resolution / 2, x1, resolution)
        ys = np.arange(y0 + resolution / 2, y1, resolution)
        xx, yy = np.meshgrid(xs, ys, indexing="ij")
        xy = np.stack([xx.ravel(), yy.ravel()], axis=-1)
        xy = xy[self.contains(xy)]
        heights = self.user_heights if height is None else (height,)
        return np.concatenate([np.column_stack([xy, np.full(len(xy), h)]) for h in heights])

    # -- identity and serialisation ----------------------------------------------------------
    def geometry_signature(self) -> str:
        """Short hash of what a trained model depends on: APs, arrays, orientations, OFDM.

        Returns
        -------
        str
            12 hexadecimal characters (SHA-1 of the sorted JSON of ``aps`` and ``ofdm``).
        """
        d = {"aps": [ap.to_dict() for ap in self.aps], "ofdm": self.ofdm.to_dict()}
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        """Plain-data description (JSON/TOML-serialisable)."""
        return {
            "name": self.name,
            "description": self.description,
            "tx_power_dbm": self.tx_power_dbm,
            "ofdm": self.ofdm.to_dict(),
            "materials": {k: {"reflection": m.reflection, "penetration_db": m.penetration_db,
                              "permittivity": m.permittivity} for k, m in self.materials.items()},
            "aps": [ap.to_dict() for ap in self.aps],
            "walls": [{"start": list(w.start), "end": list(w.end), "z_min": w.z_min, "z_max": w.z_max,
                       "material": w.material} for w in self.walls],
            "slabs": [{"z": s.z, "material": s.material} for s in self.slabs],
            "walkable": self.walkable.tolist(),
            "obstacles": [o.tolist() for o in self.obstacles],
            "scatterers": self.scatterers.tolist(),
            "scatterer_gain": self.scatterer_gain,
            "user_heights": list(self.user_heights),
            "walks": {k: {"waypoints": [list(p) for p in w.waypoints], "speeds": list(w.speeds),
                          "height": w.height, "description": w.description} for k, w in self.walks.items()},
        } | ({"measured": True} if self.measured else {}) | ({"simulate": dict(self.simulate)} if self.simulate else {})

    @staticmethod
    def from_dict(d: dict) -> Scene:
        """Inverse of ``to_dict``; raises ``SceneError`` naming the missing or bad field."""
        try:
            materials = {k: Material(k, float(v.get("reflection", 0.0)), float(v["penetration_db"]),
                                     None if v.get("permittivity") is None else float(v["permittivity"]))
                         for k, v in d.get("materials", {}).items()}
            return Scene(
                name=str(d["name"]),
                description=str(d.get("description", "")),
                tx_power_dbm=float(d.get("tx_power_dbm", 0.0)),
                ofdm=OFDM(**d["ofdm"]),
                aps=tuple(AccessPoint.from_dict(a) for a in d["aps"]),
                walls=tuple(Wall(start=tuple(w["start"]), end=tuple(w["end"]), z_min=float(w["z_min"]),
                                 z_max=float(w["z_max"]), material=str(w["material"])) for w in d.get("walls", [])),
                materials=materials,
                slabs=tuple(Slab(z=float(s["z"]), material=str(s["material"])) for s in d.get("slabs", [])),
                walkable=np.asarray(d["walkable"], dtype=np.float64),
                obstacles=tuple(np.asarray(o, dtype=np.float64) for o in d.get("obstacles", [])),
                scatterers=np.asarray(d.get("scatterers", []), dtype=np.float64).reshape(-1, 3),
                scatterer_gain=float(d.get("scatterer_gain", 0.3)),
                user_heights=tuple(float(h) for h in d.get("user_heights", [1.5])),
                walks={k: Walk(waypoints=tuple(tuple(p) for p in w["waypoints"]), speeds=tuple(w["speeds"]),
                               height=float(w.get("height", 1.5)), description=str(w.get("description", "")))
                       for k, w in d.get("walks", {}).items()},
                measured=bool(d.get("measured", False)),
                simulate=dict(d.get("simulate", {})),
            )
        except KeyError as exc:
            raise SceneError(f"scene description is missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SceneError):
                raise
            raise SceneError(f"scene description is malformed: {exc}") from exc


def _as_positions(positions: np.ndarray) -> np.ndarray:
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise SceneError(f"positions must have shape [N, 3], got {pos.shape}")
    return pos


def region_codes(los: np.ndarray) -> np.ndarray:
    """LOS region of each sample from per-AP LOS flags: the one definition of the region code.

    Parameters
    ----------
    los : array_like, bool [..., B]
        AP-user segment unobstructed.

    Returns
    -------
    ndarray, int8 [...]
        0 NLOS (no AP in LOS), 1 single-LOS, 2 double-LOS (two or more), as ``REGION_NAMES``.
    """
    return np.minimum(np.asarray(los, dtype=bool).sum(axis=-1), 2).astype(np.int8)
