"""Reproduction of seeds 001 + 003 (Chatelier et al.): model-based neural location-to-channel map
and sub-wavelength localization with neural data augmentation, on the ``chatelier-plane`` scene.

Stages (each a function returning a dataclass): ``simulate_data`` drops training and test positions
uniformly on the users' plane and simulates exact spherical-wavefront CSI; ``fit_maps`` trains the
model-based map (inside the ``neuralmap`` localizer) and two spectral-bias baselines (plain MLP,
Fourier-feature MLP) with the same loop; ``reconstruction`` measures the NMSE on the lambda/4 grid of
the whole area (with images of one antenna/subcarrier and their 2-D Fourier transforms);
``position_bounds`` computes the position-error bound at every test point under the test sets' SNR
convention (``radiomap.limits.snr_position_error_bound``); ``localization`` localizes the test points at
each SNR with ``neuralmap`` and the fingerprint baselines built from the same training set (``nn-pi``,
``nn-cosine``, ``wknn-csi``) plus the trivial centroid, next to the bound (overall and in the LOS / NLOS
parts of the area); ``write_report`` adds memory (model vs dictionary bytes), per-query time and figures.

``ChatelierConfig.cpu()`` (the default) scales the seed down to minutes on two cores, ``.large()`` is
the larger CPU configuration (5 m x 5 m, 32 antennas, 3 x 3 Taylor regions, ~10 min), ``.full()`` the
seed's sizes for a GPU; ``scene="chatelier-plane-nlos"`` selects the variant whose line of sight is
blocked over most of the area.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from radiomap.data import CSIDataset
from radiomap.errors import ParameterError
from radiomap.eval.metrics import error_summary, position_errors
from radiomap.eval.report import Report
from radiomap.limits import snr_position_error_bound
from radiomap.localize import LOCALIZERS
from radiomap.localize.neuralmap import (
    build_fourier_mlp,
    build_plain_mlp,
    csi_matrix,
    grid_positions,
    model_bytes,
    n_parameters,
    predict_map,
    resolve_device,
    train_map,
)
from radiomap.localize.training import torch_threads
from radiomap.scene import ULA, Scene, get_scene
from radiomap.simulate import simulate_dataset

SCENE = "chatelier-plane"
FINGERPRINTS = ("nn-pi", "nn-cosine", "wknn-csi")
PEB_NOTE = ("The PEB bounds the root-mean-square error of an unbiased estimator at each point. An efficient "
            "estimator's 2-D error has median sqrt(ln 2) = 0.83 PEB when its covariance is isotropic (down to "
            "0.67 PEB when it is very elongated), so `median / PEB median` near 0.7-0.8 means at the bound, and a "
            "learned map (biased, trained on finitely many points) cannot be expected to stay below it everywhere.")
PUBLISHED_SOURCE = "seed 001 abstract (arXiv 2506.06387) and seed 003 slides; their numbers were lost in extraction"


@dataclass(frozen=True)
class ChatelierConfig:
    """Sizes of the reproduction.

    Parameters
    ----------
    scene : str
        Scene preset (``chatelier-plane`` or ``chatelier-plane-nlos``); its AP array is replaced by a
        ``n_antennas``-element ULA.
    area : tuple of float
        ``(x0, y0, x1, y1)`` (m) on the users' plane.
    n_train, n_test : int
        Uniform training / test drops.
    snrs_db : tuple of float
        Test SNRs (dB, per sample over antennas and subcarriers; training is noiseless).
    n_regions, atoms_per_region, region_overlap, hidden, epochs, patience, batch_size, global_step :
        ``neuralmap`` hyper-parameters (``global_step`` in wavelengths, ``region_overlap`` in region widths).
    mlp_baselines : bool
        Train the plain and Fourier-feature MLP maps too.
    mlp_hidden, mlp_layers : int
        Their size.
    fingerprints : tuple of str
        Fingerprint baselines localized next to ``neuralmap``.
    grid_step : float
        Reconstruction grid step (wavelengths).
    grid_chunk : int
        Grid points simulated at once.
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    torch_threads : int or None
        CPU threads for the run (restored afterwards); small-batch ops measured ~10x faster on 1 thread
        than on 2 on a shared 2-core CPU.
    """

    scene: str = SCENE
    n_antennas: int = 16
    area: tuple[float, float, float, float] = (4.0, 4.0, 6.0, 6.0)
    n_train: int = 2000
    n_test: int = 10000
    snrs_db: tuple[float, ...] = (20.0, 5.0)
    n_regions: int = 1
    atoms_per_region: int = 32
    region_overlap: float = 1.0
    hidden: int = 64
    epochs: int = 600
    patience: int = 60
    batch_size: int = 128
    mlp_baselines: bool = True
    mlp_hidden: int = 64
    mlp_layers: int = 3
    fingerprints: tuple[str, ...] = FINGERPRINTS
    global_step: float = 0.125
    grid_step: float = 0.25
    grid_chunk: int = 8192
    device: str = "auto"
    torch_threads: int | None = 1

    @staticmethod
    def cpu() -> ChatelierConfig:
        """Minutes on 2 CPU cores: 16-antenna ULA, a 2 m x 2 m part of the plane, 2000 training points.

        Returns
        -------
        ChatelierConfig
        """
        return ChatelierConfig()

    @staticmethod
    def medium() -> ChatelierConfig:
        """A few minutes on 2 CPU cores: 24-antenna ULA, 3.5 m x 3.5 m, 2 x 2 Taylor regions, 5,000 training points.

        ``large``'s other settings (48 atoms per region, region overlap 0.3), 200 epochs.

        Returns
        -------
        ChatelierConfig
        """
        return dataclasses.replace(ChatelierConfig.large(), n_antennas=24, area=(3.25, 3.25, 6.75, 6.75),
                                   n_train=5000, n_regions=2, epochs=200, patience=200)

    @staticmethod
    def large() -> ChatelierConfig:
        """About 10 min on 2 CPU cores: 32-antenna ULA, 5 m x 5 m, 3 x 3 Taylor regions, 10,000 training points.

        400 training points per square metre as ``full``; 48 atoms per region (validation NMSE grows with the
        atoms, more than 48 no longer fit the time budget); neighbouring regions blend over 0.3 of a region
        width (``region_overlap``; with the full tents each region's planar wavefronts had to hold over twice
        its width, where the paths' curvature left -21.8 dB validation NMSE, vs -24.5 dB at 0.3); no early
        stopping before the cosine schedule ends.

        Returns
        -------
        ChatelierConfig
        """
        return ChatelierConfig(n_antennas=32, area=(2.5, 2.5, 7.5, 7.5), n_train=10000, n_test=2000, n_regions=3,
                               atoms_per_region=48, region_overlap=0.3, hidden=64, epochs=120, patience=120,
                               batch_size=256, mlp_baselines=False, fingerprints=("nn-pi", "wknn-csi"), grid_chunk=4096)

    @staticmethod
    def full() -> ChatelierConfig:
        """The seed's sizes (GPU): 64-antenna ULA, the whole 10 m x 10 m plane, 5 x 5 Taylor regions.

        Returns
        -------
        ChatelierConfig
        """
        return ChatelierConfig(n_antennas=64, area=(0.0, 0.0, 10.0, 10.0), n_train=40000, n_test=10000,
                               n_regions=5, atoms_per_region=48, hidden=128, epochs=1000, patience=100,
                               batch_size=1024, mlp_hidden=256, mlp_layers=4, grid_chunk=4096, torch_threads=None)

    @staticmethod
    def preset(name: str) -> ChatelierConfig:
        """A named configuration.

        Parameters
        ----------
        name : str
            One of ``PRESETS`` (``cpu``, ``medium``, ``large``, ``full``).

        Returns
        -------
        ChatelierConfig

        Raises
        ------
        ParameterError
            An unknown name (the message lists the known ones).
        """
        if name not in PRESETS:
            raise ParameterError(f"unknown chatelier2025 preset {name!r}; expected one of {', '.join(PRESETS)}")
        return getattr(ChatelierConfig, name)()


PRESETS = ("cpu", "medium", "large", "full")
"""Named sizes of ``ChatelierConfig.preset``, smallest first."""


@dataclass
class ChatelierData:
    """Simulated data of one run.

    Attributes
    ----------
    scene : Scene
    train : CSIDataset
        Noiseless training CSI at ``x_train``.
    tests : dict[float, CSIDataset]
        Test CSI at ``x_test`` per SNR (dB).
    x_train, x_test : ndarray, float64 [N, 3]
        Positions (m).
    height : float
        Users' plane (m).
    wavelength : float
        Carrier wavelength (m).
    """

    scene: Scene
    train: CSIDataset
    tests: dict[float, CSIDataset]
    x_train: np.ndarray
    x_test: np.ndarray
    height: float
    wavelength: float

    @property
    def test_los(self) -> np.ndarray:
        """ndarray, bool [N_test]: the test point sees the AP directly."""
        return next(iter(self.tests.values())).los[:, 0]


@dataclass
class FittedMaps:
    """Trained maps.

    Attributes
    ----------
    localizer : NeuralMapLocalizer
        The fitted ``neuralmap`` localizer (its ``model_`` is the model-based map).
    mlps : dict[str, torch.nn.Module]
        The MLP baselines by name (empty without ``cfg.mlp_baselines``).
    rows : list of dict
        One training row per map.
    """

    localizer: object
    mlps: dict[str, torch.nn.Module]
    rows: list[dict]

    @property
    def maps(self) -> dict[str, torch.nn.Module]:
        """dict[str, torch.nn.Module]: every channel map by row name (the model-based one first)."""
        return {"model-based (neuralmap)": self.localizer.model_, **self.mlps}


@dataclass
class Reconstruction:
    """Reconstruction on the grid.

    Attributes
    ----------
    nmse_db : dict[str, float]
        NMSE (dB) of each map.
    images : dict[str, ndarray]
        Re H of antenna 0, centre subcarrier, float [G] over the grid (``"true"`` and each map).
    shape : tuple of int
        Grid points per axis (x, y).
    step_m : float
        Grid step (m).
    """

    nmse_db: dict[str, float]
    images: dict[str, np.ndarray]
    shape: tuple[int, int]
    step_m: float


@dataclass
class Localization:
    """Localization results.

    Attributes
    ----------
    errors : dict[tuple[str, float], ndarray]
        2-D errors float64 [N_test] (m) by (method, SNR).
    rows : list of dict
        The localization table (with PEB columns).
    region_rows : list of dict
        Per LOS / NLOS part of the area (when both occur).
    cost_rows : list of dict
        neuralmap search stages.
    times : dict[tuple[str, float], float]
        Localization wall time (s) by (method, SNR).
    dictionary_bytes : int
        Bytes of the fingerprint dictionary.
    """

    errors: dict
    rows: list[dict]
    region_rows: list[dict]
    cost_rows: list[dict]
    times: dict
    dictionary_bytes: int = 0
    peb: dict = field(default_factory=dict)


def make_scene(cfg: ChatelierConfig) -> Scene:
    """The configured scene preset with its AP array replaced by a ``cfg.n_antennas``-element ULA.

    Parameters
    ----------
    cfg : ChatelierConfig

    Returns
    -------
    Scene
    """
    scene = get_scene(cfg.scene)
    return dataclasses.replace(scene, aps=tuple(dataclasses.replace(ap, array=ULA(cfg.n_antennas))
                                                for ap in scene.aps))


def uniform_positions(rng: np.random.Generator, area: tuple[float, ...], n: int, height: float) -> np.ndarray:
    """Uniform drops in a rectangle.

    Parameters
    ----------
    rng : numpy.random.Generator
    area : tuple of float
        ``(x0, y0, x1, y1)`` (m).
    n : int
    height : float
        (m).

    Returns
    -------
    ndarray, float64 [n, 3]
        Positions (m).
    """
    x0, y0, x1, y1 = area
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n), np.full(n, height)])


def simulate_data(cfg: ChatelierConfig, seed: int, progress: bool = False) -> ChatelierData:
    """Training (noiseless) and test (one per SNR) CSI at independent uniform drops.

    Parameters
    ----------
    cfg : ChatelierConfig
    seed : int
    progress : bool

    Returns
    -------
    ChatelierData
    """
    scene = make_scene(cfg)
    height = float(scene.user_heights[0])
    rng = np.random.default_rng(seed)
    x_train = uniform_positions(rng, cfg.area, cfg.n_train, height)
    x_test = uniform_positions(rng, cfg.area, cfg.n_test, height)
    train = simulate_dataset(scene, x_train, seed=seed, progress=progress)
    tests = {snr: simulate_dataset(scene, x_test, snr_db=snr, seed=seed + 1 + i, progress=progress)
             for i, snr in enumerate(cfg.snrs_db)}
    return ChatelierData(scene, train, tests, x_train, x_test, height, scene.ofdm.wavelength)


def fit_maps(data: ChatelierData, cfg: ChatelierConfig, seed: int, progress: bool = False) -> FittedMaps:
    """Train the model-based map (``neuralmap``) and, with ``cfg.mlp_baselines``, the two MLP maps.

    Parameters
    ----------
    data : ChatelierData
    cfg : ChatelierConfig
    seed : int
    progress : bool

    Returns
    -------
    FittedMaps
        Rows: parameters, bytes, epochs, fit time (s), training samples/s, best validation NMSE (dB).
    """
    dev = resolve_device(cfg.device)
    loc = LOCALIZERS.get("neuralmap")(n_regions=cfg.n_regions, atoms_per_region=cfg.atoms_per_region,
                                      region_overlap=cfg.region_overlap, hidden=cfg.hidden, epochs=cfg.epochs,
                                      patience=cfg.patience, batch_size=cfg.batch_size, global_step=cfg.global_step,
                                      device=str(dev), seed=seed, progress=progress)
    loc.fit(data.train)
    trained = loc.fit_info_.training["map"]
    rows = [{"model": "model-based (neuralmap)", "parameters": n_parameters(loc.model_),
             "bytes": model_bytes(loc.model_), "epochs": trained["epochs_run"],
             "fit time (s)": loc.fit_info_.fit_time_s, "samples/s": trained["samples_per_s"],
             "val NMSE (dB)": trained["best_val"]}]
    mlps: dict[str, torch.nn.Module] = {}
    if cfg.mlp_baselines:
        h_train = csi_matrix(data.train) / loc.scale_
        box = {"lo": np.array([cfg.area[0], cfg.area[1], data.height - 0.5]),
               "hi": np.array([cfg.area[2], cfg.area[3], data.height + 0.5]),
               "n_antennas": h_train.shape[1], "n_subcarriers": h_train.shape[2], "hidden": cfg.mlp_hidden,
               "n_layers": cfg.mlp_layers, "seed": seed}
        mlps = {"plain MLP": build_plain_mlp(**box),
                "Fourier-feature MLP": build_fourier_mlp(wavelength=data.wavelength, **box)}
        for name, model in mlps.items():
            res = train_map(model, data.x_train, h_train, epochs=cfg.epochs, batch_size=cfg.batch_size,
                            patience=cfg.patience, seed=seed, device=dev, progress=progress, desc=name)
            model.to("cpu")
            rows.append({"model": name, "parameters": n_parameters(model), "bytes": model_bytes(model),
                         "epochs": res.epochs_run, "fit time (s)": res.train_time_s,
                         "samples/s": res.samples_per_s, "val NMSE (dB)": res.best_val})
    return FittedMaps(loc, mlps, rows)


def reconstruction(data: ChatelierData, fitted: FittedMaps, cfg: ChatelierConfig) -> Reconstruction:
    """NMSE of every map on the ``cfg.grid_step``-wavelength grid of the whole area (chunked, maps on ``cfg.device``).

    Parameters
    ----------
    data : ChatelierData
    fitted : FittedMaps
    cfg : ChatelierConfig

    Returns
    -------
    Reconstruction
        ``nmse_db`` keyed like ``fitted.rows``; images keyed ``"true"`` and the map names.
    """
    step = cfg.grid_step * data.wavelength
    grid = grid_positions(np.array(cfg.area[:2]), np.array(cfg.area[2:]), step, data.height)
    shape = (len(np.unique(grid[:, 0])), len(np.unique(grid[:, 1])))
    maps, scale, dev = fitted.maps, fitted.localizer.scale_, resolve_device(cfg.device)
    err, energy = dict.fromkeys(maps, 0.0), 0.0
    images: dict[str, list] = {name: [] for name in ["true", *maps]}
    for i in range(0, len(grid), cfg.grid_chunk):
        pts = grid[i:i + cfg.grid_chunk]
        truth = csi_matrix(simulate_dataset(data.scene, pts)) / scale
        k_mid = truth.shape[2] // 2
        energy += float(np.sum(np.abs(truth) ** 2))
        images["true"].append(truth[:, 0, k_mid].real)
        for name, model in maps.items():
            pred = predict_map(model.to(dev), pts, device=dev)
            err[name] += float(np.sum(np.abs(pred - truth) ** 2))
            images[name].append(pred[:, 0, k_mid].real)
    for model in maps.values():
        model.to("cpu")
    nmse = {name: float(10 * np.log10(e / energy)) for name, e in err.items()}
    return Reconstruction(nmse, {k: np.concatenate(v) for k, v in images.items()}, shape, step)


def position_bounds(data: ChatelierData) -> dict[float, np.ndarray]:
    """PEB at every test point for each test SNR, with the simulator's per-sample SNR noise convention.

    Parameters
    ----------
    data : ChatelierData

    Returns
    -------
    dict[float, ndarray]
        SNR (dB) -> PEB float64 [N_test] (m), 2-D.
    """
    snrs = np.array(list(data.tests), dtype=np.float64)
    peb = snr_position_error_bound(data.scene, data.x_test, snrs)
    return dict(zip(data.tests, peb, strict=True))


def _predict_all(data: ChatelierData, fitted: FittedMaps, cfg: ChatelierConfig):
    fingerprints = {name: LOCALIZERS.get(name)().fit(data.train) for name in cfg.fingerprints}
    preds, times, costs = {}, {}, {}
    for snr, test in data.tests.items():
        t = time.perf_counter()
        preds["neuralmap", snr], costs[snr] = fitted.localizer.localize_with_costs(test)
        times["neuralmap", snr] = time.perf_counter() - t
        for name, fp in fingerprints.items():
            t = time.perf_counter()
            preds[name, snr] = fp.predict(test)
            times[name, snr] = time.perf_counter() - t
        preds["centroid", snr] = np.repeat(data.x_train.mean(0)[None], len(data.x_test), axis=0)
        times["centroid", snr] = 0.0
    dict_bytes = next(iter(fingerprints.values())).dictionary_bytes_ if fingerprints else 0
    return preds, times, costs, dict_bytes


def error_row(errors: np.ndarray, peb: np.ndarray, wavelength: float) -> dict:
    """Median / p90 of a method's errors next to the PEB's, and their ratios.

    Parameters
    ----------
    errors : ndarray, float [N]
        2-D errors (m).
    peb : ndarray, float [N]
        PEB at the same points (m).
    wavelength : float
        (m).

    Returns
    -------
    dict
        ``median (m)``, ``median (lambda)``, ``mean (m)``, ``p90 (m)``, ``frac < lambda/4``, ``PEB median (m)``,
        ``median / PEB median``, ``PEB p90 (m)``, ``p90 / PEB p90``.
    """
    s, b = error_summary(errors), error_summary(peb)
    return {"median (m)": s["median"], "median (lambda)": s["median"] / wavelength, "mean (m)": s["mean"],
            "p90 (m)": s["p90"], "frac < lambda/4": float(np.mean(errors < wavelength / 4)),
            "PEB median (m)": b["median"], "median / PEB median": s["median"] / b["median"],
            "PEB p90 (m)": b["p90"], "p90 / PEB p90": s["p90"] / b["p90"]}


def localization(data: ChatelierData, fitted: FittedMaps, peb: dict[float, np.ndarray],
                 cfg: ChatelierConfig) -> Localization:
    """Localize every test set with neuralmap, the fingerprint baselines and the centroid, next to the PEB.

    Parameters
    ----------
    data : ChatelierData
    fitted : FittedMaps
    peb : dict[float, ndarray]
        ``position_bounds(data)``.
    cfg : ChatelierConfig

    Returns
    -------
    Localization
    """
    preds, times, costs, dict_bytes = _predict_all(data, fitted, cfg)
    errors = {key: position_errors(p, data.x_test, dims=2) for key, p in preds.items()}
    los = data.test_los
    parts = {"LOS": los, "NLOS": ~los} if los.any() and (~los).any() else {}
    rows, region_rows, cost_rows = [], [], []
    for (name, snr), e in errors.items():
        med_nm = float(np.median(errors["neuralmap", snr]))
        rows.append({"method": name, "SNR (dB)": snr, **error_row(e, peb[snr], data.wavelength),
                     "time/query (ms)": 1e3 * times[name, snr] / len(e),
                     "median / neuralmap median": float(np.median(e)) / max(med_nm, 1e-12)})
        for part, m in parts.items():
            region_rows.append({"part": part, "points": int(m.sum()), "method": name, "SNR (dB)": snr,
                                **error_row(e[m], peb[snr][m], data.wavelength)})
    for snr, c in costs.items():
        cost_rows += [{"SNR (dB)": snr, "stage": stage, "f evaluations / query": v["evals_per_query"],
                       "time (s)": v["time_s"], "time/query (ms)": 1e3 * v["time_s"] / len(data.x_test)}
                      for stage, v in c.items() if stage != "config"]
    return Localization(errors, rows, region_rows, cost_rows, times, dict_bytes, peb)


def run(out_dir: Path, *, full: bool = False, seed: int = 0, progress: bool = True,
        config: ChatelierConfig | None = None, overwrite: bool = False) -> Report:
    """Run the reproduction and write its report into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Report folder.
    full : bool
        The seed's sizes (``ChatelierConfig.full``) instead of the CPU configuration.
    seed : int
    progress : bool
    config : ChatelierConfig or None
        Overrides the sizes; its ``torch_threads`` (CPU only) is applied for the run and restored.
    overwrite : bool

    Returns
    -------
    Report
        The written report (tables ``reconstruction``, ``localization``, ``search_cost``, ``memory`` and, when
        the area has LOS and NLOS parts, ``by_los_region``).
    """
    started = time.perf_counter()
    cfg = config or (ChatelierConfig.full() if full else ChatelierConfig.cpu())
    dev = resolve_device(cfg.device)
    with torch_threads(cfg.torch_threads if dev.type == "cpu" else None):
        data = simulate_data(cfg, seed, progress)
        fitted = fit_maps(data, cfg, seed, progress)
        rec = reconstruction(data, fitted, cfg)
        peb = position_bounds(data)
        loc = localization(data, fitted, peb, cfg)
        return write_report(Path(out_dir), data, fitted, rec, loc, cfg,
                            {"full": full, "seed": seed, "device": str(dev), "torch_threads": torch.get_num_threads()},
                            started=started, overwrite=overwrite)


def write_report(out_dir: Path, data: ChatelierData, fitted: FittedMaps, rec: Reconstruction, loc: Localization,
                 cfg: ChatelierConfig, run_info: dict, *, started: float, overwrite: bool = False) -> Report:
    """Tables, figures and notes of one run, written atomically into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
    data, fitted, rec, loc : the stages' results.
    cfg : ChatelierConfig
    run_info : dict
        ``full``, ``seed``, ``device``, ``torch_threads`` (into the settings).
    started : float
        ``time.perf_counter()`` at the start of the run.
    overwrite : bool

    Returns
    -------
    Report
    """
    report = Report("Chatelier et al. (seeds 001 + 003): model-based neural map, sub-wavelength localization",
                    out_dir, _settings(data, cfg, run_info), overwrite=overwrite, started=started)
    for row in fitted.rows:
        row["grid NMSE (dB)"] = rec.nmse_db[row["model"]]
    report.add_table("reconstruction", fitted.rows,
                     caption=f"Reconstruction NMSE on the lambda/4 grid of the whole area ({np.prod(rec.shape)} "
                             f"points, {rec.shape[0]} x {rec.shape[1]}); training on {cfg.n_train} noiseless samples.")
    report.add_figure("fourier_images", fourier_figure(rec, cfg.area))
    lam = data.wavelength
    report.add_table("localization", loc.rows,
                     caption=f"{cfg.n_test} independent uniform test points; 2-D error; lambda = {lam * 100:.2f} cm; "
                             "PEB = position-error bound at the same points and SNR.")
    if loc.region_rows:
        n_nlos = int((~data.test_los).sum())
        report.add_table("by_los_region", loc.region_rows,
                         caption=f"The test points that see the AP directly (LOS) and those that do not (NLOS, "
                                 f"{n_nlos} of {cfg.n_test}), each next to the PEB at the same points.")
    report.add_table("search_cost", loc.cost_rows,
                     caption="neuralmap search stages: f_theta evaluations per query (the global grid's "
                             "f_theta(G_G) is computed once and shared) and wall time.")
    report.add_table("memory", memory_rows(fitted, loc, cfg),
                     caption="Stored bytes (float32 parameters and buffers vs complex64 CSI dictionary).")
    report.add_published("claims", [
        {"claim": "reconstruction", "published": "near-perfect channel reconstruction at the sub-wavelength level"},
        {"claim": "localization", "published": "sub-wavelength median error, several orders of magnitude better "
                                               "than fingerprinting"},
        {"claim": "memory", "published": "about 10x less memory than the fingerprint dictionary"},
    ], source=PUBLISHED_SOURCE)
    report.add_figure("error_cdf", error_cdf_figure(loc, lam))
    report.add_text(PEB_NOTE)
    report.add_text(f"{cfg.n_antennas}-antenna ULA (seed: 64), area {cfg.area[2] - cfg.area[0]:g} m x "
                    f"{cfg.area[3] - cfg.area[1]:g} m of the 10 m x 10 m plane, {cfg.n_regions} x {cfg.n_regions} "
                    f"Taylor regions, {cfg.n_train} training points, {data.scene.ofdm.n_subcarriers} subcarriers over "
                    f"{data.scene.ofdm.bandwidth_hz / 1e6:g} MHz, scene `{cfg.scene}`. Total run time "
                    f"{report.elapsed_s:.0f} s on {run_info['device']}.")
    report.write()
    return report


def _settings(data: ChatelierData, cfg: ChatelierConfig, run_info: dict) -> dict:
    ofdm = data.scene.ofdm
    return {"scene": cfg.scene, "config": asdict(cfg), **run_info, "wavelength_m": data.wavelength,
            "carrier_hz": ofdm.carrier_hz, "n_subcarriers": ofdm.n_subcarriers, "bandwidth_hz": ofdm.bandwidth_hz,
            "wavefront": "spherical", "train_snr": "noiseless", "split": "independent uniform drops (train / test)",
            "peb": "snr_position_error_bound at every test point: 2-D, noise variance = mean |H|^2 / SNR per "
                   "(sample, AP), as simulate_dataset(snr_db=...)"}


def memory_rows(fitted: FittedMaps, loc: Localization, cfg: ChatelierConfig) -> list[dict]:
    """Bytes of each map and of the fingerprint dictionary, and their ratio to it.

    Parameters
    ----------
    fitted : FittedMaps
    loc : Localization
    cfg : ChatelierConfig

    Returns
    -------
    list of dict
    """
    ref = loc.dictionary_bytes or 1
    rows = [{"what": name, "bytes": model_bytes(m), "ratio to dictionary": model_bytes(m) / ref}
            for name, m in fitted.maps.items()]
    if loc.dictionary_bytes:
        shape = fitted.localizer.model_config_
        rows.append({"what": f"fingerprint dictionary ({cfg.n_train} x {shape['n_antennas']} x "
                             f"{shape['n_subcarriers']} complex64 + positions)", "bytes": loc.dictionary_bytes,
                     "ratio to dictionary": 1.0})
    return rows


def fourier_figure(rec: Reconstruction, area: tuple[float, ...]):
    """Re H over the grid (antenna 0, centre subcarrier) per map, and its 2-D Fourier transform.

    Parameters
    ----------
    rec : Reconstruction
    area : tuple of float
        ``(x0, y0, x1, y1)`` (m).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    names = list(rec.images)
    fig, axes = plt.subplots(2, len(names), figsize=(3.2 * len(names), 6.2), squeeze=False)
    freq = np.fft.fftshift(np.fft.fftfreq(rec.shape[0], d=rec.step_m))
    vmax = np.abs(rec.images["true"]).max()
    for j, name in enumerate(names):
        img = rec.images[name].reshape(rec.shape)
        axes[0, j].imshow(img.T, origin="lower", cmap="RdBu", vmin=-vmax, vmax=vmax,
                          extent=(area[0], area[2], area[1], area[3]))
        title = name if name == "true" else f"{name}\nNMSE {rec.nmse_db[name]:.1f} dB"
        axes[0, j].set_title(title, fontsize=9)
        spec = np.abs(np.fft.fftshift(np.fft.fft2(img)))
        axes[1, j].imshow(20 * np.log10(spec.T / spec.max() + 1e-6), origin="lower", cmap="viridis", vmin=-60,
                          vmax=0, extent=(freq[0], freq[-1], freq[0], freq[-1]))
        axes[1, j].set_xlabel("cycles / m")
    axes[0, 0].set_ylabel("y (m)")
    axes[1, 0].set_ylabel("2-D Fourier transform (dB)")
    fig.suptitle("Re H(x), antenna 0, centre subcarrier, over the lambda/4 grid")
    fig.tight_layout()
    return fig


def error_cdf_figure(loc: Localization, wavelength: float):
    """Error CDFs of every method and SNR (m and wavelengths, log axis) with the PEB's CDF as reference.

    Parameters
    ----------
    loc : Localization
    wavelength : float
        (m).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from radiomap.eval.plots import error_cdf

    curves = {f"{name} @ {snr:g} dB": e for (name, snr), e in loc.errors.items() if name != "centroid"}
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.4))
    for ax, scale, unit in ((axes[0], 1.0, "m"), (axes[1], wavelength, "lambda")):
        error_cdf({k: e / scale for k, e in curves.items()}, ax=ax, unit=unit)
        for snr, p in loc.peb.items():
            x = np.sort(p[np.isfinite(p)]) / scale
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color="k",
                    linestyle="--" if snr == max(loc.peb) else ":", linewidth=1.6,
                    label=f"PEB @ {snr:g} dB (median {np.median(x):.3g} {unit})")
        ax.set_xscale("log")
        ax.set_xlim(3e-5 / scale, None)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    axes[0].set_title("Localization error CDF, with the position-error bound (black)")
    axes[1].set_title("... in wavelengths")
    fig.tight_layout()
    return fig

