"""Motion direction: class conventions, the Fusion-TDC direction estimator (``fusion-tdc``) and the
continuous-CSI baseline (direction of the change between two position estimates one frame apart).

Class ``c`` of ``C`` is the heading ``c * 2 pi / C`` (rad, counter-clockwise from +x); a heading
belongs to the nearest class centre (sector of width ``2 pi / C`` centred on it).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch

from radiomap.errors import DataError
from radiomap.features.beamspace import doppler_profile
from radiomap.features.tbf import tbf_inputs
from radiomap.localize.base import PROGRESS, SEED, TORCH_DEVICE, Estimator
from radiomap.localize.loanet.complexity import count_flops, count_params
from radiomap.localize.loanet.config import PRESETS, get_preset, override
from radiomap.localize.loanet.fusion_tdc import build_tdc, tdc_loss
from radiomap.localize.loanet.inputs import TBF
from radiomap.localize.methods import DIRECTIONS
from radiomap.localize.training import predict_batched, seeded_init, train_model
from radiomap.params import AnyOf, Interval, NoneValue, Options, Param, Pattern


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


class FusionTDCDirection(Estimator):
    """Motion direction from (Doppler profile, coordinates) with Fusion-TDC (registered ``fusion-tdc``).

    ``fit(train)`` reads the Doppler profiles ``x_d [N, T]`` of the ``tbf`` feature (parameter ``tbf``), the
    coordinates ``train.positions [N, 3]`` (m; true ones, as in the seed) and the classes of
    ``train.velocity [N, 3]`` (m/s; :func:`heading_to_class`). ``predict(ds, coordinates=None)``
    gives classes ``int64 [N]`` in ``[0, C)``; the coordinates default to ``ds.positions`` and are
    usually a localizer's estimates at test time. ``predict_proba`` gives ``[N, C]``.

    Parameters
    ----------
    preset : {"cpu", "paper"}
        Network and training preset (``config.PRESETS``: ``tdc``, ``train_tdc``).
    epochs, max_time_s : int or None, float or None
        Overrides of the preset's training length and wall-clock budget (s).
    tbf : str
        The stored ``tbf`` feature read (``"auto"``: the one stored; :func:`radiomap.features.tbf.tbf_inputs`).
    seed, device, checkpoint_dir, progress
        As for the LOA-Net localizers.

    Attributes
    ----------
    model_ : FusionTDC
        The trained network.
    mean_, std_ : ndarray, float64 [3]
        Coordinate normalisation (m).
    d_mean_, d_std_ : ndarray, float32 [T']
        Per-bin standardisation of the network's Doppler input.
    n_doppler_ : int
        Doppler input width T'.
    """

    registry = DIRECTIONS
    param_spec = {
        "preset": Param(Options(*PRESETS), "network and training preset (config.PRESETS)"),
        "epochs": Param(AnyOf(NoneValue("preset"), Interval(int, 1, None)), "training epochs"),
        "max_time_s": Param(AnyOf(NoneValue("no budget"), Interval(float, 0, None, closed="neither")),
                            "wall-clock training budget (s)"),
        "tbf": TBF,
        "seed": SEED,
        "device": Param(TORCH_DEVICE, "torch device"),
        "checkpoint_dir": Param(AnyOf(NoneValue("no checkpoints"), Pattern(r".+", "a folder path")),
                                "checkpoint folder (written every epoch)"),
        "progress": PROGRESS,
    }

    def __init__(self, preset: str = "cpu", *, epochs: int | None = None, max_time_s: float | None = None,
                 tbf: str = "auto", seed: int = 0, device: str = "cpu", checkpoint_dir: str | None = None,
                 progress: bool = False):
        self.preset = preset
        self.epochs = epochs
        self.max_time_s = max_time_s
        self.tbf = tbf
        self.seed = seed
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress

    @property
    def n_classes(self) -> int:
        """int: number of direction classes C of the preset."""
        return get_preset(self.preset).tdc.n_classes

    def _fit(self, train) -> None:
        if train.velocity is None:
            raise DataError(f"{self.name}: the training set has no velocity (the direction labels)")
        cfg = get_preset(self.preset).tdc
        x_d = self._doppler_profiles(train)
        xyz = np.asarray(train.positions, dtype=np.float64)
        self.mean_, self.std_ = xyz.mean(0), np.maximum(xyz.std(0), 1e-3)
        d_in = doppler_input(x_d, cfg.log_doppler, cfg.doppler_bins)
        self.d_mean_, self.d_std_ = d_in.mean(0), np.maximum(d_in.std(0), 1e-6).astype(np.float32)
        self.n_doppler_ = int(d_in.shape[1])
        with seeded_init(self.seed):
            self.model_ = build_tdc(cfg, self.n_doppler_)
        data = {"d": torch.from_numpy(self._norm_d(x_d)), "c": torch.from_numpy(self._norm(xyz)),
                "y": torch.from_numpy(heading_to_class(train.velocity, cfg.n_classes))}

        def loss_fn(model, b):
            return tdc_loss(model(b["d"], b["c"]), b["y"], cfg)

        train_cfg = override(get_preset(self.preset).train_tdc, epochs=self.epochs, max_time_s=self.max_time_s)
        result = train_model(self.model_, loss_fn, data, train_cfg, seed=self.seed, device=self.device,
                             checkpoint_dir=self.checkpoint_dir, progress=self.progress, desc=self.name)
        self.fit_info_.training["direction"] = asdict(result)
        self.fit_info_.iterations, self.fit_info_.stopped = result.epochs_run, result.stopped
        self.fit_info_.objective = [h["val"] for h in result.history]

    def _norm_d(self, x_d: np.ndarray) -> np.ndarray:
        cfg = get_preset(self.preset).tdc
        d = doppler_input(x_d, cfg.log_doppler, cfg.doppler_bins)
        return ((d - self.d_mean_) / self.d_std_).astype(np.float32)

    def _norm(self, xyz: np.ndarray) -> np.ndarray:
        return ((np.asarray(xyz, dtype=np.float64) - self.mean_) / self.std_).astype(np.float32)

    def predict_proba(self, ds, coordinates: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        ds : CSIDataset
            N samples with the ``tbf`` feature's ``x_d`` (stored, or computable from paths / CSI).
        coordinates : ndarray, float64 [N, 3], optional
            Positions (m) fed to the coordinate branch; default ``ds.positions``.

        Returns
        -------
        ndarray, float32 [N, C]
        """
        self.check_fitted()
        self.check_compatible(ds)
        xyz = ds.positions if coordinates is None else coordinates
        if xyz is None:
            raise DataError(f"{self.name}: pass coordinates (the dataset has no positions)")
        self.model_.eval()
        d = torch.from_numpy(self._norm_d(self._doppler_profiles(ds)))
        logits = predict_batched(self.model_, [d, torch.from_numpy(self._norm(xyz))], device=self.device)
        return torch.softmax(logits, -1).numpy()

    def predict(self, ds, coordinates: np.ndarray | None = None) -> np.ndarray:
        """Direction classes ``int64 [N]`` (class ``c`` = heading ``c 2 pi / C``); see :meth:`predict_proba`."""
        return self._checked(self.predict_proba(ds, coordinates).argmax(-1), ds)

    def _predict(self, ds) -> np.ndarray:
        return self.predict_proba(ds).argmax(-1)

    def _checked(self, out, ds) -> np.ndarray:
        cls = np.asarray(out, dtype=np.int64)
        if cls.shape != (ds.n_samples,):
            raise DataError(f"{self.name}: predicted shape {cls.shape}, expected ({ds.n_samples},)")
        return cls

    def network_cost(self) -> dict[str, float]:
        """Forward cost of the trained network: ``{"MFLOPs": per sample, "params (M)": trainable}``."""
        self.check_fitted()
        model = self.model_.cpu()
        flops = count_flops(model, torch.rand(2, self.n_doppler_), torch.rand(2, 3))
        return {"MFLOPs": flops / 1e6, "params (M)": count_params(model) / 1e6}

    def _doppler_profiles(self, ds) -> np.ndarray:
        """The ``tbf`` feature's ``x_d`` of ``ds`` as peak-normalised Doppler profiles ``float32 [N, T]``."""
        return doppler_profile(np.asarray(tbf_inputs(ds, self.tbf, ("x_d",))["x_d"], dtype=np.float32))

    def _build_module(self, name: str) -> torch.nn.Module:
        return build_tdc(get_preset(self.preset).tdc, self.n_doppler_)
