"""TFRecord files without TensorFlow: record framing with CRC32C checks, ``tf.train.Example`` and
``tf.io.serialize_tensor`` (``TensorProto``) decoding of the small subset that CSI datasets use.

Framing (TensorFlow ``record_writer.cc``): each record is ``uint64 length`` (little endian),
``uint32 masked_crc32c(length)``, ``length`` bytes of data, ``uint32 masked_crc32c(data)``, with
``masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8``. Record offsets are found by following the
length fields; CRCs are checked with the ``crc32c`` or ``google-crc32c`` package (the ``tfrecord``
extra), else with a table-driven fallback (correct, slower).

Protobuf subset (wire types 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32):
``Example{1: Features{1: map<string, Feature>}}``, ``Feature{1: BytesList, 2: FloatList, 3: Int64List}``;
``TensorProto{1: dtype, 2: TensorShapeProto{2: Dim{1: size}}, 4: tensor_content}``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from radiomap.errors import DataError

_MASK_DELTA = 0xA282EAD8

TF_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
             8: np.complex64, 18: np.complex128, 10: np.bool_, 17: np.uint16, 19: np.float16, 22: np.uint32,
             23: np.uint64}
"""TensorFlow ``DataType`` enum -> numpy dtype (the numeric ones)."""


# -- CRC32C --------------------------------------------------------------------------------------
def _crc_function():
    try:
        import crc32c

        return crc32c.crc32c
    except ImportError:
        pass
    try:
        import google_crc32c

        return lambda data: google_crc32c.value(bytes(data))
    except ImportError:
        return _crc32c_python


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def _crc32c_python(data: bytes) -> int:
    """CRC-32C (Castagnoli), table driven; used only without the crc32c packages."""
    c = 0xFFFFFFFF
    t = _TABLE
    for b in bytes(data):
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


crc32c = _crc_function()


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC32C.

    Parameters
    ----------
    data : bytes-like

    Returns
    -------
    int
        ``((crc >> 15) | (crc << 17)) + 0xa282ead8`` modulo 2^32, ``crc`` the CRC-32C of ``data``.
    """
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF


# -- framing ---------------------------------------------------------------------------------------
def record_spans(raw: bytes, name: str = "tfrecord", check_crc: bool = True) -> list[tuple[int, int]]:
    """Frame a TFRecord byte string.

    Parameters
    ----------
    raw : bytes
        The whole file.
    name : str
        File name, for messages.
    check_crc : bool
        Verify the length and data CRCs.

    Returns
    -------
    list of tuple[int, int]
        ``(offset, length)`` (bytes) of each record's data.

    Raises
    ------
    DataError
        A truncated record or a CRC mismatch.
    """
    spans = []
    pos, end = 0, len(raw)
    view = memoryview(raw)
    while pos < end:
        if pos + 12 > end:
            raise DataError(f"{name}: truncated TFRecord file (record header at byte {pos} cut off)")
        (length,) = struct.unpack_from("<Q", raw, pos)
        (len_crc,) = struct.unpack_from("<I", raw, pos + 8)
        if check_crc and masked_crc32c(view[pos:pos + 8]) != len_crc:
            raise DataError(f"{name}: corrupt TFRecord file (length CRC mismatch at byte {pos})")
        start = pos + 12
        if start + length + 4 > end:
            raise DataError(f"{name}: truncated TFRecord file (record {len(spans)} needs {length} bytes, "
                            f"{max(end - start - 4, 0)} left)")
        if check_crc:
            (data_crc,) = struct.unpack_from("<I", raw, start + length)
            if masked_crc32c(view[start:start + length]) != data_crc:
                raise DataError(f"{name}: corrupt TFRecord file (data CRC mismatch in record {len(spans)})")
        spans.append((start, length))
        pos = start + length + 4
    return spans


