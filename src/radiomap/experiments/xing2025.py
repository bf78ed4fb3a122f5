"""Reproduction of seed 000 (Xing et al.): unsupervised radio map by HMM trajectory recovery.

``run`` simulates ``xing-indoor`` (the 167 m training walk at 1-4 m/s, random-walk tests I and II
with CSI noise variance 0.2 / 0.4), then

- Table I analogue: trajectory error on the training walk (overall / double-LOS / single-LOS /
  NLOS) of WCL, AoA triangulation, channel charting, GMA and the HMM, plus the HMM's LOS/NLOS
  classification accuracy (per AP and sample, against the scene's geometric LOS flags);
- Table II analogue: localization on tests I / II with KNN, SVM, DNN (supervised, trained on the
  labelled walk), WCL, AoA, charting, GMA's map and the HMM radio map (per-sample maximum
  likelihood; each test walk as one sequence as extra rows: Viterbi MAP path and forward-backward
  posterior mean);
- figures: recovered vs true trajectory, the radio map (LOS maps, expected power), the objective
  per iteration, error CDFs;
- robustness: with ``full=True`` the whole pipeline over 5 seeds (mean and spread) and fits from
  initial mobility parameters off by a factor of 2 and 1/2; without it, one seed and the factor-2 fit.
The seed's published numbers are added in separate ``published:`` columns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiomap.eval.report import Report
from radiomap.experiments.demo import PUBLISHED_TABLE_II as DEMO_PUBLISHED_TABLE_II
from radiomap.scene import REGION_NAMES, region_codes

PUBLISHED_SOURCE = ("seed 000 (Xing et al., 'Unsupervised radio map construction in mixed LoS/NLoS indoor "
                    "environments'), section IV")
PUBLISHED_TABLE_I = [
    {"method": "wcl", "overall": 3.56, "NLOS": 4.74},
    {"method": "aoa", "overall": 1.67, "double-LOS": 1.25, "NLOS": 4.45},
    {"method": "charting", "overall": 1.65},
    {"method": "gma", "overall": 0.68},
    {"method": "hmm", "overall": 0.65},
]
PUBLISHED_TABLE_II = [{"method": r["method"], "test1": r["test1 mean"], "test2": r["test2 mean"]}
                      for r in DEMO_PUBLISHED_TABLE_II]
"""Seed 000 Table II, from the one copy in ``experiments.demo``, keyed like this report's table."""
REGIONS = REGION_NAMES
TESTS = ("test1", "test2")
SUPERVISED = {"knn": {"k": 8}, "svm": {"C": 10.0}, "dnn": {"hidden": (30, 30, 30), "epochs": 200}}


def _err(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(pred)[:, :2] - np.asarray(true)[:, :2], axis=1)


def _table1_row(name: str, err: np.ndarray, regions: np.ndarray) -> dict:
    row = {"method": name, "overall": float(err.mean())}
    for code in (2, 1, 0):
        m = regions == code
        row[REGIONS[code]] = float(err[m].mean()) if m.any() else float("nan")
    return row


@dataclass
class FittedMethods:
    """Every method of one seed, fitted: ``methods`` by name (``hmm`` always), fit ``times`` (s)."""

    methods: dict
    times: dict[str, float]


@dataclass
class SeedResult:
    """One seed's numbers and fitted objects.

    table1 / table2 : report rows; los_accuracy (fraction) and its per-AP list; errors :
    ``{method: {split: float64 [N] (m)}}``; data : the datasets; fitted : the fitted methods.
    """

    data: dict
    fitted: FittedMethods
    table1: list[dict]
    table2: list[dict]
    los_accuracy: float
    los_accuracy_per_ap: list[float]
    errors: dict

    @property
    def hmm(self):
        return self.fitted.methods["hmm"]


