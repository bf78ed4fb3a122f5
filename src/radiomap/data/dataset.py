"""``CSIDataset``: CSI with optional labels and metadata; HDF5 on disk (schema in ``schema.py``)."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from radiomap import __version__
from radiomap.atomic import atomic_file
from radiomap.data.fields import V2_NAMES, check_v2_fields
from radiomap.data.schema import OPTIONAL_FIELDS, READABLE_VERSIONS, SCHEMA_NAME, SCHEMA_VERSION, UTF8
from radiomap.errors import DataError, SceneError
from radiomap.hdf5 import (
    H5_ERRORS,
    create_file,
    created_time,
    open_validated,
    read_array,
    read_json_attr,
    write_array,
    write_json_attr,
)
from radiomap.scene.scene import Scene, region_codes

MAX_CSI_MAGNITUDE = 1e15
"""Largest accepted |CSI|: squared and summed over ~1e6 elements it stays finite in float32."""
_CHECK_BLOCK = 4096  # samples per block of the CSI validity check


class CSIDataset:
    """Complex CSI for N samples, with optional positions, timestamps, LOS flags and metadata.

    Input
    -----
    csi : complex64 [N, B, N_a, K] or [N, B, N_a, K, S], or None when only ``features`` (or only ``paths``,
        from which features are computed) are stored
    positions : [N, 3] float (m) or None (unlabelled data)
    timestamps : [N] float (s) or None
    los : [N, B] bool or None (per-AP LOS flag)
    velocity : [N, 3] float (m/s) or None
    trajectory_id : [N] int or None (which walk a sample belongs to)
    point_id : [N] int or None (which measurement point/capture a sample belongs to)
    features : dict name -> [N, ...] array (e.g. triple-beam fingerprints), or None
    paths : dict of ground-truth ``Paths`` arrays with first axis N, or None
    meta : JSON-serialisable dict; ``meta["scene"]`` holds ``Scene.to_dict()``

    Measured data (schema version 2), all optional:

    tx_id : [N] int, transmitter of each packet (index into ``meta["transmitters"]``)
    ap_mask : [N, B] bool, which APs heard the sample
    rssi : [N, B] float (dBm or dB, as reported; NaN only where ``ap_mask`` is False)
    carrier_hz : [N] float (Hz), per-sample carrier where it varies
    source_file : [N] str, capture file of each sample; packet_index : [N] int, packet within it

    Every array is validated on construction: shapes agree on N, no NaN/Inf, right dtypes.
    """

    def __init__(self, csi: np.ndarray | None, *, positions=None, timestamps=None, los=None, velocity=None,
                 trajectory_id=None, point_id=None, features: dict | None = None, paths: dict | None = None,
                 meta: dict | None = None, tx_id=None, ap_mask=None, rssi=None, carrier_hz=None,
                 source_file=None, packet_index=None):
        self.meta: dict[str, Any] = dict(meta or {})
        self.features = {k: np.asarray(v) for k, v in (features or {}).items()}
        self.paths = {k: np.asarray(v) for k, v in (paths or {}).items()}
        if csi is None and not self.features and "gain" not in self.paths:
            raise DataError("dataset needs 'csi', at least one entry in 'features', or ground-truth 'paths'")
        self.csi = None if csi is None else _check_csi(csi)
        if self.csi is not None:
            n = self.csi.shape[0]
        else:
            n = len(next(iter(self.features.values()))) if self.features else len(self.paths["gain"])
        self.positions = _check_optional("positions", positions, n)
        self.timestamps = _check_optional("timestamps", timestamps, n)
        self.velocity = _check_optional("velocity", velocity, n)
        self.trajectory_id = _check_optional("trajectory_id", trajectory_id, n)
        self.point_id = _check_optional("point_id", point_id, n)
        self.los = None
        if los is not None:
            los = np.asarray(los)
            if los.ndim != 2 or los.shape[0] != n or los.dtype.kind != "b":
                raise DataError(f"field 'los': expected bool [N={n}, B], got {los.dtype} {los.shape}")
            self.los = los
        for name, arr in self.features.items():
            if arr.shape[:1] != (n,):
                raise DataError(f"feature {name!r}: expected first dimension N={n}, got shape {arr.shape}")
            if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
                raise DataError(f"feature {name!r} contains NaN or Inf")
        for name, arr in self.paths.items():
            if name not in _SHARED_PATH_FIELDS and arr.shape[:1] != (n,):
                raise DataError(f"paths field {name!r}: expected first dimension N={n}, got shape {arr.shape}")
        self._n = n
        # schema version 2 fields (measured data)
        v2 = {"tx_id": tx_id, "ap_mask": ap_mask, "rssi": rssi, "carrier_hz": carrier_hz,
              "source_file": source_file, "packet_index": packet_index}
        n_aps = self.csi.shape[1] if self.csi is not None else None
        for name, value in check_v2_fields(v2, n, n_aps).items():
            setattr(self, name, value)
        if self.csi is not None and "scene" in self.meta:
            self._check_against_scene()

    def _check_against_scene(self) -> None:
        """CSI dimensions B, N_a, K must be those of the scene recorded in the metadata."""
        sc = self.scene
        n_ant = {ap.n_antennas for ap in sc.aps}
        expected = (sc.n_aps, n_ant.pop() if len(n_ant) == 1 else None, sc.ofdm.n_subcarriers)
        for dim, got, want in zip(("B (APs)", "N_a (antennas)", "K (subcarriers)"), self.csi.shape[1:4], expected,
                                  strict=True):
            if want is not None and got != want:
                raise DataError(f"field 'csi' has {dim} = {got} but its scene {sc.name!r} says {want}")

    # -- shape properties -----------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self._n

    def __len__(self) -> int:
        return self._n

    @property
    def n_aps(self) -> int:
        return self.csi.shape[1] if self.csi is not None else self.scene.n_aps

    @property
    def n_antennas(self) -> int:
        return self.csi.shape[2] if self.csi is not None else self.scene.aps[0].n_antennas

    @property
    def n_subcarriers(self) -> int:
        return self.csi.shape[3] if self.csi is not None else self.scene.ofdm.n_subcarriers

    def subcarrier_indices(self) -> np.ndarray:
        """Signed subcarrier indices ``k`` of the stored CSI (``f = carrier + k * spacing``).

        Returns
        -------
        numpy.ndarray of int64, shape [K]
            ``meta["subcarriers"]["indices"]`` for imported data, else ``k - K/2`` (the simulator's
            uniform grid, ``OFDM.frequencies``).
        """
        k = self.n_subcarriers
        rec = self.meta.get("subcarriers")
        if rec and len(rec.get("indices", [])) == k:
            return np.asarray(rec["indices"], dtype=np.int64)
        return np.arange(k, dtype=np.int64) - k // 2

    @property
    def has_positions(self) -> bool:
        return self.positions is not None

    @cached_property
    def scene(self) -> Scene:
        """The scene recorded in the metadata."""
        if "scene" not in self.meta:
            raise DataError("dataset metadata has no 'scene' description")
        return Scene.from_dict(self.meta["scene"])

    @property
    def geometry_signature(self) -> str:
        """Hash of APs, arrays, orientations and OFDM numerology (what a trained model depends on)."""
        if "scene" in self.meta:
            return self.scene.geometry_signature()
        shape = None if self.csi is None else list(self.csi.shape[1:4])
        return hashlib.sha1(json.dumps({"csi_shape": shape}).encode()).hexdigest()[:12]

    @property
    def regions(self) -> np.ndarray:
        """Region codes ``[N]`` int8 from ``los`` (0 NLOS, 1 single-LOS, 2 double-LOS)."""
        if self.los is None:
            raise DataError("dataset has no LOS flags; region labels need 'los'")
        return region_codes(self.los)

    # -- derived datasets ---------------------------------------------------------------------
    def _fields(self) -> dict[str, Any]:
        return {"positions": self.positions, "timestamps": self.timestamps, "los": self.los,
                "velocity": self.velocity, "trajectory_id": self.trajectory_id, "point_id": self.point_id,
                **{name: getattr(self, name) for name in V2_NAMES}}

    def subset(self, idx: np.ndarray) -> CSIDataset:
        """Samples ``idx`` (int indices or bool mask [N]); metadata is shared."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape != (self._n,):
                raise DataError(f"subset mask must have shape ({self._n},), got {idx.shape}")
            idx = np.flatnonzero(idx)
        fields = {k: (None if v is None else v[idx]) for k, v in self._fields().items()}
        paths = {k: (v if k in _SHARED_PATH_FIELDS else v[idx]) for k, v in self.paths.items()}
        return CSIDataset(None if self.csi is None else self.csi[idx], **fields,
                          features={k: v[idx] for k, v in self.features.items()}, paths=paths, meta=self.meta)

    def without_positions(self) -> CSIDataset:
        """The same data with positions, velocities and ground-truth paths removed (unlabelled)."""
        fields = self._fields() | {"positions": None, "velocity": None}
        return CSIDataset(self.csi, **fields, features=self.features, meta=self.meta)

    def without(self, *, csi: bool = False, paths: bool = False) -> CSIDataset:
        """The same samples without the CSI and/or the ground-truth paths (e.g. once features are stored).

        Parameters
        ----------
        csi, paths : bool
            Drop ``csi`` / ``paths``.

        Returns
        -------
        CSIDataset
            Labels, features and metadata shared with ``self``.
        """
        return CSIDataset(None if csi else self.csi, **self._fields(), features=self.features,
                          paths=None if paths else self.paths, meta=self.meta)

    def with_features(self, features: dict, meta: dict | None = None) -> CSIDataset:
        """The same samples with ``features`` (name -> [N, ...]) instead of the stored ones (and ``meta``)."""
        return CSIDataset(self.csi, **self._fields(), features=features, paths=self.paths,
                          meta=self.meta if meta is None else meta)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, compression: str | None = None, overwrite: bool = False) -> Path:
        """Write to HDF5 atomically (``radiomap.atomic``); an existing file is replaced only when it is
        a radiomap file and ``overwrite`` is True. Arrays carry checksums (``radiomap.hdf5``)."""
        path = Path(path)
        meta = {"radiomap_version": __version__, "created": created_time()} | self.meta
        with atomic_file(path, overwrite=overwrite, what="dataset") as tmp:
            with create_file(tmp) as f:
                f.attrs["schema"] = SCHEMA_NAME
                f.attrs["schema_version"] = SCHEMA_VERSION
                write_json_attr(f, "meta", meta)
                if self.csi is not None:
                    write_array(f, "csi", self.csi, compression=compression)
                for name, (_, _, dtype) in OPTIONAL_FIELDS.items():
                    v = getattr(self, name)
                    if v is not None:
                        write_array(f, name, np.char.encode(v, UTF8) if dtype == UTF8 else v.astype(dtype))
                if self.los is not None:
                    write_array(f, "los", self.los)
                for group, arrays in (("features", self.features), ("paths", self.paths)):
                    if arrays:
                        g = f.create_group(group)
                        for k, v in arrays.items():
                            write_array(g, k, v, compression=compression)
        return path

    @staticmethod
    def load(path: str | os.PathLike, rows: tuple[int, int] | None = None) -> CSIDataset:
        """Read and validate an HDF5 dataset; bad files raise ``DataError`` naming the problem.

        Parameters
        ----------
        path : path
            A dataset file (schema version 1 or 2).
        rows : (start, stop) or None
            Read only samples ``start:stop`` (chunked reads of large files; see :func:`stored_samples`).

        Returns
        -------
        CSIDataset
        """
        path = Path(path)
        with open_validated(path, SCHEMA_NAME, READABLE_VERSIONS, "CSI dataset") as f:
            try:
                meta = read_json_attr(f, "meta", path, default={})
                kw = {name: read_array(f, name, path, rows) for name in (*OPTIONAL_FIELDS, "los") if name in f}
                csi = read_array(f, "csi", path, rows) if "csi" in f else None
                groups = {g: {k: read_array(f[g], k, path, None if k in _SHARED_PATH_FIELDS else rows)
                              for k in f[g]} if g in f else None
                          for g in ("features", "paths")}
            except H5_ERRORS as exc:
                raise DataError(f"{path}: file is damaged or truncated: {exc}") from exc
        if not isinstance(meta, dict):
            raise DataError(f"{path}: attribute 'meta' must be a JSON object")
        try:
            return CSIDataset(csi, **kw, features=groups["features"], paths=groups["paths"], meta=meta)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from exc
        except SceneError as exc:
            raise DataError(f"{path}: its scene description is invalid: {exc}") from exc

    def __repr__(self) -> str:
        shape = None if self.csi is None else self.csi.shape
        return (f"CSIDataset(n={self._n}, csi={shape}, positions={self.has_positions}, "
                f"features={sorted(self.features)}, scene={self.meta.get('scene', {}).get('name')!r})")


