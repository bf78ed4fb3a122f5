"""Shared machinery of the torch regressors on angle-delay images (MaskDETR-Reg, 2-D/3-D CNN):
coordinate normalisation, training through :func:`training.train_model`, batched prediction and
safetensors persistence."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import asdict

import numpy as np
import torch
from torch.nn import functional as F

from radiomap.localize.base import PROGRESS, SEED, TORCH_DEVICE, Localizer
from radiomap.localize.loanet.complexity import count_flops, count_params
from radiomap.localize.loanet.config import PRESETS, get_preset, override
from radiomap.localize.loanet.inputs import TBF, tbf_features
from radiomap.localize.training import predict_batched, seeded_init, train_model
from radiomap.params import AnyOf, Boolean, Interval, NoneValue, Options, Param, Pattern


class TorchTBFRegressor(Localizer):
    """Base class: subclasses implement ``_build(n_beams, n_taps) -> nn.Module`` and
    ``_forward(model, x, m) -> [B, 3]``. Hyper-parameters live in the preset plus overrides."""

    supervised = True
    uses_mask = False
    param_spec = {
        "preset": Param(Options(*PRESETS), "hyper-parameter preset (config.PRESETS); the options below override it"),
        "epochs": Param(AnyOf(NoneValue("preset"), Interval(int, 1, None)), "training epochs"),
        "batch_size": Param(AnyOf(NoneValue("preset"), Interval(int, 1, None)), "mini-batch size"),
        "lr": Param(AnyOf(NoneValue("preset"), Interval(float, 0, None, closed="neither")), "learning rate"),
        "patience": Param(AnyOf(NoneValue("preset"), Interval(int, 1, None)), "early-stopping patience (epochs)"),
        "max_time_s": Param(AnyOf(NoneValue("no budget"), Interval(float, 0, None, closed="neither")),
                            "wall-clock training budget (s)"),
        "tbf": TBF,
        "n_taps": Param(AnyOf(NoneValue("preset"), Interval(int, 1, None)), "delay taps kept in X_AD"),
        "eta": Param(AnyOf(NoneValue("preset"), Interval(float, 0, 1)), "mask threshold on the peak-normalised X_AD"),
        "seed": SEED,
        "device": Param(TORCH_DEVICE, "torch device"),
        "checkpoint_dir": Param(AnyOf(NoneValue("no checkpoints"), Pattern(r".+", "a folder path")),
                                "checkpoint folder (written every epoch)"),
        "resume": Param(Boolean(), "continue from the checkpoint in checkpoint_dir"),
        "progress": PROGRESS,
    }

    def __init__(self, preset: str = "cpu", *, epochs: int | None = None, batch_size: int | None = None,
                 lr: float | None = None, patience: int | None = None, max_time_s: float | None = None,
                 tbf: str = "auto", n_taps: int | None = None, eta: float | None = None, seed: int = 0,
                 device: str = "cpu", checkpoint_dir: str | None = None, resume: bool = True,
                 progress: bool = False):
        self.preset = preset
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.max_time_s = max_time_s
        self.tbf = tbf
        self.n_taps = n_taps
        self.eta = eta
        self.seed = seed
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress

    # -- hooks for subclasses ---------------------------------------------------------------
    @abstractmethod
    def _build(self, n_beams: int, n_taps: int) -> torch.nn.Module:
        """The untrained network for ``[n_beams, n_taps]`` inputs."""

    def _forward(self, model, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return model(x)

    # -- helpers -----------------------------------------------------------------------------
    @property
    def preset_(self):
        return get_preset(self.preset)

    def _train_config(self):
        return override(self.preset_.train_reg, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                        patience=self.patience, max_time_s=self.max_time_s)

    def _inputs(self, ds) -> tuple[torch.Tensor, torch.Tensor]:
        n_taps = self.n_taps_ if hasattr(self, "n_taps_") else (self.n_taps or self.preset_.n_taps)
        p = self.preset_
        f = tbf_features(ds, self.tbf, n_taps=n_taps, eta=self.eta if self.eta is not None else p.eta,
                         scale=p.input_scale, floor_db=p.floor_db)
        return torch.from_numpy(f["x_ad"]), torch.from_numpy(f["mask"])

    def _fit(self, train) -> None:
        x, m = self._inputs(train)
        self.n_beams_, self.n_taps_ = int(x.shape[1]), int(x.shape[2])
        if hasattr(train, "scene") and train.scene is not None:
            self._scene_info(train.scene)
        pos = np.asarray(train.positions, dtype=np.float64)
        self.mean_ = pos.mean(0)
        self.std_ = np.maximum(pos.std(0), 1e-3)
        y = torch.from_numpy(((pos - self.mean_) / self.std_).astype(np.float32))
        with seeded_init(self.seed):
            self.model_ = self._build(self.n_beams_, self.n_taps_)
        fwd = self._forward

        def loss_fn(model, b):
            return F.mse_loss(fwd(model, b["x"], b["m"]), b["y"])

        result = train_model(self.model_, loss_fn, {"x": x, "m": m, "y": y}, self._train_config(),
                             seed=self.seed, device=self.device, checkpoint_dir=self.checkpoint_dir,
                             resume=self.resume, progress=self.progress, desc=self.name)
        self.fit_info_.training["regressor"] = asdict(result)
        self.fit_info_.iterations, self.fit_info_.stopped = result.epochs_run, result.stopped
        self.fit_info_.objective = [h["val"] for h in result.history]

    def _scene_info(self, scene) -> None:
        from radiomap.features.beamspace import array_shape

        self.array_shape_ = array_shape(scene.aps[0].array)

    def predict_normalised(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """Model output ``[N, 3]`` in the normalised coordinate frame."""
        self.model_.eval()
        return predict_batched(lambda a, b: self._forward(self.model_, a, b), [x, m], device=self.device)

    def _predict(self, ds) -> np.ndarray:
        x, m = self._inputs(ds)
        out = self.predict_normalised(x, m).numpy().astype(np.float64)
        return out * self.std_ + self.mean_

    def network_cost(self, ds) -> dict[str, float]:
        """Forward cost of the trained network on the inputs of ``ds``'s first two samples.

        Returns
        -------
        dict[str, float]
            ``{"MFLOPs": forward MFLOPs per sample, "params (M)": trainable parameters (millions)}``.
        """
        self.check_fitted()
        x, m = self._inputs(ds.subset(np.arange(min(2, ds.n_samples))))
        model = self.model_.cpu()
        flops = count_flops(model, *((x, m) if self.uses_mask else (x,)))
        return {"MFLOPs": flops / 1e6, "params (M)": count_params(model) / 1e6}

    def _build_module(self, name: str) -> torch.nn.Module:
        return self._build(self.n_beams_, self.n_taps_)
