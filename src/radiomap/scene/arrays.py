"""Antenna arrays (ULA, UPA) and their steering vectors.

Conventions (``docs/api-contract.md``): an array is centred on its AP position. Its horizontal
axis is ``axis = (-sin(phi), cos(phi), 0)`` where ``phi`` is the AP orientation (angle of the
array normal with the global x axis); a UPA's vertical axis is ``z``. The plane-wave response
to a path leaving in unit direction ``u`` has phase ``exp(+j 2 pi (p_n - o) . u / lambda)``: an
element further along ``u`` is closer to the far point, consistent with exact per-element
path lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.errors import SceneError


def ula_steering(theta: np.ndarray, n: int, spacing: float, wavelength: float) -> np.ndarray:
    """Normalised ULA steering vector for the cone angle ``theta``.

    Input
    -----
    theta : [...] float, radians, cone angle ``arcsin(u . axis)`` in (-pi/2, pi/2)
    n : number of elements; spacing, wavelength : metres

    Output
    ------
    [..., n] complex128, ``exp(+j 2 pi m spacing sin(theta) / lambda) / sqrt(n)``, m = 0..n-1
    """
    m = np.arange(n)
    phase = 2.0 * np.pi * spacing / wavelength * np.sin(np.asarray(theta, dtype=np.float64))[..., None] * m
    return np.exp(1j * phase) / np.sqrt(n)


@dataclass(frozen=True)
class ULA:
    """Uniform linear array of ``n`` elements along the AP's horizontal axis.

    ``spacing`` in metres; None means half the carrier wavelength.
    """

    n: int
    spacing: float | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise SceneError(f"ULA needs n >= 1 elements, got {self.n}")
        if self.spacing is not None and self.spacing <= 0:
            raise SceneError(f"ULA spacing must be > 0 m, got {self.spacing}")

    @property
    def n_elements(self) -> int:
        return self.n

    def local_offsets(self, wavelength: float) -> np.ndarray:
        """Element offsets ``[N_a, 2]`` as (along horizontal axis, along z), centred, metres."""
        d = self.spacing if self.spacing is not None else wavelength / 2
        h = (np.arange(self.n) - (self.n - 1) / 2) * d
        return np.stack([h, np.zeros_like(h)], axis=-1)

    def to_dict(self) -> dict:
        return {"type": "ula", "n": self.n, "spacing": self.spacing}


@dataclass(frozen=True)
class UPA:
    """Uniform planar array ``n_h x n_v`` in the plane spanned by the horizontal axis and z.

    Element index is ``m * n_v + n`` (horizontal m, vertical n), i.e. ``a_h (kron) a_v``.
    """

    n_h: int
    n_v: int
    spacing_h: float | None = None
    spacing_v: float | None = None

    def __post_init__(self) -> None:
        if self.n_h < 1 or self.n_v < 1:
            raise SceneError(f"UPA needs n_h, n_v >= 1, got {self.n_h} x {self.n_v}")

    @property
    def n_elements(self) -> int:
        return self.n_h * self.n_v

    def local_offsets(self, wavelength: float) -> np.ndarray:
        dh = self.spacing_h if self.spacing_h is not None else wavelength / 2
        dv = self.spacing_v if self.spacing_v is not None else wavelength / 2
        h = (np.arange(self.n_h) - (self.n_h - 1) / 2) * dh
        v = (np.arange(self.n_v) - (self.n_v - 1) / 2) * dv
        hh, vv = np.meshgrid(h, v, indexing="ij")
        return np.stack([hh.ravel(), vv.ravel()], axis=-1)

    def to_dict(self) -> dict:
        return {"type": "upa", "n_h": self.n_h, "n_v": self.n_v, "spacing_h": self.spacing_h,
                "spacing_v": self.spacing_v}


Array = ULA | UPA


def array_from_dict(d: dict) -> Array:
    kind = d.get("type")
    if kind == "ula":
        return ULA(n=int(d["n"]), spacing=d.get("spacing"))
    if kind == "upa":
        return UPA(n_h=int(d["n_h"]), n_v=int(d["n_v"]), spacing_h=d.get("spacing_h"), spacing_v=d.get("spacing_v"))
    raise SceneError(f"unknown array type {kind!r}; expected 'ula' or 'upa'")
