"""The feature stage: named, registered extractors ``CSIDataset -> array [N, ...]``, materialised into
``ds.features`` so that fits, comparisons and files share them.

A localizer names the feature it consumes (its ``inputs`` parameter) and reads it with
:func:`extract`; nothing is cached behind its back. To compute once and reuse (several methods on
one dataset, repeated fits), materialise: ``ds = materialise(ds, ["seed000"])`` in Python, or
``radiomap features compute seed000 in.h5 -o out.h5`` on the command line; the feature is then
stored in the dataset (and its HDF5 file) under its key, with its parameters in
``meta["features"][key]``. A feature of several arrays (``Feature.parts``, e.g. ``tbf``: ``x_ad``, ``mask``,
``x_d``) stores each under ``key.part`` (:func:`part_keys`) and is read with :func:`extract_parts`.

Example
-------
>>> ds2 = materialise(ds, [("seed000", {"delay": "rms"})])   # doctest: +SKIP
>>> extract(ds2, "seed000", delay="rms").shape                # doctest: +SKIP
(813, 12)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.params import Param, validate_params
from radiomap.registry import Registry

if TYPE_CHECKING:
    from radiomap.data import CSIDataset
    from radiomap.parallel import Executor


@dataclass(frozen=True)
class Feature:
    """A registered extractor with declared parameters.

    Parameters
    ----------
    fn : callable
        ``fn(ds, **params) -> ndarray [N, ...]``; with ``parts``, ``-> {part: ndarray [N, ...]}``.
    help : str
        One line: what it computes, dtype and shape.
    params, defaults : mapping
        Declared parameters (``radiomap.params``) and their default values.
    parts : tuple of str
        Names of the arrays of a feature made of several (stored under ``key.part``); empty for one array.
    from_paths : bool
        Computable from the ground-truth paths alone (``ds.paths``), so a simulation need not synthesise CSI.
    per_sample : bool
        Each row depends on its own sample only, so the feature may be computed in chunks
        (:func:`materialise_file`); False for features over groups of samples (windows), computed in one piece.
    """

    fn: Callable[..., np.ndarray | dict[str, np.ndarray]]
    help: str
    params: Mapping[str, Param] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    from_paths: bool = False
    per_sample: bool = True


FEATURES = Registry("feature", {
    "seed000": "radiomap.features.seed000:SEED000",
    "beamspace": "radiomap.features.beampower:BEAMSPACE",
    # preprocessing of measured CSI (issue 14)
    "agc-amplitude": "radiomap.features.preprocessing:AGC_AMPLITUDE",
    "amplitude-db": "radiomap.features.preprocessing:AMPLITUDE_DB",
    "phase-sanitised": "radiomap.features.preprocessing:PHASE_SANITISED",
    "taps": "radiomap.features.preprocessing:TAPS",
    "window": "radiomap.features.preprocessing:WINDOW",
    "tx-onehot": "radiomap.features.preprocessing:TX_ONEHOT",
    # seed 002: triple-beam fingerprint inputs (X_AD, mask, Doppler profile)
    "tbf": "radiomap.features.tbf:TBF",
})
"""Registry of feature extractors by name (``radiomap features list``)."""


def feature_key(name: str, params: Mapping[str, Any] | None = None) -> str:
    """Key under which ``name`` with ``params`` is stored: the name for default parameters, else
    ``name(k=v,...)`` (sorted keys)."""
    spec = FEATURES.get(name)
    full = _resolve(name, spec, params)
    changed = {k: v for k, v in sorted(full.items()) if spec.defaults.get(k) != v}
    return name if not changed else name + "(" + ",".join(f"{k}={v}" for k, v in changed.items()) + ")"


def part_keys(name: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Stored keys of the arrays of a feature of several parts: ``{part: "key.part"}``."""
    spec = FEATURES.get(name)
    if not spec.parts:
        raise ParameterError(f"feature {name!r} is one array (key {feature_key(name, params)!r}), not parts")
    key = feature_key(name, params)
    return {p: f"{key}.{p}" for p in spec.parts}


