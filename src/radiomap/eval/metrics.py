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


# -- channel-charting metrics ------------------------------------------------------------------------
def default_k(n: int) -> int:
    """Neighbourhood size of trustworthiness / continuity: ``K = 5 %`` of N (at least 1)."""
    return max(1, int(round(0.05 * n)))


def _pairwise(x: np.ndarray, name: str) -> np.ndarray:
    from radiomap.memory import check_allocation

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise DataError(f"{name}: expected finite float [N, D], got shape {x.shape}")
    check_allocation(3 * 8.0 * len(x) ** 2, f"the {len(x)} x {len(x)} distance matrices of {name}",
                     "subsample the points")
    sq = np.einsum("ij,ij->i", x, x)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0))


def trustworthiness(original: np.ndarray, embedded: np.ndarray, k: int | None = None) -> float:
    """Trustworthiness of an embedding (Venna & Kaski; sklearn.manifold.trustworthiness).

    Input
    -----
    original : float [N, D] (e.g. true positions, m); embedded : float [N, d] (e.g. channel chart)
    k : neighbourhood size (< N / 2); default ``default_k(N)`` (5 % of N)

    Output
    ------
    float in [0, 1]: ``1 - 2 / (N k (2N - 3k - 1)) sum_i sum_{j in U_i} (r(i, j) - k)`` with ``U_i`` the
    k nearest embedded neighbours of i that are not among its k nearest original ones and ``r`` the
    rank in the original space (1 = nearest). 1 = no false neighbours.
    """
    d_orig = _pairwise(original, "trustworthiness (original)")
    d_emb = _pairwise(embedded, "trustworthiness (embedded)")
    n = len(d_orig)
    if d_emb.shape != d_orig.shape:
        raise DataError(f"original has {n} points, embedded {len(d_emb)}")
    k = default_k(n) if k is None else int(k)
    if not 1 <= k < n / 2:
        raise ParameterError(f"k={k}; expected 1 <= k < N/2 = {n / 2}")
    np.fill_diagonal(d_orig, np.inf)
    np.fill_diagonal(d_emb, np.inf)
    order = np.argsort(d_orig, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(n)[:, None]
    ranks[rows, order] = np.arange(1, n + 1)[None, :]  # rank of j among i's original neighbours
    nn_emb = np.argsort(d_emb, axis=1, kind="stable")[:, :k]
    excess = np.maximum(ranks[rows, nn_emb] - k, 0)  # zero for neighbours that are original neighbours too
    return float(1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * excess.sum())


def continuity(original: np.ndarray, embedded: np.ndarray, k: int | None = None) -> float:
    """Continuity: trustworthiness with the roles swapped (original neighbours kept in the embedding).

    Input / Output as :func:`trustworthiness`; 1 = no original neighbours torn apart.
    """
    return trustworthiness(embedded, original, k)


def kruskal_stress(original: np.ndarray, embedded: np.ndarray) -> float:
    """Kruskal stress-1 with the optimal scale of the embedding.

    Input
    -----
    original : float [N, D]; embedded : float [N, d]

    Output
    ------
    float >= 0: ``sqrt(sum_{i<j} (d_ij - a e_ij)^2 / sum d_ij^2)`` with ``d``, ``e`` the pairwise distances
    and ``a = sum d e / sum e^2`` (least squares): 0 for any scaled rigid copy.
    """
    d = _pairwise(original, "stress (original)")
    e = _pairwise(embedded, "stress (embedded)")
    iu = np.triu_indices(len(d), 1)
    d, e = d[iu], e[iu]
    den = float(e @ e)
    a = float(d @ e) / den if den > 0 else 0.0
    return float(np.sqrt(np.sum((d - a * e) ** 2) / max(float(d @ d), 1e-300)))


def affine_fit_errors(true: np.ndarray, chart: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Position errors after the least-squares affine map from chart to real-world coordinates.

    For charts not in real-world coordinates: the error that remains once the best affine transform
    (fitted on the evaluated points themselves, so optimistic; report it labelled as such) is applied.

    Input
    -----
    true : float [N, >= dims] positions (m); chart : float [N, d] chart coordinates; dims : 2 or 3

    Output
    ------
    (errors float64 [N] (m), A float64 [d + 1, dims]): ``[chart, 1] @ A`` is the fitted position
    """
    t = np.asarray(true, dtype=np.float64)[:, :dims]
    c = np.asarray(chart, dtype=np.float64)
    if c.ndim != 2 or len(c) != len(t) or not np.isfinite(c).all():
        raise DataError(f"chart {c.shape} must be finite [N={len(t)}, d]")
    design = np.concatenate([c, np.ones((len(c), 1))], axis=1)
    a, *_ = np.linalg.lstsq(design, t, rcond=None)
    return np.linalg.norm(design @ a - t, axis=1), a


def chart_metrics(true: np.ndarray, chart: np.ndarray, k: int | None = None) -> dict[str, float]:
    """Trustworthiness, continuity (K = 5 % of N unless given), Kruskal stress and affine-fit error.

    Input
    -----
    true : float [N, 3] positions (m); chart : float [N, d] (an estimate in world coordinates or a chart)

    Output
    ------
    dict: "TW", "CT", "KS", "K", "mean error after LS affine fit (m)" (x-y)
    """
    xy = np.asarray(true, dtype=np.float64)[:, :2]
    c = np.asarray(chart, dtype=np.float64)
    k = default_k(len(xy)) if k is None else k
    return {"TW": trustworthiness(xy, c, k), "CT": continuity(xy, c, k), "KS": kruskal_stress(xy, c), "K": k,
            "mean error after LS affine fit (m)": float(affine_fit_errors(xy, c)[0].mean())}
