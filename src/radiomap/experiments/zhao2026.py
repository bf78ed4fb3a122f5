"""Reproduction of seed 002 (Zhao et al. 2026): triple-beam fingerprints and LOA-Net.

``run(out_dir, full=False)`` on the ``zhao-tbf`` scene: a training grid on three floors with
random motion directions, random test points, TBFs in closed form from the traced paths (never
the 128 x 2048 x 112 SFT tensor), stored compactly (``X_AD`` float16, mask uint8, ``X_D`` float32)
in ``CSIDataset(csi=None, features=...)``; then WKNN, 2-D CNN, 3-D CNN, EC- and DE-MaskDETR
(localization), Fusion-TDC vs the continuous-CSI baseline (direction), FLOPs / parameters, and
a report with the seed's numbers in separate sections.

``full=False`` is the ``cpu`` preset (2 m grid, 600 test points, small networks with time budgets,
< 15 min on two cores); ``full=True`` is the ``paper`` preset (1 m grid, 2100 test points,
SPEC section 4.3 networks; needs a GPU to finish in reasonable time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from radiomap.channel import doppler_hz, trace
from radiomap.data import CSIDataset
from radiomap.eval import Report, accuracy, by_distance_ring, confusion_matrix, error_summary, position_errors
from radiomap.features import beamspace as bs
from radiomap.features.stage import part_keys
from radiomap.features.tbf import tb_shapes, tbf_from_beam_params
from radiomap.localize.loanet import (
    CNN2D,
    CNN3D,
    DOPPLER_NOISE,
    TBFWKNN,
    FusionTDCDirection,
    LOANet,
    continuous_csi_direction,
    doppler_noise_reference,
    get_preset,
    heading_to_class,
    matched_template_classes,
)
from radiomap.localize.training import torch_threads
from radiomap.mobility import class_headings, random_headings
from radiomap.scene import get_scene

SCENE = "zhao-tbf"
KMH = 1.0 / 3.6
TEMPLATE_HEADINGS = 64
TEMPLATE_POINTS = 300
"""Candidate headings and test points (the first ones) of the matched-template direction ceiling (Table VI)."""


@dataclass(frozen=True)
class Settings:
    """Sizes of one run (``cpu`` or ``full``)."""

    preset: str
    grid_m: float
    n_test: int  # test points (all floors)
    n_dir_train_pos: int  # training positions used for the direction task (x 16 directions)
    speeds_kmh: tuple[float, ...] = (3.0, 5.0, 8.0, 30.0)
    snrs_db: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0)
    snr_train_db: float = 20.0
    budget_reg_s: float | None = None  # wall-clock budget per localization network (None: equal epoch rule only)
    budget_tdc_s: float | None = None  # per Fusion-TDC training
    threads: int = 1  # torch threads; >1 thrashes on a shared 2-core machine (measured 30x slower per step)
    train_speed_kmh: float = 5.0  # speed of the localization data's random headings
    snr_sweep_speed_kmh: float = 5.0  # speed of the confusion matrix (Table VII covers every speed)
    dir_train_snr_db: tuple[float, float] | None = (0.0, 20.0)  # Fusion-TDC SNR range (None: snr_train_db only)
    dir_headings: str = "centres"  # training headings per position: the C class centres, or C uniform "random"


CPU_SETTINGS = Settings("cpu", grid_m=2.0, n_test=600, n_dir_train_pos=1200, budget_tdc_s=90.0)
FULL_SETTINGS = Settings("paper", grid_m=1.0, n_test=2100, n_dir_train_pos=10**9, threads=0)


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def random_points(scene, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` walkable points split evenly over the floors ``[n, 3]``."""
    x0, x1, y0, y1 = scene.bounds
    heights = np.asarray(scene.user_heights, dtype=np.float64)
    out = []
    for i, h in enumerate(heights):
        m = n // len(heights) + (i < n % len(heights))
        xy = np.empty((0, 2))
        while len(xy) < m:
            c = rng.uniform([x0, y0], [x1, y1], size=(2 * m, 2))
            xy = np.concatenate([xy, c[scene.contains(c)]])
        out.append(np.column_stack([xy[:m], np.full(m, h)]))
    return np.concatenate(out)


def tbf_keys(kw: dict) -> dict[str, str]:
    """Stored keys of the ``tbf`` feature's arrays for this run's ``n_taps`` / ``eta`` (``kw``)."""
    return part_keys("tbf", {"n_taps": kw["n_taps"], "eta": kw["eta"]})


