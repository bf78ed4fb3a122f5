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


BASELINE = "centroid"
"""The trivial baseline every report row is compared with (``beats centroid``)."""


def summary_rows(results: dict[str, MethodResult], tests: list[str],
                 stats=("mean", "median", "p90")) -> list[dict]:
    """One row per method: ``{"method", "supervised", "<test> <stat>"...}`` (2-D errors, m).

    When the centroid baseline is among the results, every row also says whether it beats it:
    ``"<test> gain vs centroid"`` = centroid mean / method mean, and ``"beats centroid"`` = ``"yes"``,
    ``"NO (test, ...)"`` naming the tests where its mean error is not below the centroid's, or
    ``"baseline"``.
    """
    base = results.get(BASELINE)
    base_mean = {t: float(np.mean(base.errors[t])) for t in tests if base is not None and t in base.errors}
    rows = []
    for label, r in results.items():
        row = {"method": label, "supervised": "yes" if r.supervised else "no"}
        worse = []
        for t in tests:
            s = error_summary(r.errors[t]) if t in r.errors else {}
            for st in stats:
                row[f"{t} {st}"] = s.get(st, float("nan"))
            if t in base_mean:
                mean = s.get("mean", float("nan"))
                row[f"{t} gain vs centroid"] = base_mean[t] / mean if mean > 0 else float("nan")
                if not mean < base_mean[t]:
                    worse.append(t)
        if base_mean:
            row["beats centroid"] = "baseline" if label == BASELINE else (
                f"NO ({', '.join(worse)})" if worse else "yes")
        if r.error:
            row["failed"] = r.error
        rows.append(row)
    return rows


def not_beating_centroid(results: dict[str, MethodResult], tests: list[str]) -> list[str]:
    """Methods whose mean 2-D error is not below the centroid's on some test (failed methods included)."""
    rows = summary_rows(results, tests)
    return [r["method"] for r in rows if str(r.get("beats centroid", "")).startswith("NO") or
            (r["method"] != BASELINE and "failed" in r)]


def chart_rows(results: dict[str, MethodResult], tests: dict, max_points: int = 2000, seed: int = 0) -> list[dict]:
    """Channel-charting metrics of every method's estimates on every test set (``eval.metrics.chart_metrics``).

    Test sets larger than ``max_points`` are evaluated on a seeded subsample of that size (the metrics
    need N x N distances); the row says how many points were used.
    """
    from radiomap.eval.metrics import chart_metrics

    rows = []
    for t, ds in tests.items():
        n = ds.n_samples
        idx = np.sort(np.random.default_rng(seed).permutation(n)[:max_points]) if n > max_points else np.arange(n)
        if len(idx) < 4:
            continue
        for label, r in results.items():
            if t in r.predictions:
                m = chart_metrics(ds.positions[idx], r.predictions[t][idx, :2])
                rows.append({"test": t, "method": label, "points": len(idx), **m})
    return rows


def cross_val_errors(localizer, ds, n_folds: int = 5, seed: int = 0, groups: np.ndarray | None = None) -> np.ndarray:
    """Cross-validated 2-D errors of one method: each fold fitted on the others and scored on itself.

    Input
    -----
    localizer : an unfitted Localizer (cloned per fold); ds : labelled CSIDataset
    groups : int [N] (e.g. ``ds.point_id``) so that no group is split across folds, or None (random folds:
        on measured data packets of one point land in train and test, the error is optimistic)

    Output
    ------
    float64 [N]: error (m) of each sample when it was held out
    """
    from radiomap.data.splits import kfold

    errors = np.empty(ds.n_samples)
    for test_idx in kfold(ds.n_samples, n_folds, seed, groups=groups):
        mask = np.ones(ds.n_samples, bool)
        mask[test_idx] = False
        loc = localizer.clone().fit(ds.subset(mask))
        test = ds.subset(test_idx)
        errors[test_idx] = position_errors(loc.predict(test), test.positions, dims=2)
    return errors


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
        if scene.has_ap_positions:
            dist = nearest_ap_distance(ds.positions, scene.ap_positions)
            report.add_table(f"{t}: mean 2-D error per distance ring (m)", ring_rows(results, t, dist, ring_edges),
                             caption="Rings of horizontal distance from the true position to the nearest AP.")
        errs = {k: r.errors[t] for k, r in results.items() if t in r.errors}
        report.add_figure(f"cdf_{t}", error_cdf(errs, title=f"{t}: 2-D error CDF"))
    worse = not_beating_centroid(results, names)
    if BASELINE in results and results[BASELINE].errors:
        report.add_text("Methods that do not beat the trivial centroid baseline: "
                        + (f"**{', '.join(worse)}**." if worse else "none (every method beats it)."))
    report.add_table("channel-charting metrics", chart_rows(results, tests),
                     caption="Estimates vs true x-y positions: trustworthiness TW and continuity CT (K = 5 % of "
                             "the points), Kruskal stress KS with the optimal scale, and the mean error after a "
                             "least-squares affine fit of the estimates to the truth (fitted on the test points "
                             "themselves: optimistic, for charts not in real-world coordinates).")
    report.add_table("cost", cost_rows(results, names),
                     caption="Fit time on the training set, mean per-query time, saved model size.")
    t = floorplan_test or names[0]
    for label, r in results.items():
        if t in r.predictions:
            fig = predictions_over_floorplan(scene, r.predictions[t], tests[t].positions,
                                             title=f"{label} on {t}")
            report.add_figure(f"floorplan_{t}_{label}", fig)
