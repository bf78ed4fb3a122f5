"""LOA-Net localizer (registered as ``loanet``): MaskDETR-Reg for position. The motion direction
is its own estimator, ``fusion-tdc`` (:class:`~radiomap.localize.loanet.direction.FusionTDCDirection`).

Example
-------
>>> net = LOANet(backbone="de", preset="cpu").fit(train)                     # doctest: +SKIP
>>> xyz = net.predict(test)                                                 # doctest: +SKIP
>>> tdc = FusionTDCDirection(preset="cpu").fit(train)                        # doctest: +SKIP
>>> classes = tdc.predict(test, coordinates=xyz)                            # doctest: +SKIP
"""

from __future__ import annotations

import torch

from radiomap.localize.loanet.detr import build_maskdetr
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
                 max_time_s: float | None = None, tbf: str = "auto", n_taps: int | None = None,
                 eta: float | None = None, seed: int = 0, device: str = "cpu", checkpoint_dir: str | None = None,
                 resume: bool = True, progress: bool = False):
        super().__init__(preset, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience,
                         max_time_s=max_time_s, tbf=tbf, n_taps=n_taps, eta=eta, seed=seed, device=device,
                         checkpoint_dir=checkpoint_dir, resume=resume, progress=progress)
        self.backbone = backbone

    def _build(self, n_beams: int, n_taps: int) -> torch.nn.Module:
        return build_maskdetr(self.preset_.detr(self.backbone), n_beams, n_taps)

    def _forward(self, model, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return model(x, m)
