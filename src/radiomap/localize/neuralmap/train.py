"""NMSE training of location-to-channel maps on the shared engine (``radiomap.localize.training``).

Loss: per mini-batch ``sum ||H - f(x)||_F^2 / sum ||H||_F^2``; validation score: the NMSE in dB of the
held-out share (drawn, seeded, out of the training set only); Adam with cosine learning-rate decay to
2 % of ``lr``, early stopping when the validation NMSE has not improved by 1e-3 dB for ``patience``
epochs, the best validation state restored at the end. The model-based map's own parameter groups
(``model.param_groups(lr)``, a smaller step for the wave vectors) are used when the model has them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from radiomap.errors import DataError, ParameterError
from radiomap.localize.training import TrainConfig, TrainResult, predict_batched, train_model


def nmse_db(pred: torch.Tensor, true: torch.Tensor) -> float:
    """NMSE over all entries.

    Parameters
    ----------
    pred, true : torch.Tensor, complex [N, ...]
        Predicted and true channels (same units).

    Returns
    -------
    float
        ``10 log10(sum |pred - true|^2 / sum |true|^2)`` (dB).
    """
    num = (pred - true).abs().pow(2).sum()
    den = true.abs().pow(2).sum().clamp(min=1e-30)
    return float(10 * torch.log10(num / den))


def predict_map(model: nn.Module, positions: np.ndarray, *, batch_size: int = 4096,
                device: str | torch.device = "cpu") -> np.ndarray:
    """Evaluate a channel map on positions, in batches and without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        ``x [N, 3]`` float32 (m) -> ``[N, N_a, N_s]`` complex64; put on ``device`` by the caller.
    positions : ndarray, float [N, 3]
        Positions (m).
    batch_size : int
    device : str or torch.device

    Returns
    -------
    ndarray, complex64 [N, N_a, N_s]
        The map's channels (its training units).
    """
    model.eval()
    x = torch.as_tensor(np.asarray(positions), dtype=torch.float32)
    return predict_batched(model, [x], batch_size=batch_size, device=device).numpy().astype(np.complex64)


def _nmse_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    true = batch["h"]
    return (model(batch["x"]) - true).abs().pow(2).sum() / true.abs().pow(2).sum().clamp(min=1e-30)


def _val_nmse_db(model: nn.Module, batch: dict[str, torch.Tensor]) -> float:
    return nmse_db(model(batch["x"]), batch["h"])


def train_map(model: nn.Module, positions: np.ndarray, csi: np.ndarray, *, epochs: int = 300,
              batch_size: int = 128, lr: float = 3e-3, val_fraction: float = 0.1, patience: int = 40,
              seed: int = 0, device: str | torch.device = "cpu", max_time_s: float | None = None,
              progress: bool = False, desc: str = "train") -> TrainResult:
    """Fit ``model`` to ``(positions, csi)`` pairs by minimising the NMSE (``training.train_model``).

    Parameters
    ----------
    model : torch.nn.Module
        ``x [N, 3]`` float32 (m) -> ``[N, N_a, N_s]`` complex64; trained in place.
    positions : ndarray, float [N, 3]
        Training positions (m).
    csi : ndarray, complex [N, N_a, N_s]
        Their channels (any consistent scale).
    epochs, batch_size, lr, val_fraction, patience : training (``val_fraction`` in (0, 0.5)).
    seed : int
        Seeds the validation split and the batch order.
    device : str or torch.device
    max_time_s : float or None
        Wall-clock budget (s).
    progress : bool
    desc : str
        Progress-bar label.

    Returns
    -------
    TrainResult
        ``best_val`` and the history's ``val`` are validation NMSE in dB, ``train`` the mean per-batch
        linear NMSE; ``model`` holds the parameters of the best validation epoch, in eval mode.
    """
    if positions.ndim != 2 or positions.shape[1] != 3 or len(positions) != len(csi):
        raise DataError(f"train_map: positions {positions.shape} and csi {csi.shape} do not match "
                        "([N, 3], [N, A, S])")
    if not np.all(np.isfinite(csi)) or not np.all(np.isfinite(positions)):
        raise DataError("train_map: NaN or Inf in positions or csi")
    if not 0.0 < val_fraction < 0.5:
        raise ParameterError(f"val_fraction={val_fraction}; expected in (0, 0.5)")
    data = {"x": torch.as_tensor(np.asarray(positions), dtype=torch.float32),
            "h": torch.as_tensor(np.asarray(csi), dtype=torch.complex64)}
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, schedule="cosine", cosine_floor=0.02,
                      patience=patience, min_delta=1e-3, val_fraction=val_fraction, max_time_s=max_time_s)
    groups = model.param_groups(lr) if callable(getattr(model, "param_groups", None)) else None
    return train_model(model, _nmse_loss, data, cfg, seed=seed, device=device, val_fn=_val_nmse_db,
                       param_groups=groups, progress=progress, desc=desc)
