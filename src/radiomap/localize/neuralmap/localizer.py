"""``neuralmap``: localization with a learned model-based location-to-channel map (seeds 001 + 003).

``fit`` learns ``f_theta`` from labelled CSI (atoms by OMP, then NMSE training with early
stopping); ``predict`` runs the 5-stage search of ``localize.py`` with ``f_theta`` as a generative
channel model. CSI ``[N, B, N_a, K]`` is treated as one ``(B N_a) x K`` matrix per sample; users are
assumed on a plane (the median training height) inside the training positions' bounding box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from radiomap.errors import DataError
from radiomap.localize.base import PROGRESS, SEED, TORCH_DEVICE, Localizer
from radiomap.localize.neuralmap.atoms import init_atoms
from radiomap.localize.neuralmap.localize import PipelineConfig, localize
from radiomap.localize.neuralmap.model import ModelBasedChannelMap, build_model_based_map, model_bytes
from radiomap.localize.neuralmap.train import train_map
from radiomap.params import Interval, Options, Param

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

SPEED_OF_LIGHT = 299_792_458.0


def resolve_device(device: str) -> torch.device:
    """The torch device of a ``device`` parameter.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when available, else CPU) or a torch device name.

    Returns
    -------
    torch.device
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def csi_matrix(ds: CSIDataset) -> np.ndarray:
    """A dataset's CSI as one ``(B N_a) x K`` matrix per sample.

    Parameters
    ----------
    ds : CSIDataset
        CSI complex [N, B, N_a, K] (no time axis).

    Returns
    -------
    ndarray, complex64 [N, B N_a, K]

    Raises
    ------
    DataError
        No CSI (features only) or a time axis.
    """
    if ds.csi is None:
        raise DataError("neuralmap needs raw CSI; the dataset stores only features")
    if ds.csi.ndim != 4:
        raise DataError(f"neuralmap expects csi [N, B, N_a, K], got shape {ds.csi.shape}")
    n, b, a, k = ds.csi.shape
    return np.ascontiguousarray(ds.csi.reshape(n, b * a, k), dtype=np.complex64)


def dataset_wavelength(ds: CSIDataset) -> float:
    """Carrier wavelength from ``meta["carrier_hz"]`` or the dataset's scene.

    Parameters
    ----------
    ds : CSIDataset

    Returns
    -------
    float
        Wavelength (m).
    """
    carrier = ds.meta.get("carrier_hz")
    if carrier is None:
        carrier = ds.scene.ofdm.carrier_hz
    return SPEED_OF_LIGHT / float(carrier)


