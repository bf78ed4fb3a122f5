"""The one training engine of the torch localizers (as DETR's ``engine.py``).

``train_model`` runs Adam/AdamW over mini-batches (or the full batch) with a learning-rate
schedule (reduce on validation plateau, cosine with a floor, or constant), an optional explicit
L2 penalty, early stopping on a held-out validation share, a wall-clock budget, checkpoints as
safetensors + JSON after every epoch with resume, and a progress bar; it keeps the weights of
the best validation epoch. Randomness comes only from ``torch.Generator`` objects seeded from
``seed``; :func:`seeded_init` seeds weight initialisation without touching the caller's global
torch state, and :func:`torch_threads` sets the thread count for a block and restores it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from radiomap.atomic import atomic_dir
from radiomap.errors import DataError, ParameterError

LossFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], torch.Tensor]
"""``loss_fn(model, batch) -> mean loss`` of one batch (a dict of tensors sharing the first axis)."""
ValFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], float]
"""``val_fn(model, validation set) -> score`` (lower is better); default: the mean loss."""

SCHEDULES = ("plateau", "cosine", "constant")
_CKPT_JSON, _CKPT_MODEL = "checkpoint.json", "model.safetensors"
_CKPT_OPT, _CKPT_BEST = "optim.safetensors", "best.safetensors"


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule, stopping rules of one training run.

    Mini-batches are drawn in a seeded random order each epoch; a full batch (``batch_size=None``)
    keeps the samples in their original order, so a loss may refer to samples by index.

    Parameters
    ----------
    epochs : int
        Maximum epochs (>= 1).
    batch_size : int or None
        Mini-batch size; None for full-batch steps.
    lr : float
        Learning rate (> 0).
    optimizer : str
        ``"adam"`` or ``"adamw"``.
    weight_decay : float
        The optimiser's weight decay.
    l2 : float
        Explicit penalty ``l2 * sum ||W||^2`` over weight matrices (biases and norms excluded).
    schedule : str
        ``"plateau"`` (x ``lr_factor`` after ``lr_patience`` epochs without validation gain, down
        to ``min_lr``), ``"cosine"`` (from lr to ``cosine_floor * lr`` over ``epochs``) or ``"constant"``.
    lr_patience : int
    lr_factor : float
    min_lr : float
    cosine_floor : float
    patience : int or None
        Early stopping after this many epochs without a gain larger than ``min_delta`` (None: never).
    min_delta : float
        Least decrease of the validation score that counts as a gain.
    val_fraction : float
        Seeded share in [0, 1) of samples held out for validation (none when 0 or fewer than 10
        samples: the training loss is monitored).
    max_time_s : float or None
        Wall-clock budget (s); stops like early stopping.
    keep_best : bool
        End with the weights of the best epoch (else those of the last epoch).
    """

    epochs: int = 1000
    batch_size: int | None = 8
    lr: float = 1e-4
    optimizer: str = "adam"
    weight_decay: float = 0.0
    l2: float = 0.0
    schedule: str = "plateau"
    lr_patience: int = 20
    lr_factor: float = 0.5
    min_lr: float = 1e-6
    cosine_floor: float = 0.0
    patience: int | None = 100
    min_delta: float = 1e-12
    val_fraction: float = 0.1
    max_time_s: float | None = None
    keep_best: bool = True

    def __post_init__(self):
        if self.optimizer not in ("adam", "adamw"):
            raise ParameterError(f"optimizer = {self.optimizer!r}, expected 'adam' or 'adamw'")
        if self.schedule not in SCHEDULES:
            raise ParameterError(f"schedule = {self.schedule!r}, expected one of {', '.join(SCHEDULES)}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ParameterError(f"val_fraction = {self.val_fraction}, expected in [0, 1)")
        if self.epochs < 1 or (self.batch_size is not None and self.batch_size < 1) or not self.lr > 0:
            raise ParameterError(f"epochs = {self.epochs}, batch_size = {self.batch_size}, lr = {self.lr}: "
                                 "expected epochs >= 1, batch_size >= 1 (or None), lr > 0")


@dataclass
class TrainResult:
    """What ``train_model`` did.

    Attributes
    ----------
    history : list of dict
        Per epoch ``{"epoch", "train", "val", "lr"}`` (mean losses, learning rate of group 0).
    best_epoch : int
        Epoch of the best validation score (-1 if none).
    best_val : float
        That score.
    epochs_run : int
        Epochs in ``history`` (including resumed ones).
    stopped : str
        ``"max_epochs"``, ``"early_stopping"`` or ``"time_budget"``.
    train_time_s : float
        Wall time of the loop in this call (s).
    samples_per_s : float
        Training samples processed per second.
    n_train, n_val : int
        Split sizes.
    """

    history: list = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = math.inf
    epochs_run: int = 0
    stopped: str = "max_epochs"
    train_time_s: float = 0.0
    samples_per_s: float = float("nan")
    n_train: int = 0
    n_val: int = 0

    def summary(self) -> dict:
        """Everything but the history (for tables and ``FitInfo.training``).

        Returns
        -------
        dict
            The fields other than ``history``.
        """
        return {k: v for k, v in asdict(self).items() if k != "history"}


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` torch threads; the previous count is restored.

    Parameters
    ----------
    n : int or None
        Intra-op threads; None or 0: unchanged.

    Yields
    ------
    None
    """
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def seeded_init(seed: int) -> Iterator[None]:
    """Seed torch's default CPU generator for a block (weight initialisation) and restore it afterwards.

    Parameters
    ----------
    seed : int

    Yields
    ------
    None
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def l2_penalty(model: torch.nn.Module) -> torch.Tensor:
    """Squared L2 norm of the weights.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    torch.Tensor, scalar
        ``sum ||theta||^2`` over parameters with more than one dimension (weight matrices /
        kernels; biases and norm scales excluded).
    """
    return sum((p.pow(2).sum() for n, p in model.named_parameters() if p.ndim > 1), torch.zeros(()))


def train_model(
    model: torch.nn.Module,
    loss_fn: LossFn,
    data: dict[str, torch.Tensor],
    cfg: TrainConfig,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    val_fn: ValFn | None = None,
    param_groups: list[dict] | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = True,
    progress: bool = False,
    desc: str = "train",
) -> TrainResult:
    """Train ``model`` in place on ``data`` and keep the weights of the best validation epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (moved to ``device``).
    loss_fn : LossFn
        Mean data loss of a batch (the L2 term is added here).
    data : dict[str, torch.Tensor]
        Tensors with a common first dimension N (inputs and targets).
    cfg : TrainConfig
    seed : int
        Seeds the validation split and the batch order.
    device : str or torch.device
    val_fn : ValFn or None
        Validation score of the held-out samples (default: their mean loss); lower is better.
    param_groups : list of dict or None
        Optimiser parameter groups with their own ``lr`` (default: all trainable parameters).
    checkpoint_dir : str, PathLike or None
        Write the loop state after every epoch; with ``resume`` continue a previous run.
    resume : bool
    progress : bool
        Show a progress bar.
    desc : str
        Its label.

    Returns
    -------
    TrainResult
        ``model`` holds the parameters of the best epoch (``cfg.keep_best``), in eval mode.

    Raises
    ------
    DataError
        Tensors of different first dimensions, or a checkpoint that cannot be resumed.
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
    groups = param_groups or [{"params": [p for p in model.parameters() if p.requires_grad], "lr": cfg.lr}]
    optimizer = opt_cls(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=cfg.lr_factor,
                                                         patience=cfg.lr_patience, min_lr=cfg.min_lr)
    info = {"epoch": -1, "best_val": math.inf, "best_epoch": -1, "bad_epochs": 0, "history": []}
    best = None
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt is not None and resume and (ckpt / _CKPT_JSON).is_file():
        meta, best = load_checkpoint(ckpt, model, optimizer, plateau)
        info.update({k: meta[k] for k in ("epoch", "best_val", "best_epoch", "bad_epochs", "history")})
        model.to(device)
    batch = len(tr_idx) if cfg.batch_size is None else cfg.batch_size
    t0, trained, stopped = time.perf_counter(), 0, "max_epochs"
    bar = tqdm(range(info["epoch"] + 1, cfg.epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        if cfg.patience is not None and info["bad_epochs"] >= cfg.patience:
            stopped = "early_stopping"
            break
        if cfg.schedule == "cosine":
            frac = epoch / max(1, cfg.epochs - 1)
            for g, b in zip(optimizer.param_groups, base_lrs, strict=True):
                g["lr"] = b * (cfg.cosine_floor + (1 - cfg.cosine_floor) * 0.5 * (1 + math.cos(math.pi * frac)))
        model.train()
        if cfg.batch_size is None:
            order = tr_idx.sort().values
        else:
            g = torch.Generator().manual_seed(seed * 100003 + epoch)
            order = tr_idx[torch.randperm(len(tr_idx), generator=g)]
        total = 0.0
        for s in range(0, len(order), max(batch, 1)):
            idx = order[s:s + batch]
            loss = loss_fn(model, {k: v[idx].to(device) for k, v in data.items()})
            obj = loss + cfg.l2 * l2_penalty(model).to(device) if cfg.l2 > 0 else loss
            optimizer.zero_grad(set_to_none=True)
            obj.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            trained += len(idx)
        train_loss = total / max(len(order), 1)
        val_loss = _validate(model, loss_fn, val_fn, data, val_idx, batch, device) if n_val else train_loss
        if cfg.schedule == "plateau":
            plateau.step(val_loss)
        lr = optimizer.param_groups[0]["lr"]
        info["history"].append({"epoch": epoch, "train": train_loss, "val": val_loss, "lr": lr})
        info["epoch"] = epoch
        if val_loss < info["best_val"] - cfg.min_delta:
            info.update(best_val=val_loss, best_epoch=epoch, bad_epochs=0)
            best = _state(model)
        else:
            info["bad_epochs"] += 1
        bar.set_postfix(train=f"{train_loss:.4g}", val=f"{val_loss:.4g}", lr=f"{lr:.1e}")
        if ckpt is not None:
            save_checkpoint(ckpt, model, optimizer, plateau, info, best)
        if cfg.max_time_s is not None and time.perf_counter() - t0 > cfg.max_time_s:
            stopped = "time_budget"
            break
    else:
        if cfg.patience is not None and info["bad_epochs"] >= cfg.patience:
            stopped = "early_stopping"
    elapsed = time.perf_counter() - t0
    if best is not None and cfg.keep_best:
        model.load_state_dict(best)
    model.eval()
    return TrainResult(history=info["history"], best_epoch=info["best_epoch"], best_val=info["best_val"],
                       epochs_run=len(info["history"]), stopped=stopped, train_time_s=elapsed,
                       samples_per_s=trained / elapsed if elapsed > 0 else float("nan"),
                       n_train=int(len(tr_idx)), n_val=int(n_val))


def _validate(model, loss_fn: LossFn, val_fn: ValFn | None, data, idx: torch.Tensor, batch: int, device) -> float:
    if val_fn is not None:
        with torch.no_grad():
            model.eval()
            return float(val_fn(model, {k: v[idx].to(device) for k, v in data.items()}))
    return evaluate_loss(model, loss_fn, data, idx, batch * 4, device)


@torch.no_grad()
def evaluate_loss(model, loss_fn: LossFn, data: dict[str, torch.Tensor], idx: torch.Tensor, batch_size: int,
                  device) -> float:
    """Mean ``loss_fn`` over some samples, in eval mode and without gradients.

    Parameters
    ----------
    model : torch.nn.Module
    loss_fn : LossFn
    data : dict[str, torch.Tensor]
        Tensors with a common first dimension N.
    idx : torch.Tensor, int64 [M]
        Samples to evaluate.
    batch_size : int
    device : str or torch.device

    Returns
    -------
    float
        Sample-weighted mean loss (0 when ``idx`` is empty).
    """
    model.eval()
    total = 0.0
    for s in range(0, len(idx), batch_size):
        b = idx[s:s + batch_size]
        total += float(loss_fn(model, {k: v[b].to(device) for k, v in data.items()})) * len(b)
    return total / max(len(idx), 1)


@torch.no_grad()
def predict_batched(fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], batch_size: int = 256,
                    device="cpu") -> torch.Tensor:
    """``fn(*batch)`` over the first dimension in batches, without gradients.

    Parameters
    ----------
    fn : Callable[..., torch.Tensor]
        Maps batches ``[b, ...]`` of every input to ``[b, ...]``.
    inputs : list of torch.Tensor [N, ...]
    batch_size : int
    device : str or torch.device
        Where ``fn`` runs.

    Returns
    -------
    torch.Tensor [N, ...]
        Outputs concatenated on the CPU (an empty tensor when N = 0).
    """
    n = inputs[0].shape[0]
    outs = [fn(*(x[s:s + batch_size].to(device) for x in inputs)).cpu() for s in range(0, n, batch_size)]
    return torch.cat(outs) if outs else torch.zeros(0)


# -- checkpoints -------------------------------------------------------------------------------------
def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}


def save_checkpoint(directory: Path, model, optimizer, scheduler, info: dict, best: dict | None) -> None:
    """Write model, optimiser (tensors) and loop state (JSON) as one atomic checkpoint folder.

    Parameters
    ----------
    directory : Path
        Checkpoint folder; the previous checkpoint is replaced, a foreign folder there is refused
        (``radiomap.atomic``).
    model : torch.nn.Module
    optimizer : torch.optim.Optimizer
    scheduler : torch.optim.lr_scheduler.ReduceLROnPlateau
    info : dict
        Loop state: ``epoch``, ``best_val``, ``best_epoch``, ``bad_epochs``, ``history``.
    best : dict[str, torch.Tensor] or None
        Weights of the best epoch so far.
    """
    sd = optimizer.state_dict()
    opt_tensors, opt_scalars = {}, {}
    for i, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                opt_tensors[f"{i}.{k}"] = v.detach().cpu().contiguous()
            else:
                opt_scalars[f"{i}.{k}"] = v
    sched = {k: v for k, v in scheduler.state_dict().items() if isinstance(v, int | float | str | list)}
    meta = dict(info, param_groups=sd["param_groups"], opt_scalars=opt_scalars, scheduler=sched)
    with atomic_dir(directory, kind="checkpoint", overwrite=True, what="checkpoint folder") as tmp:
        save_file(_state(model), str(tmp / _CKPT_MODEL))
        save_file(opt_tensors, str(tmp / _CKPT_OPT))
        if best is not None:
            save_file(best, str(tmp / _CKPT_BEST))
        (tmp / _CKPT_JSON).write_text(json.dumps(meta, default=float))


def load_checkpoint(directory: Path, model, optimizer, scheduler) -> tuple[dict, dict | None]:
    """Restore what :func:`save_checkpoint` wrote into ``model``, ``optimizer`` and ``scheduler``.

    Parameters
    ----------
    directory : Path
    model : torch.nn.Module
    optimizer : torch.optim.Optimizer
    scheduler : torch.optim.lr_scheduler.ReduceLROnPlateau

    Returns
    -------
    info : dict
        The saved loop state (``save_checkpoint``'s ``info`` plus optimiser metadata).
    best : dict[str, torch.Tensor] or None
        Best weights so far.

    Raises
    ------
    DataError
        Unreadable or incomplete checkpoint.
    """
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
