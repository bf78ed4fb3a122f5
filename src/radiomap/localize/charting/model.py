"""The ``charting`` localizer: channel charting in real-world coordinates (SPEC §2.6).

A small MLP maps standardised seed-000 features (power dB, sin/cos of the MUSIC angle, log delay
feature per AP) to 2-D positions in metres. It is trained without labels by the weighted sum of
a time-adjacency triplet loss, a bilateration loss from AP powers (weight 10) and a LOS
bounding-box loss (weight 1): a square of half-side ``box_half`` m around each AP, clipped to the
walkable bounds, for samples whose power from that AP is in its top ``box_quantile``. The output
is in real-world coordinates directly: no affine fit to ground truth.
"""

from __future__ import annotations

import numpy as np
import torch

from radiomap.errors import DataError, ParameterError
from radiomap.features.seed000 import per_ap_features
from radiomap.localize.base import PROGRESS, SEED, Localizer
from radiomap.localize.charting.losses import (
    bilateration_loss,
    bilateration_pairs,
    box_loss,
    sample_triplets,
    triplet_loss,
)
from radiomap.localize.nets import build_mlp
from radiomap.localize.training import TrainConfig, seeded_init, torch_threads, train_model
from radiomap.params import Interval, Param, Sequence


def chart_inputs(z: np.ndarray) -> np.ndarray:
    """Network inputs from HMM-style features.

    Parameters
    ----------
    z : ndarray, float [N, B, 3]
        Per AP (power dB, cone angle rad, delay feature) (``hmm_features``).

    Returns
    -------
    ndarray [N, 4 B]
        Blocks of B columns: power (dB), sin(angle), cos(angle), delay feature.
    """
    return np.concatenate([z[..., 0], np.sin(z[..., 1]), np.cos(z[..., 1]), z[..., 2]], axis=1)