def fit_methods(data: dict, seed: int, *, progress: bool = False, hmm_params: dict | None = None,
                extra: bool = True) -> FittedMethods:
    """Fit the HMM (and with ``extra`` GMA, charting, WCL, AoA and the supervised baselines) on ``data["train"]``."""
    from radiomap.localize import get_localizer

    train = data["train"]
    blind = train.without_positions()
    times: dict[str, float] = {}

    def timed(name, loc, ds):
        t0 = time.perf_counter()
        loc.fit(ds)
        times[name] = time.perf_counter() - t0
        return loc

    methods = {"hmm": timed("hmm", get_localizer("hmm", seed=seed, progress=progress, **(hmm_params or {})), blind)}
    if extra:
        methods["gma"] = timed("gma", get_localizer("gma", progress=progress), train)
        methods["charting"] = timed("charting", get_localizer("charting", seed=seed, progress=progress), blind)
        for name in ("wcl", "aoa"):
            methods[name] = timed(name, get_localizer(name), blind)
        for name, params in SUPERVISED.items():
            methods[name] = timed(name, get_localizer(name, seed=seed, **params), train)
    return FittedMethods(methods, times)


def trajectory_table(methods: dict, train) -> tuple[list[dict], dict]:
    """Table I rows (trajectory error on the training walk, m) and the errors ``{method: float64 [N]}``.

    gma / hmm: the MAP walk of the fit; ``-smoothed``: its forward-backward posterior mean; other
    unsupervised methods: their prediction of the training set.
    """
    regions = region_codes(train.los)
    blind = train.without_positions()
    rows, errors = [], {}
    for name in ("wcl", "aoa", "charting", "gma", "hmm", "gma-smoothed", "hmm-smoothed"):
        base_name, smoothed = name.removesuffix("-smoothed"), name.endswith("-smoothed")
        if base_name not in methods:
            continue
        loc = methods[base_name]
        if smoothed:
            pred = loc.trajectory_smoothed_
        else:
            pred = loc.trajectory_ if hasattr(loc, "trajectory_") else loc.predict(blind)
        errors[name] = _err(pred, train.positions)
        rows.append(_table1_row(name, errors[name], regions))
    return rows, errors


def localization_table(methods: dict, data: dict) -> tuple[list[dict], dict]:
    """Table II rows (mean error on tests I / II, m) and ``{method: {test: float64 [N]}}``.

    Per-sample predictions of every method, plus each test walk decoded as one sequence by GMA and
    the HMM (``decode``: Viterbi MAP path and forward-backward posterior mean).
    """
    preds = {name: {t: loc.predict(data[t]) for t in TESTS} for name, loc in methods.items()}
    for row_name, sequence in (("viterbi", "viterbi"), ("smoothed", "smooth")):
        for base_name in ("gma", "hmm"):
            if base_name in methods:
                preds[f"{base_name}-{row_name}"] = {t: methods[base_name].decode(data[t], sequence) for t in TESTS}
    errors = {name: {t: _err(p[t], data[t].positions) for t in TESTS} for name, p in preds.items()}
    order = ["knn", "svm", "dnn", "wcl", "aoa", "charting", "gma", "hmm", "gma-viterbi", "hmm-viterbi",
             "gma-smoothed", "hmm-smoothed"]
    rows = [{"method": k, **{t: float(errors[k][t].mean()) for t in TESTS}} for k in order if k in errors]
    return rows, errors