def extract(ds: CSIDataset, name: str, **params: Any) -> np.ndarray:
    """Feature ``name`` of every sample of ``ds``: the stored one when ``ds`` has it, else computed.

    ``name`` may also be the key of any array stored in ``ds.features`` (e.g. an imported feature);
    then no parameters are accepted. A feature of several parts is read with :func:`extract_parts`.
    """
    if name in FEATURES and FEATURES.get(name).parts:
        raise ParameterError(f"feature {name!r} has parts {', '.join(FEATURES.get(name).parts)}; "
                             "read it with extract_parts")
    if name not in FEATURES:
        if params:
            raise ParameterError(f"feature {name!r} is stored, not registered: it takes no parameters")
        if name not in ds.features:
            known = ", ".join(FEATURES.names())
            raise DataError(f"dataset has no feature {name!r} (stored: {sorted(ds.features) or 'none'}; "
                            f"registered: {known})")
        return ds.features[name]
    key = feature_key(name, params)
    if key in ds.features:
        return ds.features[key]
    spec = FEATURES.get(name)
    out = np.asarray(spec.fn(ds, **_resolve(name, spec, params)))
    if out.shape[:1] != (ds.n_samples,):
        raise DataError(f"feature {name!r}: extractor returned shape {out.shape}, expected [N={ds.n_samples}, ...]")
    return out


def extract_parts(ds: CSIDataset, name: str, **params: Any) -> dict[str, np.ndarray]:
    """The arrays of feature ``name`` (one with ``parts``): the stored ones when ``ds`` has them all, else
    computed. Output ``{part: ndarray [N, ...]}``."""
    keys = part_keys(name, params)
    if all(k in ds.features for k in keys.values()):
        return {p: ds.features[k] for p, k in keys.items()}
    spec = FEATURES.get(name)
    out = spec.fn(ds, **_resolve(name, spec, params))
    if not isinstance(out, dict) or set(out) != set(spec.parts):
        raise DataError(f"feature {name!r}: extractor returned {type(out).__name__}, expected parts {spec.parts}")
    for p, arr in out.items():
        if np.shape(arr)[:1] != (ds.n_samples,):
            raise DataError(f"feature {name!r}: part {p!r} has shape {np.shape(arr)}, expected [N={ds.n_samples}, ...]")
    return {p: np.asarray(out[p]) for p in spec.parts}


def materialise(ds: CSIDataset, features: Iterable[str | tuple[str, Mapping[str, Any]]]) -> CSIDataset:
    """A dataset like ``ds`` with ``features`` (names, or ``(name, params)``) computed and stored.

    Already stored features are kept, not recomputed. ``ds`` itself is not changed; arrays are shared.
    The time spent per feature (ms per sample) is recorded in ``meta["features"][key]["ms_per_sample"]``.
    """
    feats = dict(ds.features)
    record = dict(ds.meta.get("features", {}))
    for item in features:
        name, params = (item, {}) if isinstance(item, str) else (item[0], dict(item[1]))
        key = feature_key(name, params)
        if is_stored(feats, name, params):
            continue
        t0 = time.perf_counter()
        feats.update(compute_arrays(ds, name, params))
        record[key] = {"name": name, "params": _resolve(name, FEATURES.get(name), params),
                       "ms_per_sample": 1e3 * (time.perf_counter() - t0) / max(ds.n_samples, 1)}
    return ds.with_features(feats, meta=dict(ds.meta, features=record))


def is_stored(stored: Mapping[str, Any], name: str, params: Mapping[str, Any] | None = None) -> bool:
    """Whether ``stored`` (a dataset's ``features``) holds feature ``name`` with ``params`` (all its parts)."""
    if FEATURES.get(name).parts:
        return all(k in stored for k in part_keys(name, params).values())
    return feature_key(name, params) in stored


