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

    Parameters
    ----------
    name : str
        Key that walls and slabs refer to.
    reflection : float
        Real amplitude reflection coefficient, |r| <= 1 (sign allowed); used when ``permittivity`` is None.
    penetration_db : float
        One-way loss (dB, >= 0) of a path crossing the material.
    permittivity : float or None
        Relative permittivity (>= 1); when given, the reflection coefficient is the angle-dependent
        Fresnel coefficient (perpendicular polarisation) instead of ``reflection``.
    """

    name: str
    reflection: float
    penetration_db: float
    permittivity: float | None = None

    def reflection_coefficient(self, cos_incidence: np.ndarray) -> np.ndarray:
        """Amplitude reflection coefficient at the given incidence.

        Parameters
        ----------
        cos_incidence : array_like, float [...]
            Cosine of the incidence angle w.r.t. the surface normal (sign ignored).

        Returns
        -------
        ndarray, float64 [...]
            ``reflection`` everywhere, or the Fresnel coefficient ``(c - sqrt(eps - 1 + c^2)) / (c + sqrt(...))``.
        """
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
    """Vertical wall: a rectangle above the segment ``start -> end``.

    Parameters
    ----------
    start, end : tuple[float, float]
        End points (x, y) of the segment (m); must differ.
    z_min, z_max : float
        Bottom and top heights (m), ``z_max > z_min``.
    material : str
        Name of a material of the scene.
    """

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
    """Horizontal plane spanning the scene (floor, ceiling, roof).

    Parameters
    ----------
    z : float
        Height (m).
    material : str
        Name of a material of the scene.
    """

    z: float
    material: str


@dataclass(frozen=True)
class AccessPoint:
    """An AP (or base station) with its antenna array.

    Parameters
    ----------
    name : str
        AP name.
    position : tuple[float, float, float]
        Array centre (x, y, z) (m). In a measured scene it may be unknown: ``(nan, nan, nan)``
        (``position_known`` is False; ``to_dict`` writes None).
    array : ULA or UPA
        The antenna array, N_a elements.
    orientation : float
        Angle (rad) of the array normal with the global x axis in the horizontal plane.
    """

    name: str
    position: tuple[float, float, float]
    array: Array
    orientation: float = 0.0

    @property
    def n_antennas(self) -> int:
        """int: number of antennas N_a."""
        return self.array.n_elements

    @property
    def position_known(self) -> bool:
        """bool: False for an AP of a measured scene whose position was not given."""
        return bool(np.isfinite(self.position).all())

    @property
    def axis(self) -> np.ndarray:
        """ndarray, float64 [3]: unit horizontal array axis ``(-sin phi, cos phi, 0)``."""
        return np.array([-np.sin(self.orientation), np.cos(self.orientation), 0.0])

    @property
    def normal(self) -> np.ndarray:
        """ndarray, float64 [3]: unit array normal ``(cos phi, sin phi, 0)``."""
        return np.array([np.cos(self.orientation), np.sin(self.orientation), 0.0])

    def element_positions(self, wavelength: float) -> np.ndarray:
        """Global element positions, centred on ``position``.

        Parameters
        ----------
        wavelength : float
            Carrier wavelength (m), for the default half-wavelength spacing.

        Returns
        -------
        ndarray, float64 [N_a, 3]
            Element positions (m), in the array's element order.
        """
        off = self.array.local_offsets(wavelength)
        return (np.asarray(self.position, dtype=np.float64)[None, :] + off[:, :1] * self.axis[None, :]
                + off[:, 1:2] * np.array([0.0, 0.0, 1.0])[None, :])

    def cone_angle(self, points: np.ndarray) -> np.ndarray:
        """Cone angle a horizontal ULA measures toward ``points``.

        Parameters
        ----------
        points : array_like, float [..., 3]
            Target points (m).

        Returns
        -------
        ndarray, float64 [...]
            ``arcsin(u . axis)`` (rad) with ``u`` the unit vector from the AP to the point.
        """
        d = np.asarray(points, dtype=np.float64) - np.asarray(self.position)
        u = d / np.linalg.norm(d, axis=-1, keepdims=True)
        return np.arcsin(np.clip(u @ self.axis, -1.0, 1.0))

    def azimuth(self, points: np.ndarray) -> np.ndarray:
        """Global azimuth from the AP toward ``points``.

        Parameters
        ----------
        points : array_like, float [..., 2|3]
            Target points (m); only x, y are used.

        Returns
        -------
        ndarray, float64 [...]
            ``atan2(dy, dx)`` (rad), in (-pi, pi].
        """
        p = np.asarray(points, dtype=np.float64)
        return np.arctan2(p[..., 1] - self.position[1], p[..., 0] - self.position[0])

    def steering(self, u: np.ndarray, wavelength: float) -> np.ndarray:
        """Plane-wave response to paths leaving in unit directions ``u``.

        Parameters
        ----------
        u : array_like, float [..., 3]
            Unit departure directions.
        wavelength : float
            Wavelength (m).

        Returns
        -------
        ndarray, complex128 [..., N_a]
            ``exp(+j 2 pi (p_n - o) . u / lambda) / sqrt(N_a)``.
        """
        rel = self.element_positions(wavelength) - np.asarray(self.position)
        phase = 2.0 * np.pi / wavelength * (np.asarray(u, dtype=np.float64) @ rel.T)
        return np.exp(1j * phase) / np.sqrt(self.n_antennas)

    def to_dict(self) -> dict:
        """JSON-able ``{"name", "position" (None if unknown), "orientation", "array"}``."""
        return {"name": self.name, "position": list(self.position) if self.position_known else None,
                "orientation": self.orientation, "array": self.array.to_dict()}

    @staticmethod
    def from_dict(d: dict) -> AccessPoint:
        """Inverse of ``to_dict`` (a None position becomes ``(nan, nan, nan)``)."""
        raw = d["position"]
        pos = (np.nan, np.nan, np.nan) if raw is None else tuple(float(v) for v in raw)
        if len(pos) != 3:
            raise SceneError(f"AP {d.get('name')!r}: position needs 3 coordinates, got {len(pos)}")
        return AccessPoint(name=str(d["name"]), position=pos, array=array_from_dict(d["array"]),
                           orientation=float(d.get("orientation", 0.0)))


@dataclass(frozen=True)
class OFDM:
    """OFDM numerology; subcarrier k sits at ``f_c + (k - K/2) * B/K``.

    Parameters
    ----------
    carrier_hz : float
        Carrier frequency f_c (Hz).
    bandwidth_hz : float
        Bandwidth B (Hz).
    n_subcarriers : int
        Number of subcarriers K.
    n_symbols : int
        OFDM symbols per frame S.
    cp_samples : int
        Cyclic-prefix length (samples); symbol duration ``(K + cp) / B``.
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
        """float: subcarrier spacing ``B / K`` (Hz)."""
        return self.bandwidth_hz / self.n_subcarriers

    @property
    def frequencies(self) -> np.ndarray:
        """ndarray, float64 [K]: subcarrier frequencies ``f_c + (k - K/2) B/K`` (Hz)."""
        k = np.arange(self.n_subcarriers)
        return self.carrier_hz + (k - self.n_subcarriers / 2) * self.subcarrier_spacing

    @property
    def wavelength(self) -> float:
        """float: wavelength at the carrier ``c / f_c`` (m)."""
        return SPEED_OF_LIGHT / self.carrier_hz

    @property
    def symbol_duration(self) -> float:
        """float: OFDM symbol duration with cyclic prefix ``(K + cp) / B`` (s)."""
        return (self.n_subcarriers + self.cp_samples) / self.bandwidth_hz

    def to_dict(self) -> dict:
        """JSON-able dict of the five fields."""
        return {"carrier_hz": self.carrier_hz, "bandwidth_hz": self.bandwidth_hz,
                "n_subcarriers": self.n_subcarriers, "n_symbols": self.n_symbols, "cp_samples": self.cp_samples}


@dataclass(frozen=True)
class Walk:
    """A named piecewise-linear walk.

    Parameters
    ----------
    waypoints : tuple of (x, y), [M, 2]
        Corners of the walk (m), M >= 2.
    speeds : tuple of float, [M-1]
        Speed on each leg (m/s, > 0).
    height : float
        User height (m).
    description : str
        Free text.
    """

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
        """float: total length of the legs (m)."""
        w = np.asarray(self.waypoints)
        return float(np.linalg.norm(np.diff(w, axis=0), axis=1).sum())
