"""Per-AP LOS/NLOS region maps on the grid with a spatial-structure prior (SPEC §2.2).

For AP ``b`` the indicator ``s_b(g) in {0 NLOS, 1 LOS}`` on the cells has the log-prior

    log p(s) = -lam * #{4-neighbour pairs with s_g != s_h}
               - lam_shadow * #{(p, c): p the neighbour of c toward the AP, s_p = 0, s_c = 1}
               + eps * #{LOS cells} + const

The first term (Potts) keeps regions contiguous; the second encodes that an obstacle casts a
shadow away from the AP (a cell behind an NLOS cell is NLOS), which fills cells the walk never
visited; ``eps`` breaks ties toward LOS. The energy is submodular, so the exact maximiser of
``sum_g s_g D_b(g) + log p(s)`` for data terms ``D_b`` is a minimum s-t cut (Boykov-Kolmogorov
construction), solved with ``scipy.sparse.csgraph.maximum_flow`` on integer capacities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from radiomap.localize.hmm.grid import CellGraph

_SCALE = 1000.0  # log-likelihood units -> integer capacities
_CAP_MAX = 2 ** 30


@dataclass(frozen=True)
class SpatialPrior:
    """Weights of the spatial-structure term (log-likelihood units)."""

    potts: float = 0.5
    shadow: float = 3.0
    los_bias: float = 0.03


def shadow_pairs(graph: CellGraph, ap_xy: np.ndarray) -> np.ndarray:
    """``[E, 2]`` pairs ``(parent, child)``: parent is child's 8-neighbour most toward the AP.

    Input: ``ap_xy [2]`` AP position (m). Cells within one pitch of the AP have no parent.
    """
    d = np.asarray(ap_xy)[None, :2] - graph.xy
    dist = np.linalg.norm(d, axis=-1)
    nb = np.array([[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]])
    unit = nb / np.linalg.norm(nb, axis=-1, keepdims=True)
    k = np.argmax((d / np.maximum(dist, 1e-9)[:, None]) @ unit.T, axis=1)
    parent = graph.lookup(graph.ij + nb[k])
    ok = (parent >= 0) & (dist > graph.delta)
    c = np.arange(graph.n_cells)
    return np.stack([parent[ok], c[ok]], axis=-1)


def region_log_prior(s: np.ndarray, pairs: np.ndarray, shadow: np.ndarray, prior: SpatialPrior) -> float:
    """``log p(s)`` (up to a constant) of one AP's map ``s [G]`` bool."""
    s = np.asarray(s, dtype=bool)
    n_diff = int((s[pairs[:, 0]] != s[pairs[:, 1]]).sum())
    n_shadow = int((~s[shadow[:, 0]] & s[shadow[:, 1]]).sum()) if len(shadow) else 0
    return -prior.potts * n_diff - prior.shadow * n_shadow + prior.los_bias * int(s.sum())


def spatial_term(regions: np.ndarray, pairs: np.ndarray, shadows: list[np.ndarray], prior: SpatialPrior) -> float:
    """Sum of ``region_log_prior`` over APs for ``regions [G, B]`` bool."""
    return float(sum(region_log_prior(regions[:, b], pairs, shadows[b], prior) for b in range(regions.shape[1])))


def map_regions(data: np.ndarray, pairs: np.ndarray, shadow: np.ndarray, prior: SpatialPrior) -> np.ndarray:
    """Exact maximiser ``s [G]`` bool of ``sum_g s_g data_g + log p(s)`` by a minimum cut.

    Input
    -----
    data : float [G] log-likelihood ratio LOS minus NLOS of the samples in each cell (0 if none)
    pairs : int [E, 2] Potts pairs; shadow : int [F, 2] (parent, child) pairs

    Output
    ------
    bool [G]: True = LOS.
    """
    n = len(data)
    src, snk = n, n + 1
    gain = np.asarray(data, dtype=np.float64) + prior.los_bias  # benefit of s = 1
    cap_src = np.clip(np.round(np.maximum(gain, 0) * _SCALE), 0, _CAP_MAX)  # paid when s = 0
    cap_snk = np.clip(np.round(np.maximum(-gain, 0) * _SCALE), 0, _CAP_MAX)  # paid when s = 1
    c = np.arange(n)
    lam = round(prior.potts * _SCALE)
    lam_s = round(prior.shadow * _SCALE)
    rows = [np.full(n, src), c, pairs[:, 0], pairs[:, 1], shadow[:, 1]]
    cols = [c, np.full(n, snk), pairs[:, 1], pairs[:, 0], shadow[:, 0]]
    caps = [cap_src, cap_snk, np.full(len(pairs), lam), np.full(len(pairs), lam), np.full(len(shadow), lam_s)]
    r, cc, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(caps).astype(np.int64)
    keep = v > 0
    cap = csr_array((v[keep].astype(np.int32), (r[keep], cc[keep])), shape=(n + 2, n + 2))
    cap.sum_duplicates()
    flow = maximum_flow(cap, src, snk).flow
    residual = (cap - flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int32)
    residual.eliminate_zeros()
    reach = breadth_first_order(residual, src, directed=True, return_predecessors=False)
    s = np.zeros(n + 2, dtype=bool)
    s[reach] = True
    return s[:n]


def map_all_regions(data: np.ndarray, pairs: np.ndarray, shadows: list[np.ndarray], prior: SpatialPrior) -> np.ndarray:
    """``map_regions`` for every AP: ``data [G, B]`` -> bool ``[G, B]``."""
    return np.stack([map_regions(data[:, b], pairs, shadows[b], prior) for b in range(data.shape[1])], axis=1)
