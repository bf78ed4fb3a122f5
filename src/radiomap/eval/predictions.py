"""Prediction files written by ``radiomap localize`` (HDF5, small schema, readable with h5py).

Schema ``radiomap-predictions`` version 1::

    /positions            float64 [N, 3]   estimated positions (m)
    /truth/positions      float64 [N, 3]   true positions, when the queried dataset had them
    /truth/los            bool    [N, B]   per-AP LOS flags, when present
    /truth/timestamps     float64 [N]      sample times (s), when present
    attrs:
      schema = "radiomap-predictions", schema_version = 1
      method               registry name of the localizer (e.g. "knn")
      dataset              path of the queried dataset (as given)
      geometry_signature   the model's scene geometry hash
      scene                JSON of ``Scene.to_dict()`` (for plots and region labels), or "{}"
      fit_time_s, predict_time_s, per_query_ms   timing (NaN when unknown)
      radiomap_version, created (UTC ISO time)

Files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from radiomap import __version__
from radiomap.atomic import atomic_path
from radiomap.errors import DataError
from radiomap.hdf5 import open_validated

SCHEMA_NAME = "radiomap-predictions"
SCHEMA_VERSION = 1


@dataclass
class Predictions:
    """Estimated positions with optional ground truth and provenance."""

    positions: np.ndarray
    method: str
    true_positions: np.ndarray | None = None
    los: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    dataset: str = ""
    geometry_signature: str = ""
    scene: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the HDF5 file atomically."""
        path = Path(path)
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w") as f:
                f.attrs["schema"] = SCHEMA_NAME
                f.attrs["schema_version"] = SCHEMA_VERSION
                f.attrs["method"] = self.method
                f.attrs["dataset"] = self.dataset
                f.attrs["geometry_signature"] = self.geometry_signature
                f.attrs["scene"] = json.dumps(self.scene)
                for k in ("fit_time_s", "predict_time_s", "per_query_ms"):
                    v = self.timing.get(k)
                    f.attrs[k] = float("nan") if v is None else float(v)
                f.attrs["radiomap_version"] = __version__
                f.attrs["created"] = _dt.datetime.now(_dt.UTC).isoformat()
                f.create_dataset("positions", data=np.asarray(self.positions, dtype=np.float64))
                truth = {"positions": self.true_positions, "los": self.los, "timestamps": self.timestamps}
                if any(v is not None for v in truth.values()):
                    g = f.create_group("truth")
                    for k, v in truth.items():
                        if v is not None:
                            g.create_dataset(k, data=np.asarray(v))
        return path

    @staticmethod
    def load(path: str | os.PathLike) -> Predictions:
        """Read and validate a predictions file; errors name the problem."""
        path = Path(path)
        with open_validated(path, SCHEMA_NAME, SCHEMA_VERSION, "predictions file") as f:
            try:
                pos = f["positions"][()]
                truth = {k: f["truth"][k][()] for k in ("positions", "los", "timestamps")
                         if "truth" in f and k in f["truth"]}
                attrs = dict(f.attrs)
            except (KeyError, OSError) as exc:
                raise DataError(f"{path}: predictions file is damaged: {exc}") from exc
        if pos.ndim != 2 or pos.shape[1] != 3:
            raise DataError(f"{path}: 'positions' must be [N, 3], got {pos.shape}")
        for k, v in truth.items():
            if len(v) != len(pos):
                raise DataError(f"{path}: truth/{k} has {len(v)} rows, positions {len(pos)}")
        timing = {k: float(attrs[k]) for k in ("fit_time_s", "predict_time_s", "per_query_ms") if k in attrs}
        return Predictions(positions=pos, method=str(attrs.get("method", "")),
                           true_positions=truth.get("positions"), los=truth.get("los"),
                           timestamps=truth.get("timestamps"), dataset=str(attrs.get("dataset", "")),
                           geometry_signature=str(attrs.get("geometry_signature", "")),
                           scene=json.loads(attrs.get("scene", "{}")), timing=timing)
