"""Prediction files written by ``radiomap localize`` (HDF5, small schema, readable with h5py).

Schema ``radiomap-predictions`` version 3 (reads 2)::

    /positions            float64 [N, 3]   estimated positions (m), from a localizer
    /direction/classes    int64   [N]      motion-direction classes in [0, C), from a direction estimator
    /direction/heading    float64 [N]      their headings c 2 pi / C (rad, counter-clockwise from +x); attr n_classes
    /truth/positions      float64 [N, 3]   true positions, when the queried dataset had them
    /truth/los            bool    [N, B]   per-AP LOS flags, when present
    /truth/timestamps     float64 [N]      sample times (s), when present
    /truth/direction      int64   [N]      true direction classes, when the queried dataset had velocities
    attrs:
      schema = "radiomap-predictions", schema_version = 3
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
SCHEMA_VERSION = 3
READABLE_VERSIONS = (2, 3)
TIMING_KEYS = ("fit_time_s", "predict_time_s", "per_query_ms")


@dataclass
class Predictions:
    """Estimated positions or motion directions, with optional ground truth and provenance (schema in the
    module docstring).

    Parameters
    ----------
    positions : ndarray, float64 [N, 3] or None
        Estimated positions (m); None for a direction estimator's file.
    method : str
        Registry name of the localizer or direction estimator.
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
    directions : ndarray, int64 [N] or None
        Estimated motion-direction classes in ``[0, n_classes)`` (class ``c``: heading ``c 2 pi / C``).
    n_classes : int
        Number of direction classes C (0 without directions).
    true_directions : ndarray, int64 [N] or None
        True direction classes.
    """

    positions: np.ndarray | None
    method: str
    true_positions: np.ndarray | None = None
    los: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    dataset: str = ""
    geometry_signature: str = ""
    scene: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
    directions: np.ndarray | None = None
    n_classes: int = 0
    true_directions: np.ndarray | None = None

    def __post_init__(self):
        if (self.positions is None) == (self.directions is None):
            raise DataError("predictions hold either positions [N, 3] or direction classes [N], one of the two")
        if self.directions is not None and not self.n_classes > 0:
            raise DataError(f"direction predictions need n_classes > 0, got {self.n_classes}")

    @property
    def n_samples(self) -> int:
        """int: number of predicted samples N."""
        return len(self.positions if self.positions is not None else self.directions)

    @property
    def headings(self) -> np.ndarray | None:
        """ndarray | None: headings (rad) ``[N]`` float64 of the predicted direction classes."""
        return None if self.directions is None else self.directions * (2 * np.pi / self.n_classes)

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
                if self.positions is not None:
                    write_array(f, "positions", np.asarray(self.positions, dtype=np.float64))
                else:
                    g = f.create_group("direction")
                    g.attrs["n_classes"] = int(self.n_classes)
                    write_array(g, "classes", np.asarray(self.directions, dtype=np.int64))
                    write_array(g, "heading", self.headings.astype(np.float64))
                truth = {"positions": self.true_positions, "los": self.los, "timestamps": self.timestamps,
                         "direction": self.true_directions}
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
            Wrong schema, damaged file, missing attributes, positions not float [N, 3], direction classes
            not int [N] in range, or truth arrays of another length.
        """
        path = Path(path)
        with open_validated(path, SCHEMA_NAME, READABLE_VERSIONS, "predictions file") as f:
            try:
                pos = read_array(f, "positions", path) if "positions" in f else None
                classes, n_classes = None, 0
                if pos is None and "direction" in f:
                    classes = read_array(f["direction"], "classes", path)
                    n_classes = int(f["direction"].attrs.get("n_classes", 0))
                truth = {k: read_array(f["truth"], k, path) for k in ("positions", "los", "timestamps", "direction")
                         if "truth" in f and k in f["truth"]}
                info = read_json_attr(f, "info", path)
                scene = read_json_attr(f, "scene", path, default={})
            except H5_ERRORS as exc:
                raise DataError(f"{path}: predictions file is damaged: {exc}") from exc
        if not isinstance(info, dict) or not isinstance(scene, dict):
            raise DataError(f"{path}: predictions file has no valid 'info' and 'scene' attributes")
        if pos is None and classes is None:
            raise DataError(f"{path}: predictions file holds neither 'positions' nor 'direction/classes'")
        if pos is not None and (pos.ndim != 2 or pos.shape[1] != 3 or pos.dtype.kind != "f"):
            raise DataError(f"{path}: 'positions' must be float [N, 3], got {pos.dtype} {pos.shape}")
        if classes is not None and (classes.ndim != 1 or classes.dtype.kind not in "iu" or n_classes < 1
                                    or classes.min(initial=0) < 0 or classes.max(initial=0) >= n_classes):
            raise DataError(f"{path}: 'direction/classes' must be int [N] in [0, n_classes = {n_classes})")
        n = len(pos) if pos is not None else len(classes)
        for k, v in truth.items():
            if len(v) != n:
                raise DataError(f"{path}: truth/{k} has {len(v)} rows, predictions {n}")
        timing = {k: float(v) for k, v in (info.get("timing") or {}).items() if v is not None}
        return Predictions(positions=pos, method=str(info.get("method", "")),
                           true_positions=truth.get("positions"), los=truth.get("los"),
                           timestamps=truth.get("timestamps"), dataset=str(info.get("dataset", "")),
                           geometry_signature=str(info.get("geometry_signature", "")), scene=scene, timing=timing,
                           directions=classes, n_classes=n_classes, true_directions=truth.get("direction"))
