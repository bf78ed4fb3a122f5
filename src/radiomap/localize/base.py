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

import hashlib
import inspect
import json
import os
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from safetensors.numpy import load as load_bytes
from safetensors.numpy import save as save_bytes

from radiomap import __version__
from radiomap.atomic import atomic_dir
from radiomap.errors import DataError, NotFittedError, ParameterError, RadiomapError
from radiomap.jsonable import dumps, jsonable
from radiomap.params import Boolean, Interval, Param, Pattern, validate_params
from radiomap.registry import Registry

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

LOCALIZERS = Registry("localizer")
"""Registry of localizer classes by method name (``radiomap fit NAME``)."""

SEED = Param(Interval(int, 0, None), "seed of every random choice (initialisation, batch order, folds)")
PROGRESS = Param(Boolean(), "show progress bars")
TORCH_DEVICE = Pattern(r"auto|cpu|cuda(:\d+)?|mps", "'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:N' or 'mps'")
"""Shared declarations of parameters that several methods take."""

_STATE_FILE = "state.safetensors"
_META_FILE = "localizer.json"
_META_KEYS = ("method", "params", "geometry_signature", "state", "checksum")


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

    param_spec: ClassVar[dict[str, Param]] = {}
    """Declared hyper-parameters (``radiomap.params``): constraint and help per ``__init__`` argument."""

    # -- scikit-learn style parameters ---------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Check ``params`` against ``param_spec`` (names, types, ranges); return them coerced.

        Raises a one-line ``ParameterError`` naming the parameter and what it accepts.
        """
        return validate_params(cls.param_spec, params, owner=cls.name or cls.__name__)

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as passed to ``__init__``."""
        return {k: getattr(self, k) for k in self._param_names()}

    # -- public API ------------------------------------------------------------------------
    def fit(self, train: CSIDataset) -> Localizer:
        """Learn from ``train``; supervised methods require ``train.positions``."""
        for k, v in self.validate_params(self.get_params()).items():
            setattr(self, k, v)
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
    def save(self, directory: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``state.safetensors`` + ``localizer.json`` as one atomic folder (``radiomap.atomic``:
        an existing folder is replaced only when radiomap wrote it and ``overwrite`` is True).

        ``localizer.json`` carries a SHA-256 over the tensors and the JSON itself; ``load`` refuses
        a folder whose content does not match it.
        """
        self.check_fitted()
        arrays, state_meta = self._get_state()
        meta = jsonable({
            "method": self.name,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": self.get_params(),
            "geometry_signature": self.geometry_signature_,
            "fit_time_s": getattr(self, "fit_time_s_", None),
            "radiomap_version": __version__,
            "state": state_meta,
        })
        blob = save_bytes({k: np.ascontiguousarray(v) for k, v in arrays.items()})
        meta["checksum"] = _checksum(blob, meta)
        with atomic_dir(directory, kind="model", overwrite=overwrite, what="model folder") as tmp:
            (tmp / _STATE_FILE).write_bytes(blob)
            (tmp / _META_FILE).write_text(dumps(meta, indent=2))
        return Path(directory)

    @staticmethod
    def load(directory: str | os.PathLike) -> Localizer:
        """Load any registered localizer saved with ``save``; damaged or foreign folders raise ``DataError``."""
        directory = Path(directory)
        meta_path, state_path = directory / _META_FILE, directory / _STATE_FILE
        if not meta_path.is_file() or not state_path.is_file():
            raise DataError(f"{directory}: not a saved localizer (expected {_META_FILE} and {_STATE_FILE})")
        try:
            meta = json.loads(meta_path.read_text())
            blob = state_path.read_bytes()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{directory}: cannot read {_META_FILE}: {exc}") from exc
        missing = [k for k in _META_KEYS if not isinstance(meta, dict) or k not in meta]
        if missing:
            raise DataError(f"{directory}: {_META_FILE} is not a saved localizer (missing {', '.join(missing)})")
        if meta["checksum"] != _checksum(blob, {k: v for k, v in meta.items() if k != "checksum"}):
            raise DataError(f"{directory}: the saved model is damaged or was edited (checksum mismatch); refit it")
        if not isinstance(meta["params"], dict) or not isinstance(meta["state"], dict):
            raise DataError(f"{directory}: {_META_FILE}: 'params' and 'state' must be JSON objects")
        cls = LOCALIZERS.get(meta["method"])
        try:
            params = cls.validate_params(meta["params"])
        except ParameterError as exc:
            raise DataError(f"{directory}: saved parameters are invalid: {exc}") from exc
        try:
            obj = cls(**params)
            obj._set_state(load_bytes(blob), meta["state"])
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise DataError(f"{directory}: the saved state does not fit {meta['method']}: {exc}") from exc
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


def _checksum(blob: bytes, meta: dict) -> str:
    """SHA-256 over the safetensors bytes and the canonical JSON of the metadata."""
    canon = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob + b"\0" + canon).hexdigest()


def require_aps(scene, method: str, *, min_aps: int, min_antennas: int = 1) -> None:
    """Refuse (one ``ParameterError`` line) a scene with fewer APs or antennas per AP than ``method`` needs."""
    if scene.n_aps < min_aps:
        raise ParameterError(f"{method} needs >= {min_aps} APs; the dataset's scene {scene.name!r} has {scene.n_aps}")
    few = [ap.name for ap in scene.aps if ap.n_antennas < min_antennas]
    if few:
        raise ParameterError(f"{method} needs >= {min_antennas} antennas per AP (angles of arrival); "
                             f"AP {few[0]!r} of scene {scene.name!r} has fewer")


def get_localizer(name: str, **params: Any) -> Localizer:
    """Instantiate the registered localizer ``name`` with validated hyper-parameters ``params``."""
    cls = LOCALIZERS.get(name)
    return cls(**cls.validate_params(params))