def stored_samples(path: str | os.PathLike) -> int:
    """Number of samples N in a dataset file, read from its header (nothing else is loaded).

    Parameters
    ----------
    path : path
        A dataset file.

    Returns
    -------
    int
        N, the first dimension of ``/csi``, else of the first feature, else of the ground-truth paths' gains.
    """
    path = Path(path)
    with open_validated(path, SCHEMA_NAME, READABLE_VERSIONS, "CSI dataset") as f:
        try:
            if "csi" in f:
                return int(f["csi"].shape[0])
            if "features" in f and len(f["features"]):
                return int(next(iter(f["features"].values())).shape[0])
            return int(f["paths"]["gain"].shape[0])
        except (*H5_ERRORS, StopIteration) as exc:
            raise DataError(f"{path}: stores neither 'csi', a feature, nor ground-truth paths") from exc


def stored_fields(path: str | os.PathLike, names: tuple[str, ...]) -> dict[str, Any]:
    """Per-sample fields ``names`` of a dataset file and its ``meta``, without reading the CSI.

    Parameters
    ----------
    path : path
        A dataset file.
    names : tuple of str
        Fields of the schema (``positions``, ``los``, ``timestamps``, ...).

    Returns
    -------
    dict
        ``name -> ndarray [N, ...]`` (None where the file does not store it) and ``"meta" -> dict``.
    """
    path = Path(path)
    with open_validated(path, SCHEMA_NAME, READABLE_VERSIONS, "CSI dataset") as f:
        out: dict[str, Any] = {name: read_array(f, name, path) if name in f else None for name in names}
        out["meta"] = read_json_attr(f, "meta", path, default={})
    return out


