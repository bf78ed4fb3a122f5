"""CLI commands ``info`` (datasets, prediction files, model folders) and ``methods`` (the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from radiomap.cli.app import app
from radiomap.cli.tables import OutputFormat, check_format, emit


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="dataset (.h5), predictions file (.h5) or model folder")],
    fmt: OutputFormat = "table",
) -> None:
    """Describe a dataset, a predictions file or a saved model (method, parameters, fit summary)."""
    check_format(fmt)
    if path.is_dir():
        emit(_model_tables(path), fmt)
    elif _schema(path) == "radiomap-predictions":
        emit(_predictions_tables(path), fmt)
    else:
        emit(_dataset_tables(path), fmt)


@app.command()
def methods(
    name: Annotated[str | None, typer.Argument(help="a method: list its parameters")] = None,
    fmt: OutputFormat = "table",
) -> None:
    """List the methods of every task (localization, direction), or one method's hyper-parameters (type,
    default, range, help)."""
    import inspect

    from radiomap.localize import TASKS, task_of

    check_format(fmt)
    if name is None:
        rows = []
        for task, registry in TASKS.items():
            for n in registry.names():
                cls = registry.get(n)
                spec = cls.param_spec
                defaults = _defaults(cls)
                rows.append({"method": n, "task": task, "supervised": "yes" if cls.supervised else "no",
                             "inputs": defaults.get("inputs", "-") if "inputs" in spec else "-",
                             "parameters": ", ".join(spec) or "-",
                             "description": (inspect.getdoc(cls) or "").splitlines()[0]})
        emit({"methods": rows}, fmt)
        return
    cls = TASKS[task_of(name)].get(name)
    defaults = _defaults(cls)
    rows = [{"parameter": k, "default": defaults.get(k), "accepts": p.constraint.describe(), "help": p.help}
            for k, p in cls.param_spec.items()]
    emit({f"{name} ({'supervised' if cls.supervised else 'unsupervised'})": rows}, fmt)


def _defaults(cls) -> dict:
    import inspect

    return {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()
            if p.default is not inspect.Parameter.empty}


def _schema(path: Path) -> str:
    from radiomap.hdf5 import schema_of

    return schema_of(path)


def _dataset_tables(path: Path) -> dict[str, list[dict]]:
    from radiomap.data import CSIDataset
    from radiomap.scene import REGION_NAMES

    ds = CSIDataset.load(path)
    rows = [{"field": "samples", "value": ds.n_samples},
            {"field": "csi", "value": "none" if ds.csi is None else f"{ds.csi.dtype} {list(ds.csi.shape)}"}]
    for name in ("positions", "timestamps", "los", "velocity", "trajectory_id", "point_id",
                 "tx_id", "ap_mask", "rssi", "carrier_hz", "source_file", "packet_index"):
        v = getattr(ds, name)
        rows.append({"field": name, "value": "—" if v is None else f"{v.dtype} {list(v.shape)}"})
    rows += [{"field": f"features/{k}", "value": f"{v.dtype} {list(v.shape)}"} for k, v in ds.features.items()]
    if ds.paths:
        rows.append({"field": "paths", "value": ", ".join(sorted(ds.paths))})
    scene = ds.meta.get("scene", {})
    rows += [{"field": "scene", "value": f"{scene.get('name')} (geometry {ds.geometry_signature})"},
             {"field": "noise", "value": str(ds.meta.get("noise"))},
             {"field": "seed / version", "value": f"{ds.meta.get('seed')} / {ds.meta.get('radiomap_version')}"}]
    if ds.los is not None:
        counts = np.bincount(ds.regions, minlength=3) / ds.n_samples
        rows.append({"field": "regions",
                     "value": ", ".join(f"{n} {c:.0%}" for n, c in zip(REGION_NAMES, counts, strict=True))})
    if ds.positions is not None and ds.timestamps is not None:
        length = np.linalg.norm(np.diff(ds.positions[:, :2], axis=0), axis=1).sum()
        rows.append({"field": "track", "value": f"{length:.1f} m over {ds.timestamps[-1] - ds.timestamps[0]:.1f} s"})
    rows.append({"field": "size on disk", "value": f"{path.stat().st_size / 1e6:.2f} MB"})
    return {f"dataset {path.name}": rows}


def _predictions_tables(path: Path) -> dict[str, list[dict]]:
    from radiomap.eval.predictions import Predictions

    p = Predictions.load(path)
    out = ({"field": "positions", "value": list(p.positions.shape)} if p.positions is not None else
           {"field": "direction classes", "value": f"{p.n_samples} of {p.n_classes}"})
    rows = [{"field": "method", "value": p.method}, out,
            {"field": "queried dataset", "value": p.dataset},
            {"field": "truth", "value": "yes" if p.true_positions is not None or p.true_directions is not None
             else "no"},
            {"field": "scene", "value": p.scene.get("name", "—")},
            *({"field": k, "value": v} for k, v in p.timing.items())]
    return {f"predictions {path.name}": rows}


def _model_tables(path: Path) -> dict[str, list[dict]]:
    from radiomap.localize import load_estimator

    loc = load_estimator(path)
    fit = loc.fit_info_.to_dict()
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    rows = [{"field": "method", "value": loc.name}, {"field": "supervised", "value": loc.supervised},
            {"field": "trained on", "value": f"{fit['n_samples']} samples (geometry {loc.geometry_signature_})"},
            {"field": "fit time (s)", "value": fit["fit_time_s"]},
            {"field": "size on disk", "value": f"{size / 1e3:.1f} kB"}]
    rows += [{"field": f"fit: {k}", "value": v} for k, v in fit.items()
             if k not in ("n_samples", "fit_time_s") and v not in (None, [], {})]
    params = [{"parameter": k, "value": v} for k, v in loc.get_params().items()]
    return {f"model {path.name}": rows, "parameters": params}

