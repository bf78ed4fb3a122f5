"""nexmon_csi UDP payloads in a pcap file, decoded with numpy (one pass over all packets).

Each CSI packet is an Ethernet/IPv4/UDP frame whose Ethernet source address reads ``NEXMON``
(``4e:45:58:4d:4f:4e``), destined to port 5500. Its payload (little endian):

======  ====  =====================================================================
offset  size  field
======  ====  =====================================================================
0       2     magic ``0x1111`` (before nexmon_csi PR 256: four bytes ``0x11111111``, no rssi/fc)
2       1     RSSI (int8, dBm)
3       1     frame control byte
4       6     source MAC of the Wi-Fi frame that triggered the capture (the transmitter)
10      2     sequence number of that frame
12      2     core (bits 0-2) and spatial stream (bits 3-5)
14      2     chanspec (channel, bandwidth bits 11-13, band bits 14-15)
16      2     chip version
18      4 K   CSI of K = 3.2 * bandwidth FFT bins in FFT order: bcm4339/bcm43455c0 int16 real,
              int16 imag; bcm4358/bcm4366c0 packed floats (sign + 9/12-bit mantissa for real and
              imaginary part, 5/6-bit shared exponent), unpacked as nexmon_csi's
              ``unpack_float.c`` does (autoscale off)
======  ====  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.data.loaders.pcap import LINKTYPE_ETHERNET, read_pcap
from radiomap.errors import DataError, ParameterError

HEADER = 42 + 18
"""Ethernet (14) + IPv4 (20) + UDP (8) headers, then the 18-byte nexmon header."""

CHIPS = ("4339", "43455c0", "4358", "4366c0")
FLOAT_FORMATS = {"4358": (9, 5), "4366c0": (12, 6)}
"""Packed-float layouts (mantissa bits incl. sign, exponent bits) of the chips that use them."""

CHIP_VERSIONS = {1: "4339", 0x4339: "4339", 101: "43455c0", 0x4345: "43455c0", 3: "4358", 0x4358: "4358",
                 106: "4366c0", 0x4366: "4366c0"}
"""Chip-version field -> chip (nexmon's CHIP_VER_* numbers, and the chip id some builds report)."""

_NEXMON_SRC = np.frombuffer(b"NEXMON", dtype=np.uint8)


@dataclass(frozen=True)
class NexmonPackets:
    """Decoded nexmon_csi packets of one file, in capture order.

    Attributes
    ----------
    csi : ndarray, complex64 [P, n_fft]
        CSI in FFT bin order.
    timestamps : ndarray, float64 [P]
        Capture times (s).
    rssi : ndarray, float32 [P]
        dBm (NaN for the old four-byte-magic layout).
    fc : ndarray, uint8 [P]
        The header's frame-control byte.
    mac : ndarray, uint8 [P, 6]
        Transmitter MAC.
    seq : ndarray, uint16 [P]
        Sequence number.
    core, stream : ndarray, uint8 [P]
        Receive core and spatial stream.
    chanspec, chip_version : ndarray, uint16 [P]
    packet_index : ndarray, int64 [P]
        Index of the record in the pcap file.
    n_other : int
        Records that are not nexmon CSI.
    """

    csi: np.ndarray
    timestamps: np.ndarray
    rssi: np.ndarray
    fc: np.ndarray
    mac: np.ndarray
    seq: np.ndarray
    core: np.ndarray
    stream: np.ndarray
    chanspec: np.ndarray
    chip_version: np.ndarray
    packet_index: np.ndarray
    n_other: int


def read_nexmon(raw: bytes, chip: str | None = None, name: str = "pcap") -> NexmonPackets:
    """Decode every nexmon_csi packet of a pcap byte string.

    Parameters
    ----------
    raw : bytes
        The pcap file's bytes.
    chip : str or None
        ``"4339"``, ``"43455c0"``, ``"4358"`` or ``"4366c0"``; None reads it from the chip-version field.
    name : str
        File name, for messages.

    Returns
    -------
    NexmonPackets
        P packets (see its attributes); records that are not nexmon CSI are skipped and counted.

    Raises
    ------
    DataError
        Not Ethernet, no nexmon packet, a bad magic number or an unrecognised chip-version field.
    ParameterError
        An unknown ``chip``.
    """
    rec = read_pcap(raw, name)
    if rec.linktype != LINKTYPE_ETHERNET:
        raise DataError(f"{name}: pcap link type {rec.linktype}; nexmon_csi captures are Ethernet (1)")
    data, off, length = rec.data, rec.offsets, rec.lengths
    ok = length >= HEADER + 4 * 64
    if ok.any():
        src = data[off[ok, None] + 6 + np.arange(6)]
        ok[np.flatnonzero(ok)] = (src == _NEXMON_SRC).all(axis=1)
    idx = np.flatnonzero(ok)
    if not len(idx):
        raise DataError(f"{name}: no nexmon_csi packets (UDP frames from source 'NEXMON') among {len(off)} records")
    nbytes = length[idx] - HEADER
    n_fft = _n_fft(nbytes, name)
    keep = nbytes >= 4 * n_fft
    idx = idx[keep]
    start = off[idx] + 42
    hdr = _rows(data, start, 18)                                           # [P, 18]
    csi_bytes = _rows(data, start + 18, 4 * n_fft)                         # [P, 4 n_fft]
    u16 = hdr.view("<u2")                                                  # [P, 9]
    old = hdr[:, :4].copy().view("<u4")[:, 0] == 0x11111111
    if not ((u16[:, 0] == 0x1111) | old).all():
        bad = int((~((u16[:, 0] == 0x1111) | old)).sum())
        raise DataError(f"{name}: {bad} nexmon packet(s) with a bad magic number (expected 0x1111)")
    chip = _chip(chip, u16[:, 8], name)
    words = csi_bytes.view("<u4")                                          # [P, n_fft]
    if chip in FLOAT_FORMATS:
        csi = unpack_float(words, *FLOAT_FORMATS[chip])
    else:
        iq = csi_bytes.view("<i2").reshape(len(idx), n_fft, 2)
        csi = iq[..., 0].astype(np.float32) + 1j * iq[..., 1].astype(np.float32)
    css = u16[:, 6]
    return NexmonPackets(
        csi=csi.astype(np.complex64), timestamps=rec.timestamps[idx],
        rssi=np.where(old, np.nan, hdr[:, 2].view(np.int8)).astype(np.float32), fc=hdr[:, 3].copy(),
        mac=hdr[:, 4:10].copy(), seq=u16[:, 5].copy(), core=(css & 0x7).astype(np.uint8),
        stream=((css >> 3) & 0x7).astype(np.uint8), chanspec=u16[:, 7].copy(), chip_version=u16[:, 8].copy(),
        packet_index=idx.astype(np.int64), n_other=int(len(off) - len(idx)))


def unpack_float(words: np.ndarray, n_man: int, n_exp: int) -> np.ndarray:
    """Unpack the bcm4358/bcm4366c0 CSI float format (nexmon_csi ``unpack_float.c``, autoscale off).

    Parameters
    ----------
    words : ndarray, uint32 [..., K]
        sign_re | man_re (n_man - 1 bits) | sign_im | man_im | exponent (n_exp bits).
    n_man, n_exp : int
        9, 5 (bcm4358) or 12, 6 (bcm4366c0).

    Returns
    -------
    ndarray, complex128 [..., K]
        ``(+-man_re +- j man_im) * 2^(exp + 10 + 2^(n_exp-1))`` with the C code's integer shifts
        (right shifts floor the mantissa; exponents below ``-n_man`` give 0).
    """
    h = words.astype(np.int64)
    mask = (1 << (n_man - 1)) - 1
    e_p = 1 << (n_exp - 1)
    vi = (h >> (n_exp + n_man)) & mask
    vq = (h >> n_exp) & mask
    e = h & ((1 << n_exp) - 1)
    e = np.where(e >= e_p, e - 2 * e_p, e) + (10 + e_p)   # shft = nbits - maxbit, maxbit = -e_p
    sgn_r = np.where(h & (1 << (n_exp + 2 * n_man - 1)), -1, 1)
    sgn_i = np.where(h & (1 << (n_exp + n_man - 1)), -1, 1)

    def scale(v):
        left = v << np.clip(e, 0, 40)
        right = v >> np.clip(-e, 0, 63)
        return np.where(e < -n_man, 0, np.where(e < 0, right, left))

    return sgn_r * scale(vi) + 1j * (sgn_i * scale(vq))


def chanspec_carrier_hz(chanspec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Carrier and bandwidth of Broadcom d11ac chanspecs.

    Channel number = bits 0-7 (the centre channel of a 40/80 MHz channel), bandwidth bits 11-13
    (2: 20, 3: 40, 4: 80, 5: 160 MHz), band bits 14-15 (0: 2.4 GHz, 3: 5 GHz).

    Parameters
    ----------
    chanspec : array_like, uint16 [P]

    Returns
    -------
    carrier_hz : ndarray, float64 [P]
        Centre frequency (Hz).
    bandwidth_mhz : ndarray, int64 [P]
        20, 40, 80 or 160 (MHz); 0 for an unknown code.
    """
    cs = np.asarray(chanspec, dtype=np.int64)
    ch = cs & 0xFF
    band5 = (cs & 0xC000) == 0xC000
    mhz = np.where(band5, 5000 + 5 * ch, np.where(ch == 14, 2484, 2407 + 5 * ch))
    bw = np.select([(cs >> 11) & 7 == v for v in (2, 3, 4, 5)], [20, 40, 80, 160], 0)
    return mhz * 1e6, bw


def _rows(data: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """``data[starts[i] : starts[i] + width]`` stacked ``[P, width]``: a strided view when equally spaced."""
    if len(starts) > 1:
        step = np.diff(starts)
        if (step == step[0]).all() and step[0] >= width:
            view = np.lib.stride_tricks.as_strided(data[starts[0]:], shape=(len(starts), width),
                                                   strides=(int(step[0]), 1), writeable=False)
            return np.ascontiguousarray(view)
    return data[starts[:, None] + np.arange(width)]


def _n_fft(nbytes: np.ndarray, name: str) -> int:
    for n in (256, 128, 64):
        if (nbytes >= 4 * n).mean() > 0.5:
            return n
    raise DataError(f"{name}: nexmon payloads of {int(nbytes.min())} bytes hold no 20/40/80 MHz CSI")


def _chip(chip: str | None, versions: np.ndarray, name: str) -> str:
    if chip is not None:
        chip = str(chip).lower().removeprefix("bcm")
        if chip not in CHIPS:
            raise ParameterError(f"chip={chip!r}; expected one of {', '.join(CHIPS)}")
        return chip
    found = {CHIP_VERSIONS.get(int(v)) for v in np.unique(versions)}
    if None in found or len(found) != 1:
        raise DataError(f"{name}: chip version field {sorted(int(v) for v in np.unique(versions))} not recognised; "
                        f"pass the chip (--chip {'|'.join(CHIPS)})")
    return found.pop()