def region_breakdown(hmm, train) -> list[dict]:
    """Per region of the training walk: why the recovered walk fails where it does (issue 19 item 3).

    Columns: slots; MAP-walk error (m); stall fraction (slots without a move) of the recovered walk and
    of the true walk read on the same lattice; mean speeds (m/s); per-feature log-likelihood of the
    features at the true positions minus at the recovered ones under the fitted map (nats per slot:
    negative = the fitted model prefers the recovered walk there, i.e. a model, not a search, failure);
    fraction of (slot, AP) pairs whose map label at the true cell equals the geometric LOS flag.
    """
    from scipy.spatial import cKDTree

    true_xy, est_xy = np.asarray(train.positions)[:, :2], hmm.trajectory_[:, :2]
    snapped = hmm.cell_xy_[cKDTree(hmm.cell_xy_).query(true_xy)[1]]
    dt = float(np.median(np.diff(train.timestamps)))
    moved_est = np.r_[False, np.linalg.norm(np.diff(est_xy, axis=0), axis=1) > 1e-9]
    moved_true = np.r_[False, np.linalg.norm(np.diff(snapped, axis=0), axis=1) > 1e-9]
    speed_est = np.r_[0.0, np.linalg.norm(np.diff(est_xy, axis=0), axis=1) / dt]
    speed_true = np.r_[0.0, np.linalg.norm(np.diff(true_xy, axis=0), axis=1) / dt]
    dll = hmm.feature_loglik(train, true_xy) - hmm.feature_loglik(train, est_xy)
    label_ok = hmm.regions_at(true_xy) == np.asarray(train.los, dtype=bool)
    regions, err = region_codes(train.los), _err(est_xy, true_xy)
    rows = []
    for code in (2, 1, 0):
        m = regions == code
        m[0] = False  # slot 0 has no move
        if not m.any():
            continue
        rows.append({"region": REGIONS[code], "slots": int(m.sum()), "error": float(err[m].mean()),
                     "stall recovered": float(1 - moved_est[m].mean()), "stall true": float(1 - moved_true[m].mean()),
                     "speed recovered": float(speed_est[m].mean()), "speed true": float(speed_true[m].mean()),
                     **{f"d loglik {f}": float(dll[m, k].mean()) for k, f in enumerate(("power", "angle", "delay"))},
                     "map label accuracy": float(label_ok[m].mean())})
    return rows


def run_seed(seed: int, *, progress: bool = False, hmm_params: dict | None = None, extra: bool = True
             ) -> SeedResult:
    """Simulate one seed (``xing_data.make_xing_datasets``) and evaluate every method."""
    from radiomap.experiments.xing_data import make_xing_datasets

    data = make_xing_datasets(seed=seed, progress=progress)
    train = data["train"]
    fitted = fit_methods(data, seed, progress=progress, hmm_params=hmm_params, extra=extra)
    table1, err1 = trajectory_table(fitted.methods, train)
    table2, err2 = localization_table(fitted.methods, data)
    errors = {name: {"train": e} for name, e in err1.items()}
    for name, per_test in err2.items():
        errors.setdefault(name, {}).update(per_test)
    truth = np.asarray(train.los, dtype=bool)
    est = np.asarray(fitted.methods["hmm"].trajectory_los_, dtype=bool)
    return SeedResult(data=data, fitted=fitted, table1=table1, table2=table2,
                      los_accuracy=float((est == truth).mean()), los_accuracy_per_ap=(est == truth).mean(0).tolist(),
                      errors=errors)


