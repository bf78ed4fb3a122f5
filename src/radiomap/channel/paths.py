"""``Paths``: the geometric multipath for a batch of positions, and its CFR synthesis."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.scene.elements import OFDM

KIND_DIRECT, KIND_REFLECTION, KIND_SCATTERER = 0, 1, 2
KIND_NAMES = ("direct", "reflection", "scatterer")


def doppler_hz(arrival: np.ndarray, velocity: np.ndarray, wavelength: float) -> np.ndarray:
    """Doppler shift ``-(v . u) / lambda`` of paths, the one definition of the package's convention.

    Parameters
    ----------
    arrival : ndarray, float64 [..., 3]
        Unit arrival directions at the user (the direction the wave travels when it reaches the user).
    velocity : ndarray, float64 [..., 3]
        User velocities (m/s), broadcast against ``arrival`` (e.g. ``[N, 1, 3]`` against ``[N, L, 3]``).
    wavelength : float
        Carrier wavelength (m).

    Returns
    -------
    ndarray, float64 [...]
        Doppler shift (Hz); positive when the user moves against the wave (towards its source).
    """
    return -(np.asarray(arrival, dtype=np.float64) * np.asarray(velocity, dtype=np.float64)).sum(-1) / wavelength


@dataclass(frozen=True)
class Paths:
    """Multipath between B APs and N user positions; ``L`` padded (see ``valid``).

    Attributes
    ----------
    positions : [N, 3] user positions (m)
    ap_positions : [B, 3] array centres (m)
    element_positions : [B, N_a, 3] global element positions (m)
    gain : [N, B, L] complex128, amplitude with free-space, reflection and penetration losses and
        material phase; excludes the propagation phase ``exp(-j 2 pi f tau)``
    length : [N, B, L] path length at the array centre (m)
    element_length : [N, B, L, N_a] exact per-element path length (m)
    departure : [N, B, L, 3] unit vector of the first segment, leaving the AP
    arrival : [N, B, L, 3] unit vector of the last segment, pointing toward the user
    valid : [N, B, L] bool
    order : [N, B, L] int8, number of specular reflections (scatterer paths: 1)
    kind : [N, B, L] int8, ``KIND_NAMES`` index (direct, reflection, scatterer)
    los : [N, B] bool, the direct path crosses no wall or slab
    doppler : [N, B, L] Doppler shift (Hz) or None; ``-(v . arrival) / lambda_c``
    """

    positions: np.ndarray
    ap_positions: np.ndarray
    element_positions: np.ndarray
    gain: np.ndarray
    length: np.ndarray
    element_length: np.ndarray
    departure: np.ndarray
    arrival: np.ndarray
    valid: np.ndarray
    order: np.ndarray
    kind: np.ndarray
    los: np.ndarray
    doppler: np.ndarray | None = None

    # -- construction ----------------------------------------------------------------------
    @staticmethod
    def from_candidates(**arrays) -> Paths:
        """Compact candidate arrays ``[N, B, Lc, ...]``: valid paths first, padded to the max count."""
        valid = arrays["valid"]
        n_valid = valid.sum(-1)
        l_max = max(int(n_valid.max()) if valid.size else 0, 1)
        idx = np.argsort(~valid, axis=-1, kind="stable")[..., :l_max]
        out = {}
        for k, v in arrays.items():
            if k in ("positions", "ap_positions", "element_positions", "los"):
                out[k] = v
                continue
            ix = idx.reshape(idx.shape + (1,) * (v.ndim - 3))
            out[k] = np.take_along_axis(v, ix, axis=2)
        keep = out["valid"]
        out["gain"] = np.where(keep, out["gain"], 0.0)
        out["length"] = np.where(keep, out["length"], 1.0)
        out["element_length"] = np.where(keep[..., None], out["element_length"], 1.0)
        return Paths(**out)

    @staticmethod
    def concatenate(parts: list[Paths]) -> Paths:
        """Concatenate along the position axis, re-padding ``L``."""
        l_max = max(p.n_paths for p in parts)
        padded = [p._pad(l_max) for p in parts]
        out = {}
        for f in fields(Paths):
            vals = [getattr(p, f.name) for p in padded]
            if f.name in ("ap_positions", "element_positions"):
                out[f.name] = vals[0]
            elif vals[0] is None:
                out[f.name] = None
            else:
                out[f.name] = np.concatenate(vals, axis=0)
        return Paths(**out)

    def _pad(self, l_max: int) -> Paths:
        extra = l_max - self.n_paths
        if extra == 0:
            return self
        fill = {"gain": 0.0, "length": 1.0, "element_length": 1.0, "departure": 0.0, "arrival": 0.0,
                "valid": False, "order": 0, "kind": 0, "doppler": 0.0}
        upd = {}
        for k, v in fill.items():
            a = getattr(self, k)
            if a is None:
                continue
            pad = [(0, 0)] * a.ndim
            pad[2] = (0, extra)
            upd[k] = np.pad(a, pad, constant_values=v)
        return replace(self, **upd)

    def with_velocity(self, velocity: np.ndarray, wavelength: float) -> Paths:
        """Copy with ``doppler = -(v . arrival) / lambda`` for user velocities ``[N, 3]`` (m/s)."""
        dop = doppler_hz(self.arrival, np.asarray(velocity)[:, None, None, :], wavelength)
        return replace(self, doppler=np.where(self.valid, dop, 0.0))

    def subset(self, idx: np.ndarray) -> Paths:
        """Paths of the positions ``idx``."""
        upd = {f.name: getattr(self, f.name)[idx] for f in fields(Paths)
               if f.name not in ("ap_positions", "element_positions") and getattr(self, f.name) is not None}
        return replace(self, **upd)

    # -- shapes and derived quantities --------------------------------------------------------
    @property
    def n_positions(self) -> int:
        return self.gain.shape[0]

    @property
    def n_aps(self) -> int:
        return self.gain.shape[1]

    @property
    def n_paths(self) -> int:
        return self.gain.shape[2]

    @property
    def n_antennas(self) -> int:
        return self.element_positions.shape[1]

    @property
    def delay(self) -> np.ndarray:
        """Delay at the array centre ``[N, B, L]`` (s)."""
        return self.length / SPEED_OF_LIGHT

    @property
    def aod_az(self) -> np.ndarray:
        return np.arctan2(self.departure[..., 1], self.departure[..., 0])

    @property
    def aod_el(self) -> np.ndarray:
        return np.arcsin(np.clip(self.departure[..., 2], -1, 1))

    @property
    def aoa_az(self) -> np.ndarray:
        """Azimuth the wave arrives FROM at the user (opposite of ``arrival``), radians."""
        return np.arctan2(-self.arrival[..., 1], -self.arrival[..., 0])

    @property
    def aoa_el(self) -> np.ndarray:
        return np.arcsin(np.clip(-self.arrival[..., 2], -1, 1))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (for HDF5 storage)."""
        return {f.name: getattr(self, f.name) for f in fields(Paths) if getattr(self, f.name) is not None}

    @staticmethod
    def from_arrays(arrays: dict[str, np.ndarray]) -> Paths:
        names = {f.name for f in fields(Paths)}
        return Paths(**{k: np.asarray(v) for k, v in arrays.items() if k in names})

    # -- channel synthesis -------------------------------------------------------------------
    def cfr(self, ofdm: OFDM, *, wavefront: str = "spherical", n_symbols: int | None = None,
            device: str = "cpu", chunk: int = 64) -> np.ndarray:
        """Channel frequency response ``[N, B, N_a, K(, S)]`` complex64 (``radiomap.channel.cfr.synthesize``)."""
        from radiomap.channel.cfr import synthesize

        return synthesize(self, ofdm, wavefront=wavefront, n_symbols=n_symbols, device=device, chunk=chunk)
