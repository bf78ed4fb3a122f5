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

    Attributes
    ----------
    standard : name ("ht20", ...); n_fft : FFT size (64, 128, 256)
    used_max, used_min : the used subcarriers are ``used_min <= |k| <= used_max``
    pilots : tuple of positive pilot indices (mirrored to negative ones)
    """

    standard: str
    n_fft: int
    used_min: int
    used_max: int
    pilots: tuple[int, ...]

    @cached_property
    def all(self) -> np.ndarray:
        """Every subcarrier index ``[-n_fft/2, n_fft/2)``, natural (increasing) order: int64 [n_fft]."""
        return np.arange(-self.n_fft // 2, self.n_fft // 2)

    @cached_property
    def used(self) -> np.ndarray:
        k = self.all
        return k[(np.abs(k) >= self.used_min) & (np.abs(k) <= self.used_max)]

    @cached_property
    def pilot(self) -> np.ndarray:
        return np.array(sorted([-p for p in self.pilots] + list(self.pilots)), dtype=np.int64)

    @cached_property
    def data(self) -> np.ndarray:
        return self.used[~np.isin(self.used, self.pilot)]

    @cached_property
    def dc(self) -> np.ndarray:
        k = self.all
        return k[np.abs(k) < self.used_min]

    @cached_property
    def guard(self) -> np.ndarray:
        k = self.all
        return k[np.abs(k) > self.used_max] if self.used_max < self.n_fft // 2 else k[:0]

    def indices(self, keep: str = "data") -> np.ndarray:
        """Subcarrier indices kept: ``"data"``, ``"data+pilot"`` or ``"all"`` (int64, increasing)."""
        if keep == "data":
            return self.data
        if keep == "data+pilot":
            return self.used
        if keep == "all":
            return self.all
        raise ParameterError(f"subcarriers={keep!r}; expected one of {', '.join(KINDS)}")

    def fft_bins(self, indices: np.ndarray) -> np.ndarray:
        """FFT-order bin of each subcarrier index (``k mod n_fft``): int64 [K]."""
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
    """HT/VHT map for 20, 40 or 80 MHz; anything else is a one-line ``ParameterError``."""
    if bandwidth_mhz not in BY_BANDWIDTH_MHZ:
        raise ParameterError(f"bandwidth {bandwidth_mhz} MHz; expected 20, 40 or 80")
    return BY_BANDWIDTH_MHZ[bandwidth_mhz]


def subcarrier_meta(indices: np.ndarray, standard: str, spacing_hz: float = SUBCARRIER_SPACING_HZ) -> dict:
    """``meta["subcarriers"]`` record: the stored indices, their spacing and the standard."""
    return {"indices": [int(k) for k in indices], "spacing_hz": float(spacing_hz), "standard": standard}
