"""IEEE 802.11 OFDM subcarrier index maps per bandwidth (data, pilot, DC, guard), as data.

Subcarrier index ``k`` is signed, relative to the carrier (``f_k = f_c + k * 312.5 kHz``). CSI tools
report FFT bins in FFT order (bin ``k mod n_fft``); a loader keeps subcarriers BY INDEX from these
maps, never by "drop the zero bins": on the bcm43455c0 the DC and guard bins carry large non-zero
values, and a data subcarrier may legitimately be zero.

=========  =====  ==========================  ==================================  =========  ====
standard   n_fft  used (data + pilot)         pilots                              DC         data
=========  =====  ==========================  ==================================  =========  ====
legacy20   64     +-1..26                     +-7, +-21                           0          48
ht20       64     +-1..28                     +-7, +-21                           0          52
ht40       128    +-2..58                     +-11, +-25, +-53                    -1, 0, 1   108
vht80      256    +-2..122                    +-11, +-39, +-75, +-103             -1, 0, 1   234
=========  =====  ==========================  ==================================  =========  ====

Everything else (the band edges) is guard. Intel 5300 reports 30 grouped subcarriers
(``INTEL5300_INDICES``), Atheros 56/114 tones (the used ones of ht20/ht40).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from radiomap.errors import ParameterError

SUBCARRIER_SPACING_HZ = 312.5e3
"""802.11a/g/n/ac subcarrier spacing (Hz)."""

KINDS = ("data", "data+pilot", "all")


@dataclass(frozen=True)
class SubcarrierMap:
    """Which FFT bins of one 802.11 bandwidth carry data, pilots, DC and guard.

    Parameters
    ----------
    standard : str
        Name ("ht20", ...).
    n_fft : int
        FFT size (64, 128, 256).
    used_min, used_max : int
        The used subcarriers are ``used_min <= |k| <= used_max``.
    pilots : tuple of int
        Positive pilot indices (mirrored to negative ones).
    """

    standard: str
    n_fft: int
    used_min: int
    used_max: int
    pilots: tuple[int, ...]

    @cached_property
    def all(self) -> np.ndarray:
        """ndarray, int64 [n_fft]: every subcarrier index in ``[-n_fft/2, n_fft/2)``, increasing."""
        return np.arange(-self.n_fft // 2, self.n_fft // 2)

    @cached_property
    def used(self) -> np.ndarray:
        """ndarray, int64 [K_used]: data and pilot subcarrier indices, increasing."""
        k = self.all
        return k[(np.abs(k) >= self.used_min) & (np.abs(k) <= self.used_max)]

    @cached_property
    def pilot(self) -> np.ndarray:
        """ndarray, int64 [2 P]: pilot subcarrier indices (both signs), increasing."""
        return np.array(sorted([-p for p in self.pilots] + list(self.pilots)), dtype=np.int64)

    @cached_property
    def data(self) -> np.ndarray:
        """ndarray, int64 [K_data]: data subcarrier indices (used minus pilots), increasing."""
        return self.used[~np.isin(self.used, self.pilot)]

    @cached_property
    def dc(self) -> np.ndarray:
        """ndarray, int64 [K_dc]: DC subcarrier indices ``|k| < used_min``."""
        k = self.all
        return k[np.abs(k) < self.used_min]

    @cached_property
    def guard(self) -> np.ndarray:
        """ndarray, int64 [K_guard]: guard (band-edge) subcarrier indices ``|k| > used_max``."""
        k = self.all
        return k[np.abs(k) > self.used_max] if self.used_max < self.n_fft // 2 else k[:0]

    def indices(self, keep: str = "data") -> np.ndarray:
        """Subcarrier indices a loader keeps.

        Parameters
        ----------
        keep : str
            ``"data"``, ``"data+pilot"`` or ``"all"``.

        Returns
        -------
        ndarray, int64 [K]
            Signed indices, increasing.

        Raises
        ------
        ParameterError
            Another ``keep``.
        """
        if keep == "data":
            return self.data
        if keep == "data+pilot":
            return self.used
        if keep == "all":
            return self.all
        raise ParameterError(f"subcarriers={keep!r}; expected one of {', '.join(KINDS)}")

    def fft_bins(self, indices: np.ndarray) -> np.ndarray:
        """FFT-order bin of each subcarrier index.

        Parameters
        ----------
        indices : array_like, int [K]
            Signed subcarrier indices.

        Returns
        -------
        ndarray, int64 [K]
            ``k mod n_fft``.
        """
        return np.asarray(indices, dtype=np.int64) % self.n_fft


MAPS = {
    "legacy20": SubcarrierMap("legacy20", 64, 1, 26, (7, 21)),
    "ht20": SubcarrierMap("ht20", 64, 1, 28, (7, 21)),
    "ht40": SubcarrierMap("ht40", 128, 2, 58, (11, 25, 53)),
    "vht80": SubcarrierMap("vht80", 256, 2, 122, (11, 39, 75, 103)),
}
"""The 802.11 index maps by standard name."""

BY_BANDWIDTH_MHZ = {20: MAPS["ht20"], 40: MAPS["ht40"], 80: MAPS["vht80"]}
"""HT/VHT map of each bandwidth (what Nexmon chips report)."""

INTEL5300_INDICES = {
    20: np.r_[np.arange(-28, -1, 2), -1, np.arange(1, 28, 2), 28],
    40: np.r_[np.arange(-58, -1, 4), np.arange(2, 59, 4)],
}
"""The 30 grouped subcarriers the Intel 5300 reports (Halperin et al., CSI Tool FAQ), per bandwidth (MHz)."""


def subcarrier_map(bandwidth_mhz: int) -> SubcarrierMap:
    """HT/VHT subcarrier map of a bandwidth.

    Parameters
    ----------
    bandwidth_mhz : int
        20, 40 or 80 (MHz).

    Returns
    -------
    SubcarrierMap
        ``ht20``, ``ht40`` or ``vht80``.

    Raises
    ------
    ParameterError
        Any other bandwidth.
    """
    if bandwidth_mhz not in BY_BANDWIDTH_MHZ:
        raise ParameterError(f"bandwidth {bandwidth_mhz} MHz; expected 20, 40 or 80")
    return BY_BANDWIDTH_MHZ[bandwidth_mhz]


def subcarrier_meta(indices: np.ndarray, standard: str, spacing_hz: float = SUBCARRIER_SPACING_HZ) -> dict:
    """The ``meta["subcarriers"]`` record of a dataset.

    Parameters
    ----------
    indices : array_like, int [K]
        Stored subcarrier indices.
    standard : str
        Map name.
    spacing_hz : float
        Subcarrier spacing (Hz).

    Returns
    -------
    dict
        ``{"indices": list[int], "spacing_hz": float, "standard": str}``.
    """
    return {"indices": [int(k) for k in indices], "spacing_hz": float(spacing_hz), "standard": standard}
