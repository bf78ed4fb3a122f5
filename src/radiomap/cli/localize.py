"""CLI commands ``fit``, ``localize``, ``evaluate``, ``compare`` and ``demo`` (a thin shell).

    radiomap fit knn train.h5 -o model/ [-p k=4 -p inputs=beamspace] [--cv]
    radiomap localize model/ test.h5 -o pred.h5
    radiomap evaluate pred.h5 [--truth test.h5] [-o report/]
    radiomap compare train.h5 test.h5 [more_test.h5 ...] -m knn -m wcl -o report/
    radiomap demo [-o reports/demo] [--seed 0] [--methods knn,svm]

Prediction files follow the schema in ``radiomap.eval.predictions``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from radiomap.cli.app import Force, app, show_progress
from radiomap.cli.params import parse_params
from radiomap.cli.tables import OutputFormat, check_format, console, emit, print_rows
from radiomap.errors import DataError, ParameterError


@app.command()
def fit(
    method: Annotated[str, typer.Argument(help="localizer name: centroid, knn, wknn, svm, dnn, wcl, aoa, hmm, ...")],
    train: Annotated[Path, typer.Argument(help="training dataset (.h5)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="model folder to write")] = Path("model"),
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="hyper-parameter name=value")] = None,
    cv: Annotated[bool, typer.Option("--cv", help="10-fold cross-validated hyper-parameters")] = False,
    force: Force = False,
) -> None:
    """Fit METHOD on TRAIN and save the model (safetensors + JSON)."""
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.localize import LOCALIZERS, get_localizer

    params = parse_params(param)
    if cv:
        params["cv"] = True
    if "progress" in LOCALIZERS.get(method).param_spec:
        params.setdefault("progress", show_progress())
    loc = get_localizer(method, **params)
    check_output(output, kind="dir", overwrite=force, inputs=[train], what="model folder")
    ds = CSIDataset.load(train)
    t0 = time.perf_counter()
    loc.fit(ds if loc.supervised else ds.without_positions())
    loc.save(output, overwrite=force)
    chosen = f" (chosen: {loc.fit_info_.chosen})" if loc.fit_info_.chosen else ""
    console.print(f"fitted {method} on {ds.n_samples} samples in {time.perf_counter() - t0:.2f} s{chosen} -> {output}")


@app.command("localize")
def localize_cmd(
    model: Annotated[Path, typer.Argument(help="model folder written by `radiomap fit`")],
    dataset: Annotated[Path, typer.Argument(help="dataset to localize (.h5)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="predictions file (.h5)")] = Path("pred.h5"),
    sequence: Annotated[str | None, typer.Option(
        help="decode the dataset as one walk with the model's mobility: viterbi (MAP path) | smooth "
             "(posterior mean); default: each sample on its own")] = None,
    force: Force = False,
) -> None:
    """Localize every sample of DATASET with MODEL; write predictions (+ copies of the truth)."""
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.eval.predictions import Predictions
    from radiomap.localize import Localizer

    if sequence not in (None, "viterbi", "smooth"):
        raise ParameterError(f"--sequence must be viterbi or smooth, got {sequence!r}")
    check_output(output, overwrite=force, inputs=[model, dataset], what="predictions file")
    loc = Localizer.load(model)
    if sequence is not None:
        if "sequence" not in type(loc).param_spec:
            raise ParameterError(f"{loc.name} localizes samples independently; --sequence needs a method with a "
                                 "mobility model (hmm, gma)")
        loc.set_params(sequence=True, estimator="map" if sequence == "viterbi" else "mean")
    ds = CSIDataset.load(dataset)
    t0 = time.perf_counter()
    pos = loc.predict(ds)
    dt = time.perf_counter() - t0
    Predictions(positions=pos, method=loc.name, true_positions=ds.positions, los=ds.los,
                timestamps=ds.timestamps, dataset=str(dataset), geometry_signature=loc.geometry_signature_,
                scene=ds.meta.get("scene", {}),
                timing={"fit_time_s": loc.fit_info_.fit_time_s, "predict_time_s": dt,
                        "per_query_ms": 1e3 * dt / max(ds.n_samples, 1)}).save(output, overwrite=force)
    console.print(f"{loc.name}: {ds.n_samples} positions in {dt:.2f} s -> {output}")


def evaluation_rows(pred, true_pos: np.ndarray, los: np.ndarray | None) -> dict[str, list[dict]]:
    """Tables for one predictions file: overall (2-D, 3-D) and per LOS region."""
    from radiomap.eval.breakdown import by_region
    from radiomap.eval.metrics import error_summary, position_errors
    from radiomap.scene import region_codes

    e2 = position_errors(pred.positions, true_pos, dims=2)
    e3 = position_errors(pred.positions, true_pos, dims=3)
    tables = {"errors": [{"method": pred.method, "dims": "2-D", **error_summary(e2)},
                         {"method": pred.method, "dims": "3-D", **error_summary(e3)}]}
    if los is not None:
        regions = region_codes(los)
        tables["per region"] = [{"method": pred.method, **r} for r in by_region(e2, regions)]
    return tables


@app.command()
def evaluate(
    predictions: Annotated[Path, typer.Argument(help="predictions file from `radiomap localize`")],
    truth: Annotated[Path | None, typer.Option("--truth", help="dataset with the true positions")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="also write a report folder")] = None,
    fmt: OutputFormat = "table",
    force: Force = False,
) -> None:
    """Print error statistics (2-D, 3-D, per LOS region) of a predictions file."""
    from radiomap.atomic import check_output
    from radiomap.eval.predictions import Predictions

    check_format(fmt)
    if output is not None:
        check_output(output, kind="dir", overwrite=force, inputs=[predictions, truth], what="report folder")
    pred = Predictions.load(predictions)
    true_pos, los = pred.true_positions, pred.los
    if truth is not None:
        from radiomap.data import CSIDataset

        ds = CSIDataset.load(truth)
        if ds.positions is None:
            raise DataError(f"{truth}: the truth dataset has no positions")
        if ds.n_samples != len(pred.positions):
            raise DataError(f"{truth} has {ds.n_samples} samples but {predictions} has {len(pred.positions)}")
        true_pos, los = ds.positions, ds.los if ds.los is not None else los
    if true_pos is None:
        raise DataError(f"{predictions} holds no true positions; pass --truth DATASET.h5")
    tables = evaluation_rows(pred, true_pos, los)
    emit({f"{pred.method}: {name} (m)": rows for name, rows in tables.items()}, fmt)
    if output is not None:
        from radiomap.eval.metrics import position_errors
        from radiomap.eval.plots import error_cdf, predictions_over_floorplan
        from radiomap.eval.report import Report

        rep = Report(f"evaluation of {predictions.name}", output,
                     {"predictions": str(predictions), "truth": str(truth) if truth else "in file",
                      "method": pred.method, "timing": pred.timing}, overwrite=force)
        for name, rows in tables.items():
            rep.add_table(name, rows)
        rep.add_figure("cdf", error_cdf({pred.method: position_errors(pred.positions, true_pos)}))
        if pred.scene:
            from radiomap.scene import Scene

            rep.add_figure("floorplan", predictions_over_floorplan(Scene.from_dict(pred.scene), pred.positions,
                                                                   true_pos, title=pred.method))
        console.print(f"report written to {rep.write()}")


@app.command()
def compare(
    train: Annotated[Path, typer.Argument(help="training dataset (.h5, with positions)")],
    tests: Annotated[list[Path], typer.Argument(help="one or more test datasets (.h5, with positions)")],
    method: Annotated[list[str] | None, typer.Option("-m", "--method", help="localizer (repeatable)")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="report folder")] = Path("reports/compare"),
    seed: Annotated[int, typer.Option(help="seed for the methods that take one")] = 0,
    inputs: Annotated[str, typer.Option(
        help="fingerprint input feature: seed000 | beamspace | a stored feature")] = "seed000",
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
    force: Force = False,
) -> None:
    """Fit several methods on TRAIN, evaluate on TESTS, write one report; exit 1 if any method failed."""
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.eval.compare import add_to_report, evaluate_methods, summary_rows
    from radiomap.eval.report import Report
    from radiomap.experiments.demo import build_methods
    from radiomap.features.stage import FEATURES, materialise, parse_feature

    names = method or ["centroid", "knn", "wknn", "svm", "dnn", "wcl", "aoa"]
    locs = build_methods(names, seed, inputs=inputs)
    check_output(output, kind="dir", overwrite=force, inputs=[train, *tests], what="report folder")
    tr = CSIDataset.load(train)
    sets = {}
    for p in tests:
        ds = CSIDataset.load(p)
        if ds.positions is None:
            raise DataError(f"{p}: test datasets need positions to be evaluated")
        sets[p.stem if p.stem not in sets else str(p)] = ds
    feature = parse_feature(inputs)
    if feature[0] in FEATURES and any("inputs" in type(loc).param_spec for loc in locs.values()):  # computed once
        tr = materialise(tr, [feature])
        sets = {k: materialise(v, [feature]) for k, v in sets.items()}
    results = evaluate_methods(locs, tr, sets, progress=progress)
    rep = Report(f"comparison on {train.name}", output,
                 {"train": str(train), "tests": [str(p) for p in tests], "seed": seed, "methods": names,
                  "params": {k: v.get_params() for k, v in locs.items()}, "scene": tr.scene.name,
                  "inputs": inputs}, overwrite=force)
    add_to_report(rep, results, sets, tr.scene)
    print_rows(summary_rows(results, list(sets)), "2-D localization error (m)")
    console.print(f"report written to {rep.write()}")
    exit_if_failed(results)


def exit_if_failed(results) -> None:
    """One line naming the failed methods of a comparison and exit status 1 (the report lists them)."""
    failed = {k: r.error for k, r in results.items() if r.error}
    if failed:
        print(f"error: {len(failed)} of {len(results)} methods failed: "
              + "; ".join(f"{k}: {v}" for k, v in failed.items()), file=sys.stderr)
        raise typer.Exit(1)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="report folder")] = Path("reports/demo"),
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    methods: Annotated[str | None, typer.Option(help="comma-separated methods (default: all baselines + hmm)")]
    = None,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
    force: Force = False,
) -> None:
    """Simulate xing-indoor (training walk, tests I and II), run every method, print and write the report."""
    from radiomap.atomic import check_output
    from radiomap.experiments.demo import build_methods, run

    t0 = time.perf_counter()
    names = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    build_methods(names)  # validates the names before any work
    check_output(output, kind="dir", overwrite=force, what="report folder")
    rep = run(output, seed=seed, progress=progress, methods=names, overwrite=force)
    rows, _, source = rep.merged_table("localization error (m)")
    print_rows(rows, "2-D localization error (m): measured | published (seed 000 Table II)")
    if source:
        console.print(f"published columns: {source}")
    console.print(f"report written to {output / 'report.md'} in {time.perf_counter() - t0:.1f} s")
