"""Several walks in one dataset (as hmmlearn's ``lengths``): how a dataset is cut into time-ordered walks.

A walk is a run of consecutive rows. ``split_walks`` finds them from ``trajectory_id`` (each id one
contiguous block of rows) or from the timestamps (a new walk where time goes back or jumps by more
than ``max_gap`` s); every walk must be time-ordered. The HMM shares the propagation and region
parameters across walks and decodes each with its own chain (``fit.decode_walks``).
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError

SPLITS = ("auto", "trajectory", "gaps", "one")
"""``auto``: by ``trajectory_id`` when it names several walks, else at time gaps; ``trajectory``: by
``trajectory_id``; ``gaps``: at time gaps; ``one``: the whole dataset is one walk."""


def walk_slices(lengths) -> list[slice]:
    """Row slices of consecutive walks of ``lengths`` (ints, each >= 1)."""
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    return [slice(int(a), int(b)) for a, b in zip(np.concatenate([[0], ends[:-1]]), ends, strict=True)]


def split_walks(trajectory_id, timestamps, n: int, *, split: str = "auto", max_gap: float = 1.0,
                dt: float = 0.1, what: str = "hmm") -> tuple[tuple[int, ...], float]:
    """Cut ``n`` rows into walks and find the slot.

    Parameters
    ----------
    trajectory_id : int [N] or None, walk label of each row
    timestamps : float [N] (s) or None
    n : number of rows N
    split : one of ``SPLITS``
    max_gap : a time step larger than this (s) starts a new walk (``gaps``, and ``auto`` without ids)
    dt : slot (s) when there are no timestamps
    what : name used in error messages

    Returns
    -------
    lengths : tuple of W ints, walk lengths in row order (sum N)
    slot : float, median time step within walks (s), ``dt`` without timestamps
    """
    if split not in SPLITS:
        raise ParameterError(f"{what}: walks={split!r}; expected one of {SPLITS}")
    ids = None if trajectory_id is None else np.asarray(trajectory_id)
    ts = None if timestamps is None else np.asarray(timestamps, dtype=np.float64)
    if split == "trajectory" and ids is None:
        raise DataError(f"{what}: walks='trajectory' needs trajectory_id in the dataset")
    use_ids = split == "trajectory" or (split == "auto" and ids is not None and len(np.unique(ids)) > 1)
    if use_ids:
        starts = np.flatnonzero(np.diff(ids) != 0) + 1
        if len(starts) + 1 != len(np.unique(ids)):
            raise DataError(f"{what}: each trajectory_id must be one contiguous block of rows "
                            "(sort the dataset by walk)")
    elif split != "one" and ts is not None and n >= 2:
        d = np.diff(ts)
        starts = np.flatnonzero((d <= 0) | (d > max_gap)) + 1
    else:
        starts = np.zeros(0, dtype=np.int64)
    bounds = np.concatenate([[0], starts, [n]]).astype(np.int64)
    lengths = tuple(int(b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    if ts is None or n < 2:
        return lengths, float(dt)
    inside = np.concatenate([np.diff(ts[s]) for s in walk_slices(lengths)])
    if (inside <= 0).any():
        raise DataError(f"{what}: timestamps must increase within each walk (walks={split!r})")
    return lengths, float(np.median(inside)) if len(inside) else float(dt)
