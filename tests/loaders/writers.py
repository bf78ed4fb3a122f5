"""Writers of capture formats, for tests only: nexmon_csi pcaps (UDP layout of nexmon_csi after PR 256),
ESP32-CSI-Tool CSV lines and TFRecord framing.

They follow the formats' own specifications, independently of the readers under test.
"""

from __future__ import annotations

import struct

import numpy as np


def pack_float(re: np.ndarray, im: np.ndarray, exp: np.ndarray, n_man: int, n_exp: int) -> np.ndarray:
    """bcm4358/bcm4366c0 word: sign_re | |re| (n_man-1 bits) | sign_im | |im| | exponent (two's complement)."""
    re, im, exp = (np.asarray(v, dtype=np.int64) for v in (re, im, exp))
    w = (np.abs(re) << (n_exp + n_man)) | ((re < 0).astype(np.int64) << (n_exp + 2 * n_man - 1))
    w |= (np.abs(im) << n_exp) | ((im < 0).astype(np.int64) << (n_exp + n_man - 1))
    w |= exp & ((1 << n_exp) - 1)
    return w.astype(np.uint32)


def nexmon_payload(words: np.ndarray, *, mac=b"\xaa\xbb\xcc\x00\x00\x01", seq=0, core=0, stream=0,
                   chanspec=0xE02A, chip=0x0065, rssi=-60, fc=0x88) -> bytes:
    """UDP payload: magic 0x1111, rssi, fc, MAC, seq, core/stream, chanspec, chip, CSI words (uint32 LE)."""
    head = struct.pack("<HbB6sHHHH", 0x1111, rssi, fc, mac, seq, core | (stream << 3), chanspec, chip)
    return head + np.asarray(words, dtype="<u4").tobytes()


def int16_words(csi: np.ndarray) -> np.ndarray:
    """int16 real (low half) and int16 imaginary (high half) of each bin, as uint32 words."""
    re = np.asarray(np.real(csi), dtype=np.int64) & 0xFFFF
    im = np.asarray(np.imag(csi), dtype=np.int64) & 0xFFFF
    return (re | (im << 16)).astype(np.uint32)


def udp_frame(payload: bytes) -> bytes:
    """Ethernet (source 'NEXMON') + IPv4 (10.10.10.10 -> 255.255.255.255) + UDP 5500 -> 5500."""
    eth = b"\xff" * 6 + b"NEXMON" + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0,
                     bytes([10, 10, 10, 10]), b"\xff\xff\xff\xff")
    udp = struct.pack("!HHHH", 5500, 5500, 8 + len(payload), 0)
    return eth + ip + udp + payload


def pcap(frames: list[bytes], t0: float = 1_700_000_000.0, dt: float = 0.01) -> bytes:
    """libpcap file (little endian, microseconds, Ethernet link type) holding ``frames``."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, fr in enumerate(frames):
        t = t0 + i * dt
        out.append(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr)
    return b"".join(out)


def esp32_line(mac: str, rssi: int, channel: int, t: float, csi: np.ndarray) -> str:
    """One ESP32-CSI-Tool CSV line; CSI as (imaginary, real) int pairs for 64 bins."""
    ints = [rssi, 11, 1, 0, 0, 1, 0, 0, 0, 0, 0, -90, 0, channel, 0, 123456, 0, 40, 0, 1]
    pairs = " ".join(f"{int(v.imag)} {int(v.real)}" for v in csi)
    return f"CSI_DATA,STA,{mac},{','.join(map(str, ints))},{t},128,[{pairs} ]\n"


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC32C."""
    import google_crc32c

    c = google_crc32c.value(bytes(data))
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(records: list[bytes]) -> bytes:
    """TFRecord framing: u64 length, masked CRC of the length, data, masked CRC of the data."""
    out = []
    for r in records:
        n = struct.pack("<Q", len(r))
        out.append(n + struct.pack("<I", masked_crc(n)) + r + struct.pack("<I", masked_crc(r)))
    return b"".join(out)
