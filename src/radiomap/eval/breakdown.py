"""Error breakdowns: per LOS region, per distance ring, and LOS/NLOS classification tables."""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError
from radiomap.eval.metrics import accuracy, confusion_matrix, error_summary
from radiomap.scene.scene import REGION_NAMES


def by_group(errors: np.ndarray, labels: np.ndarray, names: list[str] | tuple[str, ...],
             key: str = "group") -> list[dict]:
    """Error summary per integer label.

    Input
    -----
    errors : float [N]; labels : int [N] in ``[0, len(names))``; names : label names

    Output
    ------
    list of rows ``{key: name, "n", "mean", "median", "p90", "p95", "rmse", "max"}``, one per
    name (statistics are NaN for an empty group), in label order.
    """
    e = np.asarray(errors, dtype=np.float64).ravel()
    lab = np.asarray(labels).ravel()
    if lab.shape != e.shape:
        raise DataError(f"{e.size} errors but {lab.size} labels")
    return [{key: name, **error_summary(e[lab == i])} for i, name in enumerate(names)]


def by_region(errors: np.ndarray, regions: np.ndarray, names=REGION_NAMES) -> list[dict]:
    """Summary per LOS region (int8 codes 0 NLOS, 1 single-LOS, 2 double-LOS)."""
    return by_group(errors, regions, names, key="region")


def ring_labels(distances: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Ring index of each distance for ring edges ``[R + 1]`` (m); outside -> -1.

    Output: (int64 [N] ring indices, R names like "0-5 m").
    """
    edges = np.asarray(edges, dtype=np.float64)
    d = np.asarray(distances, dtype=np.float64).ravel()
    idx = np.searchsorted(edges, d, side="right") - 1
    idx[(d < edges[0]) | (d >= edges[-1])] = -1
    names = [f"{edges[i]:g}-{edges[i + 1]:g} m" if np.isfinite(edges[i + 1]) else f">= {edges[i]:g} m"
             for i in range(len(edges) - 1)]
    return idx, names


def by_distance_ring(errors: np.ndarray, distances: np.ndarray, edges) -> list[dict]:
    """Summary per distance ring ``[edges[i], edges[i+1])`` (e.g. distance to the nearest AP)."""
    idx, names = ring_labels(distances, edges)
    return by_group(errors, idx, names, key="ring")


def nearest_ap_distance(positions: np.ndarray, ap_positions: np.ndarray, dims: int = 2) -> np.ndarray:
    """Distance (m) from each position ``[N, 3]`` to the nearest AP ``[B, 3]``: float64 [N]."""
    p = np.asarray(positions, dtype=np.float64)[:, None, :dims]
    a = np.asarray(ap_positions, dtype=np.float64)[None, :, :dims]
    return np.linalg.norm(p - a, axis=-1).min(axis=1)


def classification_table(true: np.ndarray, pred: np.ndarray, names) -> dict:
    """Accuracy and confusion matrix of labels (e.g. LOS/NLOS per AP, or direction classes).

    Output: ``{"accuracy": float, "confusion": int [C, C] as nested lists, "classes": names}``.
    """
    cm = confusion_matrix(true, pred, len(names))
    return {"accuracy": accuracy(true, pred), "confusion": cm.tolist(), "classes": list(names)}