def fingerprint_dataset(scene, params: bs.BeamParams, positions, velocity, *, n_taps: int, eta: float,
                        snr_db: float | None, rng: np.random.Generator, meta: dict,
                        angle_delay: bool = True) -> CSIDataset:
    """The ``tbf`` feature of ``params`` as a ``CSIDataset(csi=None, features=...)``."""
    keys = tbf_keys({"n_taps": n_taps, "eta": eta})
    arrays = tbf_from_beam_params(params, scene, n_taps=n_taps, eta=eta, snr_db=snr_db, rng=rng,
                                  angle_delay=angle_delay)
    shape_ad, shape_d = tb_shapes(scene, n_taps)
    m = dict(meta, scene=scene.to_dict(), noise={"mode": "snr", "snr_db": snr_db} if snr_db is not None else
             {"mode": "none"},
             tbf={"n_taps": shape_ad.n_g, "n_cp": shape_d.n_g, "eta": eta, "signal": "expected power (eq. 20)",
                  "noise": "AWGN of one frame, exact compact distribution"})
    return CSIDataset(None, positions=positions, velocity=velocity,
                      features={keys[p]: a for p, a in arrays.items()}, meta=m)


def trace_params(scene, positions: np.ndarray, velocity: np.ndarray) -> tuple[bs.BeamParams, object]:
    """Traced paths of the BS and their normalised beam parameters (Doppler from ``velocity``)."""
    paths = trace(scene, positions)
    return bs.beam_params_from_paths(paths, scene, velocity=velocity), paths


def with_velocity(scene, paths, params: bs.BeamParams, velocity: np.ndarray) -> bs.BeamParams:
    """Same paths, Doppler for other velocities ``[N, 3]``."""
    dop = doppler_hz(paths.arrival[:, 0], np.asarray(velocity)[:, None, :], scene.ofdm.wavelength)
    return params.with_doppler(np.where(params.power > 0, dop * scene.ofdm.symbol_duration, 0.0))


# ---------------------------------------------------------------------------------------------
# stages
# ---------------------------------------------------------------------------------------------
@dataclass
class Fingerprints:
    """The localization data: training grid and test points, their TBF datasets and traced paths."""

    train: CSIDataset
    tests: dict[float, CSIDataset]  # test set per SNR (dB)
    p_train: bs.BeamParams
    p_test: bs.BeamParams
    paths_train: object
    paths_test: object
    tap_energy: float  # share of the X_D energy in the stored X_AD taps

    @property
    def train_pos(self) -> np.ndarray:
        return self.train.positions

    @property
    def test_pos(self) -> np.ndarray:
        return next(iter(self.tests.values())).positions


@dataclass
class Localization:
    """Fitted localizers, their test predictions, fit summaries and 3-D errors (centroid included)."""

    methods: dict
    predictions: dict[str, np.ndarray]
    fit_rows: dict[str, dict]
    errors: dict[str, np.ndarray]


@dataclass
class Direction:
    """Direction results: Table VI rows, Table VII rows, the confusion matrix, training summaries and the
    last Fusion-TDC (for its complexity)."""

    rows: list[dict]
    vs_snr: list[dict]
    confusion: np.ndarray | None
    training: dict[float, dict]
    estimator: FusionTDCDirection


def make_fingerprints(scene, st: Settings, kw: dict, rng: np.random.Generator) -> Fingerprints:
    """Trace the training grid and the random test points at 5 km/h headings; TBFs at each test SNR."""
    speed = st.train_speed_kmh * KMH
    train_pos = scene.grid(st.grid_m)
    train_vel = random_headings(len(train_pos), speed, rng)
    p_train, paths_train = trace_params(scene, train_pos, train_vel)
    train = fingerprint_dataset(scene, p_train, train_pos, train_vel, snr_db=st.snr_train_db, rng=rng, **kw)
    test_pos = random_points(scene, st.n_test, rng)
    test_vel = random_headings(len(test_pos), speed, rng)
    p_test, paths_test = trace_params(scene, test_pos, test_vel)
    tests = {snr: fingerprint_dataset(scene, p_test, test_pos, test_vel, snr_db=snr, rng=rng, **kw)
             for snr in st.snrs_db}
    shape_ad, shape_d = tb_shapes(scene, kw["n_taps"])
    x_full, _ = bs.compact_tbf(p_test.subset(np.arange(min(200, len(test_pos)))), shape_d, angle_delay=True)
    return Fingerprints(train, tests, p_train, p_test, paths_train, paths_test,
                        float(x_full[..., :shape_ad.n_g].sum() / x_full.sum()))


