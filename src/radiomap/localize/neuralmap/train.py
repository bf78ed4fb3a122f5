"""Training loop shared by the model-based map and the MLP baselines.

NMSE loss ``sum ||H - f(x)||_F^2 / sum ||H||_F^2`` per mini-batch, Adam, cosine learning-rate
decay, early stopping on a validation split carved (seeded) from the training set only, the
best validation state restored at the end. CPU or CUDA via ``device``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from radiomap.errors import DataError, ParameterError


@dataclass
class TrainResult:
    """What ``train_map`` measured.

    ``history``: per epoch ``{"epoch", "train_nmse_db", "val_nmse_db"}``; ``samples_per_s``: training
    throughput (forward + backward samples per second of wall time).
    """

    best_val_nmse_db: float
    epochs_run: int
    samples_per_s: float
    time_s: float
    history: list[dict] = field(default_factory=list)


def nmse_db(pred: torch.Tensor, true: torch.Tensor) -> float:
    """NMSE in dB, ``10 log10(sum |pred - true|^2 / sum |true|^2)`` over all entries."""
    num = (pred - true).abs().pow(2).sum()
    den = true.abs().pow(2).sum().clamp(min=1e-30)
    return float(10 * torch.log10(num / den))


@torch.no_grad()
def predict_map(model: nn.Module, positions: np.ndarray, *, batch_size: int = 4096,
                device: str | torch.device = "cpu") -> np.ndarray:
    """Evaluate a channel map on positions ``[N, 3]`` (metres) -> ``[N, N_a, N_s]`` complex64 (NumPy)."""
    model.eval()
    out = []
    for i in range(0, len(positions), batch_size):
        x = torch.as_tensor(positions[i:i + batch_size], dtype=torch.float32, device=device)
        out.append(model(x).cpu().numpy())
    return np.concatenate(out).astype(np.complex64)


def _param_groups(model: nn.Module, lr: float) -> list[dict]:
    groups = getattr(model, "param_groups", None)
    if callable(groups):
        return groups(lr)
    return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]


def train_map(model: nn.Module, positions: np.ndarray, csi: np.ndarray, *, epochs: int = 300,
              batch_size: int = 128, lr: float = 3e-3, val_fraction: float = 0.1, patience: int = 40,
              seed: int = 0, device: str | torch.device = "cpu", max_time_s: float | None = None,
              progress: bool = False, desc: str = "train") -> TrainResult:
    """Fit ``model`` to ``(positions, csi)`` pairs by minimising the NMSE.

    Input
    -----
    positions : [N, 3] float, metres; csi : [N, N_a, N_s] complex (any consistent scale)

    Output
    ------
    ``TrainResult``; ``model`` holds the parameters of the best validation epoch.
    """
    if positions.ndim != 2 or positions.shape[1] != 3 or len(positions) != len(csi):
        raise DataError(f"train_map: positions {positions.shape} and csi {csi.shape} do not match "
                        "([N, 3], [N, A, S])")
    if not np.all(np.isfinite(csi)) or not np.all(np.isfinite(positions)):
        raise DataError("train_map: NaN or Inf in positions or csi")
    if not 0.0 < val_fraction < 0.5:
        raise ParameterError(f"val_fraction={val_fraction}; expected in (0, 0.5)")
    dev = torch.device(device)
    model.to(dev)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(positions))
    n_val = max(1, int(round(val_fraction * len(positions))))
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    x_tr = torch.as_tensor(positions[tr_idx], dtype=torch.float32, device=dev)
    h_tr = torch.as_tensor(csi[tr_idx], dtype=torch.complex64, device=dev)
    x_va = torch.as_tensor(positions[val_idx], dtype=torch.float32, device=dev)
    h_va = torch.as_tensor(csi[val_idx], dtype=torch.complex64, device=dev)
    opt = torch.optim.Adam(_param_groups(model, lr))
    base_lrs = [g["lr"] for g in opt.param_groups]
    gen = torch.Generator(device="cpu").manual_seed(seed)
    best, best_state, bad, history = math.inf, None, 0, []
    n_seen, t0 = 0, time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        frac = epoch / max(1, epochs - 1)
        for g, b in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = b * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        order = torch.randperm(len(tr_idx), generator=gen).to(dev)
        num = den = 0.0
        for i in range(0, len(order), batch_size):
            sel = order[i:i + batch_size]
            pred, true = model(x_tr[sel]), h_tr[sel]
            err = (pred - true).abs().pow(2).sum()
            energy = true.abs().pow(2).sum()
            loss = err / energy
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            num, den = num + float(err.detach()), den + float(energy)
            n_seen += len(sel)
        model.eval()
        with torch.no_grad():
            val = nmse_db(model(x_va), h_va)
        train_db = 10 * math.log10(max(num, 1e-30) / max(den, 1e-30))
        history.append({"epoch": epoch, "train_nmse_db": train_db, "val_nmse_db": val})
        bar.set_postfix(train=f"{train_db:.1f}dB", val=f"{val:.1f}dB")
        if val < best - 1e-3:
            best, bad = val, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
        if bad >= patience or (max_time_s is not None and time.perf_counter() - t0 > max_time_s):
            break
    elapsed = time.perf_counter() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(best_val_nmse_db=float(best), epochs_run=len(history),
                       samples_per_s=n_seen / max(elapsed, 1e-9), time_s=elapsed, history=history)
