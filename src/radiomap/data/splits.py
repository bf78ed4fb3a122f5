"""Seeded train/test splits. Each returns ``(train, test)`` datasets.

On real measurements a random per-sample split mostly re-identifies the capture; prefer
``leave_point_out_split`` (all samples of one point held out together) or a spatial split, and
say in reports which split was used.
"""

from __future__ import annotations

import numpy as np

from radiomap.data.dataset import CSIDataset
from radiomap.errors import DataError, ParameterError


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ParameterError(f"test_fraction must be in (0, 1), got {test_fraction}")


def _split_by_mask(ds: CSIDataset, test: np.ndarray) -> tuple[CSIDataset, CSIDataset]:
    if test.all() or not test.any():
        raise DataError("split leaves the train or the test set empty")
    return ds.subset(~test), ds.subset(test)


def kfold(n: int, n_folds: int = 10, seed: int = 0, groups: np.ndarray | None = None) -> list[np.ndarray]:
    """Test indices of each of ``n_folds`` cross-validation folds over ``n`` samples.

    Input
    -----
    n : samples; n_folds : folds (>= 2); seed : the shuffle
    groups : int [N] or None; when given, every group (measurement point, walk) lies in one fold,
        so that no fold is scored on packets of a point it was trained on

    Output
    ------
    list of ``n_folds`` int64 arrays partitioning ``0..n-1``
    """
    if n_folds < 2:
        raise ParameterError(f"n_folds={n_folds}; expected >= 2")
    rng = np.random.default_rng(seed)
    if groups is None:
        if n < n_folds:
            raise DataError(f"{n_folds}-fold cross-validation needs >= {n_folds} training samples, got {n}")
        return [np.sort(f) for f in np.array_split(rng.permutation(n), n_folds)]
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise DataError(f"groups must have shape ({n},), got {groups.shape}")
    ids = np.unique(groups)
    if len(ids) < n_folds:
        raise DataError(f"{n_folds}-fold grouped cross-validation needs >= {n_folds} groups, got {len(ids)}")
    return [np.flatnonzero(np.isin(groups, part)) for part in np.array_split(rng.permutation(ids), n_folds)]


def random_split(ds: CSIDataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[CSIDataset, CSIDataset]:
    """Uniformly random samples held out."""
    _check_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    n_test = max(1, round(test_fraction * ds.n_samples))
    test = np.zeros(ds.n_samples, bool)
    test[rng.permutation(ds.n_samples)[:n_test]] = True
    return _split_by_mask(ds, test)


def _group_split(groups: np.ndarray | None, name: str, ds: CSIDataset, test_fraction: float, seed: int):
    if groups is None:
        raise DataError(f"this split needs '{name}' in the dataset")
    _check_fraction(test_fraction)
    ids = np.unique(groups)
    if len(ids) < 2:
        raise DataError(f"this split needs at least 2 distinct values of '{name}', got {len(ids)}")
    rng = np.random.default_rng(seed)
    n_test = min(len(ids) - 1, max(1, round(test_fraction * len(ids))))
    held = rng.permutation(ids)[:n_test]
    return _split_by_mask(ds, np.isin(groups, held))


def trajectory_split(ds: CSIDataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[CSIDataset, CSIDataset]:
    """Whole trajectories (``trajectory_id``) held out."""
    return _group_split(ds.trajectory_id, "trajectory_id", ds, test_fraction, seed)


def leave_point_out_split(ds: CSIDataset, test_fraction: float = 0.2, seed: int = 0) -> tuple[CSIDataset, CSIDataset]:
    """All samples of a measurement point (``point_id``) held out together."""
    return _group_split(ds.point_id, "point_id", ds, test_fraction, seed)


def region_split(ds: CSIDataset, box: tuple[float, float, float, float] | None = None,
                 test_fraction: float = 0.2, seed: int = 0) -> tuple[CSIDataset, CSIDataset]:
    """Samples inside a spatial box ``(x_min, x_max, y_min, y_max)`` held out.

    With ``box=None`` a square box covering about ``test_fraction`` of the samples' bounding box is
    placed at a seeded random location.
    """
    if ds.positions is None:
        raise DataError("region_split needs positions")
    xy = ds.positions[:, :2]
    if box is None:
        _check_fraction(test_fraction)
        lo, hi = xy.min(0), xy.max(0)
        side = np.sqrt(test_fraction) * (hi - lo)
        rng = np.random.default_rng(seed)
        start = lo + rng.random(2) * (hi - lo - side)
        box = (start[0], start[0] + side[0], start[1], start[1] + side[1])
    x0, x1, y0, y1 = box
    test = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    return _split_by_mask(ds, test)


SPLITS = ("given", "lpo", "trajectory", "region", "random")
"""Names of the train/test splits of ``radiomap compare --split`` (``given`` = separate test files)."""

_SPLIT_TEXT = {"lpo": "leave-point-out: all samples of a held-out point_id in the test set",
               "trajectory": "whole trajectories (trajectory_id) held out",
               "region": "samples in a seeded square region held out (spatial extrapolation)",
               "random": "uniformly random samples held out (packets of one point on both sides)"}


def split_dataset(ds: CSIDataset, split: str, test_fraction: float = 0.2,
                  seed: int = 0) -> tuple[CSIDataset, CSIDataset, str]:
    """Split ``ds`` by name.

    Input
    -----
    ds : CSIDataset; split : "lpo" | "trajectory" | "region" | "random"; test_fraction : share held out
    (of points, trajectories, area or samples); seed : the draw

    Output
    ------
    (train, test, description): the description names the split, its seed and the sizes.
    """
    funcs = {"lpo": leave_point_out_split, "trajectory": trajectory_split, "region": region_split,
             "random": random_split}
    if split not in funcs:
        raise ParameterError(f"split {split!r}: expected one of {', '.join(funcs)} (or 'given' with test files)")
    train, test = funcs[split](ds, test_fraction=test_fraction, seed=seed)
    text = (f"{split} (seed {seed}, test fraction {test_fraction}): {_SPLIT_TEXT[split]}; "
            f"{train.n_samples} train / {test.n_samples} test samples")
    return train, test, text


def leakage_warning(ds: CSIDataset, split: str) -> str | None:
    """A one-line warning when ``split`` scores a model on packets of points (or walks) it was trained on.

    A random split of measured data (several packets per ``point_id``, or samples of a walk, or a
    measured scene) puts packets of one point on both sides, so the error measures re-identification
    of the capture, not localization. None when there is no such risk.
    """
    if split != "random":
        return None
    repeated = ds.point_id is not None and len(np.unique(ds.point_id)) < ds.n_samples
    measured = bool(ds.meta.get("scene", {}).get("measured")) or "impairments" in ds.meta
    if not (repeated or measured or ds.trajectory_id is not None):
        return None
    why = ("several packets per point_id" if repeated else
           "samples of walks (trajectory_id)" if ds.trajectory_id is not None else "measured data")
    return (f"random split of {why}: packets of one point land in train and test, so the error is "
            "optimistic (leakage); use --split lpo (or trajectory/region)")
