"""``radiomap bench crowd`` (issue 19, a reproduction of our own): an unsupervised radio map from many
short, unlabeled random-waypoint walks over the ``office-floor`` preset (70 m x 24 m, 308 walls, 4 APs).

``run`` simulates ``n_walks`` random-waypoint walks (duration uniform in ``duration`` s, 1-2 m/s,
dt = 0.1 s, CSI noise variance 0.2 as seed 000's training walk), holds out the last ``n_test`` walks,
fits the HMM on the others WITHOUT positions (walks split by ``trajectory_id``, shared propagation and
region maps, one chain per walk) and localizes the held-out walks, per sample and as sequences,
against KNN / SVM / DNN trained with labels on the same walks, GMA (the HMM given the true propagation
model), WCL and the centroid. It reports fit time and peak memory per method and, for the HMM, the
decode time per held-out walk and the error of the beam-pruned Viterbi against the exact one.
Default: a reduced size (20 walks of 20-40 s, 0.5 m grid) that runs in a few minutes on 2 cores;
``full=True``: the issue's size (50 walks of 20-60 s, 0.25 m grid, >= 20,000 cells).
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiomap.eval.report import Report

SCENE = "office-floor"
DT = 0.1
NOISE_VARIANCE = 0.2
SPEED = (1.0, 2.0)
SUPERVISED = {"knn": {"k": 8}, "svm": {"C": 10.0}, "dnn": {"hidden": (30, 30, 30), "epochs": 200}}
BEAMS = (300, 1000, 3000)


@dataclass(frozen=True)
class CrowdSize:
    """Experiment size: walks (total, held out), duration range (s) and the HMM grid pitch (m)."""

    n_walks: int
    n_test: int
    duration: tuple[float, float]
    resolution: float


SIZES = {False: CrowdSize(20, 5, (20.0, 40.0), 0.5), True: CrowdSize(50, 10, (20.0, 60.0), 0.25)}


@dataclass
class CrowdData:
    """Labelled training walks (``train``), held-out walks (``test``), both with ``trajectory_id``;
    ``sim_s`` the simulation time (s)."""

    train: object
    test: object
    sim_s: float


@dataclass
class MethodFit:
    """A fitted method with its fit time (s) and the peak of Python / NumPy memory during the fit (MiB)."""

    loc: object
    fit_s: float
    peak_mib: float


def simulate_walks(size: CrowdSize, seed: int, progress: bool = False) -> CrowdData:
    """Simulate the walks on ``office-floor`` (one CSI normalisation for all) and split off the held-out ones."""
    from radiomap.mobility import random_waypoint
    from radiomap.scene import get_scene
    from radiomap.simulate import simulate_dataset

    t0 = time.perf_counter()
    scene = get_scene(SCENE)
    rng = np.random.default_rng(seed)
    height = float(scene.user_heights[0])
    pos, ts, tid = [], [], []
    t_start = 0.0
    for k in range(size.n_walks):
        n_slots = int(rng.uniform(*size.duration) / DT)
        traj = random_waypoint(scene, SPEED[1] * n_slots * DT, dt=DT, speed=SPEED, rng=rng, height=height)
        n = min(n_slots, len(traj))
        pos.append(traj.positions[:n])
        ts.append(t_start + np.arange(n) * DT)
        tid.append(np.full(n, k))
        t_start += n * DT + 60.0  # walks an hour apart would do as well: a gap separates them
    ds = simulate_dataset(scene, np.concatenate(pos), timestamps=np.concatenate(ts),
                          trajectory_id=np.concatenate(tid), noise_variance=NOISE_VARIANCE, seed=seed,
                          progress=progress)
    held_out = ds.trajectory_id >= size.n_walks - size.n_test
    return CrowdData(train=ds.subset(np.flatnonzero(~held_out)), test=ds.subset(np.flatnonzero(held_out)),
                     sim_s=time.perf_counter() - t0)


def measured_fit(loc, ds) -> MethodFit:
    """Fit ``loc`` on ``ds``, timing it and tracing the peak of Python / NumPy allocations (tracemalloc)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        loc.fit(ds)
        fit_s = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return MethodFit(loc, fit_s, peak / 2 ** 20)


def fit_methods(data: CrowdData, size: CrowdSize, seed: int, progress: bool = False) -> dict[str, MethodFit]:
    """Fit the HMM (no positions), GMA, the supervised baselines, WCL and the centroid on the training walks."""
    from radiomap.localize import get_localizer

    train, blind = data.train, data.train.without_positions()
    fits = {"hmm": measured_fit(get_localizer("hmm", resolution=size.resolution, walks="trajectory", seed=seed,
                                               progress=progress), blind),
            "gma": measured_fit(get_localizer("gma", resolution=size.resolution, walks="trajectory",
                                               progress=progress), train)}
    for name, params in SUPERVISED.items():
        fits[name] = measured_fit(get_localizer(name, seed=seed, **params), train)
    fits["wcl"] = measured_fit(get_localizer("wcl"), blind)
    fits["centroid"] = measured_fit(get_localizer("centroid"), train)
    return fits


def _err(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(pred)[:, :2] - np.asarray(true)[:, :2], axis=1)


