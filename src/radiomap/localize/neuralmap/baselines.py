"""Fingerprint baselines of seeds 001/003 on raw CSI: nearest neighbour and WKNN.

The dictionary is the training set itself (``[N, B N_a K]`` complex64 channels + positions); its
size in bytes is what the model-based map is compared with. Similarities between a query ``h``
and an entry ``g`` (both flattened):
- phase-insensitive (``nn-pi``): ``|h^H g| / (||h|| ||g||)``, i.e. the least
  ``d_PI = sqrt(2 - 2 |h^H g| / (||h|| ||g||))``;
- cosine (``nn-cosine``): ``Re(h^H g) / (||h|| ||g||)`` (phase-sensitive);
- ``wknn-csi``: the ``k`` entries of least ``d_PI``, positions averaged with weights ``1 / (d_PI + eps)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from radiomap.errors import ParameterError
from radiomap.localize.base import Localizer
from radiomap.localize.neuralmap.localizer import csi_matrix
from radiomap.params import Interval, Param

if TYPE_CHECKING:
    from radiomap.data import CSIDataset


def _unit_rows(h: np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(h.reshape(len(h), -1), dtype=torch.complex64)
    return t / t.norm(dim=1, keepdim=True).clamp(min=1e-30)


class _CSIFingerprint(Localizer):
    """Shared dictionary handling; subclasses choose the similarity and the estimator."""

    supervised = True
    phase_insensitive = True
    param_spec = {"query_batch": Param(Interval(int, 1, None), "queries compared with the dictionary at once")}

    def __init__(self, *, k: int = 1, query_batch: int = 1024):
        self.k = k
        self.query_batch = query_batch

    @property
    def dictionary_bytes_(self) -> int:
        """Bytes of the stored dictionary: complex64 channels + float64 positions."""
        return int(self.csi_.nbytes + self.positions_.nbytes)

    def _fit(self, train: CSIDataset) -> None:
        if self.k > train.n_samples:
            raise ParameterError(f"{self.name}: k={self.k} exceeds the {train.n_samples} training samples")
        self.csi_ = csi_matrix(train).reshape(train.n_samples, -1)
        self.positions_ = np.asarray(train.positions, dtype=np.float64)

    def similarity(self, q: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        """Similarity of queries and dictionary entries.

        Parameters
        ----------
        q : torch.Tensor, complex64 [Q, M]
            Unit-norm query rows.
        d : torch.Tensor, complex64 [N, M]
            Unit-norm dictionary rows.

        Returns
        -------
        torch.Tensor, float32 [Q, N]
            In [-1, 1] (``|q^H d|`` or ``Re(q^H d)``).
        """
        cross = q.conj() @ d.T
        return cross.abs() if self.phase_insensitive else cross.real

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        d = _unit_rows(self.csi_)
        q_all = csi_matrix(ds).reshape(ds.n_samples, -1)
        k = min(self.k, len(d))
        out = []
        for i in range(0, len(q_all), self.query_batch):
            sim = self.similarity(_unit_rows(q_all[i:i + self.query_batch]), d)
            val, idx = sim.topk(k, dim=1)
            pos = torch.as_tensor(self.positions_)[idx]  # [Q, k, 3]
            if k == 1:
                out.append(pos[:, 0].numpy())
                continue
            dist = torch.sqrt((2 - 2 * val.double()).clamp(min=0))
            w = 1.0 / (dist + 1e-6)
            out.append(((w[..., None] * pos).sum(1) / w.sum(1, keepdim=True)).numpy())
        return np.concatenate(out) if out else np.zeros((0, 3))



class PhaseInsensitiveNN(_CSIFingerprint):
    """Nearest neighbour with the phase-insensitive similarity ``|h^H g| / (||h|| ||g||)`` (``nn-pi``).

    Parameters
    ----------
    query_batch : int
        Queries compared with the dictionary at once.

    Attributes
    ----------
    csi_ : ndarray, complex64 [N, B N_a K]
        The dictionary (training CSI, flattened).
    positions_ : ndarray, float64 [N, 3]
        Its positions (m).
    """

    phase_insensitive = True

    def __init__(self, *, query_batch: int = 1024):
        super().__init__(k=1, query_batch=query_batch)


class CosineNN(_CSIFingerprint):
    """Nearest neighbour with the cosine similarity ``Re(h^H g) / (||h|| ||g||)`` (``nn-cosine``).

    Parameters
    ----------
    query_batch : int
        Queries compared with the dictionary at once.
    """

    phase_insensitive = False

    def __init__(self, *, query_batch: int = 1024):
        super().__init__(k=1, query_batch=query_batch)


class ChannelWKNN(_CSIFingerprint):
    """Weighted k-nearest neighbours on the phase-insensitive distance, weights ``1 / d_PI`` (``wknn-csi``).

    Parameters
    ----------
    k : int
        Neighbours averaged.
    query_batch : int
        Queries compared with the dictionary at once.
    """

    phase_insensitive = True
    param_spec = {"k": Param(Interval(int, 1, None), "neighbours averaged"), **_CSIFingerprint.param_spec}

    def __init__(self, *, k: int = 4, query_batch: int = 1024):
        super().__init__(k=k, query_batch=query_batch)
