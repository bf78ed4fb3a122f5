"""CLI commands ``features list`` and ``features compute``: the feature stage on files.

    radiomap features list
    radiomap features compute seed000 in.h5 -o out.h5 [-p delay=rms]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiomap.cli.app import Force, Scheduler, Workers, app, cluster
from radiomap.cli.tables import OutputFormat, check_format, console, print_rows

features_app = typer.Typer(help="The feature stage: list the registered features, compute them into a dataset.",
                           no_args_is_help=True)
app.add_typer(features_app, name="features")


@features_app.command("list")
def list_features(fmt: OutputFormat = "table") -> None:
    """List the registered features with their parameters."""
    from radiomap.features.stage import FEATURES

    check_format(fmt)
    rows = []
    for name in FEATURES.names():
        f = FEATURES.get(name)
        params = ", ".join(f"{k}={f.defaults.get(k)!r} ({p.constraint.describe()})" for k, p in f.params.items())
        rows.append({"feature": name, "parameters": params or "-", "description": f.help})
    print_rows(rows, "registered features", fmt)


@features_app.command("compute")
def compute(
    name: Annotated[str, typer.Argument(help="registered feature (see `radiomap features list`)")],
    dataset: Annotated[Path, typer.Argument(help="dataset (.h5)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="dataset to write, with the feature stored")],
    param: Annotated[list[str] | None, typer.Option("-p", "--param", help="feature parameter name=value")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    force: Force = False,
) -> None:
    """Compute feature NAME for every sample of DATASET and write the dataset with it stored.

    The dataset is read and the feature computed in chunks (in this process, or on Dask workers with
    --workers/--scheduler: the same arrays either way).
    """
    from radiomap.atomic import check_output
    from radiomap.cli.params import parse_params
    from radiomap.data import CSIDataset
    from radiomap.features.stage import FEATURES, feature_key, materialise_file, part_keys
    from radiomap.parallel import check_executor_options

    params = parse_params(param)
    key = feature_key(name, params)  # validates the name and the parameters before any work
    keys = list(part_keys(name, params).values()) if FEATURES.get(name).parts else [key]
    check_output(output, overwrite=force, inputs=[dataset], what="dataset")
    check_executor_options(workers, scheduler)
    with cluster(workers, scheduler) as ex:
        record = materialise_file(dataset, output, [(name, params)], executor=ex, overwrite=force)
    head = CSIDataset.load(output, rows=(0, 1)).features
    shapes = ", ".join(f"{k} [N, {', '.join(map(str, head[k].shape[1:]))}]" for k in keys)
    console.print(f"wrote {output}: feature {shapes} "
                  f"({record.get(key, {}).get('ms_per_sample', 0.0):.3f} ms per sample; {FEATURES.get(name).help})")
