"""radiomap's HDF5 files: one opener that validates, one writer that makes damage detectable.

Writing (:func:`create_file`, :func:`write_array`, :func:`write_json_attr`):

- the whole file is sealed: its first 512 bytes (an HDF5 user block, which HDF5 itself ignores)
  hold the SHA-256 of everything after them, checked before HDF5 parses a byte of the file, so a
  damaged file is refused even where the HDF5 library would misread it or never return;

- the file uses the HDF5 1.10+ format (``libver=("v110", ...)``): superblock, object headers, group
  and chunk indices carry checksums, so damaged structure fails to open instead of reading garbage;
- every array is chunked with the ``fletcher32`` filter: a flipped byte in stored data fails the
  read of its chunk; float and complex arrays have a NaN fill value, so a chunk that went missing
  reads as NaN and fails validation instead of reading as zeros;
- JSON attributes are stored as fixed-length strings (object header, checksummed) together with a
  SHA-256 of their text (``<name>_sha256``), checked on read.

Reading (:func:`open_validated`, :func:`read_json_attr`, :func:`read_array`): every failure, from a
missing file to a checksum mismatch, is one ``DataError`` line naming the file and the field.
Files written before these checks existed (no ``*_sha256`` attributes, no filters) still load.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from radiomap.errors import DataError
from radiomap.jsonable import dumps

USERBLOCK = 512
"""Bytes of the HDF5 user block that holds the seal."""
SEAL_TAG = b"radiomap-sha256:"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LIBVER = ("v110", "latest")
"""Lowest and highest HDF5 format versions used for writing: the 1.10 format checksums the superblock,
object headers, group indices and the chunk index (a damaged index would otherwise make a chunk
read as "never written")."""
CHUNK_BYTES = 1 << 20
"""Target chunk size (bytes) of arrays written in row blocks (:func:`create_array`)."""
H5_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError)
"""What h5py raises on damaged files (bad heap, bad signature, checksum failure, wrong types)."""


def open_validated(path: str | os.PathLike, schema: str, versions: int | tuple[int, ...], kind: str) -> h5py.File:
    """Open ``path`` read-only after checking it is an HDF5 file of ``schema`` at one of ``versions``.

    ``kind`` names the file type in error messages (e.g. "CSI dataset"). Every failure is a
    one-line ``DataError``: missing file, truncated, damaged or non-HDF5 file, wrong schema,
    unknown version.
    """
    path = Path(path)
    versions = (versions,) if isinstance(versions, int) else tuple(versions)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    check_seal(path)
    try:
        f = h5py.File(path, "r")
    except H5_ERRORS as exc:
        raise DataError(f"{path}: not a readable HDF5 file (truncated, damaged or wrong format): {exc}") from exc
    try:
        found_schema = _text(f.attrs.get("schema", ""))
        found = int(f.attrs.get("schema_version", -1))
    except H5_ERRORS as exc:
        f.close()
        raise DataError(f"{path}: damaged HDF5 header: {exc}") from exc
    if found_schema != schema:
        f.close()
        raise DataError(f"{path}: not a radiomap {kind} (attribute 'schema' missing or wrong)")
    if found not in versions:
        f.close()
        known = ", ".join(map(str, versions))
        raise DataError(f"{path}: unknown schema version {found}; this radiomap reads {kind} version {known}")
    return f


def schema_of(path: str | os.PathLike) -> str:
    """The ``schema`` of a radiomap HDF5 file (e.g. "radiomap.csidataset"); one ``DataError`` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    check_seal(path)
    try:
        with h5py.File(path, "r") as f:
            schema = _text(f.attrs.get("schema", ""))
    except H5_ERRORS as exc:
        raise DataError(f"{path}: not a readable HDF5 file (truncated, damaged or wrong format): {exc}") from exc
    if not schema.startswith("radiomap"):
        raise DataError(f"{path}: not a radiomap file (attribute 'schema' missing or wrong)")
    return schema


@contextmanager
def create_file(path: str | os.PathLike) -> Iterator[h5py.File]:
    """A new HDF5 file for writing (checksummed 1.10+ format), sealed with its SHA-256 when closed."""
    with h5py.File(path, "w", libver=LIBVER, userblock_size=USERBLOCK) as f:
        yield f
    digest = _digest(Path(path))
    with open(path, "r+b") as f:
        f.write(SEAL_TAG + digest.encode())


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        f.seek(USERBLOCK)
        while block := f.read(1 << 24):
            h.update(block)
    return h.hexdigest()


