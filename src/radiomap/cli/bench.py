"""CLI command ``bench``: run a seed paper's reproduction (or a sweep of it over seeds) and write its report.

    radiomap bench xing2025 -o reports/xing2025 [--seed 0]
    radiomap bench xing2025 --seeds 0-19 [-p full=[false,true]] [--workers 4 | --scheduler ADDRESS] -o reports/sweep
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radiomap.cli.app import Force, Progress, Scheduler, Workers, app, cluster, show_progress
from radiomap.cli.tables import console
from radiomap.experiments import EXPERIMENTS


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help=" | ".join(EXPERIMENTS.names()))],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="report folder")] = None,
    full: Annotated[bool, typer.Option("--full", help="the papers' full sizes (for a GPU)")] = False,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    seeds: Annotated[str | None, typer.Option(
        help="sweep: run every seed of e.g. 0-19 or 0,3,7 as a task; one report with mean, std and per-seed rows")]
    = None,
    param: Annotated[list[str] | None, typer.Option(
        "-p", "--param", help="sweep: keyword of the experiment's run, KEY=VALUE or KEY=[V1,V2] (a grid axis)")]
    = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    progress: Progress = None,
    force: Force = False,
) -> None:
    """Reproduce a seed paper's experiment; writes report.md, report.json and figures (a sweep with --seeds/-p)."""
    from radiomap.atomic import check_output
    from radiomap.cli.params import parse_params
    from radiomap.parallel import check_executor_options

    run = EXPERIMENTS.get(name)
    progress = show_progress(progress)
    check_executor_options(workers, scheduler)
    if seeds is None and not param and workers is None and scheduler is None:
        out = check_output(output or Path("reports") / name, kind="dir", overwrite=force, what="report folder")
        report = run(out, full=full, seed=seed, progress=progress, overwrite=force)
        console.print(f"report written to {getattr(report, 'out_dir', out)}")
        return
    from radiomap.experiments.sweep import grid_points, parse_seeds, sweep

    seed_list = parse_seeds(seeds) if seeds is not None else [seed]
    grid = grid_points(run, {"full": full} | parse_params(param))
    out = check_output(output or Path("reports") / f"{name}-sweep", kind="dir", overwrite=force,
                       what="report folder")
    with cluster(workers, scheduler) as ex:
        report, failures = sweep(run, name, out, seed_list, grid, executor=ex, overwrite=force)
    for f in failures:
        console.print(f"failed: seed {f['seed']} {f['params']}: {f['error']}")
    console.print(f"report written to {report.out_dir} ({len(seed_list) * len(grid) - len(failures)} of "
                  f"{len(seed_list) * len(grid)} tasks ran)")
    if failures:
        raise typer.Exit(1)
