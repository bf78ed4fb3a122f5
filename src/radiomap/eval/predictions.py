"""Prediction files written by ``radiomap localize`` (HDF5, small schema, readable with h5py).

Schema ``radiomap-predictions`` version 2::

    /positions            float64 [N, 3]   estimated positions (m)
    /truth/positions      float64 [N, 3]   true positions, when the queried dataset had them
    /truth/los            bool    [N, B]   per-AP LOS flags, when present
    /truth/timestamps     float64 [N]      sample times (s), when present
    attrs:
      schema = "radiomap-predictions", schema_version = 2
      info                 JSON: method (registry name), dataset (path of the queried dataset, as given),
                           geometry_signature (the model's scene geometry hash), timing
                           {fit_time_s, predict_time_s, per_query_ms} (null when unknown),
                           radiomap_version, created (UTC ISO time)
      scene                JSON of ``Scene.to_dict()`` (for plots and region labels), or {}
      info_sha256, scene_sha256   checksums of the two JSON attributes

Files are written atomically and checksummed (``radiomap.atomic``, ``radiomap.hdf5``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from radiomap import __version__
from radiomap.atomic import atomic_file
from radiomap.errors import DataError
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

SCHEMA_NAME = "radiomap-predictions"
SCHEMA_VERSION = 2
TIMING_KEYS = ("fit_time_s", "predict_time_s", "per_query_ms")


@dataclass
class Predictions:
    """Estimated positions with optional ground truth and provenance (schema in the module docstring).

    Parameters
    ----------
    positions : ndarray, float64 [N, 3]
        Estimated positions (m).
    method : str
        Registry name of the localizer.
    true_positions : ndarray, float64 [N, 3] or None
        True positions (m).
    los : ndarray, bool [N, B] or None
        Per-AP LOS flags.
    timestamps : ndarray, float64 [N] or None
        Sample times (s).
    dataset : str
        Path of the queried dataset, as given.
    geometry_signature : str
        The model's scene geometry hash (``Scene.geometry_signature``).
    scene : dict
        ``Scene.to_dict()`` or {}.
    timing : dict[str, float]
        ``fit_time_s``, ``predict_time_s`` (s), ``per_query_ms`` (ms), where known.
    """

    positions: np.ndarray
    method: str
    true_positions: np.ndarray | None = None
    los: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    dataset: str = ""
    geometry_signature: str = ""
    scene: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the HDF5 file atomically (``radiomap.atomic`` rules; checksummed as ``radiomap.hdf5``).

        Parameters
        ----------
        path : str or PathLike
        overwrite : bool
            Replace an existing file radiomap wrote.

        Returns
        -------
        Path
            The written file.
        """
        path = Path(path)
        with atomic_file(path, overwrite=overwrite, what="predictions file") as tmp:
            with create_file(tmp) as f:
                f.attrs["schema"] = SCHEMA_NAME
                f.attrs["schema_version"] = SCHEMA_VERSION
                write_json_attr(f, "info", {
                    "method": self.method, "dataset": self.dataset, "geometry_signature": self.geometry_signature,
                    "timing": {k: self.timing.get(k) for k in TIMING_KEYS},
                    "radiomap_version": __version__, "created": created_time()})
                write_json_attr(f, "scene", self.scene)
                write_array(f, "positions", np.asarray(self.positions, dtype=np.float64))
                truth = {"positions": self.true_positions, "los": self.los, "timestamps": self.timestamps}
                if any(v is not None for v in truth.values()):
                    g = f.create_group("truth")
                    for k, v in truth.items():
                        if v is not None:
                            write_array(g, k, np.asarray(v))
        return path

    @staticmethod
    def load(path: str | os.PathLike) -> Predictions:
        """Read and validate a predictions file.

        Parameters
        ----------
        path : str or PathLike

        Returns
        -------
        Predictions
            Timing entries that were null are left out.

        Raises
        ------
        DataError
            Wrong schema, damaged file, missing attributes, positions not float [N, 3], or truth
            arrays of another length.
        """
        path = Path(path)
        with open_validated(path, SCHEMA_NAME, SCHEMA_VERSION, "predictions file") as f:
            try:
                pos = read_array(f, "positions", path)
                truth = {k: read_array(f["truth"], k, path) for k in ("positions", "los", "timestamps")
                         if "truth" in f and k in f["truth"]}
                info = read_json_attr(f, "info", path)
                scene = read_json_attr(f, "scene", path, default={})
            except H5_ERRORS as exc:
                raise DataError(f"{path}: predictions file is damaged: {exc}") from exc
        if not isinstance(info, dict) or not isinstance(scene, dict):
            raise DataError(f"{path}: predictions file has no valid 'info' and 'scene' attributes")
        if pos.ndim != 2 or pos.shape[1] != 3 or pos.dtype.kind != "f":
            raise DataError(f"{path}: 'positions' must be float [N, 3], got {pos.dtype} {pos.shape}")
        for k, v in truth.items():
            if len(v) != len(pos):
                raise DataError(f"{path}: truth/{k} has {len(v)} rows, positions {len(pos)}")
        timing = {k: float(v) for k, v in (info.get("timing") or {}).items() if v is not None}
        return Predictions(positions=pos, method=str(info.get("method", "")),
                           true_positions=truth.get("positions"), los=truth.get("los"),
                           timestamps=truth.get("timestamps"), dataset=str(info.get("dataset", "")),
                           geometry_signature=str(info.get("geometry_signature", "")), scene=scene, timing=timing)
