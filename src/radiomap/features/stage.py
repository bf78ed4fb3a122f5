"""The feature stage: named, registered extractors ``CSIDataset -> array [N, ...]``, materialised into
``ds.features`` so that fits, comparisons and files share them.

A localizer names the feature it consumes (its ``inputs`` parameter) and reads it with
:func:`extract`; nothing is cached behind its back. To compute once and reuse (several methods on
one dataset, repeated fits), materialise: ``ds = materialise(ds, ["seed000"])`` in Python, or
``radiomap features compute seed000 in.h5 -o out.h5`` on the command line; the feature is then
stored in the dataset (and its HDF5 file) under its key, with its parameters in
``meta["features"][key]``.

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
    """A registered extractor: ``fn(ds, **params) -> float array [N, ...]`` with declared parameters.

    ``per_sample``: each row depends on its own sample only, so the feature may be computed in chunks
    (``materialise_file``); False for features over groups of samples (windows), computed in one piece.
    """

    fn: Callable[..., np.ndarray]
    help: str
    params: Mapping[str, Param] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
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
    "rssi": "radiomap.features.preprocessing:RSSI",
    "tx-onehot": "radiomap.features.preprocessing:TX_ONEHOT",
})
"""Registry of feature extractors by name (``radiomap features list``)."""


def feature_key(name: str, params: Mapping[str, Any] | None = None) -> str:
    """Key under which ``name`` with ``params`` is stored: the name for default parameters, else
    ``name(k=v,...)`` (sorted keys)."""
    spec = FEATURES.get(name)
    full = _resolve(name, spec, params)
    changed = {k: v for k, v in sorted(full.items()) if spec.defaults.get(k) != v}
    return name if not changed else name + "(" + ",".join(f"{k}={v}" for k, v in changed.items()) + ")"


def extract(ds: CSIDataset, name: str, **params: Any) -> np.ndarray:
    """Feature ``name`` of every sample of ``ds``: the stored one when ``ds`` has it, else computed.

    ``name`` may also be the key of any array stored in ``ds.features`` (e.g. an imported feature);
    then no parameters are accepted.
    """
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
        if key in feats:
            continue
        t0 = time.perf_counter()
        feats[key] = extract(ds, name, **params)
        record[key] = {"name": name, "params": _resolve(name, FEATURES.get(name), params),
                       "ms_per_sample": 1e3 * (time.perf_counter() - t0) / max(ds.n_samples, 1)}
    return ds.with_features(feats, meta=dict(ds.meta, features=record))


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
        key = feature_key(name, params)
        if key not in head.features:
            todo[key] = (name, _resolve(name, FEATURES.get(name), params))
    tasks = []
    for key, (name, params) in todo.items():
        bounds = shard_bounds(n, chunk) if FEATURES.get(name).per_sample else [(0, n)]
        tasks += [{"path": str(source), "rows": rows, "key": key, "name": name, "params": params} for rows in bounds]
    seconds = dict.fromkeys(todo, 0.0)
    with extend_file(source, output, overwrite=overwrite) as w:
        for i, (block, dt) in tqdm((executor or InProcess()).map(_feature_chunk, tasks), total=len(tasks),
                                   desc="features", unit="chunk", disable=not progress):
            w.write(tasks[i]["rows"][0], **{f"features/{tasks[i]['key']}": block})
            seconds[tasks[i]["key"]] += dt
        for key, (name, params) in todo.items():
            record[key] = {"name": name, "params": params, "ms_per_sample": 1e3 * seconds[key] / max(n, 1)}
        w.meta["features"] = record
    return record


def _feature_chunk(task: dict[str, Any]) -> tuple[np.ndarray, float]:
    """(feature rows [M, ...], seconds) of one chunk of a dataset file (a worker task)."""
    from radiomap.data.dataset import CSIDataset

    ds = CSIDataset.load(task["path"], rows=task["rows"])
    t0 = time.perf_counter()
    return extract(ds, task["name"], **task["params"]), time.perf_counter() - t0


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
