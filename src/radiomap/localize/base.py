"""The Localizer contract (scikit-learn style), and the ``Estimator`` base it shares with other tasks.

``Estimator`` holds everything that does not depend on what is estimated: parameters, fit
bookkeeping, persistence. ``Localizer`` estimates positions (``LOCALIZERS``); other tasks, e.g. the
motion direction (``DIRECTIONS``), subclass ``Estimator`` with their own registry and output check.

A localizer stores its hyper-parameters in ``__init__`` (nothing computed there; each one declared
with its constraint in ``param_spec``), learns in ``fit(train) -> self`` (learned state in public
attributes ending in ``_``, and a :class:`FitInfo` in ``fit_info_``), and returns positions
``[N, 3]`` (metres) from ``predict(ds)``. ``save(dir)`` / ``load(dir)`` keep every learned
attribute (``radiomap.localize.state``: safetensors for arrays, JSON for everything else; never
pickle). ``get_params`` / ``set_params`` / ``clone`` and the ``repr`` follow scikit-learn.

Subclasses implement ``_fit`` and ``_predict`` and, if they hold torch modules, ``_build_module``
(the untrained architecture of a saved module). The base class validates parameters and inputs
(supervised methods need positions, predictions need the geometry the model was fitted on),
records fit time and sizes, and writes models atomically with a checksum.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from safetensors.numpy import load as load_bytes
from safetensors.numpy import save as save_bytes

from radiomap import __version__
from radiomap.atomic import atomic_dir
from radiomap.errors import DataError, NotFittedError, ParameterError, RadiomapError
from radiomap.jsonable import dumps, jsonable
from radiomap.localize import state
from radiomap.localize.methods import LOCALIZERS, TASKS, task_of
from radiomap.params import Boolean, Interval, Param, Pattern, validate_params
from radiomap.registry import Registry

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

SEED = Param(Interval(int, 0, None), "seed of every random choice (initialisation, batch order, folds)")
PROGRESS = Param(Boolean(), "show progress bars")
TORCH_DEVICE = Pattern(r"auto|cpu|cuda(:\d+)?|mps", "'auto' (CUDA when present), 'cpu', 'cuda', 'cuda:N' or 'mps'")
"""Shared declarations of parameters that several methods take."""

STATE_FILE = "state.safetensors"
META_FILE = "localizer.json"
_META_KEYS = ("method", "params", "state", "checksum")


@dataclass
class FitInfo:
    """What a fit did, as JSON-able data (``Localizer.fit_info_``, saved with the model).

    Attributes
    ----------
    n_samples : int
        Training samples N.
    fit_time_s : float
        Wall time of ``fit`` (s).
    chosen : dict
        Hyper-parameters chosen on the training set, e.g. ``{"k": 8}`` by cross-validation.
    cv_scores : dict[str, float]
        ``{candidate: mean cross-validated 2-D error (m)}`` (JSON keys are strings).
    iterations : int or None
        Optimisation iterations (alternating steps, epochs), when the method iterates.
    objective : list of float
        Objective or loss per iteration (the trace).
    stopped : str or None
        Why the optimisation stopped ("converged", "max_epochs", "early_stopping", ...).
    stages_s : dict[str, float]
        Wall time per stage (s), e.g. ``{"features": 0.4, "train": 12.0}``.
    training : dict[str, dict]
        Per-network training summaries (``training.TrainResult.summary()``) by network name.
    notes : dict
        Method-specific facts (JSON-able).
    """

    n_samples: int = 0
    fit_time_s: float = 0.0
    chosen: dict = field(default_factory=dict)
    cv_scores: dict = field(default_factory=dict)
    iterations: int | None = None
    objective: list = field(default_factory=list)
    stopped: str | None = None
    stages_s: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-able dict (NaN as null)."""
        return jsonable(asdict(self))


class _RegistryName:
    """``cls.name`` / ``self.name``: the method's name in its task's registry (written only there)."""

    def __get__(self, obj: Any, cls: type) -> str:
        return cls.registry.name_of(cls) or cls.__name__.lower()