def _objective_figure(history: list[dict]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    for init in dict.fromkeys(h["init"] for h in history):
        h = [r for r in history if r["init"] == init]
        ax.plot([r["iteration"] for r in h], [r["total"] for r in h], marker="o", label=f"start: {init}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("joint log-likelihood (nats)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _overall(result: SeedResult, method: str) -> float:
    """Table I overall error (m) of ``method``'s row (e.g. "hmm": the MAP walk) in one seed's ``result``."""
    return next(r["overall"] for r in result.table1 if r["method"] == method)


def _spread_rows(per_seed: list[SeedResult], key: str, col: str) -> list[dict]:
    names = [r["method"] for r in getattr(per_seed[0], key)]
    rows = []
    for name in names:
        vals = np.array([next(r[col] for r in getattr(s, key) if r["method"] == name) for s in per_seed])
        rows.append({"method": name, f"{col} mean": float(vals.mean()), f"{col} std": float(vals.std()),
                     f"{col} min": float(vals.min()), f"{col} max": float(vals.max())})
    return rows


def _settings(main: SeedResult, seed: int, full: bool) -> dict:
    hmm, train = main.hmm, main.data["train"]
    return {
        "scene": train.scene.name, "seed": seed, "full": full,
        "n_samples": {k: v.n_samples for k, v in main.data.items()},
        "noise": {k: v.meta.get("noise") for k, v in main.data.items()},
        "hmm": hmm.get_params(), "grid_cells": hmm.n_cells_, "reachable_offsets": hmm.n_offsets_,
        "features": "power (dB), MUSIC cone angle (rad), log10 frequency selectivity, per AP",
        "supervised": SUPERVISED,
    }


def _add_tables(rep: Report, main: SeedResult) -> None:
    hmm, train = main.hmm, main.data["train"]
    rep.add_table("Table I: trajectory error on the training walk (m)", main.table1,
                  caption="Mean 2-D error of the recovered 167 m training walk, overall and per region. "
                          "gma / hmm: the MAP walk of the alternating optimisation (the seed's estimate); "
                          "'-smoothed': the forward-backward posterior mean under the same fitted model.")
    rep.add_published("Table I: trajectory error on the training walk (m)", PUBLISHED_TABLE_I, PUBLISHED_SOURCE)
    rep.add_table("LOS/NLOS classification", [
        {"method": "hmm", "accuracy": main.los_accuracy,
         **{f"AP {b}": a for b, a in enumerate(main.los_accuracy_per_ap)}}],
        caption="Fraction of (sample, AP) pairs whose HMM region label at the recovered position equals the "
                "geometric LOS flag (the paper's value was lost in extraction).")
    rep.add_table("Table II: localization on tests I / II (mean error, m)", main.table2,
                  caption="Per-sample estimates; '-viterbi' treats each test walk as one sequence (MAP path "
                          "under the trained mobility model), '-smoothed' gives its forward-backward posterior "
                          "mean.")
    rep.add_published("Table II: localization on tests I / II (mean error, m)", PUBLISHED_TABLE_II,
                      PUBLISHED_SOURCE)
    rep.add_table("Fit times (s)", [{"method": k, "fit_s": v} for k, v in main.fitted.times.items()],
                  caption=f"HMM grid: {hmm.n_cells_} cells, {hmm.n_offsets_} reachable "
                          f"moves, {train.n_samples} slots; best start: {hmm.best_init_}.")


def _add_figures(rep: Report, main: SeedResult) -> None:
    from radiomap.eval.plots import error_cdf, predictions_over_floorplan

    hmm, train = main.hmm, main.data["train"]
    scene = train.scene
    rep.add_figure("recovered trajectory (HMM)", predictions_over_floorplan(
        scene, hmm.trajectory_, train.positions, title="HMM: recovered (blue) vs true (black) training walk"))
    rep.add_figure("recovered trajectory (GMA)", predictions_over_floorplan(
        scene, main.fitted.methods["gma"].trajectory_, train.positions, title="GMA: recovered vs true training walk"))
    rmap = hmm.radio_map_
    rep.add_figure("radio map: LOS maps", rmap.plot(scene, "los"))
    rep.add_figure("radio map: expected power", rmap.plot(scene, "power"))
    rep.add_figure("objective per iteration", _objective_figure(hmm.history_))
    rep.add_figure("error CDF test II", error_cdf({k: v["test2"] for k, v in main.errors.items() if "test2" in v},
                                                  title="test II"))
    rep.add_artifact("hmm_radiomap", rmap.save)


def _robustness_row(loc, factor: float, train, trajectory_mean: float, los_accuracy: float) -> dict:
    return {"initial sigma_v factor": factor, "initial s": loc.initial_mobility.innovation_std,
            "iterations": len(loc.history_), "trajectory mean": trajectory_mean, "los accuracy": los_accuracy,
            "final sigma_v": loc.mobility_.sigma_v, "final alpha": loc.mobility_.alpha, "objective": loc.objective_}


def robustness_rows(main: SeedResult, full: bool) -> list[dict]:
    """HMM refits from the initial ``sigma_v`` off by 2 (and 1/2 with ``full``), after the base fit's row."""
    from radiomap.localize import get_localizer

    hmm, train = main.hmm, main.data["train"]
    rows = [_robustness_row(hmm, 1.0, train, _overall(main, "hmm"), main.los_accuracy)]
    base = hmm.get_params()
    for factor in ((2.0, 0.5) if full else (2.0,)):
        params = {**base, "mobility_sigma": base["mobility_sigma"] * factor, "progress": False}
        loc = get_localizer("hmm", **params).fit(train.without_positions())
        rows.append(_robustness_row(loc, factor, train, float(_err(loc.trajectory_, train.positions).mean()),
                                    float((loc.trajectory_los_ == train.los).mean())))
    return rows


def _add_seed_spread(rep: Report, main: SeedResult, seed: int, progress: bool) -> None:
    per_seed = [main] + [run_seed(s, progress=progress) for s in range(seed + 1, seed + 5)]
    seeds = list(range(seed, seed + 5))
    rep.add_table("Robustness over 5 seeds: Table I overall (m)", _spread_rows(per_seed, "table1", "overall"),
                  caption=f"seeds {seeds}")
    for t in TESTS:
        rep.add_table(f"Robustness over 5 seeds: {t} (m)", _spread_rows(per_seed, "table2", t),
                      caption=f"seeds {seeds}")
    rep.add_table("Robustness over 5 seeds: HMM LOS accuracy and fit time", [
        {"seed": s, "los accuracy": p.los_accuracy, "hmm fit s": p.fitted.times["hmm"],
         "hmm traj": _overall(p, "hmm"), "gma traj": _overall(p, "gma")}
        for s, p in zip(seeds, per_seed, strict=True)])
    rep.add_data("per_seed", [{"table1": p.table1, "table2": p.table2, "los_accuracy": p.los_accuracy,
                               "times": p.fitted.times} for p in per_seed])


def run(out_dir: str | Path, *, full: bool = False, seed: int = 0, progress: bool = True,
        overwrite: bool = False) -> Report:
    """Run the reproduction and write ``report.md`` / ``report.json`` / PNGs into ``out_dir``."""
    t0 = time.perf_counter()
    main = run_seed(seed, progress=progress)
    rep = Report("Seed 000 reproduction: unsupervised radio map by HMM trajectory recovery", out_dir,
                 _settings(main, seed, full), overwrite=overwrite, started=t0)
    _add_tables(rep, main)
    _add_figures(rep, main)
    rep.add_table("Robustness: initial mobility parameters", robustness_rows(main, full),
                  caption="HMM fit from sigma_v scaled by the factor (alpha unchanged; 'initial s' is the "
                          "starting innovation std, m/s). The fitted innovation std is constrained to >= "
                          "hypot(min_innovation_std, lattice quantisation std at the fitted alpha), but the "
                          "start is not clamped: a start below the bound drives the first Viterbi pass and "
                          "the first mobility step projects it onto the bound.")
    rep.add_table("Region breakdown of the HMM training walk", region_breakdown(main.hmm, main.data["train"]),
                  caption="Per region: error of the MAP walk; stall fraction and mean speed of the recovered walk "
                          "and of the true walk on the same lattice; 'd loglik': feature log-likelihood at the "
                          "true positions minus at the recovered ones under the fitted map (nats/slot; < 0: the "
                          "fitted model itself prefers the recovered walk); map label accuracy at the true cells.")
    if full:
        _add_seed_spread(rep, main, seed, progress)
    rep.add_text(f"Total run time {time.perf_counter() - t0:.0f} s.")
    rep.write()
    return rep