def compute_arrays(ds: CSIDataset, name: str, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Feature ``name`` of ``ds`` as ``{stored key: ndarray [N, ...]}``: one key, or one per part."""
    params = dict(params or {})
    if FEATURES.get(name).parts:
        keys = part_keys(name, params)
        return {keys[p]: arr for p, arr in extract_parts(ds, name, **params).items()}
    return {feature_key(name, params): extract(ds, name, **params)}


CHUNK = 4096
"""Samples per chunk of :func:`materialise_file`."""


def materialise_file(source: str | os.PathLike, output: str | os.PathLike,
                     features: Iterable[str | tuple[str, Mapping[str, Any]]], *, executor: Executor | None = None,
                     chunk: int = CHUNK, overwrite: bool = False, progress: bool = False) -> dict[str, Any]:
    """:func:`materialise` from file to file, in chunks: ``output`` = ``source`` with ``features`` stored.

    Chunks of ``chunk`` samples are read from ``source`` (``CSIDataset.load(rows=...)``) and their features
    computed in this process or on ``executor``'s workers (which read ``source`` themselves); results are
    written into ``output`` as they arrive, next to a chunk-by-chunk copy of everything ``source`` stores.
    The arrays are identical for any executor and number of workers (the chunks are the same); a feature
    that is not ``per_sample`` is computed in one piece. Memory stays ~ one chunk per worker.

    Parameters
    ----------
    source : path
        Dataset file to read.
    output : path
        Dataset file to write (``radiomap.atomic`` rules).
    features : iterable of str or (str, dict)
        Registered feature names, or ``(name, params)``; already stored keys are kept, not recomputed.
    executor : InProcess or DaskExecutor or None
        Where the chunks run (``radiomap.parallel.executor``); None = in this process.
    chunk : int
        Samples per chunk.
    overwrite : bool
        Replace an existing radiomap output.
    progress : bool
        Progress bar over chunks.

    Returns
    -------
    dict
        ``meta["features"]`` of the output: key -> ``{name, params, ms_per_sample}`` (worker time per sample).
    """
    from tqdm.auto import tqdm

    from radiomap.data.dataset import CSIDataset, stored_samples
    from radiomap.data.writer import extend_file
    from radiomap.parallel import InProcess, shard_bounds

    n = stored_samples(source)
    head = CSIDataset.load(source, rows=(0, min(1, n)))
    record = dict(head.meta.get("features", {}))
    todo: dict[str, tuple[str, dict[str, Any]]] = {}
    for item in features:
        name, params = (item, {}) if isinstance(item, str) else (item[0], dict(item[1]))
        if not is_stored(head.features, name, params):
            todo[feature_key(name, params)] = (name, _resolve(name, FEATURES.get(name), params))
    tasks = []
    for key, (name, params) in todo.items():
        bounds = shard_bounds(n, chunk) if FEATURES.get(name).per_sample else [(0, n)]
        tasks += [{"path": str(source), "rows": rows, "key": key, "name": name, "params": params} for rows in bounds]
    seconds = dict.fromkeys(todo, 0.0)
    with extend_file(source, output, overwrite=overwrite) as w:
        for i, (block, dt) in tqdm((executor or InProcess()).map(_feature_chunk, tasks), total=len(tasks),
                                   desc="features", unit="chunk", disable=not progress):
            w.write(tasks[i]["rows"][0], **{f"features/{k}": arr for k, arr in block.items()})
            seconds[tasks[i]["key"]] += dt
        for key, (name, params) in todo.items():
            record[key] = {"name": name, "params": params, "ms_per_sample": 1e3 * seconds[key] / max(n, 1)}
        w.meta["features"] = record
    return record


def _feature_chunk(task: dict[str, Any]) -> tuple[dict[str, np.ndarray], float]:
    """({stored key: feature rows [M, ...]}, seconds) of one chunk of a dataset file (a worker task)."""
    from radiomap.data.dataset import CSIDataset

    ds = CSIDataset.load(task["path"], rows=task["rows"])
    t0 = time.perf_counter()
    return compute_arrays(ds, task["name"], task["params"]), time.perf_counter() - t0


def parse_feature(spec: str) -> tuple[str, dict[str, Any]]:
    """``"seed000"`` -> ``("seed000", {})``; ``"seed000(delay=rms)"`` -> ``("seed000", {"delay": "rms"})``."""
    import json

    spec = spec.strip()
    if "(" not in spec:
        return spec, {}
    if not spec.endswith(")"):
        raise ParameterError(f"feature {spec!r}: expected NAME or NAME(key=value,...)")
    name, body = spec[:-1].split("(", 1)
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in body.split(","))):
        if "=" not in item:
            raise ParameterError(f"feature {spec!r}: {item!r} is not key=value")
        k, v = item.split("=", 1)
        try:
            params[k.strip()] = json.loads(v)
        except ValueError:
            params[k.strip()] = v.strip()
    return name.strip(), params


def _resolve(name: str, spec: Feature, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Declared defaults completed with validated ``params``."""
    return dict(spec.defaults) | validate_params(spec.params, dict(params or {}), owner=f"feature {name}")