def fit_localizers(data: Fingerprints, st: Settings, common: dict) -> Localization:
    """WKNN, the CNNs and both MaskDETR-Reg backbones on the training grid, tested at the training SNR."""
    methods = {"wknn-tbf": TBFWKNN(k=4), "cnn2d": CNN2D(**common), "cnn3d": CNN3D(**common),
               "ec-maskdetr": LOANet(backbone="ec", **common), "de-maskdetr": LOANet(backbone="de", **common)}
    test, test_pos = data.tests[st.snr_train_db], data.test_pos
    preds, rows, errors = {}, {}, {}
    for name, loc in methods.items():
        t0 = time.perf_counter()
        loc.fit(data.train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        preds[name] = loc.predict(test)
        info = loc.fit_info_.training.get("regressor", {})
        rows[name] = {"fit_s": fit_s, "predict_ms_per_sample": 1e3 * (time.perf_counter() - t0) / len(test_pos),
                      "epochs": info.get("epochs_run"), "stopped": info.get("stopped"),
                      "train_samples_per_s": info.get("samples_per_s")}
        errors[name] = position_errors(preds[name], test_pos, dims=3)
    centroid = np.broadcast_to(data.train_pos.mean(0), test_pos.shape)
    errors["centroid"] = position_errors(centroid, test_pos, dims=3)
    return Localization(methods, preds, rows, errors)


def de_vs_snr(de: LOANet, data: Fingerprints) -> list[dict]:
    """Table V: DE-MaskDETR trained at the training SNR, tested at every SNR."""
    return [{"SNR (dB)": snr, "DE-MaskDETR mean error (m)": float(position_errors(de.predict(ds), data.test_pos,
                                                                                   dims=3).mean())}
            for snr, ds in data.tests.items()]


@dataclass
class _DopplerRoute:
    """Velocity-independent Doppler weights of the training subset and the test points (one pass serves
    all 16 directions and all speeds), with what turns a velocity into Doppler profiles."""

    scene: object
    shape_d: bs.TBShape
    sel: np.ndarray  # training positions used for the direction task
    w_train: np.ndarray
    ptot_train: np.ndarray
    arr_train: np.ndarray
    w_test: np.ndarray
    ptot_test: np.ndarray
    arr_test: np.ndarray
    x_d_key: str  # stored key of the Doppler profiles (the tbf feature's x_d)

    def cycles(self, arrival, vel, valid) -> np.ndarray:
        """Doppler (cycles per symbol) ``[N C, L]`` of arrivals ``[N, L, 3]`` for velocities ``[N, (C,) 3]``."""
        o = self.scene.ofdm
        v = vel if vel.ndim == 3 else vel[:, None, :]
        nu = doppler_hz(arrival[:, None], v[:, :, None, :], o.wavelength) * o.symbol_duration
        return np.where(valid[:, None, :], nu, 0.0).reshape(-1, arrival.shape[1])

    def profiles(self, weights, nu, **kw) -> np.ndarray:
        return bs.doppler_profile(bs.doppler_profile_from_weights(weights, nu, self.shape_d, **kw))


def _doppler_route(scene, data: Fingerprints, st: Settings, n_cls: int, kw: dict, rng,
                   sel: np.ndarray | None = None) -> _DopplerRoute:
    _, shape_d = tb_shapes(scene, kw["n_taps"])
    n_train = len(data.train_pos)
    if sel is None:
        sel = np.sort(rng.permutation(n_train)[:min(st.n_dir_train_pos, n_train)])
    p_sel = data.p_train.subset(sel)
    return _DopplerRoute(
        scene, shape_d, sel,
        np.repeat(bs.doppler_weights(p_sel, shape_d), n_cls, axis=0), np.repeat(p_sel.power.sum(1), n_cls),
        np.asarray(data.paths_train.arrival[sel, 0]),
        bs.doppler_weights(data.p_test, shape_d), data.p_test.power.sum(1), np.asarray(data.paths_test.arrival[:, 0]),
        tbf_keys(kw)["x_d"])


def direction_task(scene, data: Fingerprints, loc: Localization, st: Settings, n_cls: int, kw: dict,
                   est_kw: dict, rng) -> Direction:
    """Table VI (every speed at the training SNR) and VII (every speed x every SNR, with its own ceiling)."""
    route = _doppler_route(scene, data, st, n_cls, kw, rng)
    rows, vs_snr, confusion, training, tdc = [], [], None, {}, None
    for speed in st.speeds_kmh:
        tdc = _train_direction(route, data, st, n_cls, speed * KMH, est_kw, rng)
        training[speed] = {k: tdc.fit_info_.training["direction"][k] for k in ("epochs_run", "stopped",
                                                                              "samples_per_s")}
        sweep = speed == st.snr_sweep_speed_kmh
        row, snr_rows, conf = _test_direction(tdc, route, data, loc, st, n_cls, speed, sweep, kw, rng)
        rows.append(row)
        vs_snr += snr_rows
        confusion = conf if sweep else confusion
    return Direction(rows, vs_snr, confusion, training, tdc)


def direction_training_set(route: _DopplerRoute, positions: np.ndarray, power: np.ndarray, n_cls: int, v: float,
                           st: Settings, rng, meta: dict) -> CSIDataset:
    """Every direction-task position x ``n_cls`` headings at speed ``v`` (m/s): the class centres
    (``st.dir_headings == "centres"``) or uniform random headings. With ``st.dir_train_snr_db`` the Doppler
    profiles are noise-free and carry the :data:`DOPPLER_NOISE` reference (Fusion-TDC draws the SNR per
    example and epoch); else they are noisy at ``st.snr_train_db``. ``positions [n, 3]``, ``power [n, L]``."""
    n_sel = len(positions)
    if st.dir_headings == "centres":
        vel = np.broadcast_to(class_headings(n_cls, v), (n_sel, n_cls, 3))
    elif st.dir_headings == "random":
        vel = random_headings(n_sel * n_cls, v, rng).reshape(n_sel, n_cls, 3)
    else:
        raise ValueError(f"dir_headings = {st.dir_headings!r}, expected 'centres' or 'random'")
    nu = route.cycles(route.arr_train, vel, power > 0)
    feats = {}
    if st.dir_train_snr_db is None:
        feats[route.x_d_key] = route.profiles(route.w_train, nu, total_power=route.ptot_train,
                                              snr_db=st.snr_train_db, rng=rng)
    else:
        raw = bs.doppler_profile_from_weights(route.w_train, nu, route.shape_d)
        feats[route.x_d_key], feats[DOPPLER_NOISE] = doppler_noise_reference(
            raw, route.ptot_train, route.shape_d.n_a, route.shape_d.n_beams * route.shape_d.n_g)
    return CSIDataset(None, positions=np.repeat(positions, n_cls, axis=0), velocity=vel.reshape(-1, 3),
                      features=feats, meta=meta)


def _train_direction(route: _DopplerRoute, data: Fingerprints, st: Settings, n_cls: int, v: float,
                     est_kw: dict, rng) -> FusionTDCDirection:
    """Fusion-TDC on every selected training position x ``n_cls`` headings at speed ``v`` (m/s)."""
    train = direction_training_set(route, data.train_pos[route.sel], data.p_train.power[route.sel], n_cls, v, st,
                                   rng, data.train.meta)
    return FusionTDCDirection(preset=st.preset, max_time_s=st.budget_tdc_s, train_snr_db=st.dir_train_snr_db,
                              **est_kw).fit(train)


def direction_templates(route: _DopplerRoute, arrival: np.ndarray, w: np.ndarray, power: np.ndarray, v: float
                        ) -> np.ndarray:
    """Noise-free raw Doppler profiles ``[n, TEMPLATE_HEADINGS, T]`` of ``n`` points for the template headings."""
    n_tp = len(arrival)
    vel_k = class_headings(TEMPLATE_HEADINGS, v)
    nu_k = route.cycles(arrival, np.broadcast_to(vel_k, (n_tp, TEMPLATE_HEADINGS, 3)), power > 0)
    raw = bs.doppler_profile_from_weights(np.repeat(w, TEMPLATE_HEADINGS, axis=0), nu_k, route.shape_d)
    return raw.reshape(n_tp, TEMPLATE_HEADINGS, -1)


def template_ceiling(x_d: np.ndarray, templates: np.ndarray, total_power: np.ndarray, snr_db: float | None,
                     shape_d: bs.TBShape, true_cls: np.ndarray, v: float, n_cls: int) -> float:
    """Accuracy (%) of the matched-template classifier on the first ``n = len(templates)`` noisy profiles
    ``x_d``: each is matched to the EXPECTED profiles at its SNR of its own point for the template headings
    (noise-free raw ``templates [n, K, T]`` plus the mean noise power ``sigma^2 x cells`` of every bin, then
    peak-normalised), so the ceiling at each SNR sees the same noise as the profile it classifies."""
    n_tp = len(templates)
    tm = np.asarray(templates, dtype=np.float64)
    if snr_db is not None:
        floor = bs.noise_variance_for_snr(np.asarray(total_power[:n_tp]), snr_db, shape_d.n_a)
        tm = tm + (floor * shape_d.n_beams * shape_d.n_g)[:, None, None]
    tm = (tm / np.maximum(tm.max(-1, keepdims=True), 1e-300)).astype(np.float32)
    pred = matched_template_classes(x_d[:n_tp], tm, heading_to_class(class_headings(TEMPLATE_HEADINGS, v), n_cls))
    return 100 * accuracy(true_cls[:n_tp], pred)


def _test_direction(tdc, route: _DopplerRoute, data: Fingerprints, loc: Localization, st: Settings, n_cls: int,
                    speed: float, sweep: bool, kw: dict, rng) -> tuple[dict, list[dict], np.ndarray | None]:
    """Accuracy at random test headings (DE-MaskDETR coordinates, true ones, template ceiling, continuous CSI)
    at every SNR, each with the template ceiling of the same noisy profiles."""
    v, test_pos = speed * KMH, data.test_pos
    de_xyz = loc.predictions["de-maskdetr"]
    vel_t = random_headings(len(test_pos), v, rng)
    true_cls = heading_to_class(vel_t, n_cls)
    nu_t = route.cycles(route.arr_test, vel_t, data.p_test.power > 0)
    n_tp = min(TEMPLATE_POINTS, len(test_pos))  # ceiling: noise-free templates of the test point itself
    templates = direction_templates(route, route.arr_test[:n_tp], route.w_test[:n_tp], data.p_test.power[:n_tp], v)
    # what the training grid can tell: templates of the nearest direction-training position (true coordinates)
    near = np.linalg.norm(test_pos[:n_tp, None] - data.train_pos[route.sel][None], axis=-1).argmin(1)
    w_grid, ptot_grid = route.w_train[::n_cls][near], route.ptot_train[::n_cls][near]
    grid_templates = direction_templates(route, route.arr_train[near], w_grid, data.p_train.power[route.sel][near], v)
    row, snr_rows, confusion = {}, [], None
    for snr in sorted(set(st.snrs_db) | {st.snr_train_db}):
        x_d = route.profiles(route.w_test, nu_t, total_power=route.ptot_test, snr_db=snr, rng=rng)
        ds = CSIDataset(None, positions=test_pos, features={route.x_d_key: x_d}, meta=data.train.meta)
        pred = tdc.predict(ds, coordinates=de_xyz)
        acc = 100 * accuracy(true_cls, pred)
        ceiling = template_ceiling(x_d, templates, route.ptot_test, snr, route.shape_d, true_cls, v, n_cls)
        if snr == st.snr_train_db:
            row = {"speed (km/h)": speed, "Fusion-TDC (%)": acc,
                   "Fusion-TDC, true coords (%)": 100 * accuracy(true_cls, tdc.predict(ds)),
                   "template ceiling (%)": ceiling, "Fusion-TDC / ceiling": acc / ceiling if ceiling else None,
                   "nearest-grid templates (%)": template_ceiling(x_d, grid_templates, ptot_grid, snr, route.shape_d,
                                                                  true_cls, v, n_cls)}
            confusion = confusion_matrix(true_cls, pred, n_cls) if sweep else None
        if snr in st.snrs_db:
            snr_rows.append({"speed (km/h)": speed, "SNR (dB)": snr, "Fusion-TDC accuracy (%)": acc,
                             "template ceiling (%)": ceiling,
                             "Fusion-TDC / ceiling": acc / ceiling if ceiling else None,
                             "Fusion-TDC / chance": acc / (100 / n_cls)})
    # continuous CSI: DE-MaskDETR positions one frame apart, direction of the change
    o = route.scene.ofdm
    pos2 = test_pos + vel_t * (o.n_symbols * o.symbol_duration)
    p2, _ = trace_params(route.scene, pos2, vel_t)
    ds2 = fingerprint_dataset(route.scene, p2, pos2, vel_t, snr_db=st.snr_train_db, rng=rng, **kw)
    cont = continuous_csi_direction(de_xyz, loc.methods["de-maskdetr"].predict(ds2), n_cls)
    row.update({"continuous CSI (%)": 100 * accuracy(true_cls, cont), "chance (%)": 100 / n_cls})
    return row, snr_rows, confusion


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------
def run(out_dir: Path, *, full: bool = False, seed: int = 0, progress: bool = True,
        overwrite: bool = False, settings: Settings | None = None) -> Report:
    """Reproduce seed 002's tables on ``zhao-tbf``; returns the written :class:`Report`.

    ``settings`` replaces the ``cpu`` / ``paper`` sizes (``full`` picks between those two).
    """
    st = settings or (FULL_SETTINGS if full else CPU_SETTINGS)
    with torch_threads(st.threads or None):
        return _run(out_dir, st, full=full, seed=seed, progress=progress, overwrite=overwrite)


def _run(out_dir: Path, st: Settings, *, full: bool, seed: int, progress: bool, overwrite: bool) -> Report:
    started = time.perf_counter()
    preset = get_preset(st.preset)
    device = "cuda" if (full and torch.cuda.is_available()) else "cpu"
    rng = np.random.default_rng(seed)
    scene = get_scene(SCENE)
    kw = {"n_taps": preset.n_taps, "eta": preset.eta, "meta": {"seed": seed, "experiment": "zhao2026"}}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = make_fingerprints(scene, st, kw, rng)
    timings["data_localization_s"] = time.perf_counter() - t0
    common = {"preset": st.preset, "seed": seed, "device": device, "progress": progress,
              "max_time_s": st.budget_reg_s}
    loc = fit_localizers(data, st, common)
    timings["localization_s"] = sum(v["fit_s"] for v in loc.fit_rows.values())
    table5 = de_vs_snr(loc.methods["de-maskdetr"], data)
    t0 = time.perf_counter()
    n_cls = preset.tdc.n_classes
    direction = direction_task(scene, data, loc, st, n_cls, kw, {"seed": seed, "device": device,
                                                                  "progress": progress}, rng)
    timings["direction_s"] = time.perf_counter() - t0
    test = data.tests[st.snr_train_db]
    cplx = [{"model": name, **loc.methods[name].network_cost(test)}
            for name in ("cnn2d", "cnn3d", "de-maskdetr", "ec-maskdetr")]
    cplx.append({"model": "fusion-tdc", **direction.estimator.network_cost()})
    return write_report(out_dir, scene, st, data, loc, table5, direction, cplx, timings,
                        {"seed": seed, "device": device, "n_taps": preset.n_taps, "n_cls": n_cls, "started": started},
                        overwrite)


def write_report(out_dir: Path, scene, st: Settings, data: Fingerprints, loc: Localization, table5: list[dict],
                 direction: Direction, cplx: list[dict], timings: dict, run_info: dict, overwrite: bool) -> Report:
    """The report: settings, Tables IV-VIII with the seed's numbers apart, timings and figures."""
    shape_ad, shape_d = tb_shapes(scene, run_info["n_taps"])
    n_cls = run_info["n_cls"]
    settings = {
        "scene": SCENE, "preset": st.preset, "grid_m": st.grid_m, "n_train": len(data.train_pos),
        "n_test": len(data.test_pos), "snr_train_db": st.snr_train_db, "speeds_kmh": list(st.speeds_kmh),
        "n_dir_train": int(min(st.n_dir_train_pos, len(data.train_pos)) * n_cls), "seed": run_info["seed"],
        "device": run_info["device"], "threads": torch.get_num_threads(), "n_taps_stored": shape_ad.n_g,
        "energy_in_stored_taps": data.tap_energy, "tb_shape": list(shape_d.tb), "budget_reg_s": st.budget_reg_s,
        "budget_tdc_s": st.budget_tdc_s, "dir_train_snr_db": st.dir_train_snr_db, "dir_headings": st.dir_headings,
        "error": "3-D Euclidean (m)",
        "split": "grid training points vs independent random test points",
    }
    rep = Report("Seed 002: triple-beam fingerprints and LOA-Net (zhao-tbf)", out_dir, settings, overwrite=overwrite,
                 started=run_info["started"])
    rep.add_text(_scaling_note(st, len(data.train_pos)))
    curves = _learning_curves(loc)
    rep.add_table("training_localization", [{"method": k, **{c: v for c, v in r.items() if c != "history"}}
                                            for k, r in curves.items()],
                  caption=_budget_caption(st) + " Validation loss: MSE of the standardised coordinates on the "
                          "held-out part of the training grid.")
    summary = [{"method": k, **error_summary(v), **loc.fit_rows.get(k, {})} for k, v in loc.errors.items()]
    rep.add_table("localization", summary, caption="3-D error on the test points at the training SNR")
    ring_dist = np.linalg.norm(data.test_pos[:, :2] - scene.aps[0].position[:2], axis=1)
    t4 = {}
    for name in ("wknn-tbf", "cnn2d", "cnn3d", "de-maskdetr", "ec-maskdetr"):
        for row in by_distance_ring(loc.errors[name], ring_dist, [0, 5, 10, 15, 20, 30]):
            t4.setdefault(row["ring"], {"distance (m)": row["ring"]})[name] = row.get("mean")
    rep.add_table("table4_distance_ring", list(t4.values()), caption="Mean 3-D error (m) by horizontal distance")
    rep.add_table("table5_de_vs_snr", table5, caption="DE-MaskDETR trained at 20 dB, tested at each SNR")
    rep.add_table("table6_direction_vs_speed", direction.rows,
                  caption="Direction accuracy at 20 dB (DE-MaskDETR coordinates unless stated). 'template "
                          f"ceiling': each of the first {TEMPLATE_POINTS} test profiles matched to the expected "
                          f"profiles (noise-free + mean noise floor) of the same point for {TEMPLATE_HEADINGS} "
                          "headings (knows the exact channel; what (Doppler profile, coordinates) can tell at this "
                          "SNR). 'nearest-grid templates': the same matching against the templates of the nearest "
                          "direction-training position to the true point (what the training grid itself can tell "
                          "a classifier that knows the coordinates exactly)")
    rng_db = st.dir_train_snr_db
    train_snr = (f"trained over SNRs uniform in {rng_db[0]:g}-{rng_db[1]:g} dB (fresh SNR and noise per example "
                 "and epoch)" if rng_db else f"trained at {st.snr_train_db:g} dB")
    rep.add_table("table7_direction_vs_snr", direction.vs_snr,
                  caption=f"Fusion-TDC accuracy ({train_snr}) at every speed and SNR, each with the template ceiling "
                          f"of the same noisy test profiles (first {TEMPLATE_POINTS} points)")
    rep.add_table("table8_complexity", cplx, caption="Forward FLOPs per sample (torch FlopCounterMode)")
    rep.add_table("timings", [{"stage": k, "seconds": v} for k, v in timings.items()]
                  + [{"stage": f"fusion-tdc {s} km/h", "seconds": None, **i} for s, i in direction.training.items()])
    if direction.confusion is not None:
        rep.add_data(f"confusion_{st.snr_sweep_speed_kmh:g}kmh_20db", direction.confusion)
    _add_published(rep)
    _add_figures(rep, loc.errors, direction.confusion, n_cls, st.snr_sweep_speed_kmh, curves)
    rep.settings["total_runtime_s"] = rep.elapsed_s
    rep.write()
    return rep


def _learning_curves(loc: Localization) -> dict[str, dict]:
    """Per network: epochs run, best epoch, best validation loss, why it stopped, and its history."""
    out = {}
    for name, m in loc.methods.items():
        r = m.fit_info_.training.get("regressor")
        if r:
            out[name] = {"epochs": r["epochs_run"], "best epoch": r["best_epoch"], "best val loss": r["best_val"],
                         "stopped": r["stopped"], "train time (s)": r["train_time_s"], "history": r["history"]}
    return out


def _budget_caption(st: Settings) -> str:
    """The training budget of the localization networks, as the report states it."""
    cfg = get_preset(st.preset).train_reg
    rule = (f"Equal rule for every network: at most {cfg.epochs} epochs, early stopping after {cfg.patience} epochs "
            f"without validation gain on a seeded {cfg.val_fraction:.0%} of the training grid, best-validation "
            "weights kept")
    return rule + (f", and a wall-clock cap of {st.budget_reg_s:g} s." if st.budget_reg_s else
                   "; no wall-clock cap, so a network stops when it has converged, not when a timer says.")


def _scaling_note(st: Settings, n_train: int) -> str:
    if st.preset == "paper":
        return "Paper-size run (`--full`): 1 m grid, 2100 test points, SPEC 4.3 hyper-parameters."
    return (f"CPU run (`cpu` preset), scaled from the seed: {st.grid_m:g} m training grid ({n_train} TBFs "
            f"vs 5043), {st.n_test} test points (vs 2100), X_AD keeps the first 16 of 144 delay taps "
            "(share of energy in the settings), hidden 64 instead of 256 with fewer layers. "
            f"{_budget_caption(st)} Each Fusion-TDC trains for at most {st.budget_tdc_s:g} s; "
            f"{st.threads} CPU thread(s). Channels come from the built-in ray tracer "
            "(walls, slabs, 120 point scatterers), not QuaDRiGa 38.901 InH-NLOS.")


def _add_published(rep: Report) -> None:
    src = "Zhao et al., seed 002, Tables IV-VIII and Sec. V-B/C"
    rep.add_published("table4_distance_ring", [
        {"distance (m)": "0-5 m", "wknn-tbf": 5.41, "cnn2d": 4.42, "cnn3d": 2.95, "de-maskdetr": 1.92,
         "ec-maskdetr": 2.06},
        {"distance (m)": "5-10 m", "wknn-tbf": 4.58, "cnn2d": 3.56, "cnn3d": 2.31, "de-maskdetr": 1.59,
         "ec-maskdetr": 1.60},
        {"distance (m)": "10-15 m", "wknn-tbf": 4.28, "cnn2d": 3.78, "cnn3d": 2.28, "de-maskdetr": 1.25,
         "ec-maskdetr": 1.71},
        {"distance (m)": "15-20 m", "wknn-tbf": 4.49, "cnn2d": 3.71, "cnn3d": 2.43, "de-maskdetr": 1.48,
         "ec-maskdetr": 1.71}], src)
    rep.add_published("localization", [{"method": "de-maskdetr", "mean": 1.47},
                                       {"method": "ec-maskdetr", "mean": 1.70}], src)
    rep.add_published("table5_de_vs_snr", [{"SNR (dB)": s, "DE-MaskDETR mean error (m)": e} for s, e in
                                           zip((0, 5, 10, 15, 20), (1.97, 1.84, 1.72, 1.63, 1.47), strict=True)], src)
    rep.add_published("table6_direction_vs_speed", [
        {"speed (km/h)": s, "Fusion-TDC (%)": a, "continuous CSI (%)": c}
        for s, a, c in zip((3, 5, 8, 30), (72.9, 74.2, 74.7, 79.3), (27.8, 29.1, 30.6, 49.7), strict=True)], src)
    rep.add_published("table7_direction_vs_snr", [{"SNR (dB)": s, "Fusion-TDC accuracy (%)": a} for s, a in
                                                  zip((0, 5, 10, 15, 20), (58.9, 64.3, 69.6, 72.5, 74.2),
                                                      strict=True)], src)
    rep.add_published("table8_complexity", [
        {"model": "cnn2d", "MFLOPs": 761.5, "params (M)": 4.83},
        {"model": "cnn3d", "MFLOPs": 893.7, "params (M)": 13.51},
        {"model": "de-maskdetr", "MFLOPs": 296.3, "params (M)": 3.39},
        {"model": "ec-maskdetr", "MFLOPs": 419.7, "params (M)": 4.31},
        {"model": "fusion-tdc", "MFLOPs": None, "params (M)": 0.43}], src)


def _add_figures(rep: Report, errors: dict, confusion, n_cls: int, speed_kmh: float, curves: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from radiomap.eval import plots

    fig, ax = plt.subplots(figsize=(6, 4))
    plots.error_cdf(errors, ax=ax, title="3-D localization error CDF (zhao-tbf)")
    rep.add_figure("error_cdf", fig)
    plt.close(fig)
    if curves:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for name, c in curves.items():
            ep = [h["epoch"] for h in c["history"]]
            line, = axes[0].plot(ep, [h["val"] for h in c["history"]], label=name)
            axes[0].plot(ep, [h["train"] for h in c["history"]], ls=":", color=line.get_color())
            t = np.linspace(0, c["train time (s)"], len(ep) + 1)[1:]
            axes[1].plot(t, [h["val"] for h in c["history"]], label=name)
        for ax, xlabel in zip(axes, ("epoch", "training time (s; epochs x mean epoch time)"), strict=True):
            ax.set(xlabel=xlabel, ylabel="loss (standardised MSE)", yscale="log")
            ax.grid(alpha=0.3)
        axes[0].set_title("validation (solid) and training (dotted) loss")
        axes[1].set_title("validation loss vs wall time")
        axes[1].legend()
        rep.add_figure("learning_curves", fig)
        plt.close(fig)
    if confusion is not None:
        fig, ax = plt.subplots(figsize=(7, 6))
        names = [f"{c * 360 / n_cls:g}" for c in range(n_cls)]
        plots.confusion_figure(confusion, names, ax=ax, title=f"Fusion-TDC confusion, {speed_kmh:g} km/h, 20 dB")
        rep.add_figure(f"confusion_{speed_kmh:g}kmh", fig)
        plt.close(fig)