class Estimator(ABC):
    """Base class of every estimator fitted on a ``CSIDataset`` (localizers, direction estimators).

    Attributes
    ----------
    registry : Registry
        The task's table of methods (``LOCALIZERS``, ``DIRECTIONS``); ``load`` looks names up there.
    name : str
        Registry name, e.g. ``"knn"``.
    supervised : bool
        True if ``fit`` needs ground-truth positions.
    param_spec : dict[str, Param]
        Declared hyper-parameters (``radiomap.params``): constraint and help per ``__init__`` argument.
    """

    registry: ClassVar[Registry] = LOCALIZERS
    name: ClassVar[str] = _RegistryName()  # type: ignore[assignment]
    supervised: ClassVar[bool] = True
    param_spec: ClassVar[dict[str, Param]] = {}

    # -- scikit-learn style parameters ---------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Check hyper-parameters against ``param_spec`` (names, types, ranges).

        Parameters
        ----------
        params : dict[str, Any]
            ``__init__`` arguments by name.

        Returns
        -------
        dict[str, Any]
            The same parameters, coerced (e.g. lists to tuples).

        Raises
        ------
        ParameterError
            One line naming the parameter, the value and what it accepts.
        """
        return validate_params(cls.param_spec, params, owner=cls.name)

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as passed to ``__init__``.

        Returns
        -------
        dict[str, Any]
            Every ``__init__`` argument by name.
        """
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set validated hyper-parameters (learned state is kept until the next ``fit``).

        Parameters
        ----------
        **params
            ``__init__`` arguments to change.

        Returns
        -------
        Localizer
            ``self``.

        Raises
        ------
        ParameterError
            An unknown name or a value outside its constraint.
        """
        for k, v in self.validate_params(params).items():
            setattr(self, k, v)
        return self

    def clone(self) -> Estimator:
        """A new, unfitted localizer with the same hyper-parameters.

        Returns
        -------
        Localizer
            Same class, ``get_params()`` equal, no learned attributes.
        """
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults.get(k))]
        return f"{type(self).__name__}({', '.join(changed)})"

    # -- public API ------------------------------------------------------------------------
    def fit(self, train: CSIDataset) -> Estimator:
        """Learn from a training set; sets ``fit_info_`` and ``geometry_signature_``.

        Parameters
        ----------
        train : CSIDataset
            N training samples; supervised methods require ``train.positions [N, 3]`` (m).

        Returns
        -------
        Localizer
            ``self``, fitted.

        Raises
        ------
        ParameterError
            Invalid hyper-parameters.
        DataError
            A supervised method and no positions.
        """
        self.set_params(**self.get_params())
        if self.supervised and train.positions is None:
            raise DataError(
                f"{self.name} is supervised and needs positions; "
                "the training dataset has none (use an unsupervised method such as 'hmm')"
            )
        self.fit_info_ = FitInfo(n_samples=train.n_samples)
        t0 = time.perf_counter()
        self._fit(train)
        self.fit_info_.fit_time_s = time.perf_counter() - t0
        self.geometry_signature_ = train.geometry_signature
        return self

    def predict(self, ds: CSIDataset) -> np.ndarray:
        """Estimated positions of the samples of ``ds``.

        Parameters
        ----------
        ds : CSIDataset
            N samples with the geometry the model was fitted on.

        Returns
        -------
        ndarray, float64 [N, 3]
            Positions (m).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        DataError
            Another scene geometry (``check_compatible``).
        """
        self.check_fitted()
        self.check_compatible(ds)
        return self._checked(self._predict(ds), ds)

    def _checked(self, out: Any, ds: CSIDataset) -> np.ndarray:
        """The task's output check of ``_predict``'s result (positions ``[N, 3]`` float64 here)."""
        pos = np.asarray(out, dtype=np.float64)
        if pos.shape != (ds.n_samples, 3):
            raise RadiomapError(f"{self.name}: predicted shape {pos.shape}, expected ({ds.n_samples}, 3)")
        return pos

    def check_fitted(self) -> None:
        """Refuse an unfitted localizer.

        Raises
        ------
        NotFittedError
            ``fit`` (or ``load``) has not run.
        """
        if not hasattr(self, "geometry_signature_"):
            raise NotFittedError(f"{self.name} is not fitted; call fit() first")

    def check_compatible(self, ds: CSIDataset) -> None:
        """Refuse a dataset of another geometry than the training set's.

        Parameters
        ----------
        ds : CSIDataset

        Raises
        ------
        DataError
            ``ds.geometry_signature`` differs (other APs, arrays, carrier or subcarriers).
        """
        if ds.geometry_signature != self.geometry_signature_:
            raise DataError(
                f"{self.name}: dataset geometry {ds.geometry_signature} differs from the one the model "
                f"was fitted on ({self.geometry_signature_}): other APs, arrays, carrier or subcarriers"
            )

    def learned(self) -> dict[str, Any]:
        """Every learned attribute (public, name ending in ``_``).

        Returns
        -------
        dict[str, Any]
            Attribute name -> value (arrays, numbers, dataclasses, torch modules, ...).
        """
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    # -- persistence -----------------------------------------------------------------------
    def save(self, directory: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``state.safetensors`` + ``localizer.json`` as one atomic folder.

        Every learned attribute is saved (``radiomap.localize.state``); ``localizer.json`` carries a
        SHA-256 over the tensors and the JSON itself, and ``load`` refuses a folder that does not match.

        Parameters
        ----------
        directory : str or PathLike
            Model folder.
        overwrite : bool
            ``radiomap.atomic`` rules: an existing folder is replaced only when radiomap wrote it and
            ``overwrite`` is True.

        Returns
        -------
        Path
            The folder.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        self.check_fitted()
        arrays: dict[str, np.ndarray] = {}
        learned = {k: state.encode(v, k, arrays) for k, v in self.learned().items()}
        meta = {
            "method": self.name,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": jsonable(self.get_params()),
            "radiomap_version": __version__,
            "state": learned,
        }
        blob = save_bytes(arrays)
        meta["checksum"] = _checksum(blob, meta)
        with atomic_dir(directory, kind="model", overwrite=overwrite, what="model folder") as tmp:
            (tmp / STATE_FILE).write_bytes(blob)
            (tmp / META_FILE).write_text(dumps(meta, indent=2))
        return Path(directory)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Estimator:
        """Load any method of this task's registry saved with ``save``.

        Parameters
        ----------
        directory : str or PathLike
            Model folder.

        Returns
        -------
        Estimator
            The registered class named in ``localizer.json``, with its parameters and learned state.

        Raises
        ------
        DataError
            Missing files, checksum mismatch, invalid parameters or a state that does not fit.
        """
        directory = Path(directory)
        meta_path, state_path = directory / META_FILE, directory / STATE_FILE
        if not meta_path.is_file() or not state_path.is_file():
            raise DataError(f"{directory}: not a saved localizer (expected {META_FILE} and {STATE_FILE})")
        try:
            meta = json.loads(meta_path.read_text())
            blob = state_path.read_bytes()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(f"{directory}: cannot read {META_FILE}: {exc}") from exc
        missing = [k for k in _META_KEYS if not isinstance(meta, dict) or k not in meta]
        if missing:
            raise DataError(f"{directory}: {META_FILE} is not a saved localizer (missing {', '.join(missing)})")
        if meta["checksum"] != _checksum(blob, {k: v for k, v in meta.items() if k != "checksum"}):
            raise DataError(f"{directory}: the saved model is damaged or was edited (checksum mismatch); refit it")
        if not isinstance(meta["params"], dict) or not isinstance(meta["state"], dict):
            raise DataError(f"{directory}: {META_FILE}: 'params' and 'state' must be JSON objects")
        if meta["method"] not in cls.registry.names():
            raise DataError(f"{directory}: {meta['method']!r} is not a {cls.registry.kind} "
                            f"(known: {', '.join(cls.registry.names())})")
        method = cls.registry.get(meta["method"])
        try:
            obj = method(**method.validate_params(meta["params"]))
        except ParameterError as exc:
            raise DataError(f"{directory}: saved parameters are invalid: {exc}") from exc
        try:
            obj._restore(load_bytes(blob), meta["state"])
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise DataError(f"{directory}: the saved state does not fit {meta['method']}: {exc}") from exc
        return obj

    def _restore(self, arrays: dict[str, np.ndarray], learned: dict[str, Any]) -> None:
        """Set the learned attributes: plain ones first, then torch modules (built from them)."""
        modules = {}
        for k, v in learned.items():
            if isinstance(v, dict) and "__module__" in v:
                modules[k] = v
            else:
                setattr(self, k, state.decode(v, arrays, self._build_module))
        if not isinstance(getattr(self, "fit_info_", None), FitInfo) or not hasattr(self, "geometry_signature_"):
            raise ValueError("fit_info_ or geometry_signature_ missing")
        for k, v in modules.items():
            setattr(self, k, state.decode(v, arrays, self._build_module))

    # -- hooks -------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, train: CSIDataset) -> None:
        """Learn from validated training data; store learned state in ``*_`` attributes."""

    @abstractmethod
    def _predict(self, ds: CSIDataset) -> np.ndarray:
        """Positions ``[N, 3]`` in metres."""

    def _build_module(self, name: str):
        """The untrained torch module saved as learned attribute ``name`` (its architecture)."""
        raise TypeError(f"{self.name} saved a torch module {name!r} but does not define _build_module")


class Localizer(Estimator):
    """Base class of every localization method (registry ``LOCALIZERS``).

    Subclasses implement ``_fit(ds)`` and ``_predict(ds)``; the base class validates inputs and
    outputs, records ``fit_info_`` and saves/loads through safetensors + JSON.

    Attributes
    ----------
    registry : Registry
        ``LOCALIZERS``; ``Localizer.load`` only accepts methods registered there.
    fit_info_ : FitInfo
        Training summary after ``fit``; ``predict(ds)`` returns float64 positions [N, 3] in metres.
    """


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _checksum(blob: bytes, meta: dict) -> str:
    """SHA-256 over the safetensors bytes and the canonical JSON of the metadata."""
    canon = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob + b"\0" + canon).hexdigest()


def require_aps(scene, method: str, *, min_aps: int, min_antennas: int = 1) -> None:
    """Refuse a scene with fewer APs or antennas per AP than ``method`` needs.

    Parameters
    ----------
    scene : Scene
    method : str
        Method name, for the message.
    min_aps : int
        Least number of APs B.
    min_antennas : int
        Least number of antennas N_a of every AP.

    Raises
    ------
    ParameterError
        One line naming the shortfall.
    """
    if scene.n_aps < min_aps:
        raise ParameterError(f"{method} needs >= {min_aps} APs; the dataset's scene {scene.name!r} has {scene.n_aps}")
    few = [ap.name for ap in scene.aps if ap.n_antennas < min_antennas]
    if few:
        raise ParameterError(f"{method} needs >= {min_antennas} antennas per AP (angles of arrival); "
                             f"AP {few[0]!r} of scene {scene.name!r} has fewer")


def get_localizer(name: str, **params: Any) -> Localizer:
    """Instantiate a registered localizer with validated hyper-parameters.

    Parameters
    ----------
    name : str
        A ``LOCALIZERS`` name (``"knn"``, ``"hmm"``, ...).
    **params
        ``__init__`` arguments.

    Returns
    -------
    Localizer
        Unfitted.

    Raises
    ------
    RadiomapError
        Unknown name (the message lists the known ones).
    ParameterError
        Invalid parameters.
    """
    cls = LOCALIZERS.get(name)
    return cls(**cls.validate_params(params))


def get_estimator(name: str, **params: Any) -> Estimator:
    """Instantiate a registered method of any task (``TASKS``: localizers, direction estimators).

    Parameters
    ----------
    name : str
        A method name (``"knn"``, ``"loanet"``, ``"fusion-tdc"``, ...).
    **params
        ``__init__`` arguments.

    Returns
    -------
    Estimator
        Unfitted.

    Raises
    ------
    RadiomapError
        Unknown name (the message lists every task's methods).
    ParameterError
        Invalid parameters.
    """
    cls = TASKS[task_of(name)].get(name)
    return cls(**cls.validate_params(params))


def load_estimator(directory: str | os.PathLike) -> Estimator:
    """Load a model folder written by ``save``, whatever its task.

    Parameters
    ----------
    directory : str or PathLike
        Model folder.

    Returns
    -------
    Estimator
        The saved method (``Localizer`` or a direction estimator), fitted.

    Raises
    ------
    DataError
        Not a model folder, damaged, or an unknown method (see :meth:`Estimator.load`).
    """
    try:
        method = json.loads((Path(directory) / META_FILE).read_text()).get("method")
    except (OSError, ValueError, AttributeError):
        method = None  # Localizer.load names the problem
    for registry in TASKS.values():
        if isinstance(method, str) and method in registry:
            return registry.get(method).load(directory)
    return Localizer.load(directory)
