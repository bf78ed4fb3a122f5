"""The Localizer contract (scikit-learn style) and the registry of methods.

A localizer stores its hyper-parameters in ``__init__`` (nothing computed there), learns in
``fit(train) -> self`` (learned state in attributes ending in ``_``), and returns positions
``[N, 3]`` (metres) from ``predict(ds)``. ``save(dir)`` / ``load(dir)`` use safetensors for
arrays and JSON for everything else; never pickle.

Subclasses implement ``_fit``, ``_predict``, ``_get_state`` and ``_set_state``; the base class
validates inputs (supervised methods need positions, predictions need a matching scene
geometry) and handles persistence atomically.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from safetensors.numpy import load_file, save_file

from radiomap import __version__
from radiomap.errors import DataError, NotFittedError, RadiomapError
from radiomap.registry import Registry

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

LOCALIZERS = Registry("localizer")
"""Registry of localizer classes by method name (``radiomap fit NAME``)."""

_STATE_FILE = "state.safetensors"
_META_FILE = "localizer.json"


class Localizer(ABC):
    """Base class of every localization method.

    Class attributes
    ----------------
    name : str
        Registry name, e.g. ``"knn"``.
    supervised : bool
        True if ``fit`` needs ground-truth positions.
    """

    name: ClassVar[str] = ""
    supervised: ClassVar[bool] = True

    # -- scikit-learn style parameters ---------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as passed to ``__init__``."""
        return {k: getattr(self, k) for k in self._param_names()}

    # -- public API ------------------------------------------------------------------------
    def fit(self, train: CSIDataset) -> Localizer:
        """Learn from ``train``; supervised methods require ``train.positions``."""
        if self.supervised and train.positions is None:
            raise DataError(
                f"{self.name or type(self).__name__} is supervised and needs positions; "
                "the training dataset has none (use an unsupervised method such as 'hmm')"
            )
        t0 = time.perf_counter()
        self._fit(train)
        self.fit_time_s_ = time.perf_counter() - t0
        self.geometry_signature_ = train.geometry_signature
        return self

    def predict(self, ds: CSIDataset) -> np.ndarray:
        """Positions ``[N, 3]`` (float64, metres) for the samples of ``ds``."""
        self.check_fitted()
        self.check_compatible(ds)
        pos = np.asarray(self._predict(ds), dtype=np.float64)
        if pos.shape != (ds.n_samples, 3):
            raise RadiomapError(f"{self.name}: predicted shape {pos.shape}, expected ({ds.n_samples}, 3)")
        return pos

    def check_fitted(self) -> None:
        if not hasattr(self, "geometry_signature_"):
            raise NotFittedError(f"{self.name or type(self).__name__} is not fitted; call fit() first")

    def check_compatible(self, ds: CSIDataset) -> None:
        if ds.geometry_signature != self.geometry_signature_:
            raise DataError(
                f"{self.name}: dataset geometry {ds.geometry_signature} differs from the one the model "
                f"was fitted on ({self.geometry_signature_}): other APs, arrays, carrier or subcarriers"
            )

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``state.safetensors`` + ``localizer.json`` into ``directory`` atomically."""
        self.check_fitted()
        directory = Path(directory)
        arrays, state_meta = self._get_state()
        meta = {
            "method": self.name,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": _jsonable(self.get_params()),
            "geometry_signature": self.geometry_signature_,
            "fit_time_s": getattr(self, "fit_time_s_", None),
            "radiomap_version": __version__,
            "state": _jsonable(state_meta),
        }
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp / _STATE_FILE))
            (tmp / _META_FILE).write_text(json.dumps(meta, indent=2))
            if directory.exists():
                shutil.rmtree(directory)
            os.replace(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return directory

    @staticmethod
    def load(directory: str | os.PathLike) -> Localizer:
        """Load any registered localizer saved with ``save``."""
        directory = Path(directory)
        meta_path, state_path = directory / _META_FILE, directory / _STATE_FILE
        if not meta_path.is_file() or not state_path.is_file():
            raise DataError(f"{directory}: not a saved localizer (expected {_META_FILE} and {_STATE_FILE})")
        try:
            meta = json.loads(meta_path.read_text())
            arrays = load_file(str(state_path))
        except Exception as exc:  # corrupt JSON or safetensors
            raise DataError(f"{directory}: cannot read saved localizer: {exc}") from exc
        cls = LOCALIZERS.get(meta["method"])
        obj = cls(**meta["params"])
        obj._set_state(arrays, meta["state"])
        obj.geometry_signature_ = meta["geometry_signature"]
        if meta.get("fit_time_s") is not None:
            obj.fit_time_s_ = meta["fit_time_s"]
        return obj

    # -- hooks -------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, train: CSIDataset) -> None:
        """Learn from validated training data; store learned state in ``*_`` attributes."""

    @abstractmethod
    def _predict(self, ds: CSIDataset) -> np.ndarray:
        """Positions ``[N, 3]`` in metres."""

    @abstractmethod
    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Learned state as (arrays for safetensors, JSON-serialisable metadata)."""

    @abstractmethod
    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what ``_get_state`` returned."""


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def get_localizer(name: str, **params: Any) -> Localizer:
    """Instantiate the registered localizer ``name`` with hyper-parameters ``params``."""
    return LOCALIZERS.get(name)(**params)