def localization_rows(fits: dict[str, MethodFit], test) -> list[dict]:
    """Error (m) on the held-out walks: every method per sample, HMM and GMA also per walk as sequences."""
    preds = {name: f.loc.predict(test) for name, f in fits.items()}
    for name in ("hmm", "gma"):
        preds[f"{name}-viterbi"] = fits[name].loc.decode(test, "viterbi")
        preds[f"{name}-smoothed"] = fits[name].loc.decode(test, "smooth")
    rows = []
    for name, p in preds.items():
        e = _err(p, test.positions)
        base = fits.get(name.split("-")[0])
        rows.append({"method": name, "mean": float(e.mean()), "median": float(np.median(e)),
                     "p90": float(np.quantile(e, 0.9)), "labels": bool(base.loc.supervised),
                     "fit_s": base.fit_s, "peak_mib": base.peak_mib})
    return rows


def beam_rows(hmm, test, beams=BEAMS) -> list[dict]:
    """Decode time per held-out walk (s) and the beam-pruned Viterbi's error against the exact one."""
    exact_t0 = time.perf_counter()
    exact = hmm.decode(test, "viterbi")
    n_walks = len(np.unique(test.trajectory_id))
    rows = [{"decoder": "exact", "s_per_walk": (time.perf_counter() - exact_t0) / n_walks,
             "mean error": float(_err(exact, test.positions).mean()), "same cell": 1.0, "deviation from exact": 0.0}]
    for beam in beams:
        pruned = hmm.clone().set_params(beam=int(beam))
        vars(pruned).update(hmm.learned())
        t0 = time.perf_counter()
        pred = pruned.decode(test, "viterbi")
        rows.append({"decoder": f"beam {beam}", "s_per_walk": (time.perf_counter() - t0) / n_walks,
                     "mean error": float(_err(pred, test.positions).mean()),
                     "same cell": float((_err(pred, exact) < 1e-9).mean()),
                     "deviation from exact": float(_err(pred, exact).mean())})
    return rows


def _settings(data: CrowdData, size: CrowdSize, seed: int, full: bool, hmm) -> dict:
    lengths = np.bincount(data.train.trajectory_id)[np.unique(data.train.trajectory_id)]
    return {"scene": SCENE, "seed": seed, "full": full, "size": size.__dict__, "dt": DT,
            "noise_variance": NOISE_VARIANCE, "speed": SPEED, "train samples": data.train.n_samples,
            "test samples": data.test.n_samples, "train walk lengths (slots)": lengths.tolist(),
            "hmm": hmm.get_params(), "grid_cells": hmm.n_cells_, "reachable_offsets": hmm.n_offsets_,
            "supervised": SUPERVISED, "simulation_s": data.sim_s}


def _ratios(rows: list[dict]) -> list[dict]:
    """HMM mean error over the best supervised baseline's and over GMA's, like for like (per sample against
    per sample, each sequence decoder against GMA's same decoder)."""
    best = {r["method"]: r["mean"] for r in rows}
    sup = min(best[k] for k in SUPERVISED if k in best)
    return [{"method": m, "mean": best[m], "/ best supervised": best[m] / sup,
             "gma counterpart": m.replace("hmm", "gma"), "/ gma": best[m] / best[m.replace("hmm", "gma")]}
            for m in ("hmm", "hmm-viterbi", "hmm-smoothed")]


def run(out_dir: str | Path, *, full: bool = False, seed: int = 0, progress: bool = True,
        overwrite: bool = False) -> Report:
    """Run the crowd benchmark and write ``report.md`` / ``report.json`` / PNGs into ``out_dir``."""
    from radiomap.eval.plots import predictions_over_floorplan

    t0 = time.perf_counter()
    size = SIZES[bool(full)]
    data = simulate_walks(size, seed, progress)
    fits = fit_methods(data, size, seed, progress)
    hmm = fits["hmm"].loc
    rep = Report("Crowd benchmark: unsupervised radio map from many unlabeled walks on the office floor", out_dir,
                 _settings(data, size, seed, full, hmm), overwrite=overwrite, started=t0)
    rows = localization_rows(fits, data.test)
    rep.add_table("Localization on held-out walks (error, m)", rows,
                  caption="2-D error on the held-out walks. labels: trained with positions. '-viterbi' / "
                          "'-smoothed': each held-out walk decoded as one sequence. fit_s: fit time (s); peak_mib: "
                          "peak of Python/NumPy allocations during the fit (tracemalloc; torch buffers not "
                          "included).")
    rep.add_table("HMM against the baselines (mean error ratio)", _ratios(rows))
    rep.add_table("Beam-pruned Viterbi on held-out walks", beam_rows(hmm, data.test),
                  caption=f"{hmm.n_cells_} cells x {hmm.n_offsets_} moves = {hmm.n_cells_ * hmm.n_offsets_} "
                          "pair-states; 'same cell': fraction of slots where the pruned path equals the exact one.")
    rep.add_figure("recovered training walks (HMM)", predictions_over_floorplan(
        data.train.scene, hmm.trajectory_, data.train.positions, title="HMM: recovered vs true training walks"))
    rep.add_text(f"Peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
                 f" MiB. Total run time {time.perf_counter() - t0:.0f} s.")
    rep.write()
    return rep