def concat(datasets: list[CSIDataset]) -> CSIDataset:
    """Concatenate datasets of one scene along the sample axis (metadata of the first)."""
    if not datasets:
        raise DataError("concat needs at least one dataset")
    sigs = {d.geometry_signature for d in datasets}
    if len(sigs) > 1:
        raise DataError(f"concat: datasets come from different geometries {sorted(sigs)}")

    def cat(get):
        vals = [get(d) for d in datasets]
        if all(v is None for v in vals):
            return None
        if any(v is None for v in vals):
            raise DataError("concat: a field is present in some datasets and missing in others")
        return np.concatenate(vals)

    first = datasets[0]
    fields = {k: cat(lambda d, k=k: d._fields()[k]) for k in first._fields()}
    feats = {k: cat(lambda d, k=k: d.features.get(k)) for k in first.features}
    if any(set(d.features) != set(first.features) or set(d.paths) != set(first.paths) for d in datasets):
        raise DataError("concat: the datasets store different features or ground-truth paths")
    paths = {}
    for k in first.paths:
        if k in _SHARED_PATH_FIELDS:  # per AP / element, the same in every dataset of one geometry
            if any(not np.array_equal(d.paths[k], first.paths[k]) for d in datasets):
                raise DataError(f"concat: paths field {k!r} differs between the datasets")
            paths[k] = first.paths[k]
        else:  # per sample; path lists are padded to the longest
            parts = [d.paths[k] for d in datasets]
            width = max(p.shape[2] for p in parts) if parts[0].ndim >= 3 else None
            paths[k] = np.concatenate([_pad_paths(p, width) for p in parts])
    return CSIDataset(cat(lambda d: d.csi), **fields, features=feats, paths=paths, meta=first.meta)


