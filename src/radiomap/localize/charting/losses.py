"""Losses of channel charting in real-world coordinates (Taner, Palhares, Studer, IEEE TWC 2025).

All act on chart positions ``y [N, 2]`` (m) given as torch tensors:

- ``triplet_loss``: time adjacency, ``mean max(0, ||y_a - y_p|| - ||y_a - y_n|| + margin)``;
- ``bilateration_loss``: for AP pairs whose powers differ by more than ``margin_db``, the user is
  closer to the stronger AP: ``mean max(0, ||y - o_i|| - ||y - o_j||)`` (i stronger);
- ``box_loss``: samples whose power from AP ``b`` is high lie in that AP's LOS box; penalty
  = squared distance outside the box.
"""

from __future__ import annotations

import numpy as np
import torch


def sample_triplets(t: np.ndarray, n: int, t_close: float, t_far: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random time-adjacency triplets of a sequence.

    Positive: ``0 < |t_p - t_a| <= t_close``; negative: ``t_close < |t_n - t_a| <= t_far``,
    sampled as offsets in slots (of the median time step) around the anchor and clipped to the
    sequence; draws that clipping spoils are dropped.

    Parameters
    ----------
    t : array_like, float [N]
        Timestamps (s), increasing.
    n : int
        Triplets drawn.
    t_close, t_far : float
        Time thresholds (s), ``t_far > t_close``.
    rng : numpy.random.Generator

    Returns
    -------
    anchor, positive, negative : ndarray, int64 [M]
        Sample indices, ``M <= n``.
    """
    t = np.asarray(t, dtype=np.float64)
    m = len(t)
    dt = float(np.median(np.diff(t))) if m > 1 else 1.0
    k_close = max(1, int(round(t_close / dt)))
    k_far = max(k_close + 1, int(round(t_far / dt)))
    a = rng.integers(0, m, n)
    sign = rng.choice([-1, 1], size=(2, n))
    p = np.clip(a + sign[0] * rng.integers(1, k_close + 1, n), 0, m - 1)
    q = np.clip(a + sign[1] * rng.integers(k_close + 1, k_far + 1, n), 0, m - 1)
    ok = (p != a) & (np.abs(q - a) > k_close)
    return a[ok], p[ok], q[ok]


def triplet_loss(y: torch.Tensor, a: torch.Tensor, p: torch.Tensor, n: torch.Tensor, margin: float) -> torch.Tensor:
    """Triplet loss ``mean max(0, ||y_a - y_p|| - ||y_a - y_n|| + margin)``.

    Parameters
    ----------
    y : torch.Tensor, float [N, 2]
        Chart positions (m).
    a, p, n : torch.Tensor, int64 [M]
        Anchor, positive and negative indices (``sample_triplets``).
    margin : float
        Margin (m).

    Returns
    -------
    torch.Tensor, scalar (m)
    """
    d_ap = torch.linalg.norm(y[a] - y[p], dim=-1)
    d_an = torch.linalg.norm(y[a] - y[n], dim=-1)
    return torch.relu(d_ap - d_an + margin).mean()


def bilateration_pairs(power_db: np.ndarray, margin_db: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample and AP pairs where one AP is received clearly stronger than another.

    Parameters
    ----------
    power_db : array_like, float [N, B]
        Received power per AP (dB).
    margin_db : float
        Least power difference (dB).

    Returns
    -------
    sample, strong, weak : ndarray, int64 [P]
        Index triples with ``power_db[sample, strong] - power_db[sample, weak] > margin_db``.
    """
    p = np.asarray(power_db, dtype=np.float64)
    diff = p[:, :, None] - p[:, None, :]
    s, i, j = np.nonzero(diff > margin_db)
    return s, i, j


def bilateration_loss(y: torch.Tensor, ap_xy: torch.Tensor, s: torch.Tensor, i: torch.Tensor, j: torch.Tensor
                      ) -> torch.Tensor:
    """Bilateration loss: the user is closer to the stronger AP, ``mean max(0, ||y - o_i|| - ||y - o_j||)``.

    Parameters
    ----------
    y : torch.Tensor, float [N, 2]
        Chart positions (m).
    ap_xy : torch.Tensor, float [B, 2]
        AP positions (m).
    s, i, j : torch.Tensor, int64 [P]
        Sample, stronger AP, weaker AP (``bilateration_pairs``).

    Returns
    -------
    torch.Tensor, scalar (m)
        0 (still attached to ``y``) when P = 0.
    """
    if len(s) == 0:
        return y.sum() * 0.0
    di = torch.linalg.norm(y[s] - ap_xy[i], dim=-1)
    dj = torch.linalg.norm(y[s] - ap_xy[j], dim=-1)
    return torch.relu(di - dj).mean()


def box_loss(y: torch.Tensor, boxes: torch.Tensor, s: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of chart positions outside their LOS boxes.

    Parameters
    ----------
    y : torch.Tensor, float [N, 2]
        Chart positions (m).
    boxes : torch.Tensor, float [B, 4]
        Box of each AP: x0, x1, y0, y1 (m).
    s, b : torch.Tensor, int64 [P]
        Sample and the AP whose box it should lie in.

    Returns
    -------
    torch.Tensor, scalar (m^2)
        0 (still attached to ``y``) when P = 0.
    """
    if len(s) == 0:
        return y.sum() * 0.0
    bx = boxes[b]
    dx = torch.relu(bx[:, 0] - y[s, 0]) + torch.relu(y[s, 0] - bx[:, 1])
    dy = torch.relu(bx[:, 2] - y[s, 1]) + torch.relu(y[s, 1] - bx[:, 3])
    return (dx ** 2 + dy ** 2).mean()
