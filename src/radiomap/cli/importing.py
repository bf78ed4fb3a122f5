"""CLI commands for measured data: ``import`` (files of a capture format -> dataset) and ``formats``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiomap.cli.app import Force, app
from radiomap.cli.tables import OutputFormat, check_format, emit
from radiomap.errors import ParameterError


@app.command("import")
def import_(
    format: Annotated[str, typer.Argument(help="capture format (see `radiomap formats`)")],
    sources: Annotated[list[Path], typer.Argument(help="capture files or folders")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HDF5 dataset to write")] = Path("dataset.h5"),
    positions: Annotated[Path | None, typer.Option(
        help="CSV 'file,x,y[,z]' (one point per capture file) or 't,x,y[,z]' (position log)")] = None,
    max_gap: Annotated[float, typer.Option(help="position log: drop samples farther than this from it (s)")] = 0.5,
    aps: Annotated[Path | None, typer.Option(help="CSV 'name,x,y,z[,orientation_deg]' of known AP positions")] = None,
    chip: Annotated[str | None, typer.Option(help="nexmon: 4339 | 43455c0 | 4358 | 4366c0 (default: file)")] = None,
    bandwidth: Annotated[int | None, typer.Option(
        help="MHz: nexmon (checked), quadriga / deepmimo (CFR grid)")] = None,
    subcarriers: Annotated[str | None, typer.Option(help="data | data+pilot | all (by 802.11 index)")] = None,
    carrier: Annotated[float | None, typer.Option(help="carrier (Hz) where the file does not record it")] = None,
    spec: Annotated[Path | None, typer.Option(help="dichasus: spec.json (default: beside the records)")] = None,
    offsets: Annotated[Path | None, typer.Option(help="dichasus: reftx-offsets-*.json (default: beside)")] = None,
    arrays: Annotated[Path | None, typer.Option(help="espargos: JSON array geometry")] = None,
    n_subcarriers: Annotated[int | None, typer.Option(help="deepmimo: K subcarriers of the CFR grid")] = None,
    antennas: Annotated[int | None, typer.Option(help="deepmimo: ULA elements per AP")] = None,
    name: Annotated[str | None, typer.Option(help="scene name of the dataset")] = None,
    force: Force = False,
) -> None:
    """Import capture files (Nexmon, Intel 5300, DICHASUS, ...) into a radiomap HDF5 dataset."""
    import numpy as np

    from radiomap.atomic import check_output
    from radiomap.data.loaders import load_capture

    check_output(output, overwrite=force, inputs=[*sources, positions, aps, spec, offsets, arrays], what="dataset")
    if max_gap <= 0:
        raise ParameterError(f"--max-gap {max_gap}; expected > 0 s")
    options = {"chip": chip, "bandwidth": bandwidth, "subcarriers": subcarriers, "carrier": carrier,
               "spec": spec, "offsets": offsets, "arrays": arrays, "n_subcarriers": n_subcarriers,
               "antennas": antennas}
    ds = load_capture(format, sources, positions, max_gap=max_gap, aps=aps, name=name, **options)
    ds.save(output, overwrite=force)
    for note in ds.meta.get("import_notes", []):
        typer.echo(f"note: {note}")  # one line each, never wrapped
    n_tx = len(ds.meta.get("transmitters", []))
    typer.echo(f"wrote {output}: {ds.n_samples} samples, csi {list(ds.csi.shape)}"
               + (f", {n_tx} transmitter(s)" if n_tx else "")
               + (f", {len(np.unique(ds.point_id))} point(s)" if ds.point_id is not None else "")
               + (", positions" if ds.positions is not None else ", no positions"))


@app.command()
def formats(fmt: OutputFormat = "table") -> None:
    """List the capture formats `radiomap import` reads."""
    from radiomap.data.loaders import list_formats

    check_format(fmt)
    rows = [{"format": f.name, "family": f.family, "files": " ".join(f.extensions) or "folder",
             "options": ", ".join(f.options) or "-", "needs": f"radiomap[{f.requires[1]}]" if f.requires else "-",
             "description": f.description} for f in list_formats()]
    emit({"capture formats": rows}, fmt)
