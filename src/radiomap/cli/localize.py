"""CLI commands ``fit``, ``localize``, ``evaluate``, ``compare`` and ``demo`` (a thin shell).

    radiomap fit knn train.h5 -o model/ [-p k=4 -p inputs=beamspace] [--cv]
    radiomap localize model/ test.h5 -o pred.h5
    radiomap fit fusion-tdc train.h5 -o dir_model/          (a direction estimator: its task from its name)
    radiomap localize dir_model/ test.h5 --coordinates pred.h5 -o dir.h5
    radiomap evaluate pred.h5 [--truth test.h5] [-o report/]
    radiomap compare train.h5 test.h5 [more_test.h5 ...] -m knn -m wcl -p knn.k=4 -o report/
    radiomap compare captures.h5 --split lpo --seed 0 -o report/ [--format json]
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

from radiomap.cli.app import Force, Progress, Scheduler, Workers, app, cluster, show_progress
from radiomap.cli.params import parse_params
from radiomap.cli.tables import OutputFormat, check_format, console, emit, print_rows
from radiomap.errors import DataError, ParameterError


@app.command()
def fit(
    method: Annotated[str, typer.Argument(
        help="method (`radiomap methods`): a localizer (knn, wknn, hmm, loanet, ...) or a direction estimator "
             "(fusion-tdc)")],
    train: Annotated[Path, typer.Argument(help="training dataset (.h5)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="model folder to write")] = Path("model"),
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="hyper-parameter name=value")] = None,
    cv: Annotated[bool, typer.Option("--cv", help="10-fold cross-validated hyper-parameters")] = False,
    force: Force = False,
) -> None:
    """Fit METHOD on TRAIN and save the model (safetensors + JSON)."""
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.localize import TASKS, get_estimator, task_of

    params = parse_params(param)
    if cv:
        params["cv"] = True
    if "progress" in TASKS[task_of(method)].get(method).param_spec:
        params.setdefault("progress", show_progress())
    loc = get_estimator(method, **params)
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
    coordinates: Annotated[Path | None, typer.Option(
        help="direction models: predictions file of a localizer on DATASET whose positions feed the estimator "
             "(default: the dataset's true positions)")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    force: Force = False,
) -> None:
    """Localize every sample of DATASET with MODEL (or, with a direction model, classify its motion direction);
    write predictions (+ copies of the truth).

    The dataset is read and localized in chunks (in this process, or on Dask workers with
    --workers/--scheduler: the same positions either way); a --sequence decode and direction models run as
    one piece, in this process.
    """
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.data.dataset import stored_fields
    from radiomap.localize import load_estimator, task_of
    from radiomap.localize.chunked import predict_file
    from radiomap.parallel import check_executor_options

    if sequence not in (None, "viterbi", "smooth"):
        raise ParameterError(f"--sequence must be viterbi or smooth, got {sequence!r}")
    check_output(output, overwrite=force, inputs=[model, dataset, coordinates], what="predictions file")
    check_executor_options(workers, scheduler)
    loc = load_estimator(model)
    direction = task_of(loc.name) == "direction"
    if coordinates is not None and not direction:
        raise ParameterError(f"--coordinates feeds a direction estimator; {loc.name} is a localizer")
    if direction and (workers is not None or scheduler is not None):
        raise ParameterError(f"{loc.name} classifies in this process; drop --workers/--scheduler")
    params = {}
    if sequence is not None:
        if "sequence" not in type(loc).param_spec:
            raise ParameterError(f"{loc.name} localizes samples independently; --sequence needs a method with a "
                                 "mobility model (hmm, gma)")
        params = {"sequence": True, "estimator": "map" if sequence == "viterbi" else "mean"}
    if direction:
        _classify_directions(loc, CSIDataset.load(dataset), dataset, coordinates, output, force)
        return
    truth = stored_fields(dataset, ("positions", "los", "timestamps"))
    with cluster(workers, scheduler) as ex:
        pos, dt = predict_file(model, dataset, params=params, executor=ex)
    _predictions(loc, truth, dataset, dt, len(pos), positions=pos).save(output, overwrite=force)
    console.print(f"{loc.name}: {len(pos)} positions in {dt:.2f} s -> {output}")


def _predictions(loc, truth: dict, dataset: Path, dt: float, n: int, **fields):
    """The predictions file of ``loc`` on the ``n`` samples of ``dataset``: ``truth`` (positions, los,
    timestamps, meta) copied, timing."""
    from radiomap.eval.predictions import Predictions

    return Predictions(method=loc.name, true_positions=truth["positions"], los=truth["los"],
                       timestamps=truth["timestamps"], dataset=str(dataset), geometry_signature=loc.geometry_signature_,
                       scene=truth["meta"].get("scene", {}),
                       timing={"fit_time_s": loc.fit_info_.fit_time_s, "predict_time_s": dt,
                               "per_query_ms": 1e3 * dt / max(n, 1)}, **fields)


def _classify_directions(est, ds, dataset: Path, coordinates: Path | None, output: Path, force: bool) -> None:
    """Direction classes of every sample of ``ds``, fed the coordinates of a predictions file (or the truth)."""
    from radiomap.eval.metrics import accuracy
    from radiomap.eval.predictions import Predictions
    from radiomap.localize.loanet import heading_to_class

    xyz = ds.positions
    if coordinates is not None:
        pred = Predictions.load(coordinates)
        if pred.positions is None or pred.n_samples != ds.n_samples:
            raise DataError(f"{coordinates}: expected the positions of a localizer on {dataset} "
                            f"({ds.n_samples} samples)")
        xyz = pred.positions
    if xyz is None:
        raise DataError(f"{dataset} has no positions: pass --coordinates PRED.h5 (a localizer's predictions on it)")
    t0 = time.perf_counter()
    classes = est.predict(ds, coordinates=xyz)
    dt = time.perf_counter() - t0
    truth = None if ds.velocity is None else heading_to_class(ds.velocity, est.n_classes)
    truth_fields = {"positions": ds.positions, "los": ds.los, "timestamps": ds.timestamps, "meta": ds.meta}
    _predictions(est, truth_fields, dataset, dt, ds.n_samples, positions=None, directions=classes,
                 n_classes=est.n_classes, true_directions=truth).save(output, overwrite=force)
    fed = f"coordinates of {coordinates}" if coordinates is not None else "true coordinates"
    acc = "" if truth is None else (f", accuracy {100 * accuracy(truth, classes):.1f} % "
                                    f"(chance {100 / est.n_classes:.1f} %)")
    console.print(f"{est.name}: {ds.n_samples} directions ({fed}) in {dt:.2f} s{acc} -> {output}")


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
    if pred.directions is not None:
        _evaluate_directions(pred, predictions, truth, output, fmt, force)
        return
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


def _evaluate_directions(pred, predictions: Path, truth: Path | None, output: Path | None, fmt: str,
                         force: bool) -> None:
    """Accuracy and confusion matrix of a direction predictions file (truth in it or from ``truth``'s velocities)."""
    from radiomap.eval.metrics import accuracy, confusion_matrix
    from radiomap.localize.loanet import heading_to_class

    true_cls = pred.true_directions
    if truth is not None:
        from radiomap.data import CSIDataset

        ds = CSIDataset.load(truth)
        if ds.velocity is None or ds.n_samples != pred.n_samples:
            raise DataError(f"{truth}: expected velocities of the {pred.n_samples} samples of {predictions}")
        true_cls = heading_to_class(ds.velocity, pred.n_classes)
    if true_cls is None:
        raise DataError(f"{predictions} holds no true directions; pass --truth DATASET.h5 (with velocities)")
    rows = [{"method": pred.method, "accuracy (%)": 100 * accuracy(true_cls, pred.directions),
             "chance (%)": 100 / pred.n_classes, "classes": pred.n_classes, "n": pred.n_samples}]
    conf = confusion_matrix(true_cls, pred.directions, pred.n_classes)
    deg = 360 / pred.n_classes
    conf_rows = [{"true heading (deg)": c * deg, **{f"{k * deg:g}": int(conf[c, k]) for k in range(pred.n_classes)}}
                 for c in range(pred.n_classes)]
    emit({f"{pred.method}: motion direction": rows, "confusion (rows: true, columns: predicted)": conf_rows}, fmt)
    if output is not None:
        from radiomap.eval.report import Report

        rep = Report(f"evaluation of {predictions.name}", output,
                     {"predictions": str(predictions), "truth": str(truth) if truth else "in file",
                      "method": pred.method, "timing": pred.timing}, overwrite=force)
        rep.add_table("direction", rows)
        rep.add_table("confusion", conf_rows, caption="rows: true heading, columns: predicted heading (deg)")
        console.print(f"report written to {rep.write()}")


def method_params(items: list[str] | None, names: list[str]) -> dict[str, dict]:
    """``-p knn.k=4 -p inputs=taps`` -> ``{"knn": {"k": 4}, <every method taking inputs>: {"inputs": "taps"}}``.

    ``METHOD.KEY=VALUE`` sets one method's parameter (METHOD must be among ``names``); a plain
    ``KEY=VALUE`` sets it for every method in ``names`` that declares KEY (at least one must).
    """
    from radiomap.localize import LOCALIZERS

    out: dict[str, dict] = {n: {} for n in names}
    for key, value in parse_params(items).items():
        method, dot, param = key.rpartition(".")
        if dot:
            if method not in out:
                raise ParameterError(f"-p {key}: method {method!r} is not compared (methods: {', '.join(names)})")
            out[method][param] = value
            continue
        takers = [n for n in names if key in LOCALIZERS.get(n).param_spec]
        if not takers:
            raise ParameterError(f"-p {key}: no compared method takes {key!r}; use METHOD.{key}=VALUE")
        for n in takers:
            out[n][key] = value
    return out


def load_split(train: Path, tests: list[Path], split: str, seed: int, fraction: float):
    """(train set, {test name: test set}, split description, leakage warning or None) for ``compare``."""
    from radiomap.data import CSIDataset
    from radiomap.data.splits import SPLITS, leakage_warning, split_dataset

    if split not in SPLITS:
        raise ParameterError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    if split == "given" and not tests:
        raise ParameterError("--split given needs one or more TEST datasets (or choose --split lpo|trajectory|"
                             "region|random to hold out part of TRAIN)")
    tr = CSIDataset.load(train)
    sets, warning = {}, leakage_warning(tr, split)
    text = "given: separate test datasets"
    if split != "given":
        tr, held, text = split_dataset(tr, split, test_fraction=fraction, seed=seed)
        sets[f"{split} held-out"] = held
    for p in tests:
        ds = CSIDataset.load(p)
        if ds.positions is None:
            raise DataError(f"{p}: test datasets need positions to be evaluated")
        sets[p.stem if p.stem not in sets else str(p)] = ds
    return tr, sets, text, warning


def shared_features(locs: dict, tr, sets: dict):
    """Train and test sets with the registered features the methods read computed once (materialised)."""
    from radiomap.features.preprocessing import split_composite
    from radiomap.features.stage import FEATURES, materialise, parse_feature
    from radiomap.localize.fingerprint import resolve_inputs

    specs = {loc.get_params()["inputs"] for loc in locs.values() if "inputs" in type(loc).param_spec}
    feats = []
    for spec in sorted(specs):
        for part in split_composite(resolve_inputs(tr, spec)):
            feature = parse_feature(part)
            if feature[0] in FEATURES and feature not in feats:
                feats.append(feature)
    return materialise(tr, feats), {k: materialise(v, feats) for k, v in sets.items()}


@app.command()
def compare(
    train: Annotated[Path, typer.Argument(help="training dataset (.h5, with positions)")],
    tests: Annotated[list[Path] | None, typer.Argument(help="test datasets (.h5, with positions)")] = None,
    method: Annotated[list[str] | None, typer.Option("-m", "--method", help="localizer (repeatable)")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "-p", "--param", help="METHOD.KEY=VALUE for one method, KEY=VALUE for every method taking KEY")] = None,
    split: Annotated[str, typer.Option(
        help="given (TESTS) | lpo (leave points out) | trajectory | region | random: held out of TRAIN")] = "given",
    test_fraction: Annotated[float, typer.Option(help="share held out by --split (points, walks, area, samples)")]
    = 0.2,
    output: Annotated[Path, typer.Option("-o", "--output", help="report folder")] = Path("reports/compare"),
    seed: Annotated[int, typer.Option(help="seed of the split and of the methods that take one")] = 0,
    inputs: Annotated[str | None, typer.Option(
        help="fingerprint input feature for every method that takes one (default: each method's, 'auto')")] = None,
    progress: Progress = None,
    fmt: OutputFormat = "table",
    force: Force = False,
) -> None:
    """Fit several methods on TRAIN, evaluate on TESTS or a split of TRAIN, write one report; exit 1 if any failed."""
    from radiomap.atomic import check_output
    from radiomap.eval.compare import add_to_report, evaluate_methods, not_beating_centroid, summary_rows
    from radiomap.eval.report import Report
    from radiomap.experiments.demo import build_methods

    check_format(fmt)
    names = list(dict.fromkeys(["centroid", *(method or ["knn", "wknn", "svm", "dnn", "wcl", "aoa"])]))
    locs = build_methods(names, seed, inputs=inputs, params=method_params(param, names))
    check_output(output, kind="dir", overwrite=force, inputs=[train, *(tests or [])], what="report folder")
    tr, sets, split_text, warning = load_split(train, tests or [], split, seed, test_fraction)
    if warning:
        console.print(f"warning: {warning}")
    tr, sets = shared_features(locs, tr, sets)
    results = evaluate_methods(locs, tr, sets, progress=show_progress(progress))
    rep = Report(f"comparison on {train.name}", output,
                 {"train": str(train), "tests": [str(p) for p in tests or []], "split": split_text, "seed": seed,
                  "methods": names, "params": {k: v.get_params() for k, v in locs.items()},
                  "scene": tr.scene.name, "inputs": inputs or "each method's default"}, overwrite=force)
    rep.add_text(f"Split: {split_text}." + (f" **Warning: {warning}.**" if warning else ""))
    add_to_report(rep, results, sets, tr.scene)
    emit({f"2-D localization error (m), split {split}": summary_rows(results, list(sets))}, fmt)
    worse = not_beating_centroid(results, list(sets))
    console.print(f"split: {split_text}")
    console.print("not better than the centroid baseline: " + (", ".join(worse) if worse else "none"))
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
    progress: Progress = None,
    fmt: OutputFormat = "table",
    force: Force = False,
) -> None:
    """Simulate xing-indoor (training walk, tests I and II), run every method, print and write the report."""
    from radiomap.atomic import check_output
    from radiomap.experiments.demo import build_methods, run

    check_format(fmt)
    t0 = time.perf_counter()
    names = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    build_methods(names)  # validates the names before any work
    check_output(output, kind="dir", overwrite=force, what="report folder")
    rep = run(output, seed=seed, progress=show_progress(progress), methods=names, overwrite=force)
    rows, _, source = rep.merged_table("localization error (m)")
    print_rows(rows, "2-D localization error (m): measured | published (seed 000 Table II)", fmt)
    if source:
        console.print(f"published columns: {source}")
    console.print(f"report written to {output / 'report.md'} in {time.perf_counter() - t0:.1f} s")