def read_records(path: str | Path, check_crc: bool = True) -> tuple[bytes, list[tuple[int, int]]]:
    """Read a TFRecord file and frame it.

    Parameters
    ----------
    path : str or Path
    check_crc : bool
        Verify the CRCs.

    Returns
    -------
    raw : bytes
        The file's bytes.
    spans : list of tuple[int, int]
        ``(offset, length)`` of each record's data in ``raw`` (``record_spans``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read TFRecord file: {exc}") from exc
    return raw, record_spans(raw, path.name, check_crc)


# -- protobuf wire format ----------------------------------------------------------------------------
def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise DataError("malformed protobuf (varint runs past its message)")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int, int]]:
    """Protobuf fields of ``buf[start:end]``.

    Parameters
    ----------
    buf : bytes or memoryview
    start, end : int
        Byte range of the message (``end`` None: the end of ``buf``).

    Yields
    ------
    tuple[int, int, int, int]
        ``(field number, wire type, value or offset, length)``: varint and fixed fields give their
        value (length 0), length-delimited ones their offset into ``buf`` and length.
    """
    end = len(buf) if end is None else end
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos, end)
            yield num, wt, val, 0
        elif wt == 2:
            n, pos = _varint(buf, pos, end)
            if pos + n > end:
                raise DataError("malformed protobuf (field longer than its message)")
            yield num, wt, pos, n
            pos += n
        elif wt in (1, 5):
            size = 8 if wt == 1 else 4
            if pos + size > end:
                raise DataError("malformed protobuf (fixed field cut off)")
            yield num, wt, int.from_bytes(buf[pos:pos + size], "little"), 0
            pos += size
        else:
            raise DataError(f"malformed protobuf (unsupported wire type {wt})")


def parse_example(buf: bytes, start: int = 0, end: int | None = None) -> dict[str, tuple[str, object]]:
    """Parse a ``tf.train.Example``.

    Parameters
    ----------
    buf : bytes
    start, end : int
        Byte range of the record (``end`` None: the end of ``buf``).

    Returns
    -------
    dict[str, tuple[str, object]]
        ``{name: (kind, value)}``: kind "bytes" (list of memoryviews), "float" (float32 array
        [n]) or "int64" (int64 array [n]). Values are views into ``buf`` (no copy of tensor bytes).
    """
    out: dict[str, tuple[str, object]] = {}
    mv = memoryview(buf)
    for num, wt, off, n in fields(buf, start, end):
        if num != 1 or wt != 2:
            continue
        for fnum, fwt, foff, fn in fields(buf, off, off + n):  # Features: repeated map entries
            if fnum != 1 or fwt != 2:
                continue
            key, feat = None, None
            for enum, ewt, eoff, en in fields(buf, foff, foff + fn):
                if enum == 1 and ewt == 2:
                    key = bytes(mv[eoff:eoff + en]).decode("utf-8", "replace")
                elif enum == 2 and ewt == 2:
                    feat = (eoff, en)
            if key is not None and feat is not None:
                out[key] = _feature(buf, mv, *feat)
    return out


def _feature(buf: bytes, mv: memoryview, off: int, n: int) -> tuple[str, object]:
    for num, wt, loff, ln in fields(buf, off, off + n):
        if wt != 2:
            continue
        if num == 1:  # BytesList: repeated bytes value = 1
            return "bytes", [mv[o:o + k] for f, w, o, k in fields(buf, loff, loff + ln) if f == 1 and w == 2]
        if num == 2:  # FloatList: packed (or repeated fixed32) floats
            vals: list[np.ndarray] = []
            for f, w, o, k in fields(buf, loff, loff + ln):
                if f == 1 and w == 2:
                    vals.append(np.frombuffer(buf, "<f4", k // 4, o))
                elif f == 1 and w == 5:
                    vals.append(np.array([o], np.uint32).view("<f4"))
            return "float", np.concatenate(vals) if vals else np.zeros(0, np.float32)
        if num == 3:  # Int64List: packed varints
            ints: list[int] = []
            for f, w, o, k in fields(buf, loff, loff + ln):
                if f == 1 and w == 2:
                    p = o
                    while p < o + k:
                        v, p = _varint(buf, p, o + k)
                        ints.append(v - (1 << 64) if v >= 1 << 63 else v)
                elif f == 1 and w == 0:
                    ints.append(o - (1 << 64) if o >= 1 << 63 else o)
            return "int64", np.array(ints, np.int64)
    return "bytes", []


def parse_tensor(data) -> np.ndarray:
    """Decode ``tf.io.serialize_tensor`` output (a ``TensorProto``).

    Supports numeric dtypes with ``tensor_content`` and scalars/short tensors stored in the typed
    value fields (float_val 5, double_val 6, int_val 7, int64_val 10, scomplex_val 9).

    Parameters
    ----------
    data : bytes, memoryview or bytes-like

    Returns
    -------
    ndarray [shape of the tensor]
        Its dtype (a view into ``data`` when it has ``tensor_content``).

    Raises
    ------
    DataError
        Unsupported dtype or a size that does not match the shape.
    """
    buf = data if isinstance(data, bytes | memoryview) else bytes(data)  # a view: no copy of the content
    dtype_code, shape, content = None, [], None
    typed: dict[int, list] = {}
    for num, wt, off, n in fields(buf):
        if num == 1 and wt == 0:
            dtype_code = off
        elif num == 2 and wt == 2:
            for dn, dw, doff, dl in fields(buf, off, off + n):
                if dn == 2 and dw == 2:
                    size = next((v for f, w, v, _ in fields(buf, doff, doff + dl) if f == 1 and w == 0), 0)
                    shape.append(size - (1 << 64) if size >= 1 << 63 else size)
        elif num == 4 and wt == 2:
            content = (off, n)
        elif num in (5, 6, 7, 9, 10):
            typed.setdefault(num, []).append((wt, off, n))
    if dtype_code not in TF_DTYPES:
        raise DataError(f"serialized tensor of unsupported dtype {dtype_code} (expected a numeric TensorProto)")
    dt = np.dtype(TF_DTYPES[dtype_code]).newbyteorder("<")
    count = int(np.prod(shape)) if shape else 1
    if content is not None:
        off, n = content
        if n != count * dt.itemsize:
            raise DataError(f"serialized tensor: {n} content bytes for shape {shape} of {dt}")
        return np.frombuffer(buf, dt, count, off).reshape(shape)
    vals = _typed_values(buf, typed, dt)
    if len(vals) == 1 and count > 1:
        vals = np.repeat(vals, count)
    if len(vals) != count:
        raise DataError(f"serialized tensor: {len(vals)} values for shape {shape}")
    return vals.reshape(shape)


def _typed_values(buf: bytes, typed: dict, dt: np.dtype) -> np.ndarray:
    out = []
    for num, items in typed.items():
        for wt, off, n in items:
            if wt == 2 and num in (5, 9):
                out.append(np.frombuffer(buf, "<f4", n // 4, off))
            elif wt == 2 and num == 6:
                out.append(np.frombuffer(buf, "<f8", n // 8, off))
            elif wt == 2:  # packed varints (int_val, int64_val)
                p, vals = off, []
                while p < off + n:
                    v, p = _varint(buf, p, off + n)
                    vals.append(v)
                out.append(np.array(vals, np.uint64).view(np.int64))
            elif wt == 5:
                out.append(np.array([off], np.uint32).view("<f4"))
            elif wt == 1:
                out.append(np.array([off], np.uint64).view("<f8"))
            else:
                out.append(np.array([off], np.uint64).view(np.int64))
    flat = np.concatenate(out) if out else np.zeros(0)
    if dt.kind == "c":
        flat = flat.astype(np.float32).view(np.complex64)
    return flat.astype(dt)


def feature(example: dict, key: str, kind: str | None = None, name: str = "record"):
    """One feature of a parsed example.

    Parameters
    ----------
    example : dict
        ``parse_example`` output.
    key : str
        Feature name.
    kind : str or None
        Required kind ("bytes", "float", "int64"); None accepts any.
    name : str
        Record name, for messages.

    Returns
    -------
    list of memoryview or ndarray [n]
        The feature's value.

    Raises
    ------
    DataError
        Missing feature (the message lists the present ones) or another kind.
    """
    if key not in example:
        raise DataError(f"{name}: feature {key!r} missing; record has {', '.join(sorted(example)) or 'none'}")
    k, v = example[key]
    if kind is not None and k != kind:
        raise DataError(f"{name}: feature {key!r} is a {k} list, expected {kind}")
    return v
