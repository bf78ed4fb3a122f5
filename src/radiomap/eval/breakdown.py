"""Error breakdowns: per LOS region, per distance ring, and LOS/NLOS classification tables."""

from __future__ import annotations

import numpy as np

from radiomap.errors import DataError
from radiomap.eval.metrics import accuracy, confusion_matrix, error_summary
from radiomap.scene.scene import REGION_NAMES


def by_group(errors: np.ndarray, labels: np.ndarray, names: list[str] | tuple[str, ...],
             key: str = "group") -> list[dict]:
    """Error summary per integer label.

    Parameters
    ----------
    errors : array_like, float [N]
        Position errors (m).
    labels : array_like, int [N]
        Group of each sample in ``[0, len(names))``; other values belong to no group.
    names : sequence of str
        Group names.
    key : str
        Column holding the group name.

    Returns
    -------
    list of dict
        Rows ``{key: name, "n", "mean", "median", "p90", "p95", "rmse", "max"}`` (m), one per name
        (statistics are NaN for an empty group), in label order.

    Raises
    ------
    DataError
        ``errors`` and ``labels`` of different sizes.
    """
    e = np.asarray(errors, dtype=np.float64).ravel()
    lab = np.asarray(labels).ravel()
    if lab.shape != e.shape:
        raise DataError(f"{e.size} errors but {lab.size} labels")
    return [{key: name, **error_summary(e[lab == i])} for i, name in enumerate(names)]


def by_region(errors: np.ndarray, regions: np.ndarray, names=REGION_NAMES) -> list[dict]:
    """Error summary per LOS region.

    Parameters
    ----------
    errors : array_like, float [N]
        Position errors (m).
    regions : array_like, int [N]
        Region codes (0 NLOS, 1 single-LOS, 2 double-LOS; ``Scene.region_labels``).
    names : sequence of str
        Region names by code.

    Returns
    -------
    list of dict
        ``by_group`` rows keyed ``"region"``, one per name in code order.
    """
    return by_group(errors, regions, names, key="region")


def ring_labels(distances: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Ring of each distance; ring ``i`` is ``[edges[i], edges[i+1])``.

    Parameters
    ----------
    distances : array_like, float [N]
        Distances (m).
    edges : array_like, float [R + 1]
        Increasing ring edges (m); the last may be ``inf``.

    Returns
    -------
    rings : ndarray, int64 [N]
        Ring index, -1 outside ``[edges[0], edges[-1])``.
    names : list of str [R]
        ``"0-5 m"``, or ``">= 20 m"`` for an infinite upper edge.
    """
    edges = np.asarray(edges, dtype=np.float64)
    d = np.asarray(distances, dtype=np.float64).ravel()
    idx = np.searchsorted(edges, d, side="right") - 1
    idx[(d < edges[0]) | (d >= edges[-1])] = -1
    names = [f"{edges[i]:g}-{edges[i + 1]:g} m" if np.isfinite(edges[i + 1]) else f">= {edges[i]:g} m"
             for i in range(len(edges) - 1)]
    return idx, names


def by_distance_ring(errors: np.ndarray, distances: np.ndarray, edges) -> list[dict]:
    """Error summary per distance ring ``[edges[i], edges[i+1])`` (e.g. distance to the nearest AP).

    Parameters
    ----------
    errors : array_like, float [N]
        Position errors (m).
    distances : array_like, float [N]
        Distance of each sample (m).
    edges : array_like, float [R + 1]
        Ring edges (m), as ``ring_labels``.

    Returns
    -------
    list of dict
        ``by_group`` rows keyed ``"ring"``, one per ring (samples outside every ring are left out).
    """
    idx, names = ring_labels(distances, edges)
    return by_group(errors, idx, names, key="ring")


def nearest_ap_distance(positions: np.ndarray, ap_positions: np.ndarray, dims: int = 2) -> np.ndarray:
    """Distance from each position to the nearest AP.

    Parameters
    ----------
    positions : array_like, float [N, 3]
        Positions (m).
    ap_positions : array_like, float [B, 3]
        AP positions (m).
    dims : int
        Coordinates used: 2 (horizontal distance) or 3.

    Returns
    -------
    ndarray, float64 [N]
        Distance (m).
    """
    p = np.asarray(positions, dtype=np.float64)[:, None, :dims]
    a = np.asarray(ap_positions, dtype=np.float64)[None, :, :dims]
    return np.linalg.norm(p - a, axis=-1).min(axis=1)


def classification_table(true: np.ndarray, pred: np.ndarray, names) -> dict:
    """Accuracy and confusion matrix of labels (e.g. LOS/NLOS per AP, or direction classes).

    Parameters
    ----------
    true, pred : array_like, int [...]
        Class labels in ``[0, C)``, same shape (e.g. [N], or [N, B] for LOS per AP; bool is 0/1).
    names : sequence of str [C]
        Class names.

    Returns
    -------
    dict
        ``{"accuracy": float, "confusion": int [C, C] as nested lists (rows true), "classes": names}``.
    """
    cm = confusion_matrix(true, pred, len(names))
    return {"accuracy": accuracy(true, pred), "confusion": cm.tolist(), "classes": list(names)}
