"""Prediction over a dataset file in chunks, in this process or on Dask workers (``radiomap localize``).

Each chunk of samples is read from the file (``CSIDataset.load(rows=...)``) by the process that predicts
it, with the model loaded from its folder there, so neither the dataset nor the model travels through
the scheduler. The chunks do not depend on the executor, so the positions are identical for any number
of workers and to the in-process run. A prediction that needs the whole dataset (a sequence decode, or
an input feature over groups of samples such as ``window``) runs as one chunk.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomap.data.dataset import CSIDataset, stored_samples
from radiomap.features.preprocessing import split_composite
from radiomap.features.stage import FEATURES, parse_feature
from radiomap.localize.base import Localizer
from radiomap.parallel import InProcess, shard_bounds

if TYPE_CHECKING:
    from radiomap.parallel import Executor

CHUNK = 4096
"""Samples per chunk of :func:`predict_file`."""


def predict_file(model: str | os.PathLike, dataset: str | os.PathLike, *, params: dict[str, Any] | None = None,
                 executor: Executor | None = None, chunk: int = CHUNK) -> tuple[np.ndarray, float]:
    """Positions of every sample of the dataset file ``dataset`` estimated by the saved model ``model``.

    Parameters
    ----------
    model : path
        Model folder written by ``Localizer.save``.
    dataset : path
        Dataset file with the model's geometry.
    params : dict or None
        Parameters set on the loaded model before predicting (e.g. ``{"sequence": True}``).
    executor : InProcess or DaskExecutor or None
        Where the chunks run (``radiomap.parallel.executor``); None = in this process.
    chunk : int
        Samples per chunk.

    Returns
    -------
    positions : ndarray, float64 [N, 3]
        Estimated positions (m).
    seconds : float
        Prediction time summed over the chunks (s, excluding loading).
    """
    params = dict(params or {})
    loc = Localizer.load(model)
    if params:
        loc.set_params(**params)
    n = stored_samples(dataset)
    bounds = shard_bounds(n, chunk) if per_sample(loc) else [(0, n)]
    tasks = [{"model": str(model), "dataset": str(dataset), "rows": rows, "params": params} for rows in bounds]
    out = np.empty((n, 3))
    seconds = 0.0
    for i, (pos, dt) in (executor or InProcess()).map(_predict_chunk, tasks):
        start, stop = tasks[i]["rows"]
        out[start:stop] = pos
        seconds += dt
    return out, seconds


def per_sample(loc: Localizer) -> bool:
    """True when ``loc`` localizes each sample on its own (its prediction may be cut into chunks).

    Parameters
    ----------
    loc : Localizer
        A fitted localizer.

    Returns
    -------
    bool
        False for a sequence decode (``sequence=True``) and for inputs with a feature over groups of samples.
    """
    params = loc.get_params()
    if params.get("sequence"):
        return False
    spec = getattr(loc, "inputs_", None) or params.get("inputs")
    if not isinstance(spec, str):
        return True
    names = [parse_feature(part)[0] for part in split_composite(spec)]
    return all(FEATURES.get(name).per_sample for name in names if name in FEATURES)


def _predict_chunk(task: dict[str, Any]) -> tuple[np.ndarray, float]:
    """(positions [M, 3] m, seconds) of one chunk (a worker task)."""
    loc = Localizer.load(Path(task["model"]))
    if task["params"]:
        loc.set_params(**task["params"])
    ds = CSIDataset.load(task["dataset"], rows=task["rows"])
    t0 = time.perf_counter()
    return loc.predict(ds), time.perf_counter() - t0
