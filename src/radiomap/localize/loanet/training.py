"""Training loop shared by MaskDETR-Reg, Fusion-TDC and the CNN baselines.

Adam/AdamW, adaptive learning rate (reduce on validation plateau), early stopping, an explicit L2
penalty (eq. 31), checkpoints as safetensors + JSON after every epoch, and resume from them.
The loop is a plain function with explicit arguments; models and losses come from the caller.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from radiomap.atomic import atomic_dir
from radiomap.errors import DataError
from radiomap.localize.loanet.config import TrainConfig

LossFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], torch.Tensor]

_CKPT_JSON, _CKPT_MODEL = "checkpoint.json", "model.safetensors"
_CKPT_OPT, _CKPT_BEST = "optim.safetensors", "best.safetensors"


def l2_penalty(model: torch.nn.Module) -> torch.Tensor:
    """``sum ||theta||^2`` over weight matrices / kernels (biases and norms excluded)."""
    return sum((p.pow(2).sum() for n, p in model.named_parameters() if p.ndim > 1), torch.zeros(()))


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}


def save_checkpoint(directory: Path, model, optimizer, scheduler, info: dict, best: dict | None) -> None:
    """Write model, optimiser (tensors) and loop state (JSON) as one atomic checkpoint folder ``directory``
    (replacing the previous checkpoint; a foreign folder there is refused, see ``radiomap.atomic``)."""
    sd = optimizer.state_dict()
    opt_tensors, opt_scalars = {}, {}
    for i, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                opt_tensors[f"{i}.{k}"] = v.detach().cpu().contiguous()
            else:
                opt_scalars[f"{i}.{k}"] = v
    sched = {k: v for k, v in scheduler.state_dict().items() if isinstance(v, (int, float, str, list))}
    meta = dict(info, param_groups=sd["param_groups"], opt_scalars=opt_scalars, scheduler=sched)
    with atomic_dir(directory, kind="checkpoint", overwrite=True, what="checkpoint folder") as tmp:
        save_file(_state(model), str(tmp / _CKPT_MODEL))
        save_file(opt_tensors, str(tmp / _CKPT_OPT))
        if best is not None:
            save_file(best, str(tmp / _CKPT_BEST))
        (tmp / _CKPT_JSON).write_text(json.dumps(meta, default=float))


def load_checkpoint(directory: Path, model, optimizer, scheduler) -> tuple[dict, dict | None]:
    """Restore what :func:`save_checkpoint` wrote; returns (loop info, best weights or None)."""
    try:
        meta = json.loads((directory / _CKPT_JSON).read_text())
        model.load_state_dict(load_file(str(directory / _CKPT_MODEL)))
        opt_t = load_file(str(directory / _CKPT_OPT))
    except Exception as exc:
        raise DataError(f"{directory}: cannot resume from checkpoint: {exc}") from exc
    state: dict[int, dict] = {}
    for key, v in list(opt_t.items()) + list(meta["opt_scalars"].items()):
        i, k = key.split(".", 1)
        state.setdefault(int(i), {})[k] = v
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    sched = scheduler.state_dict()
    sched.update(meta["scheduler"])
    scheduler.load_state_dict(sched)
    best = load_file(str(directory / _CKPT_BEST)) if (directory / _CKPT_BEST).is_file() else None
    return meta, best


def train_model(
    model: torch.nn.Module,
    loss_fn: LossFn,
    data: dict[str, torch.Tensor],
    cfg: TrainConfig,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = True,
    progress: bool = False,
    desc: str = "train",
) -> dict:
    """Train ``model`` in place on ``data`` and keep the weights of the best validation epoch.

    Input: ``data`` dict of tensors with a common first dimension ``N`` (inputs and targets);
    ``loss_fn(model, batch)`` returns the mean data loss of a batch (the L2 term is added here).
    A seeded ``val_fraction`` of the samples is held out for the LR schedule and early stopping
    (none when ``N < 10``: the training loss is monitored instead).
    Output: dict ``history`` (per-epoch train / val loss, lr), ``best_epoch``, ``epochs_run``,
    ``stopped`` (reason), ``train_time_s``, ``samples_per_s``.
    With ``checkpoint_dir``, the loop state is saved after every epoch and, with ``resume``, a
    previous run in that directory continues where it stopped.
    """
    n = next(iter(data.values())).shape[0]
    if any(v.shape[0] != n for v in data.values()):
        raise DataError("train_model: tensors in data have different first dimensions")
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen)
    n_val = int(round(cfg.val_fraction * n)) if n >= 10 else 0
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    device = torch.device(device)
    model.to(device)
    opt_cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    optimizer = opt_cls(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=cfg.lr_factor,
                                                           patience=cfg.lr_patience, min_lr=cfg.min_lr)
    info = {"epoch": -1, "best_val": math.inf, "best_epoch": -1, "bad_epochs": 0, "history": [],
            "config": asdict(cfg), "seed": seed, "n_train": int(len(tr_idx)), "n_val": int(n_val)}
    best = None
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt is not None and resume and (ckpt / _CKPT_JSON).is_file():
        meta, best = load_checkpoint(ckpt, model, optimizer, scheduler)
        info.update({k: meta[k] for k in ("epoch", "best_val", "best_epoch", "bad_epochs", "history")})
        model.to(device)
    t0 = time.perf_counter()
    trained = 0
    stopped = "max_epochs"
    bar = tqdm(range(info["epoch"] + 1, cfg.epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        if info["bad_epochs"] >= cfg.patience:
            stopped = "early_stopping"
            break
        model.train()
        g = torch.Generator().manual_seed(seed * 100003 + epoch)
        order = tr_idx[torch.randperm(len(tr_idx), generator=g)]
        total = 0.0
        for s in range(0, len(order), cfg.batch_size):
            idx = order[s:s + cfg.batch_size]
            batch = {k: v[idx].to(device) for k, v in data.items()}
            loss = loss_fn(model, batch)
            obj = loss + cfg.l2 * l2_penalty(model).to(device) if cfg.l2 > 0 else loss
            optimizer.zero_grad(set_to_none=True)
            obj.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            trained += len(idx)
        train_loss = total / max(len(order), 1)
        val_loss = (evaluate_loss(model, loss_fn, data, val_idx, cfg.batch_size * 4, device)
                    if n_val else train_loss)
        scheduler.step(val_loss)
        lr = optimizer.param_groups[0]["lr"]
        info["history"].append({"epoch": epoch, "train": train_loss, "val": val_loss, "lr": lr})
        info["epoch"] = epoch
        if val_loss < info["best_val"] - 1e-12:
            info.update(best_val=val_loss, best_epoch=epoch, bad_epochs=0)
            best = _state(model)
        else:
            info["bad_epochs"] += 1
        bar.set_postfix(train=f"{train_loss:.4g}", val=f"{val_loss:.4g}", lr=f"{lr:.1e}")
        if ckpt is not None:
            save_checkpoint(ckpt, model, optimizer, scheduler, info, best)
        if cfg.max_time_s is not None and time.perf_counter() - t0 > cfg.max_time_s:
            stopped = "time_budget"
            break
    else:
        if info["bad_epochs"] >= cfg.patience:
            stopped = "early_stopping"
    elapsed = time.perf_counter() - t0
    if best is not None:
        model.load_state_dict(best)
    model.eval()
    return {"history": info["history"], "best_epoch": info["best_epoch"], "best_val": info["best_val"],
            "epochs_run": len(info["history"]), "stopped": stopped, "train_time_s": elapsed,
            "samples_per_s": trained / elapsed if elapsed > 0 else float("nan"),
            "n_train": int(len(tr_idx)), "n_val": int(n_val)}


@torch.no_grad()
def evaluate_loss(model, loss_fn: LossFn, data: dict[str, torch.Tensor], idx: torch.Tensor, batch_size: int,
                  device) -> float:
    """Mean ``loss_fn`` over the samples ``idx`` in eval mode."""
    model.eval()
    total = 0.0
    for s in range(0, len(idx), batch_size):
        b = idx[s:s + batch_size]
        total += float(loss_fn(model, {k: v[b].to(device) for k, v in data.items()})) * len(b)
    return total / max(len(idx), 1)


@torch.no_grad()
def predict_batched(fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], batch_size: int = 256,
                    device="cpu") -> torch.Tensor:
    """``fn(*batch)`` over the first dimension in batches, concatenated on the CPU."""
    n = inputs[0].shape[0]
    outs = [fn(*(x[s:s + batch_size].to(device) for x in inputs)).cpu() for s in range(0, n, batch_size)]
    return torch.cat(outs) if outs else torch.zeros(0)