class NeuralMapLocalizer(Localizer):
    """Model-based neural location-to-channel map + 5-stage search (SPEC section 3).

    Parameters
    ----------
    n_regions : Taylor-expansion regions per axis (``n_regions**2`` regions)
    atoms_per_region : atoms per region (``D = n_regions**2 * atoms_per_region``)
    region_overlap : width of the blend between neighbouring regions, in region widths (1: full tents)
    hidden, n_layers, n_ff, ff_max_cycles_per_m : weight MLP and its low-frequency embedding
    epochs, batch_size, lr, patience, val_fraction : training (validation carved from the train set)
    global_step, local_half, local_step, n_grad, n_circles, circle_points, global_metric, query_batch :
        search (lengths in wavelengths, see ``PipelineConfig``)
    device : "auto" (CUDA if present), "cpu" or "cuda"; seed : all randomness; progress : tqdm bars

    Attributes
    ----------
    model_ : ModelBasedChannelMap
        The learned map (on the CPU between calls), in units of ``scale_``.
    scale_ : float
        RMS amplitude of the training CSI (the map's unit).
    wavelength_ : float
        Carrier wavelength (m).
    lo_, hi_ : ndarray, float64 [2]
        Bounding box of the training positions (m), the search box.
    z_ : float
        Users' plane (m), the median training height.
    model_config_ : dict
        Sizes of the map (atoms, antennas, subcarriers, MLP) for ``load``.
    fit_info_ : FitInfo
        ``training["map"]`` the ``TrainResult`` summary, ``objective`` the validation NMSE (dB) per epoch.
    """

    supervised = True
    param_spec = {
        "n_regions": Param(Interval(int, 1, None), "Taylor-expansion regions per axis (n_regions^2 regions)"),
        "atoms_per_region": Param(Interval(int, 1, None), "atoms per region"),
        "region_overlap": Param(Interval(float, 0, 1, closed="right"),
                                "blend width between neighbouring Taylor regions (region widths)"),
        "hidden": Param(Interval(int, 1, None), "width of the weight MLP"),
        "n_layers": Param(Interval(int, 1, None), "hidden layers of the weight MLP"),
        "n_ff": Param(Interval(int, 0, None), "Fourier features of the low-frequency position embedding"),
        "ff_max_cycles_per_m": Param(Interval(float, 0, None, closed="neither"), "highest embedding frequency (1/m)"),
        "epochs": Param(Interval(int, 1, None), "training epochs"),
        "batch_size": Param(Interval(int, 1, None), "mini-batch size"),
        "lr": Param(Interval(float, 0, None, closed="neither"), "learning rate"),
        "patience": Param(Interval(int, 1, None), "early-stopping patience (epochs)"),
        "val_fraction": Param(Interval(float, 0, 0.5, closed="neither"), "validation share of the training set"),
        "global_step": Param(Interval(float, 0, None, closed="neither"), "global search grid step (wavelengths)"),
        "local_half": Param(Interval(float, 0, None, closed="neither"), "local search half-width (wavelengths)"),
        "local_step": Param(Interval(float, 0, None, closed="neither"), "local search grid step (wavelengths)"),
        "n_grad": Param(Interval(int, 0, None), "gradient-descent steps of the refinement"),
        "n_circles": Param(Interval(int, 0, None), "circles of candidate points around the estimate"),
        "circle_points": Param(Interval(int, 1, None), "points per circle"),
        "global_metric": Param(Options("pi", "frobenius"), "distance of the global search"),
        "query_batch": Param(Interval(int, 1, None), "queries localized at once"),
        "device": Param(TORCH_DEVICE, "torch device"),
        "seed": SEED, "progress": PROGRESS,
    }

    def __init__(self, *, n_regions: int = 1, atoms_per_region: int = 32, region_overlap: float = 1.0,
                 hidden: int = 64, n_layers: int = 2,
                 n_ff: int = 16, ff_max_cycles_per_m: float = 1.5, epochs: int = 600, batch_size: int = 128,
                 lr: float = 3e-3, patience: int = 60, val_fraction: float = 0.1, global_step: float = 0.125,
                 local_half: float = 0.25, local_step: float = 0.0625, n_grad: int = 40, n_circles: int = 2,
                 circle_points: int = 16, global_metric: str = "pi", query_batch: int = 512,
                 device: str = "auto", seed: int = 0, progress: bool = False):
        self.n_regions = n_regions
        self.atoms_per_region = atoms_per_region
        self.region_overlap = region_overlap
        self.hidden = hidden
        self.n_layers = n_layers
        self.n_ff = n_ff
        self.ff_max_cycles_per_m = ff_max_cycles_per_m
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.val_fraction = val_fraction
        self.global_step = global_step
        self.local_half = local_half
        self.local_step = local_step
        self.n_grad = n_grad
        self.n_circles = n_circles
        self.circle_points = circle_points
        self.global_metric = global_metric
        self.query_batch = query_batch
        self.device = device
        self.seed = seed
        self.progress = progress

    # -- helpers ---------------------------------------------------------------------------
    def pipeline_config(self) -> PipelineConfig:
        """The search's hyper-parameters (validated).

        Returns
        -------
        PipelineConfig
        """
        return PipelineConfig(global_step=self.global_step, local_half=self.local_half, local_step=self.local_step,
                              n_grad=self.n_grad, n_circles=self.n_circles, circle_points=self.circle_points,
                              global_metric=self.global_metric, batch_size=self.query_batch)

    @property
    def model_bytes_(self) -> int:
        """int: bytes of the learned map (float32 parameters and buffers)."""
        return model_bytes(self.model_)

    # -- Localizer hooks -------------------------------------------------------------------
    def _fit(self, train: CSIDataset) -> None:
        self.pipeline_config()  # validates the search parameters before training
        dev = resolve_device(self.device)
        h = csi_matrix(train)
        pos = np.asarray(train.positions, dtype=np.float64)
        self.scale_ = float(np.sqrt(np.mean(np.abs(h) ** 2)))
        if not self.scale_ > 0:
            raise DataError("neuralmap: training CSI is all zero")
        h = h / self.scale_
        self.wavelength_ = dataset_wavelength(train)
        self.lo_, self.hi_ = pos[:, :2].min(0), pos[:, :2].max(0)
        self.z_ = float(np.median(pos[:, 2]))
        if np.ptp(pos[:, 2]) > self.wavelength_ / 4:
            raise DataError(f"neuralmap assumes users on one plane; training heights span {np.ptp(pos[:, 2]):.3f} m "
                            f"(> lambda/4 = {self.wavelength_ / 4:.3f} m)")
        init = init_atoms(pos, h, wavelength=self.wavelength_, n_regions=(self.n_regions, self.n_regions),
                          atoms_per_region=self.atoms_per_region, seed=self.seed, overlap=self.region_overlap,
                          device=dev,
                          progress=self.progress)
        self.model_ = build_model_based_map(init, lo=self.lo_, hi=self.hi_, wavelength=self.wavelength_,
                                            hidden=self.hidden, n_layers=self.n_layers, n_ff=self.n_ff,
                                            ff_max_cycles_per_m=self.ff_max_cycles_per_m,
                                            overlap=self.region_overlap, seed=self.seed)
        result = train_map(self.model_, pos, h, epochs=self.epochs, batch_size=self.batch_size,
                           lr=self.lr, val_fraction=self.val_fraction, patience=self.patience,
                           seed=self.seed, device=dev, progress=self.progress, desc="neuralmap")
        self.model_.to("cpu")
        self.model_config_ = dict(self.model_.config)
        self.fit_info_.training["map"] = result.summary()
        self.fit_info_.iterations = result.epochs_run
        self.fit_info_.objective = [h["val"] for h in result.history]
        self.fit_info_.stopped = result.stopped
        self.fit_info_.notes.update(model_bytes=model_bytes(self.model_), best_val_nmse_db=result.best_val)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        return self.localize_with_costs(ds)[0]

    def localize_with_costs(self, ds: CSIDataset) -> tuple[np.ndarray, dict]:
        """Localize and return the search costs too (nothing is written onto the localizer).

        Parameters
        ----------
        ds : CSIDataset
            Query CSI [N, B, N_a, K] of the training geometry.

        Returns
        -------
        positions : ndarray, float64 [N, 3]
            Estimates (m).
        costs : dict
            Per stage ``{"evals_per_query", "time_s"}``, ``"total"`` and ``"config"`` (see ``localize.localize``).
        """
        self.check_fitted()
        self.check_compatible(ds)
        dev = resolve_device(self.device)
        self.model_.to(dev)
        h = csi_matrix(ds) / self.scale_
        try:
            return localize(self.model_, h, lo=self.lo_, hi=self.hi_, z=self.z_, wavelength=self.wavelength_,
                            config=self.pipeline_config(), device=dev, progress=self.progress)
        finally:
            self.model_.to("cpu")

    def _build_module(self, name: str) -> ModelBasedChannelMap:
        cfg = self.model_config_
        d, a, s, r = cfg["n_atoms"], cfg["n_antennas"], cfg["n_subcarriers"], self.n_regions
        return ModelBasedChannelMap(
            wave_vectors=np.zeros((d, 3)), psi_a=np.zeros((d, a), complex), psi_f=np.zeros((d, s), complex),
            w0=np.ones(d, complex), atom_region=np.zeros(d, np.int64), centroids_x=np.zeros(r),
            centroids_y=np.zeros(r), z_ref=cfg["z_ref"], lo=self.lo_, hi=self.hi_, wavelength=cfg["wavelength"],
            hidden=cfg["hidden"], n_layers=cfg["n_layers"], ff_freqs=np.zeros((2, cfg["n_ff"])),
            overlap=cfg.get("overlap", 1.0))
