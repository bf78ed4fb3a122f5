"""libpcap file framing, vectorised: record offsets, lengths and timestamps of a whole file.

Layout (https://wiki.wireshark.org/Development/LibpcapFileFormat): a 24-byte global header
(magic ``a1b2c3d4`` (microsecond) or ``a1b23c4d`` (nanosecond) in either byte order, version,
link type at byte 20), then records of a 16-byte header (``ts_sec, ts_frac, incl_len, orig_len``)
followed by ``incl_len`` bytes. Captures of one tool usually have records of one size: the walk
then is one strided numpy view; otherwise a short loop over record headers finds the offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from radiomap.errors import DataError

LINKTYPE_ETHERNET = 1

_MAGICS = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
           b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}


@dataclass(frozen=True)
class PcapRecords:
    """Records of a pcap file.

    Attributes
    ----------
    data : ndarray, uint8 [file size]
        The whole file.
    offsets : ndarray, int64 [P]
        Byte offset of each record's data (after its 16-byte header).
    lengths : ndarray, int64 [P]
        Captured length (bytes).
    timestamps : ndarray, float64 [P]
        Capture time (s since the epoch).
    linktype : int
        1 = Ethernet.
    """

    data: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    timestamps: np.ndarray
    linktype: int


def read_pcap(raw: bytes, name: str = "pcap") -> PcapRecords:
    """Frame a pcap byte string into records.

    Parameters
    ----------
    raw : bytes
        The whole file.
    name : str
        File name, for messages.

    Returns
    -------
    PcapRecords
        P records: offsets, lengths (bytes), timestamps (s) and the link type.

    Raises
    ------
    DataError
        Bad magic, a truncated or corrupt record.
    """
    if len(raw) < 24 or raw[:4] not in _MAGICS:
        raise DataError(f"{name}: not a pcap capture file (bad magic {raw[:4].hex() or 'empty'})")
    endian, frac = _MAGICS[raw[:4]]
    linktype = struct.unpack_from(endian + "I", raw, 20)[0] & 0x0FFFFFFF
    data = np.frombuffer(raw, dtype=np.uint8)
    u32 = np.dtype(endian + "u4")
    offsets = _uniform_offsets(raw, data, endian, u32)
    if offsets is None:
        offsets = _walk_offsets(raw, endian, name)
    hdr = offsets[:, None] - 16 + np.arange(16)[None, :]
    fields = data[hdr].view(u32).reshape(-1, 4).astype(np.int64) if len(offsets) else np.zeros((0, 4), np.int64)
    lengths = fields[:, 2]
    if len(offsets) and offsets[-1] + lengths[-1] > len(raw):
        raise DataError(f"{name}: truncated pcap file (last record needs {lengths[-1]} bytes, "
                        f"{len(raw) - offsets[-1]} left)")
    return PcapRecords(data, offsets, lengths, fields[:, 0] + fields[:, 1] * frac, linktype)


def _uniform_offsets(raw: bytes, data: np.ndarray, endian: str, u32) -> np.ndarray | None:
    """Offsets when every record has the first record's size (checked on all of them), else None."""
    if len(raw) < 40:
        return None if len(raw) > 24 else np.zeros(0, np.int64)
    incl = struct.unpack_from(endian + "I", raw, 32)[0]
    stride = 16 + incl
    body = len(raw) - 24
    if body % stride:
        return None
    n = body // stride
    starts = 24 + stride * np.arange(n, dtype=np.int64)
    lens = data[(starts + 8)[:, None] + np.arange(4)].copy().view(u32).ravel()
    if not (lens == incl).all():
        return None
    return starts + 16


def _walk_offsets(raw: bytes, endian: str, name: str) -> np.ndarray:
    """Offsets by following each record header (files whose records differ in size)."""
    out = []
    pos, end = 24, len(raw)
    fmt = endian + "I"
    while pos < end:
        if pos + 16 > end:
            raise DataError(f"{name}: truncated pcap file (record header at byte {pos} cut off)")
        incl = struct.unpack_from(fmt, raw, pos + 8)[0]
        if incl > 1 << 18:
            raise DataError(f"{name}: corrupt pcap record at byte {pos} (length {incl})")
        out.append(pos + 16)
        pos += 16 + incl
    if pos > end:
        raise DataError(f"{name}: truncated pcap file (last record cut off)")
    return np.asarray(out, dtype=np.int64)
