"""Streaming writer of ``CSIDataset`` files: rows written block by block, memory independent of N.

The file has the layout of ``radiomap.data.schema`` and loads with ``CSIDataset.load``; it is written
under a temporary name, sealed and renamed into place when complete (``radiomap.atomic``,
``radiomap.hdf5``). Every block is validated as ``CSIDataset`` validates whole arrays.

Example
-------
>>> with dataset_writer("big.h5", n=10**6, meta=meta) as w:          # doctest: +SKIP
...     for start, stop in shard_bounds(10**6, 4096):
...         w.write(start, csi=csi_block, los=los_block)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from radiomap import __version__
from radiomap.atomic import atomic_file
from radiomap.data.dataset import _check_csi, _check_optional, stored_samples
from radiomap.data.schema import OPTIONAL_FIELDS, READABLE_VERSIONS, SCHEMA_NAME, SCHEMA_VERSION
from radiomap.errors import DataError
from radiomap.hdf5 import (
    H5_ERRORS,
    create_array,
    create_file,
    created_time,
    open_validated,
    read_json_attr,
    write_json_attr,
)


class DatasetWriter:
    """Rows of an open dataset file; made by :func:`dataset_writer`.

    Parameters
    ----------
    file : h5py.File
        The open temporary file.
    n : int
        Number of samples N every field will hold.

    Attributes
    ----------
    meta : dict
        Metadata written when the file is closed (may be completed while writing).
    """

    def __init__(self, file, n: int, meta: dict[str, Any]) -> None:
        self._f = file
        self._n = n
        self._rows: dict[str, int] = {}
        self.meta = meta

    def write(self, start: int, **fields: np.ndarray) -> None:
        """Store rows ``start:start + len(block)`` of each field.

        Parameters
        ----------
        start : int
            First row (sample index).
        **fields : ndarray [M, ...]
            ``csi`` (complex [M, B, N_a, K(, S)]), ``los`` (bool [M, B]), any per-sample field of the schema
            (``positions`` [M, 3] m, ``timestamps`` [M] s, ...), or ``features/<key>`` ([M, ...]). A field's
            dataset is created at its first block, with the trailing shape and dtype of that block.
        """
        for name, block in fields.items():
            block = self._checked(name, np.asarray(block))
            stop = start + len(block)
            if not 0 <= start <= stop <= self._n:
                raise DataError(f"field {name!r}: rows {start}:{stop} are outside 0:{self._n}")
            if name not in self._rows:
                create_array(self._f, name, (self._n, *block.shape[1:]), block.dtype)
                self._rows[name] = 0
            ds = self._f[name]
            if ds.shape[1:] != block.shape[1:] or ds.dtype != block.dtype:
                raise DataError(f"field {name!r}: block {block.dtype} {block.shape[1:]} does not match the "
                                f"first block's {ds.dtype} {ds.shape[1:]}")
            ds[start:stop] = block
            self._rows[name] += len(block)

    def _checked(self, name: str, block: np.ndarray) -> np.ndarray:
        if name == "csi":
            return _check_csi(block)
        if name == "los":
            if block.ndim != 2 or block.dtype.kind != "b":
                raise DataError(f"field 'los': expected bool [N, B], got {block.dtype} {block.shape}")
            return block
        if name in OPTIONAL_FIELDS:
            trailing = OPTIONAL_FIELDS[name][1]
            if "B" in trailing:
                raise DataError(f"field {name!r}: not supported by the streaming writer")
            return _check_optional(name, block, len(block))
        if name.startswith("features/"):
            if block.dtype.kind in "fc" and not np.isfinite(block).all():
                raise DataError(f"feature {name[9:]!r} contains NaN or Inf")
            return block
        raise DataError(f"field {name!r} is not part of the dataset schema")

    def _finish(self) -> None:
        short = {k: v for k, v in self._rows.items() if v != self._n}
        if short:
            raise DataError(f"dataset incomplete: rows written per field {short}, expected {self._n} each")
        if "csi" not in self._rows and not any(k.startswith("features/") for k in self._rows):
            raise DataError("dataset needs 'csi' or at least one feature")
        self._f.attrs["schema"] = SCHEMA_NAME
        self._f.attrs["schema_version"] = SCHEMA_VERSION
        write_json_attr(self._f, "meta", {"radiomap_version": __version__, "created": created_time()} | self.meta)


@contextmanager
def dataset_writer(path: str | os.PathLike, n: int, meta: dict[str, Any], *,
                   overwrite: bool = False) -> Iterator[DatasetWriter]:
    """Open a dataset file of ``n`` samples for writing in row blocks; on success it is sealed and renamed.

    Parameters
    ----------
    path : path
        Target file (``radiomap.atomic`` rules: an existing file only with ``overwrite`` and only radiomap's).
    n : int
        Number of samples N.
    meta : dict
        JSON-able metadata (``scene``, ``seed``, ...), stored when the writer closes.
    overwrite : bool
        Replace an existing radiomap file.

    Yields
    ------
    DatasetWriter
        Every field written must have all N rows by the end, else nothing is written (``DataError``).
    """
    with atomic_file(Path(path), overwrite=overwrite, what="dataset") as tmp, create_file(tmp) as f:
        writer = DatasetWriter(f, n, dict(meta))
        yield writer
        writer._finish()


@contextmanager
def extend_file(source: str | os.PathLike, path: str | os.PathLike, *,
                overwrite: bool = False) -> Iterator[DatasetWriter]:
    """Open ``path`` as a copy of the dataset file ``source``, to which more fields are written in row blocks.

    Every array of ``source`` is copied as stored (HDF5 object copy: chunks, filters and checksums kept,
    chunk by chunk); its metadata becomes the writer's ``meta``.

    Parameters
    ----------
    source : path
        A dataset file (validated on opening).
    path : path
        Target file (``radiomap.atomic`` rules).
    overwrite : bool
        Replace an existing radiomap file.

    Yields
    ------
    DatasetWriter
        For the new fields (typically ``features/<key>``); each must get all N rows.
    """
    source = Path(source)
    n = stored_samples(source)
    with open_validated(source, SCHEMA_NAME, READABLE_VERSIONS, "CSI dataset") as src, \
            atomic_file(Path(path), overwrite=overwrite, what="dataset") as tmp, create_file(tmp) as f:
        meta = read_json_attr(src, "meta", source, default={})
        try:
            for name in src:
                src.copy(src[name], f, name=name)
        except H5_ERRORS as exc:
            raise DataError(f"{source}: file is damaged or truncated: {exc}") from exc
        writer = DatasetWriter(f, n, meta)
        writer._rows.update(dict.fromkeys(_stored_names(f), n))
        yield writer
        writer._finish()


def _stored_names(group, prefix: str = "") -> list[str]:
    """Paths of the datasets under ``group`` (``csi``, ``features/seed000``, ...)."""
    names = []
    for k, v in group.items():
        names += _stored_names(v, f"{prefix}{k}/") if hasattr(v, "items") else [prefix + k]
    return names
