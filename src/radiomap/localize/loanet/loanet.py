"""LOA-Net localizer (registered as ``loanet``): MaskDETR-Reg for position, optionally Fusion-TDC
for the motion direction.

Example
-------
>>> net = LOANet(backbone="de", preset="cpu").fit(train)      # doctest: +SKIP
>>> xyz = net.predict(test)                                  # doctest: +SKIP
>>> net.fit_direction(x_d, xyz_true, classes)                # doctest: +SKIP
>>> net.predict_direction(test)                              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from radiomap.errors import NotFittedError
from radiomap.localize.loanet.config import override
from radiomap.localize.loanet.detr import build_maskdetr
from radiomap.localize.loanet.direction import DirectionClassifier
from radiomap.localize.loanet.fusion_tdc import build_tdc
from radiomap.localize.loanet.inputs import tbf_features
from radiomap.localize.loanet.regressor import TorchTBFRegressor
from radiomap.params import Options, Param


class LOANet(TorchTBFRegressor):
    """MaskDETR-Reg (``backbone`` ``"de"`` or ``"ec"``) on the angle-delay image ``X_AD`` and mask ``M``.

    Parameters
    ----------
    backbone : {"de", "ec"}
        Dual-embedding or early-concat backbone.
    preset : {"cpu", "paper"}
        Hyper-parameter preset (``config.PRESETS``); ``epochs`` .. ``patience`` override training.
    Other parameters: see :class:`~radiomap.localize.loanet.regressor.TorchTBFRegressor`.
    """

    uses_mask = True
    param_spec = {"backbone": Param(Options("de", "ec"), "MaskDETR backbone: dual embedding or early concat"),
                  **TorchTBFRegressor.param_spec}

    def __init__(self, backbone: str = "de", preset: str = "cpu", *, epochs: int | None = None,
                 batch_size: int | None = None, lr: float | None = None, patience: int | None = None,
                 max_time_s: float | None = None, n_taps: int | None = None, eta: float | None = None,
                 seed: int = 0, device: str = "cpu", checkpoint_dir: str | None = None, resume: bool = True,
                 progress: bool = False):
        super().__init__(preset, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience,
                         max_time_s=max_time_s, n_taps=n_taps, eta=eta, seed=seed, device=device,
                         checkpoint_dir=checkpoint_dir, resume=resume, progress=progress)
        self.backbone = backbone

    def _build(self, n_beams: int, n_taps: int) -> torch.nn.Module:
        return build_maskdetr(self.preset_.detr(self.backbone), n_beams, n_taps)

    def _forward(self, model, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return model(x, m)

    # -- direction (Fusion-TDC) ----------------------------------------------------------------
    def fit_direction(self, x_d: np.ndarray, xyz: np.ndarray, classes: np.ndarray, *,
                      epochs: int | None = None, max_time_s: float | None = None) -> LOANet:
        """Train Fusion-TDC on Doppler profiles ``[N, T]``, coordinates ``[N, 3]`` (true ones, as in
        the seed) and direction classes ``[N]``; learned as ``tdc_model_``, ``tdc_stats_``."""
        cfg = override(self.preset_.train_tdc, epochs=epochs, max_time_s=max_time_s)
        tdc = DirectionClassifier(self.preset_.tdc, cfg, seed=self.seed, device=self.device,
                                  progress=self.progress).fit(x_d, xyz, classes)
        self.tdc_model_ = tdc.model_
        self.tdc_stats_ = {k: getattr(tdc, k) for k in _TDC_STATS}
        self.fit_info_.training["direction"] = asdict(tdc.train_result_)
        return self

    def direction_classifier(self) -> DirectionClassifier:
        """The fitted Fusion-TDC (``predict(x_d, xyz)``, ``predict_proba``, ``model_``)."""
        if not hasattr(self, "tdc_model_"):
            raise NotFittedError("loanet: the direction head is not fitted; call fit_direction() first")
        tdc = DirectionClassifier(self.preset_.tdc, self.preset_.train_tdc, seed=self.seed, device=self.device)
        tdc.model_ = self.tdc_model_
        for k in _TDC_STATS:
            setattr(tdc, k, self.tdc_stats_[k])
        return tdc

    def predict_direction(self, ds, xyz: np.ndarray | None = None) -> np.ndarray:
        """Direction classes ``int64 [N]`` of ``ds``; coordinates from MaskDETR-Reg unless given."""
        tdc = self.direction_classifier()
        x_d = tbf_features(ds)["x_d"]
        if xyz is None:
            xyz = self.predict(ds)
        return tdc.predict(x_d, xyz)

    def _build_module(self, name: str) -> torch.nn.Module:
        if name == "tdc_model_":
            return build_tdc(self.preset_.tdc, self.tdc_stats_["n_doppler_"])
        return super()._build_module(name)


_TDC_STATS = ("mean_", "std_", "d_mean_", "d_std_", "n_doppler_")
"""Fitted normalisation of the Fusion-TDC inputs, kept by ``LOANet`` with the network."""
