"""Localization and classification metrics (SPEC 5).

Position errors are Euclidean distances in 2-D (x, y) or 3-D; summaries give mean, median,
90th/95th percentile, RMSE and max. Classification metrics cover LOS/NLOS and direction labels.
"""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError, ParameterError

SUMMARY_KEYS = ("mean", "median", "p90", "p95", "rmse", "max", "n")


def position_errors(pred: np.ndarray, true: np.ndarray, dims: int = 2) -> np.ndarray:
    """Euclidean position errors.

    Input
    -----
    pred, true : float [N, 3] (or [N, 2] when ``dims=2``), metres
    dims : 2 (horizontal error, x-y) or 3

    Output
    ------
    float64 [N] : error per sample (m)
    """
    if dims not in (2, 3):
        raise ParameterError(f"dims={dims}; expected 2 or 3")
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    if p.ndim != 2 or t.ndim != 2 or p.shape[0] != t.shape[0]:
        raise DataError(f"pred {p.shape} and true {t.shape} must both be [N, 2|3] with the same N")
    if p.shape[1] < dims or t.shape[1] < dims:
        raise DataError(f"{dims}-D errors need {dims} coordinates; got pred {p.shape}, true {t.shape}")
    if not (np.isfinite(p[:, :dims]).all() and np.isfinite(t[:, :dims]).all()):
        raise DataError("positions contain NaN or Inf")
    return np.linalg.norm(p[:, :dims] - t[:, :dims], axis=1)


def error_summary(errors: np.ndarray) -> dict[str, float]:
    """Summary statistics of errors.

    Input
    -----
    errors : float [N] (m, or any unit)

    Output
    ------
    dict with "mean", "median", "p90", "p95", "rmse", "max" (floats, same unit) and "n" (int).
    Empty input gives NaN statistics and ``n = 0``.
    """
    e = np.asarray(errors, dtype=np.float64).ravel()
    if e.size == 0:
        return {**{k: float("nan") for k in SUMMARY_KEYS[:-1]}, "n": 0}
    return {
        "mean": float(e.mean()),
        "median": float(np.median(e)),
        "p90": float(np.percentile(e, 90)),
        "p95": float(np.percentile(e, 95)),
        "rmse": float(np.sqrt(np.mean(e**2))),
        "max": float(e.max()),
        "n": int(e.size),
    }


def empirical_cdf(errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDF.

    Input
    -----
    errors : float [N]

    Output
    ------
    (x float64 [N] sorted errors, F float64 [N] = (i + 1) / N)
    """
    x = np.sort(np.asarray(errors, dtype=np.float64).ravel())
    return x, np.arange(1, x.size + 1) / max(x.size, 1)


def in_wavelengths(errors: np.ndarray, wavelength: float) -> np.ndarray:
    """Errors expressed in carrier wavelengths: ``errors / wavelength`` (float64 [N])."""
    if wavelength <= 0:
        raise ParameterError(f"wavelength={wavelength}; expected > 0 m")
    return np.asarray(errors, dtype=np.float64) / wavelength


def _labels(true, pred):
    t = np.asarray(true).ravel()
    p = np.asarray(pred).ravel()
    if t.shape != p.shape:
        raise DataError(f"true labels {np.shape(true)} and predicted labels {np.shape(pred)} differ in shape")
    return t, p


def accuracy(true: np.ndarray, pred: np.ndarray) -> float:
    """Fraction of equal labels (any shape, compared element-wise); NaN when empty."""
    t, p = _labels(true, pred)
    return float(np.mean(t == p)) if t.size else float("nan")


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix ``C[i, j]`` = number of samples of true class ``i`` predicted as ``j``.

    Input
    -----
    true, pred : int labels in ``[0, n_classes)``, same shape (bool is read as 0/1)
    n_classes : C

    Output
    ------
    int64 [C, C]
    """
    t, p = _labels(true, pred)
    t = t.astype(np.int64)
    p = p.astype(np.int64)
    for name, v in (("true", t), ("pred", p)):
        if v.size and (v.min() < 0 or v.max() >= n_classes):
            raise DataError(f"{name} labels outside [0, {n_classes}): min {v.min()}, max {v.max()}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