_SHARED_PATH_FIELDS = ("ap_positions", "element_positions")


def _pad_paths(arr: np.ndarray, width: int | None) -> np.ndarray:
    """Pad the path axis (axis 2 of ``[N, B, L, ...]``) to ``width`` with zeros (False for ``valid``)."""
    if width is None or arr.shape[2] == width:
        return arr
    pad = [(0, 0)] * arr.ndim
    pad[2] = (0, width - arr.shape[2])
    return np.pad(arr, pad)


def _check_csi(csi: np.ndarray) -> np.ndarray:
    csi = np.asarray(csi)
    if csi.dtype.kind != "c":
        raise DataError(f"field 'csi': expected complex dtype, got {csi.dtype}")
    if csi.ndim not in (4, 5):
        raise DataError(f"field 'csi': expected shape [N, B, N_a, K] or [N, B, N_a, K, S], got {csi.shape}")
    flat = csi.reshape(len(csi), -1)
    bad, peak = 0, 0.0
    for s in range(0, len(flat), _CHECK_BLOCK):  # blocks bound the temporaries
        mag = np.abs(flat[s:s + _CHECK_BLOCK])
        finite = np.isfinite(mag)
        bad += int((~finite).any(1).sum())
        if mag.size:
            peak = max(peak, float(np.max(mag, where=finite, initial=0.0)))
    if bad:
        raise DataError(f"field 'csi' contains NaN or Inf in {bad} sample(s)")
    if peak > MAX_CSI_MAGNITUDE:
        raise DataError(f"field 'csi' has magnitudes up to {peak:.3g}: power sums would overflow single precision "
                        f"(limit {MAX_CSI_MAGNITUDE:g}); rescale the CSI")
    return csi.astype(np.complex64, copy=False)


def _check_optional(name: str, value, n: int) -> np.ndarray | None:
    if value is None:
        return None
    kinds, trailing, dtype = OPTIONAL_FIELDS[name]
    arr = np.asarray(value)
    if arr.shape != (n, *trailing):
        raise DataError(f"field {name!r}: expected shape {(n, *trailing)}, got {arr.shape}")
    if arr.dtype.kind not in kinds and not (kinds == "iu" and arr.dtype.kind in "iu"):
        raise DataError(f"field {name!r}: expected dtype kind {kinds!r}, got {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise DataError(f"field {name!r} contains NaN or Inf")
    return arr.astype(dtype, copy=False)
