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
from radiomap.params import AnyOf, Interval, NoneValue, Options, Param, Pattern, Sequence

DOPPLER_NOISE = "doppler_noise"
"""Feature key of the per-sample noise reference ``float64 [N, 2]`` that training over SNR needs:
column 0 the noise variance at 0 dB SNR in units of the stored (peak-normalised, noise-free) Doppler
profile, column 1 the number of noise cells summed into each Doppler bin (:func:`doppler_noise_reference`)."""


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


def doppler_input(x_d, log: bool, bins: int = 0):
    """Network input from the peak-normalised Doppler profile ``[N, T]``: bins ``-K..K`` around
    zero Doppler when ``bins = K > 0`` (``[N, 2K + 1]``, negative Doppler first), optionally
    ``(log10(max(x, 1e-8)) + 8) / 8``, which spreads the side-lobe levels that carry the sub-bin
    Doppler information. Input an ndarray (output float32 ndarray) or a torch tensor (output a tensor
    of its dtype and device, as in the training loop)."""
    tensor = isinstance(x_d, torch.Tensor)
    x = x_d if tensor else torch.from_numpy(np.asarray(x_d, dtype=np.float32))
    if bins > 0:
        k = min(bins, (x.shape[1] - 1) // 2)
        x = torch.roll(x, k, dims=1)[:, :2 * k + 1]
    if log:
        x = (torch.log10(x.clamp_min(1e-8)) + 8.0) / 8.0
    return x if tensor else x.numpy().astype(np.float32)


def doppler_noise_reference(raw_x_d: np.ndarray, total_power: np.ndarray, n_a: int, n_cells: int
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free Doppler profiles and their noise reference, for training over a range of SNRs.

    Input: ``raw_x_d [N, T]`` noise-free raw ``X_D`` (:func:`radiomap.features.beamspace.doppler_profile_from_weights`
    without ``snr_db``), ``total_power [N]`` (``sum_l P_l``), the AP's antennas ``n_a`` and the cells summed into each
    Doppler bin ``n_cells`` (beams x kept delay taps). Output: the peak-normalised profiles ``float32 [N, T]`` and
    the :data:`DOPPLER_NOISE` array ``float64 [N, 2]``.
    """
    from radiomap.features.beamspace import noise_variance_for_snr

    raw = np.asarray(raw_x_d, dtype=np.float64)
    peak = np.maximum(raw.max(1), 1e-300)
    s0 = noise_variance_for_snr(np.asarray(total_power, dtype=np.float64), 0.0, n_a) / peak
    return (raw / peak[:, None]).astype(np.float32), np.column_stack([s0, np.full(len(raw), float(n_cells))])


def add_doppler_noise(x_d, noise_ref, snr_db, rng: np.random.Generator) -> np.ndarray:
    """The compact AWGN of :func:`radiomap.features.beamspace.doppler_profile_from_weights` added to noise-free
    profiles ``x_d [N, T]`` at ``snr_db`` (scalar or ``[N]``), then peak-normalised again. Output float32 [N, T]."""
    d = np.asarray(x_d, dtype=np.float64)
    ref = np.asarray(noise_ref, dtype=np.float64)
    s2 = (ref[:, 0] * 10.0 ** (-np.broadcast_to(np.asarray(snr_db, dtype=np.float64), (len(d),)) / 10.0))[:, None]
    noisy = d + s2 * rng.gamma(ref[:, 1:2], 1.0, size=d.shape) + np.sqrt(2.0 * s2 * d) * rng.standard_normal(d.shape)
    return doppler_profile(np.maximum(noisy, 0.0).astype(np.float32))


def _add_doppler_noise_torch(d: torch.Tensor, ref: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """:func:`add_doppler_noise` in torch at an SNR drawn uniformly in ``[lo, hi]`` dB per sample (global torch RNG)."""
    snr = lo + (hi - lo) * torch.rand(len(d), dtype=torch.float64, device=d.device)
    s2 = (ref[:, 0] * 10.0 ** (-snr / 10.0)).to(d.dtype)[:, None]
    gam = torch._standard_gamma(ref[:, 1:2].to(d.dtype).expand_as(d).contiguous())
    noisy = torch.clamp(d + s2 * gam + torch.sqrt(2.0 * s2 * d.clamp_min(0)) * torch.randn_like(d), min=0.0)
    return noisy / noisy.amax(1, keepdim=True).clamp_min(1e-30)


def matched_template_classes(x_d: np.ndarray, templates: np.ndarray, template_classes: np.ndarray,
                             bins: int = 16) -> np.ndarray:
    """Direction classes by matching each Doppler profile to per-sample templates.

    Input: ``x_d [N, T]`` observed profiles; ``templates [N, K, T]`` peak-normalised profiles of the SAME
    position for ``K`` candidate headings (noise-free, or their expectation at the observed SNR);
    ``template_classes int [K]``. Profiles are compared as
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
    train_snr_db : (float, float) or None
        Train over a range of SNRs: the training set's Doppler profiles are then noise-free and the dataset holds
        the :data:`DOPPLER_NOISE` reference (:func:`doppler_noise_reference`); every time an example is drawn
        (every epoch) it gets an SNR uniform in ``[lo, hi]`` dB and a fresh noise draw of the TBF noise model.
        The internal validation split and the input standardisation use one fixed draw. None: the profiles are
        used as stored.
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
        "train_snr_db": Param(AnyOf(NoneValue("profiles as stored"), Sequence(Interval(float, None, None), 2, 2)),
                              "SNR range (dB) drawn per example and epoch; needs noise-free profiles + doppler_noise"),
        "seed": SEED,
        "device": Param(TORCH_DEVICE, "torch device"),
        "checkpoint_dir": Param(AnyOf(NoneValue("no checkpoints"), Pattern(r".+", "a folder path")),
                                "checkpoint folder (written every epoch)"),
        "progress": PROGRESS,
    }

    def __init__(self, preset: str = "cpu", *, epochs: int | None = None, max_time_s: float | None = None,
                 tbf: str = "auto", train_snr_db: tuple[float, float] | None = None, seed: int = 0,
                 device: str = "cpu", checkpoint_dir: str | None = None,
                 progress: bool = False):
        self.preset = preset
        self.epochs = epochs
        self.max_time_s = max_time_s
        self.tbf = tbf
        self.train_snr_db = train_snr_db
        self.seed = seed
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress

    @property
    def n_classes(self) -> int:
        """int: number of direction classes C of the preset."""
        return self._cfg().tdc.n_classes

    def _cfg(self):
        """The preset in use (an ablation may replace this method on an instance)."""
        return get_preset(self.preset)

    def _fit(self, train) -> None:
        if train.velocity is None:
            raise DataError(f"{self.name}: the training set has no velocity (the direction labels)")
        preset = self._cfg()
        cfg = preset.tdc
        x_d = self._doppler_profiles(train)
        xyz = np.asarray(train.positions, dtype=np.float64)
        self.mean_, self.std_ = xyz.mean(0), np.maximum(xyz.std(0), 1e-3)
        data = {"c": torch.from_numpy(self._norm(xyz)),
                "y": torch.from_numpy(heading_to_class(train.velocity, cfg.n_classes))}
        if self.train_snr_db is not None:
            if DOPPLER_NOISE not in train.features:
                raise DataError(f"{self.name}: train_snr_db needs noise-free profiles and the {DOPPLER_NOISE!r} "
                                "feature (doppler_noise_reference)")
            lo, hi = sorted(float(v) for v in self.train_snr_db)
            ref = np.asarray(train.features[DOPPLER_NOISE], dtype=np.float64)
            rng = np.random.default_rng(self.seed)
            fixed = add_doppler_noise(x_d, ref, rng.uniform(lo, hi, len(x_d)), rng)
            self._set_d_stats(fixed)
            data.update({"clean": torch.from_numpy(np.asarray(x_d, dtype=np.float32)),
                         "ref": torch.from_numpy(ref), "d": torch.from_numpy(self._norm_d_profile(fixed))})
            mean, std = torch.from_numpy(self.d_mean_), torch.from_numpy(self.d_std_)
        else:
            self._set_d_stats(x_d)
            data["d"] = torch.from_numpy(self._norm_d_profile(x_d))
        with seeded_init(self.seed):
            self.model_ = build_tdc(cfg, self.n_doppler_)

        def loss_fn(model, b):
            d = b["d"]
            if self.train_snr_db is not None and model.training:  # fresh SNR and noise for every draw
                noisy = _add_doppler_noise_torch(b["clean"], b["ref"], lo, hi)
                d_in = doppler_input(noisy, cfg.log_doppler, cfg.doppler_bins)
                d = (d_in - mean.to(d.device)) / std.to(d.device)
            return tdc_loss(model(d, b["c"]), b["y"], cfg)

        train_cfg = override(preset.train_tdc, epochs=self.epochs, max_time_s=self.max_time_s)
        with seeded_init(self.seed + 7919):  # the on-the-fly noise draws from the global torch generator
            result = train_model(self.model_, loss_fn, data, train_cfg, seed=self.seed, device=self.device,
                                 checkpoint_dir=self.checkpoint_dir, progress=self.progress, desc=self.name)
        self.fit_info_.training["direction"] = asdict(result)
        self.fit_info_.iterations, self.fit_info_.stopped = result.epochs_run, result.stopped
        self.fit_info_.objective = [h["val"] for h in result.history]

    def _set_d_stats(self, x_d: np.ndarray) -> None:
        cfg = self._cfg().tdc
        d_in = doppler_input(x_d, cfg.log_doppler, cfg.doppler_bins)
        if cfg.standardize:
            self.d_mean_, self.d_std_ = d_in.mean(0), np.maximum(d_in.std(0), 1e-6).astype(np.float32)
        else:
            self.d_mean_, self.d_std_ = np.zeros(d_in.shape[1], np.float32), np.ones(d_in.shape[1], np.float32)
        self.n_doppler_ = int(d_in.shape[1])

    def _norm_d_profile(self, x_d: np.ndarray) -> np.ndarray:
        cfg = self._cfg().tdc
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
        d = torch.from_numpy(self._norm_d_profile(self._doppler_profiles(ds)))
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
        return build_tdc(self._cfg().tdc, self.n_doppler_)