class ChannelCharting(Localizer):
    """Unsupervised channel chart in real-world coordinates (Taner, Palhares, Studer).

    Parameters
    ----------
    hidden : tuple of int
        MLP hidden widths.
    epochs : int
        Full-batch Adam steps.
    lr : float
        Learning rate.
    t_close, t_far : float
        Triplet time thresholds (s), ``t_far > t_close``.
    margin : float
        Triplet margin (m).
    margin_db : float
        Bilateration power margin (dB).
    w_triplet, w_bilateration, w_box : float
        Loss weights.
    box_half : float
        LOS box half-side (m).
    box_quantile : float
        Per-AP power quantile above which a sample is pulled into that AP's box.
    n_triplets : int
        Triplets sampled per step.
    seed : int
    progress : bool

    Attributes
    ----------
    mean_, std_ : ndarray, float64 [4 B]
        Input standardisation.
    centre_ : ndarray, float64 [2]
        Centre of the walkable bounding box (m), the chart's origin.
    height_ : float
        Height of the predicted positions (m): the scene's first user height.
    net_ : torch.nn.Sequential
        MLP ``[N, 4 B] -> [N, 2]`` (float64), chart offset from ``centre_`` (m).
    trajectory_ : ndarray, float64 [N, 3]
        Chart positions of the training samples (m).
    fit_info_ : FitInfo
        Loss trace (``objective``), epochs, ``training["chart"]``.
    """

    supervised = False
    param_spec = {
        "hidden": Param(Sequence(Interval(int, 1, None), min_len=0), "MLP hidden layer widths"),
        "epochs": Param(Interval(int, 1, None), "full-batch Adam steps"),
        "lr": Param(Interval(float, 0, None, closed="neither"), "learning rate"),
        "t_close": Param(Interval(float, 0, None, closed="neither"), "triplet: positives closer in time (s)"),
        "t_far": Param(Interval(float, 0, None, closed="neither"), "triplet: negatives farther in time (s)"),
        "margin": Param(Interval(float, 0, None), "triplet margin (m)"),
        "margin_db": Param(Interval(float, 0, None), "bilateration power margin (dB)"),
        "w_triplet": Param(Interval(float, 0, None), "weight of the triplet loss"),
        "w_bilateration": Param(Interval(float, 0, None), "weight of the bilateration loss"),
        "w_box": Param(Interval(float, 0, None), "weight of the LOS bounding-box loss"),
        "box_half": Param(Interval(float, 0, None, closed="neither"), "LOS box half-side (m)"),
        "box_quantile": Param(Interval(float, 0, 1, closed="neither"), "power quantile above which the box applies"),
        "n_triplets": Param(Interval(int, 1, None), "triplets sampled per step"),
        "seed": SEED, "progress": PROGRESS,
    }

    def __init__(self, *, hidden: tuple[int, ...] = (64, 64, 64), epochs: int = 600, lr: float = 3e-3,
                 t_close: float = 0.3, t_far: float = 3.0, margin: float = 0.5, margin_db: float = 6.0,
                 w_triplet: float = 1.0, w_bilateration: float = 10.0, w_box: float = 1.0, box_half: float = 3.0,
                 box_quantile: float = 0.8, n_triplets: int = 4096, seed: int = 0, progress: bool = False):
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.t_close = t_close
        self.t_far = t_far
        self.margin = margin
        self.margin_db = margin_db
        self.w_triplet = w_triplet
        self.w_bilateration = w_bilateration
        self.w_box = w_box
        self.box_half = box_half
        self.box_quantile = box_quantile
        self.n_triplets = n_triplets
        self.seed = seed
        self.progress = progress

    def _inputs(self, ds) -> np.ndarray:
        return chart_inputs(per_ap_features(ds))

    def _fit(self, train) -> None:
        if self.t_far <= self.t_close:
            raise ParameterError(f"{self.name}: t_far={self.t_far} must exceed t_close={self.t_close}")
        scene = train.scene
        scene.require_geometry(f"{self.name} (bilateration and LOS-box losses)")
        if train.timestamps is None:
            raise DataError(f"{self.name}: the training set needs timestamps for the triplet loss")
        z = per_ap_features(train)
        x = chart_inputs(z)
        self.mean_, self.std_ = x.mean(0), np.maximum(x.std(0), 1e-6)
        ap_xy = scene.ap_positions[:, :2]
        x0, x1, y0, y1 = scene.bounds
        self.centre_ = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        self.height_ = float(scene.user_heights[0])
        boxes = np.stack([np.clip(ap_xy[:, 0] - self.box_half, x0, x1), np.clip(ap_xy[:, 0] + self.box_half, x0, x1),
                          np.clip(ap_xy[:, 1] - self.box_half, y0, y1), np.clip(ap_xy[:, 1] + self.box_half, y0, y1)],
                         axis=1)
        power = z[..., 0]
        thr = np.quantile(power, self.box_quantile, axis=0)
        bs, bb = np.nonzero(power >= thr[None])
        s, i, j = bilateration_pairs(power, self.margin_db)
        rng = np.random.default_rng(self.seed)
        with seeded_init(self.seed):
            net = build_mlp(x.shape[1], tuple(self.hidden), 2).double()
        xt = torch.as_tensor((x - self.mean_) / self.std_)
        cen = torch.as_tensor(self.centre_)
        ap_t, box_t = torch.as_tensor(ap_xy), torch.as_tensor(boxes)
        s_t, i_t, j_t = (torch.as_tensor(v) for v in (s, i, j))
        bs_t, bb_t = torch.as_tensor(bs), torch.as_tensor(bb)
        ts = np.asarray(train.timestamps, dtype=np.float64)

        def loss_fn(model, batch):  # full batch in sample order; fresh triplets every step
            a, p, n = (torch.as_tensor(v) for v in sample_triplets(ts, self.n_triplets, self.t_close, self.t_far, rng))
            y = model(batch["x"]) + cen
            return (self.w_triplet * triplet_loss(y, a, p, n, self.margin)
                    + self.w_bilateration * bilateration_loss(y, ap_t, s_t, i_t, j_t)
                    + self.w_box * box_loss(y, box_t, bs_t, bb_t))

        cfg = TrainConfig(epochs=self.epochs, batch_size=None, lr=self.lr, schedule="constant", patience=None,
                          val_fraction=0.0, keep_best=False)
        with torch_threads(1):  # a few-hundred-sample MLP: threads only add synchronisation
            result = train_model(net, loss_fn, {"x": xt}, cfg, seed=self.seed, progress=self.progress,
                                 desc="charting")
        self.fit_info_.objective = [h["train"] for h in result.history]
        self.fit_info_.iterations = result.epochs_run
        self.fit_info_.training["chart"] = result.summary()
        self.net_ = net
        with torch.no_grad():
            self.trajectory_ = np.column_stack([(net(xt) + cen).numpy(), np.full(len(x), self.height_)])

    def _predict(self, ds) -> np.ndarray:
        x = self._inputs(ds)
        if x.shape[1] != len(self.mean_):
            raise DataError(f"{self.name}: {x.shape[1]} inputs, the chart was fitted on {len(self.mean_)}")
        with torch.no_grad():
            y = self.net_(torch.as_tensor((x - self.mean_) / self.std_)).numpy() + self.centre_
        return np.column_stack([y, np.full(len(y), self.height_)])

    def _build_module(self, name: str):
        return build_mlp(len(self.mean_), tuple(self.hidden), 2).double()
