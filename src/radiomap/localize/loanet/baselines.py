"""Baselines of seed 002 on the same fingerprints: WKNN on the TBF (``wknn-tbf``), 2-D CNN
(``cnn2d``) and 3-D CNN (``cnn3d``) regressors. The continuous-CSI orientation baseline is
:func:`radiomap.localize.loanet.direction.continuous_csi_direction`."""

from __future__ import annotations

import numpy as np
import torch

from radiomap.errors import ParameterError
from radiomap.localize.base import Localizer
from radiomap.localize.loanet.cnn import CNN2DNet, CNN3DNet
from radiomap.localize.loanet.inputs import TBF, tbf_features
from radiomap.localize.loanet.regressor import TorchTBFRegressor
from radiomap.params import AnyOf, Interval, NoneValue, Options, Param


class TBFWKNN(Localizer):
    """Weighted k-nearest neighbours, Euclidean distance between peak-normalised angle-delay TBF
    images ``X_AD`` (the Doppler axis aggregated, as for the networks; ``scale`` as the networks'
    input, default dB with a 40 dB floor); weights ``1 / (d + eps)``.

    Distances are computed in blocks as ``|a|^2 + |b|^2 - 2 a.b`` (one matrix product per block).
    """

    param_spec = {
        "k": Param(Interval(int, 1, None), "neighbours averaged"),
        "tbf": TBF,
        "n_taps": Param(AnyOf(NoneValue("all stored"), Interval(int, 1, None)), "delay taps kept in X_AD"),
        "scale": Param(Options("db", "linear"), "image scale of X_AD"),
        "floor_db": Param(Interval(float, 0, None, closed="neither"), "dynamic range kept in dB"),
        "eps": Param(Interval(float, 0, None, closed="neither"), "regulariser of the weights 1 / (d + eps)"),
    }

    def __init__(self, k: int = 4, *, tbf: str = "auto", n_taps: int | None = None, scale: str = "db",
                 floor_db: float = 40.0, eps: float = 1e-9):
        self.k = k
        self.tbf = tbf
        self.n_taps = n_taps
        self.scale = scale
        self.floor_db = floor_db
        self.eps = eps

    def _fit(self, train) -> None:
        if self.k > train.n_samples:
            raise ParameterError(f"wknn-tbf: k={self.k} exceeds the {train.n_samples} training samples")
        x = tbf_features(train, self.tbf, n_taps=self.n_taps, scale=self.scale, floor_db=self.floor_db)["x_ad"]
        self.n_taps_ = int(x.shape[-1])
        self.db_ = x.reshape(len(x), -1).astype(np.float32)
        self.pos_ = np.asarray(train.positions, dtype=np.float64)

    def _predict(self, ds) -> np.ndarray:
        q = tbf_features(ds, self.tbf, n_taps=self.n_taps_, scale=self.scale, floor_db=self.floor_db)["x_ad"]
        q = q.reshape(ds.n_samples, -1).astype(np.float32)
        k = min(self.k, len(self.db_))
        db2 = (self.db_ ** 2).sum(1)
        out = np.empty((len(q), 3))
        for s in range(0, len(q), 1024):
            b = q[s:s + 1024]
            d2 = np.maximum((b ** 2).sum(1)[:, None] + db2[None] - 2.0 * b @ self.db_.T, 0.0)
            idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
            w = 1.0 / (np.sqrt(np.take_along_axis(d2, idx, 1)) + self.eps)
            out[s:s + 1024] = (w[..., None] * self.pos_[idx]).sum(1) / w.sum(1, keepdims=True)
        return out



class CNN2D(TorchTBFRegressor):
    """2-D CNN regressor on ``X_AD`` as a one-channel ``[A, G]`` image."""


    def _build(self, n_beams: int, n_taps: int) -> torch.nn.Module:
        return CNN2DNet(self.preset_.cnn)


class CNN3D(TorchTBFRegressor):
    """3-D CNN regressor on ``X_AD`` as a ``[n_h, n_v, G]`` volume (UPA shape from the scene)."""


    def _build(self, n_beams: int, n_taps: int) -> torch.nn.Module:
        n_h, n_v = getattr(self, "array_shape_", (n_beams, 1))
        if n_h * n_v != n_beams:
            raise ParameterError(f"cnn3d: array {n_h}x{n_v} does not match {n_beams} angle beams")
        return CNN3DNet(self.preset_.cnn, n_h, n_v)
