"""Run several localizers on one train/test pair and turn the results into report tables.

``evaluate_methods`` fits each method once (supervised ones on the labelled training set,
unsupervised ones on ``train.without_positions()``), predicts every test set, and records 2-D
and 3-D errors, per-region errors, LOS/NLOS agreement of the estimated position, fit time,
per-query time, model size on disk and number of stored parameters. ``add_to_report`` writes
the tables and figures (error CDFs, estimates over the floor plan).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from radiomap.eval.breakdown import REGION_NAMES, by_region, classification_table, nearest_ap_distance
from radiomap.eval.metrics import error_summary, position_errors
from radiomap.scene import region_codes


@dataclass
class MethodResult:
    """One method on several test sets."""

    name: str
    supervised: bool
    fit_time_s: float
    model_bytes: int
    n_params: int
    predictions: dict[str, np.ndarray] = field(default_factory=dict)  # test -> [N, 3]
    errors: dict[str, np.ndarray] = field(default_factory=dict)  # test -> [N] 2-D errors (m)
    errors_3d: dict[str, np.ndarray] = field(default_factory=dict)
    per_query_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # set when the method failed; the others still run


def model_footprint(loc) -> tuple[int, int]:
    """(bytes on disk of the saved model, number of stored array elements)."""
    from safetensors.numpy import load_file

    with tempfile.TemporaryDirectory() as tmp:
        d = loc.save(Path(tmp) / "m")
        size = sum(p.stat().st_size for p in d.iterdir())
        n = sum(int(a.size) for a in load_file(str(d / "state.safetensors")).values())
    return size, n


def evaluate_methods(localizers: dict, train, tests: dict, *, progress: bool = False,
                     keep_going: bool = True) -> dict[str, MethodResult]:
    """Fit and evaluate localizers.

    Input
    -----
    localizers : {label: Localizer instance (unfitted)}
    train : CSIDataset with positions; tests : {test name: CSIDataset with positions}
    keep_going : record a failing method's error message instead of raising

    Output
    ------
    {label: MethodResult}
    """
    from tqdm.auto import tqdm

    out = {}
    bar = tqdm(localizers.items(), desc="methods", disable=not progress, leave=False)
    for label, loc in bar:
        bar.set_postfix_str(label)
        try:
            t0 = time.perf_counter()
            loc.fit(train if loc.supervised else train.without_positions())
            fit_s = time.perf_counter() - t0
            size, n_params = model_footprint(loc)
            res = MethodResult(label, loc.supervised, fit_s, size, n_params)
            for name, ds in tests.items():
                t0 = time.perf_counter()
                pred = loc.predict(ds)
                res.per_query_ms[name] = 1e3 * (time.perf_counter() - t0) / max(ds.n_samples, 1)
                res.predictions[name] = pred
                res.errors[name] = position_errors(pred, ds.positions, dims=2)
                res.errors_3d[name] = position_errors(pred, ds.positions, dims=3)
        except Exception as exc:  # one failing method must not sink the comparison
            if not keep_going:
                raise
            res = MethodResult(label, getattr(loc, "supervised", True), float("nan"), 0, 0,
                               error=f"{type(exc).__name__}: {exc}")
        out[label] = res
    return out


def summary_rows(results: dict[str, MethodResult], tests: list[str],
                 stats=("mean", "median", "p90")) -> list[dict]:
    """One row per method: ``{"method", "supervised", "<test> <stat>"...}`` (2-D errors, m)."""
    rows = []
    for label, r in results.items():
        row = {"method": label, "supervised": "yes" if r.supervised else "no"}
        for t in tests:
            s = error_summary(r.errors[t]) if t in r.errors else {}
            for st in stats:
                row[f"{t} {st}"] = s.get(st, float("nan"))
        if r.error:
            row["failed"] = r.error
        rows.append(row)
    return rows


def detail_rows(results: dict[str, MethodResult], test: str) -> list[dict]:
    """Full statistics (2-D and 3-D) per method on one test set."""
    rows = []
    for label, r in results.items():
        if test not in r.errors:
            continue
        s2, s3 = error_summary(r.errors[test]), error_summary(r.errors_3d[test])
        rows.append({"method": label, **{k: s2[k] for k in ("mean", "median", "p90", "p95", "rmse", "max")},
                     "mean 3-D": s3["mean"], "p90 3-D": s3["p90"], "n": s2["n"]})
    return rows


def region_rows(results: dict[str, MethodResult], test: str, regions: np.ndarray) -> list[dict]:
    """Mean 2-D error per LOS region and method on one test set (with sample counts in the header)."""
    counts = np.bincount(regions, minlength=3)
    rows = []
    for label, r in results.items():
        if test not in r.errors:
            continue
        reg = by_region(r.errors[test], regions)
        means = {f"{g['region']} (n={counts[i]})": g["mean"] for i, g in enumerate(reg)}
        rows.append({"method": label, **means})
    return rows


def ring_rows(results: dict[str, MethodResult], test: str, distances: np.ndarray, edges) -> list[dict]:
    """Mean 2-D error per distance ring (e.g. distance to the nearest AP) and method on one test set."""
    from radiomap.eval.breakdown import by_distance_ring

    rows = []
    for label, r in results.items():
        if test in r.errors:
            rings = by_distance_ring(r.errors[test], distances, edges)
            rows.append({"method": label, **{f"{g['ring']} (n={g['n']})": g["mean"] for g in rings}})
    return rows


def los_rows(results: dict[str, MethodResult], test: str, scene,
             true_los: np.ndarray) -> tuple[list[dict], dict]:
    """LOS/NLOS per AP of the estimated position vs the truth: accuracy + confusion matrices per method."""
    rows, tables = [], {}
    for label, r in results.items():
        if test not in r.predictions:
            continue
        est = scene.los(r.predictions[test])
        tab = classification_table(true_los.astype(int), est.astype(int), ["NLOS", "LOS"])
        est_reg, true_reg = region_codes(est), region_codes(true_los)
        reg_tab = classification_table(true_reg, est_reg, list(REGION_NAMES))
        rows.append({"method": label, "LOS/NLOS accuracy (per AP)": tab["accuracy"],
                     "LOS confusion [[NN, NL], [LN, LL]]": str(tab["confusion"]),
                     "region accuracy": reg_tab["accuracy"]})
        tables[label] = {"los": tab, "region": reg_tab}
    return rows, tables


def cost_rows(results: dict[str, MethodResult], tests: list[str]) -> list[dict]:
    """Fit time, per-query time, saved size and stored parameters per method."""
    rows = []
    for label, r in results.items():
        q = [r.per_query_ms[t] for t in tests if t in r.per_query_ms]
        rows.append({"method": label, "fit (s)": r.fit_time_s,
                     "per query (ms)": float(np.mean(q)) if q else None,
                     "model size (kB)": r.model_bytes / 1e3, "stored values": r.n_params})
    return rows


def add_to_report(report, results: dict[str, MethodResult], tests: dict, scene, *,
                  floorplan_test: str | None = None, ring_edges=(0.0, 2.0, 4.0, 6.0, 8.0, np.inf)) -> None:
    """Add summary, detail, region, LOS, cost tables and figures to ``report``."""
    from radiomap.eval.plots import error_cdf, predictions_over_floorplan

    names = list(tests)
    sizes = ", ".join(f"{t} (N={tests[t].n_samples})" for t in names)
    report.add_table("localization error (m)", summary_rows(results, names),
                     caption=f"2-D error over {sizes}.")
    for t, ds in tests.items():
        report.add_table(f"{t}: error statistics (m)", detail_rows(results, t))
        if ds.los is not None:
            report.add_table(f"{t}: mean 2-D error per LOS region (m)", region_rows(results, t, ds.regions))
            rows, tables = los_rows(results, t, scene, ds.los)
            report.add_table(f"{t}: LOS/NLOS of the estimated position vs truth", rows,
                             caption="Per-AP LOS flag and region class at the estimate vs at the truth "
                                     "(rows true, columns estimated).")
            report.add_data(f"confusion_{t}", tables)
        dist = nearest_ap_distance(ds.positions, scene.ap_positions)
        report.add_table(f"{t}: mean 2-D error per distance ring (m)", ring_rows(results, t, dist, ring_edges),
                         caption="Rings of horizontal distance from the true position to the nearest AP.")
        errs = {k: r.errors[t] for k, r in results.items() if t in r.errors}
        report.add_figure(f"cdf_{t}", error_cdf(errs, title=f"{t}: 2-D error CDF"))
    report.add_table("cost", cost_rows(results, names),
                     caption="Fit time on the training set, mean per-query time, saved model size.")
    t = floorplan_test or names[0]
    for label, r in results.items():
        if t in r.predictions:
            fig = predictions_over_floorplan(scene, r.predictions[t], tests[t].positions,
                                             title=f"{label} on {t}")
            report.add_figure(f"floorplan_{t}_{label}", fig)
