"""CLI command ``bench``: run a seed paper's reproduction and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiomap.cli.app import Force, app
from radiomap.cli.tables import console


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="xing2025 | chatelier2025 | zhao2026")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="report folder")] = None,
    full: Annotated[bool, typer.Option("--full", help="the papers' full sizes (for a GPU)")] = False,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
    force: Force = False,
) -> None:
    """Reproduce a seed paper's experiment; writes report.md, report.json and figures."""
    from radiomap.atomic import check_output
    from radiomap.experiments import EXPERIMENTS

    run = EXPERIMENTS.get(name)
    out = check_output(output or Path("reports") / name, kind="dir", overwrite=force, what="report folder")
    report = run(out, full=full, seed=seed, progress=progress, overwrite=force)
    console.print(f"report written to {getattr(report, 'out_dir', out)}")
