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

    Parameters
    ----------
    theta : array_like, float [...]
        Cone angle ``arcsin(u . axis)`` (rad), in (-pi/2, pi/2).
    n : int
        Number of elements.
    spacing, wavelength : float
        Element spacing and wavelength (m).

    Returns
    -------
    ndarray, complex128 [..., n]
        ``exp(+j 2 pi m spacing sin(theta) / lambda) / sqrt(n)``, m = 0..n-1.
    """
    m = np.arange(n)
    phase = 2.0 * np.pi * spacing / wavelength * np.sin(np.asarray(theta, dtype=np.float64))[..., None] * m
    return np.exp(1j * phase) / np.sqrt(n)


@dataclass(frozen=True)
class ULA:
    """Uniform linear array of ``n`` elements along the AP's horizontal axis.

    Parameters
    ----------
    n : int
        Number of elements N_a (>= 1).
    spacing : float or None
        Element spacing (m); None means half the carrier wavelength.
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
        """int: number of elements N_a."""
        return self.n

    def local_offsets(self, wavelength: float) -> np.ndarray:
        """Element offsets from the array centre.

        Parameters
        ----------
        wavelength : float
            Carrier wavelength (m), sets the default half-wavelength spacing.

        Returns
        -------
        ndarray, float64 [N_a, 2]
            (along the horizontal axis, along z) per element (m), centred on 0.
        """
        d = self.spacing if self.spacing is not None else wavelength / 2
        h = (np.arange(self.n) - (self.n - 1) / 2) * d
        return np.stack([h, np.zeros_like(h)], axis=-1)

    def to_dict(self) -> dict:
        """JSON-able ``{"type": "ula", "n", "spacing"}``."""
        return {"type": "ula", "n": self.n, "spacing": self.spacing}


@dataclass(frozen=True)
class UPA:
    """Uniform planar array ``n_h x n_v`` in the plane spanned by the horizontal axis and z.

    Element index is ``m * n_v + n`` (horizontal m, vertical n), i.e. ``a_h (kron) a_v``.

    Parameters
    ----------
    n_h, n_v : int
        Elements along the horizontal axis and along z (>= 1 each); N_a = n_h n_v.
    spacing_h, spacing_v : float or None
        Element spacings (m); None means half the carrier wavelength.
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
        """int: number of elements N_a = n_h n_v."""
        return self.n_h * self.n_v

    def local_offsets(self, wavelength: float) -> np.ndarray:
        """Element offsets from the array centre, in element-index order ``m * n_v + n``.

        Parameters
        ----------
        wavelength : float
            Carrier wavelength (m), sets the default half-wavelength spacings.

        Returns
        -------
        ndarray, float64 [N_a, 2]
            (along the horizontal axis, along z) per element (m), centred on 0.
        """
        dh = self.spacing_h if self.spacing_h is not None else wavelength / 2
        dv = self.spacing_v if self.spacing_v is not None else wavelength / 2
        h = (np.arange(self.n_h) - (self.n_h - 1) / 2) * dh
        v = (np.arange(self.n_v) - (self.n_v - 1) / 2) * dv
        hh, vv = np.meshgrid(h, v, indexing="ij")
        return np.stack([hh.ravel(), vv.ravel()], axis=-1)

    def to_dict(self) -> dict:
        """JSON-able ``{"type": "upa", "n_h", "n_v", "spacing_h", "spacing_v"}``."""
        return {"type": "upa", "n_h": self.n_h, "n_v": self.n_v, "spacing_h": self.spacing_h,
                "spacing_v": self.spacing_v}


Array = ULA | UPA


def array_from_dict(d: dict) -> Array:
    """Rebuild an array from its ``to_dict`` form.

    Parameters
    ----------
    d : dict
        ``{"type": "ula", "n", "spacing"}`` or ``{"type": "upa", "n_h", "n_v", "spacing_h", "spacing_v"}``.

    Returns
    -------
    ULA or UPA

    Raises
    ------
    SceneError
        Unknown ``type``.
    """
    kind = d.get("type")
    if kind == "ula":
        return ULA(n=int(d["n"]), spacing=d.get("spacing"))
    if kind == "upa":
        return UPA(n_h=int(d["n_h"]), n_v=int(d["n_v"]), spacing_h=d.get("spacing_h"), spacing_v=d.get("spacing_v"))
    raise SceneError(f"unknown array type {kind!r}; expected 'ula' or 'upa'")
