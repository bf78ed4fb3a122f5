"""Scene elements: materials, walls, slabs, access points, OFDM numerology, named walks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.errors import SceneError
from radiomap.scene.arrays import Array, array_from_dict


@dataclass(frozen=True)
class Material:
    """A wall/slab material.

    ``reflection``: real amplitude reflection coefficient, |r| <= 1, used when ``permittivity``
    is None. ``permittivity``: relative permittivity; when given, the reflection coefficient is the
    angle-dependent Fresnel coefficient (perpendicular polarisation) instead.
    ``penetration_db``: one-way loss (dB, >= 0) of a path crossing it.
    """

    name: str
    reflection: float
    penetration_db: float
    permittivity: float | None = None

    def reflection_coefficient(self, cos_incidence: np.ndarray) -> np.ndarray:
        """Amplitude reflection coefficient for incidence cosines ``[...]`` (w.r.t. the normal)."""
        c = np.abs(np.asarray(cos_incidence, dtype=np.float64))
        if self.permittivity is None:
            return np.full_like(c, self.reflection)
        root = np.sqrt(np.maximum(self.permittivity - (1.0 - c**2), 0.0))
        return (c - root) / (c + root)

    def __post_init__(self) -> None:
        if not abs(self.reflection) <= 1.0:
            raise SceneError(f"material {self.name!r}: |reflection| must be <= 1, got {self.reflection}")
        if not self.penetration_db >= 0:
            raise SceneError(f"material {self.name!r}: penetration_db must be >= 0, got {self.penetration_db}")
        if self.permittivity is not None and not self.permittivity >= 1.0:
            raise SceneError(f"material {self.name!r}: permittivity must be >= 1, got {self.permittivity}")


@dataclass(frozen=True)
class Wall:
    """Vertical wall: segment ``start -> end`` (x, y in metres) between heights ``z_min`` and ``z_max``."""

    start: tuple[float, float]
    end: tuple[float, float]
    z_min: float
    z_max: float
    material: str

    def __post_init__(self) -> None:
        if np.allclose(self.start, self.end):
            raise SceneError(f"wall {self.start}->{self.end} has zero length")
        if not self.z_max > self.z_min:
            raise SceneError(f"wall {self.start}->{self.end}: z_max {self.z_max} must exceed z_min {self.z_min}")


@dataclass(frozen=True)
class Slab:
    """Horizontal plane at height ``z`` spanning the scene (floor, ceiling, roof)."""

    z: float
    material: str


@dataclass(frozen=True)
class AccessPoint:
    """An AP (or base station) with its antenna array.

    ``position`` (x, y, z) metres, the array centre; ``orientation`` radians, angle of the array
    normal with the global x axis in the horizontal plane. In a measured scene the position may be
    unknown: it is then ``(nan, nan, nan)`` (``position_known`` is False; ``to_dict`` writes None).
    """

    name: str
    position: tuple[float, float, float]
    array: Array
    orientation: float = 0.0

    @property
    def n_antennas(self) -> int:
        return self.array.n_elements

    @property
    def position_known(self) -> bool:
        """False for an AP of a measured scene whose position was not given."""
        return bool(np.isfinite(self.position).all())

    @property
    def axis(self) -> np.ndarray:
        """Unit horizontal array axis ``(-sin phi, cos phi, 0)``."""
        return np.array([-np.sin(self.orientation), np.cos(self.orientation), 0.0])

    @property
    def normal(self) -> np.ndarray:
        """Unit array normal ``(cos phi, sin phi, 0)``."""
        return np.array([np.cos(self.orientation), np.sin(self.orientation), 0.0])

    def element_positions(self, wavelength: float) -> np.ndarray:
        """Global element positions ``[N_a, 3]`` (metres)."""
        off = self.array.local_offsets(wavelength)
        return (np.asarray(self.position, dtype=np.float64)[None, :] + off[:, :1] * self.axis[None, :]
                + off[:, 1:2] * np.array([0.0, 0.0, 1.0])[None, :])

    def cone_angle(self, points: np.ndarray) -> np.ndarray:
        """Angle a horizontal ULA measures toward ``points [..., 3]``: ``arcsin(u . axis)``, radians."""
        d = np.asarray(points, dtype=np.float64) - np.asarray(self.position)
        u = d / np.linalg.norm(d, axis=-1, keepdims=True)
        return np.arcsin(np.clip(u @ self.axis, -1.0, 1.0))

    def azimuth(self, points: np.ndarray) -> np.ndarray:
        """Global azimuth (radians) from the AP toward ``points [..., 2|3]``."""
        p = np.asarray(points, dtype=np.float64)
        return np.arctan2(p[..., 1] - self.position[1], p[..., 0] - self.position[0])

    def steering(self, u: np.ndarray, wavelength: float) -> np.ndarray:
        """Plane-wave response ``[..., N_a]`` to paths leaving in unit directions ``u [..., 3]``.

        ``exp(+j 2 pi (p_n - o) . u / lambda) / sqrt(N_a)``.
        """
        rel = self.element_positions(wavelength) - np.asarray(self.position)
        phase = 2.0 * np.pi / wavelength * (np.asarray(u, dtype=np.float64) @ rel.T)
        return np.exp(1j * phase) / np.sqrt(self.n_antennas)

    def to_dict(self) -> dict:
        return {"name": self.name, "position": list(self.position) if self.position_known else None,
                "orientation": self.orientation, "array": self.array.to_dict()}

    @staticmethod
    def from_dict(d: dict) -> AccessPoint:
        raw = d["position"]
        pos = (np.nan, np.nan, np.nan) if raw is None else tuple(float(v) for v in raw)
        if len(pos) != 3:
            raise SceneError(f"AP {d.get('name')!r}: position needs 3 coordinates, got {len(pos)}")
        return AccessPoint(name=str(d["name"]), position=pos, array=array_from_dict(d["array"]),
                           orientation=float(d.get("orientation", 0.0)))


@dataclass(frozen=True)
class OFDM:
    """OFDM numerology.

    ``carrier_hz``, ``bandwidth_hz``; ``n_subcarriers`` K; subcarrier k sits at
    ``f_c + (k - K/2) * B/K``. ``n_symbols`` OFDM symbols per frame, ``cp_samples`` cyclic-prefix
    length in samples (symbol duration ``(K + cp) / B``).
    """

    carrier_hz: float
    bandwidth_hz: float
    n_subcarriers: int
    n_symbols: int = 1
    cp_samples: int = 0

    def __post_init__(self) -> None:
        if not (self.carrier_hz > 0 and self.bandwidth_hz > 0 and self.n_subcarriers >= 1):
            raise SceneError(
                f"OFDM needs carrier > 0, bandwidth > 0, K >= 1; got {self.carrier_hz}, "
                f"{self.bandwidth_hz}, {self.n_subcarriers}"
            )

    @property
    def subcarrier_spacing(self) -> float:
        return self.bandwidth_hz / self.n_subcarriers

    @property
    def frequencies(self) -> np.ndarray:
        """Subcarrier frequencies ``[K]`` (Hz)."""
        k = np.arange(self.n_subcarriers)
        return self.carrier_hz + (k - self.n_subcarriers / 2) * self.subcarrier_spacing

    @property
    def wavelength(self) -> float:
        return SPEED_OF_LIGHT / self.carrier_hz

    @property
    def symbol_duration(self) -> float:
        """OFDM symbol duration with cyclic prefix (s)."""
        return (self.n_subcarriers + self.cp_samples) / self.bandwidth_hz

    def to_dict(self) -> dict:
        return {"carrier_hz": self.carrier_hz, "bandwidth_hz": self.bandwidth_hz,
                "n_subcarriers": self.n_subcarriers, "n_symbols": self.n_symbols, "cp_samples": self.cp_samples}


@dataclass(frozen=True)
class Walk:
    """A named piecewise-linear walk: ``waypoints [M, 2]`` (m), ``speeds [M-1]`` (m/s), ``height`` (m)."""

    waypoints: tuple[tuple[float, float], ...]
    speeds: tuple[float, ...]
    height: float = 1.5
    description: str = field(default="")

    def __post_init__(self) -> None:
        if len(self.waypoints) < 2 or len(self.speeds) != len(self.waypoints) - 1:
            raise SceneError(
                f"walk needs >= 2 waypoints and one speed per leg; got {len(self.waypoints)} waypoints, "
                f"{len(self.speeds)} speeds"
            )
        if min(self.speeds) <= 0:
            raise SceneError(f"walk speeds must be > 0 m/s, got {min(self.speeds)}")

    @property
    def length_m(self) -> float:
        w = np.asarray(self.waypoints)
        return float(np.linalg.norm(np.diff(w, axis=0), axis=1).sum())
