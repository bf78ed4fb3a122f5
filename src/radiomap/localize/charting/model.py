"""The ``charting`` localizer: channel charting in real-world coordinates (SPEC §2.6).

A small MLP maps standardised seed-000 features (power dB, sin/cos of the MUSIC angle, log delay
feature per AP) to 2-D positions in metres. It is trained without labels by the weighted sum of
a time-adjacency triplet loss, a bilateration loss from AP powers (weight 10) and a LOS
bounding-box loss (weight 1): a square of half-side ``box_half`` m around each AP, clipped to the
walkable bounds, for samples whose power from that AP is in its top ``box_quantile``. The output
is in real-world coordinates directly: no affine fit to ground truth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from radiomap.errors import DataError, ParameterError
from radiomap.localize.base import LOCALIZERS, PROGRESS, SEED, Localizer
from radiomap.localize.charting.losses import (
    bilateration_loss,
    bilateration_pairs,
    box_loss,
    sample_triplets,
    triplet_loss,
)
from radiomap.params import Interval, Param, Sequence


def chart_inputs(z: np.ndarray) -> np.ndarray:
    """Network inputs ``[N, 4 B]`` from HMM-style features ``z [N, B, 3]`` (power, angle, delay)."""
    return np.concatenate([z[..., 0], np.sin(z[..., 1]), np.cos(z[..., 1]), z[..., 2]], axis=1)


def build_mlp(n_in: int, hidden: tuple[int, ...]) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    for h in hidden:
        layers += [torch.nn.Linear(n_in, h), torch.nn.ReLU()]
        n_in = h
    layers.append(torch.nn.Linear(n_in, 2))
    return torch.nn.Sequential(*layers)


class ChannelCharting(Localizer):
    """Unsupervised channel chart in real-world coordinates (Taner, Palhares, Studer).

    Parameters
    ----------
    hidden : MLP hidden widths; epochs : full-batch Adam steps; lr : learning rate
    t_close, t_far : triplet time thresholds (s); margin : triplet margin (m)
    margin_db : bilateration power margin (dB); w_triplet, w_bilateration, w_box : loss weights
    box_half : LOS box half-side (m); box_quantile : power quantile above which the box applies
    seed, progress : randomness and progress bar
    """

    name = "charting"
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
        from radiomap.localize.hmm.model import hmm_features

        return chart_inputs(hmm_features(ds))

    def _fit(self, train) -> None:
        n_threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a few-hundred-sample MLP: threads only add synchronisation
        try:
            self._train(train)
        finally:
            torch.set_num_threads(n_threads)

    def _train(self, train) -> None:
        if self.t_far <= self.t_close:
            raise ParameterError(f"{self.name}: t_far={self.t_far} must exceed t_close={self.t_close}")
        scene = train.scene
        scene.require_geometry(f"{self.name} (bilateration and LOS-box losses)")
        if train.timestamps is None:
            raise DataError(f"{self.name}: the training set needs timestamps for the triplet loss")
        from radiomap.localize.hmm.model import hmm_features

        z = hmm_features(train)
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
        torch.manual_seed(self.seed)
        net = build_mlp(x.shape[1], tuple(self.hidden)).double()
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        xt = torch.as_tensor((x - self.mean_) / self.std_)
        cen = torch.as_tensor(self.centre_)
        ap_t, box_t = torch.as_tensor(ap_xy), torch.as_tensor(boxes)
        s_t, i_t, j_t = (torch.as_tensor(v) for v in (s, i, j))
        bs_t, bb_t = torch.as_tensor(bs), torch.as_tensor(bb)
        ts = np.asarray(train.timestamps, dtype=np.float64)
        self.loss_history_ = []
        for _ in tqdm(range(self.epochs), desc="charting", disable=not self.progress, leave=False):
            a, p, n = (torch.as_tensor(v) for v in sample_triplets(ts, self.n_triplets, self.t_close, self.t_far, rng))
            y = net(xt) + cen
            loss = (self.w_triplet * triplet_loss(y, a, p, n, self.margin)
                    + self.w_bilateration * bilateration_loss(y, ap_t, s_t, i_t, j_t)
                    + self.w_box * box_loss(y, box_t, bs_t, bb_t))
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.loss_history_.append(float(loss.detach()))
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

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {f"net.{k}": v.detach().numpy() for k, v in self.net_.state_dict().items()}
        arrays.update(mean=self.mean_, std=self.std_, centre=self.centre_)
        return arrays, {"height": self.height_, "n_in": int(len(self.mean_))}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        net = build_mlp(int(meta["n_in"]), tuple(self.hidden)).double()
        net.load_state_dict({k[4:]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith("net.")})
        self.net_ = net
        self.mean_, self.std_, self.centre_ = arrays["mean"], arrays["std"], arrays["centre"]
        self.height_ = float(meta["height"])


LOCALIZERS.register("charting", ChannelCharting)
