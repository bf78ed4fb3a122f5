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

from typing import Any

import numpy as np
import torch

from radiomap.errors import NotFittedError
from radiomap.localize.base import LOCALIZERS
from radiomap.localize.loanet.config import override
from radiomap.localize.loanet.detr import build_maskdetr
from radiomap.localize.loanet.direction import DirectionClassifier
from radiomap.localize.loanet.inputs import tbf_features
from radiomap.localize.loanet.regressor import TorchTBFRegressor
from radiomap.params import Options, Param


@LOCALIZERS.register("loanet")
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

    name = "loanet"
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
        the seed) and direction classes ``[N]``."""
        cfg = override(self.preset_.train_tdc, epochs=epochs, max_time_s=max_time_s)
        self.tdc_ = DirectionClassifier(self.preset_.tdc, cfg, seed=self.seed, device=self.device,
                                        progress=self.progress).fit(x_d, xyz, classes)
        return self

    def predict_direction(self, ds, xyz: np.ndarray | None = None) -> np.ndarray:
        """Direction classes ``int64 [N]`` of ``ds``; coordinates from MaskDETR-Reg unless given."""
        if not hasattr(self, "tdc_"):
            raise NotFittedError("loanet: the direction head is not fitted; call fit_direction() first")
        x_d = tbf_features(ds)["x_d"]
        if xyz is None:
            xyz = self.predict(ds)
        return self.tdc_.predict(x_d, xyz)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super()._get_state()
        if hasattr(self, "tdc_"):
            t = self.tdc_
            arrays.update({f"tdc.{k}": v.detach().cpu().numpy() for k, v in t.model_.state_dict().items()})
            arrays.update(t.norm_arrays("tdc_"))
            meta["tdc"] = {"n_doppler": t.n_doppler_}
        return arrays, meta

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        super()._set_state(arrays, meta)
        if "tdc" in meta:
            from radiomap.localize.loanet.fusion_tdc import build_tdc

            t = DirectionClassifier(self.preset_.tdc, self.preset_.train_tdc, seed=self.seed)
            t.n_doppler_ = int(meta["tdc"]["n_doppler"])
            t.set_norm_arrays(arrays, "tdc_")
            t.model_ = build_tdc(t.cfg, t.n_doppler_)
            t.model_.load_state_dict({k[4:]: torch.from_numpy(np.array(v)) for k, v in arrays.items()
                                      if k.startswith("tdc.")})
            t.model_.eval()
            self.tdc_ = t
