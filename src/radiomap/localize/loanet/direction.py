"""Motion direction: class conventions, the Fusion-TDC classifier wrapper and the continuous-CSI
baseline (direction of the change between two position estimates one frame apart).

Class ``c`` of ``C`` is the heading ``c * 2 pi / C`` (rad, counter-clockwise from +x); a heading
belongs to the nearest class centre (sector of width ``2 pi / C`` centred on it).
"""

from __future__ import annotations

import numpy as np
import torch

from radiomap.errors import NotFittedError
from radiomap.localize.loanet.config import TDCConfig
from radiomap.localize.loanet.fusion_tdc import build_tdc, tdc_loss
from radiomap.localize.training import TrainConfig, predict_batched, seeded_init, train_model


def heading_to_class(velocity: np.ndarray, n_classes: int = 16) -> np.ndarray:
    """Direction class of horizontal velocities. Input ``[N, 2|3]`` (m/s). Output ``int64 [N]``."""
    v = np.asarray(velocity, dtype=np.float64)
    ang = np.arctan2(v[:, 1], v[:, 0])
    return np.round(ang / (2 * np.pi / n_classes)).astype(np.int64) % n_classes


def class_to_heading(classes: np.ndarray, n_classes: int = 16) -> np.ndarray:
    """Heading (rad) of class centres. Input ``int [N]``. Output ``[N]``."""
    return np.asarray(classes) * (2 * np.pi / n_classes)


def continuous_csi_direction(pos_first: np.ndarray, pos_second: np.ndarray, n_classes: int = 16
                             ) -> np.ndarray:
    """Continuous-CSI baseline: class of the displacement ``pos_second - pos_first`` (``[N, 3]`` each)."""
    return heading_to_class(np.asarray(pos_second) - np.asarray(pos_first), n_classes)


def doppler_input(x_d: np.ndarray, log: bool, bins: int = 0) -> np.ndarray:
    """Network input from the peak-normalised Doppler profile ``[N, T]``: bins ``-K..K`` around
    zero Doppler when ``bins = K > 0`` (``[N, 2K + 1]``, negative Doppler first), optionally
    ``(log10(max(x, 1e-8)) + 8) / 8``, which spreads the side-lobe levels that carry the sub-bin
    Doppler information. Output float32."""
    x = np.asarray(x_d, dtype=np.float32)
    if bins > 0:
        k = min(bins, (x.shape[1] - 1) // 2)
        x = np.roll(x, k, axis=1)[:, :2 * k + 1]
    if log:
        x = (np.log10(np.maximum(x, 1e-8)) + 8.0) / 8.0
    return x.astype(np.float32)


def matched_template_classes(x_d: np.ndarray, templates: np.ndarray, template_classes: np.ndarray,
                             bins: int = 16) -> np.ndarray:
    """Direction classes by matching each Doppler profile to per-sample templates.

    Input: ``x_d [N, T]`` observed profiles; ``templates [N, K, T]`` noise-free profiles of the SAME
    position for ``K`` candidate headings; ``template_classes int [K]``. Profiles are compared as
    log10 levels of the bins ``-bins..bins`` (:func:`doppler_input`), squared distance.
    Output: ``int64 [N]``. With templates computed from the true channel at the test point this is
    an estimator that knows everything but the heading: a practical ceiling for any classifier of
    (Doppler profile, coordinates), which must learn the templates from neighbouring grid points.
    """
    x = doppler_input(x_d, True, bins)
    n, k, t = templates.shape
    tm = doppler_input(templates.reshape(n * k, t), True, bins).reshape(n, k, -1)
    return np.asarray(template_classes, dtype=np.int64)[((tm - x[:, None]) ** 2).sum(-1).argmin(1)]


class DirectionClassifier:
    """Fusion-TDC trained on (Doppler profile, coordinates) -> direction class.

    ``fit(x_d [N, T], xyz [N, 3], classes [N])``; ``predict(x_d, xyz) -> int64 [N]``; ``predict_proba``.
    After ``fit``: ``model_``, the normalisation statistics ``mean_``, ``std_``, ``d_mean_``, ``d_std_``,
    ``n_doppler_`` and the ``TrainResult`` ``train_result_``.
    """

    def __init__(self, cfg: TDCConfig, train_cfg: TrainConfig, *, seed: int = 0, device: str = "cpu",
                 checkpoint_dir: str | None = None, progress: bool = False):
        self.cfg = cfg
        self.train_cfg = train_cfg
        self.seed = seed
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress

    def fit(self, x_d: np.ndarray, xyz: np.ndarray, classes: np.ndarray) -> DirectionClassifier:
        xyz = np.asarray(xyz, dtype=np.float64)
        self.mean_, self.std_ = xyz.mean(0), np.maximum(xyz.std(0), 1e-3)
        d_in = doppler_input(x_d, self.cfg.log_doppler, self.cfg.doppler_bins)
        self.d_mean_, self.d_std_ = d_in.mean(0), np.maximum(d_in.std(0), 1e-6).astype(np.float32)
        self.n_doppler_ = int(d_in.shape[1])
        with seeded_init(self.seed):
            self.model_ = build_tdc(self.cfg, self.n_doppler_)
        data = {"d": torch.from_numpy(self._norm_d(x_d)),
                "c": torch.from_numpy(self._norm(xyz)),
                "y": torch.from_numpy(np.asarray(classes, dtype=np.int64))}
        cfg = self.cfg

        def loss_fn(model, b):
            return tdc_loss(model(b["d"], b["c"]), b["y"], cfg)

        self.train_result_ = train_model(self.model_, loss_fn, data, self.train_cfg, seed=self.seed,
                                         device=self.device, checkpoint_dir=self.checkpoint_dir,
                                         progress=self.progress, desc="fusion-tdc")
        return self

    def _norm_d(self, x_d: np.ndarray) -> np.ndarray:
        """Per-bin standardised network input (training-set statistics)."""
        d = doppler_input(x_d, self.cfg.log_doppler, self.cfg.doppler_bins)
        return ((d - self.d_mean_) / self.d_std_).astype(np.float32)

    def _norm(self, xyz: np.ndarray) -> np.ndarray:
        return ((np.asarray(xyz, dtype=np.float64) - self.mean_) / self.std_).astype(np.float32)

    def predict_proba(self, x_d: np.ndarray, xyz: np.ndarray) -> np.ndarray:
        """Class probabilities ``[N, C]``."""
        if not hasattr(self, "model_"):
            raise NotFittedError("DirectionClassifier is not fitted; call fit() first")
        self.model_.eval()
        d = torch.from_numpy(self._norm_d(x_d))
        logits = predict_batched(self.model_, [d, torch.from_numpy(self._norm(xyz))], device=self.device)
        return torch.softmax(logits, -1).numpy()

    def predict(self, x_d: np.ndarray, xyz: np.ndarray) -> np.ndarray:
        """Direction classes ``int64 [N]``."""
        return self.predict_proba(x_d, xyz).argmax(-1)