def check_seal(path: Path) -> None:
    """Refuse a sealed file whose content no longer matches its seal (unsealed files pass)."""
    with path.open("rb") as f:
        head = f.read(len(SEAL_TAG) + 64)
        f.seek(USERBLOCK)
        sealed_hdf5 = f.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE
    if head.startswith(_HDF5_SIGNATURE) or not sealed_hdf5:
        return  # no user block (radiomap < 0.2, another program) or not HDF5 at all: HDF5's own checks apply
    if not head.startswith(SEAL_TAG) or head[len(SEAL_TAG):].decode("ascii", "replace") != _digest(path):
        raise DataError(f"{path}: the file is damaged or was modified after radiomap wrote it (checksum mismatch)")


def write_array(group: h5py.Group, name: str, data: Any, *, compression: str | None = None) -> h5py.Dataset:
    """Store ``data`` chunked with the ``fletcher32`` checksum filter (and optional compression)."""
    arr = np.asarray(data)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return group.create_dataset(name, data=arr, fletcher32=arr.size > 0, compression=compression,
                                chunks=True if arr.size > 0 else None,
                                fillvalue=_fill(arr.dtype) if arr.size > 0 else None)


def create_array(group: h5py.Group, name: str, shape: tuple[int, ...], dtype: Any, *,
                 chunk_bytes: int = CHUNK_BYTES) -> h5py.Dataset:
    """An empty dataset to be filled in row blocks (streaming writers), stored like :func:`write_array`.

    Parameters
    ----------
    group : h5py.Group
        Where to create it; ``name`` may contain ``/`` (intermediate groups are created).
    name : str
        Dataset name.
    shape : tuple of int
        Full shape ``[N, ...]``; rows are filled later with ``dataset[start:stop] = block``.
    dtype : numpy dtype
        Stored dtype.
    chunk_bytes : int
        Target chunk size (bytes); a chunk holds whole rows.

    Returns
    -------
    h5py.Dataset
        Chunked, ``fletcher32``-checksummed, NaN-filled for float and complex dtypes.
    """
    dtype = np.dtype(dtype)
    if not shape or shape[0] == 0 or int(np.prod(shape)) == 0:
        return group.create_dataset(name, shape=shape, dtype=dtype)
    row = dtype.itemsize * int(np.prod(shape[1:]))
    chunks = (max(1, min(shape[0], chunk_bytes // max(row, 1))), *shape[1:])
    return group.create_dataset(name, shape=shape, dtype=dtype, chunks=chunks, fletcher32=True,
                                fillvalue=_fill(dtype))


def _fill(dtype: np.dtype) -> np.ndarray | None:
    """NaN for float and complex dtypes (a missing chunk reads as invalid), else the HDF5 default."""
    if dtype.kind not in "fc":
        return None
    return np.array(complex(np.nan, np.nan) if dtype.kind == "c" else np.nan, dtype=dtype)


def created_time() -> str:
    """UTC ISO time for a file's ``created`` record: ``SOURCE_DATE_EPOCH`` when set (reproducible builds).

    Returns
    -------
    str
        ISO 8601 time with offset, e.g. ``2026-01-01T00:00:00+00:00``.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch and epoch.isdigit() else _dt.datetime.now(_dt.UTC)
    return stamp.isoformat()


def write_json_attr(obj: h5py.File | h5py.Group, name: str, value: Any) -> None:
    """Store ``value`` as a JSON fixed-length string attribute plus its SHA-256 (``<name>_sha256``)."""
    text = dumps(value)
    obj.attrs[name] = np.bytes_(text.encode())
    obj.attrs[f"{name}_sha256"] = np.bytes_(hashlib.sha256(text.encode()).hexdigest().encode())


def read_json_attr(obj: h5py.File | h5py.Group, name: str, path: Path, default: Any = None) -> Any:
    """Inverse of :func:`write_json_attr`; a checksum mismatch or bad JSON is a ``DataError``."""
    if name not in obj.attrs:
        return default
    text = _text(obj.attrs[name])
    digest = obj.attrs.get(f"{name}_sha256")
    if digest is not None and hashlib.sha256(text.encode()).hexdigest() != _text(digest):
        raise DataError(f"{path}: attribute {name!r} is damaged (checksum mismatch)")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DataError(f"{path}: attribute {name!r} is not valid JSON: {exc}") from exc


def read_array(group: h5py.Group, name: str, path: Path, rows: tuple[int, int] | None = None) -> np.ndarray:
    """Read dataset ``name`` whole (or rows ``start:stop`` of it); a failed checksum or damaged chunk is a
    ``DataError``."""
    try:
        return group[name][()] if rows is None else group[name][rows[0]:rows[1]]
    except H5_ERRORS as exc:
        raise DataError(f"{path}: field {group.name.rstrip('/')}/{name} is damaged: {exc}") from exc


def _text(value: Any) -> str:
    if isinstance(value, bytes | np.bytes_):
        return value.decode("utf-8", errors="replace")
    return str(value)
