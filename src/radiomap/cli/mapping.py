"""CLI command ``map``: export the radio map of a fitted HMM (or GMA) model as HDF5 + PNG heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiomap.cli.app import Force, app
from radiomap.cli.tables import console


@app.command("map")
def map_cmd(
    model: Annotated[Path, typer.Argument(help="model folder written by `radiomap fit hmm|gma`")],
    output: Annotated[Path, typer.Option("-o", "--output", help="folder to write (radiomap.h5 + PNGs)")],
    scene: Annotated[str | None, typer.Option(
        help="preset or scene file whose walls and APs to draw under the heatmaps")] = None,
    force: Force = False,
) -> None:
    """Export MODEL's radio map: per-AP LOS maps and expected power / angle / delay, as HDF5 and PNG."""
    from radiomap.atomic import check_output
    from radiomap.errors import ParameterError
    from radiomap.localize import LOCALIZERS, Localizer
    from radiomap.localize.hmm import export_radio_map
    from radiomap.scene import get_scene

    check_output(output, kind="dir", overwrite=force, inputs=[model], what="radio map folder")
    floor = get_scene(scene) if scene is not None else None
    loc = Localizer.load(model)
    if not hasattr(type(loc), "radio_map_"):
        with_map = [n for n in LOCALIZERS.names() if hasattr(LOCALIZERS.get(n), "radio_map_")]
        raise ParameterError(f"{model}: a {loc.name!r} model has no radio map (only {', '.join(with_map)} do)")
    rmap = loc.radio_map_
    files = export_radio_map(rmap, output, scene=floor, overwrite=force)
    console.print(f"wrote {output}: {len(rmap.xy)} cells x {rmap.los.shape[1]} APs at {rmap.delta:g} m "
                  f"({', '.join(f for f in files if not f.startswith('.'))})")
