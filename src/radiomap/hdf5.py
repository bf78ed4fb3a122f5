"""Opening radiomap HDF5 files: existence, readability, schema name and version checked in one place."""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from radiomap.errors import DataError


def open_validated(path: str | os.PathLike, schema: str, version: int | tuple[int, ...], kind: str) -> h5py.File:
    """Open ``path`` read-only after checking it is an HDF5 file of ``schema`` at ``version``.

    ``version`` may be a tuple of the versions this radiomap reads (e.g. ``(1, 2)``).

    ``kind`` names the file type in error messages (e.g. "CSI dataset"). Every failure is a
    one-line ``DataError``: missing file, truncated or non-HDF5 file, wrong schema, unknown version.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"{path}: not a readable HDF5 file (truncated or wrong format): {exc}") from exc
    if f.attrs.get("schema") != schema:
        f.close()
        raise DataError(f"{path}: not a radiomap {kind} (attribute 'schema' missing or wrong)")
    found = int(f.attrs.get("schema_version", -1))
    versions = (version,) if isinstance(version, int) else tuple(version)
    if found not in versions:
        f.close()
        known = " or ".join(str(v) for v in versions)
        raise DataError(f"{path}: unknown schema version {found}; this radiomap reads {kind} version {known}")
    return f
