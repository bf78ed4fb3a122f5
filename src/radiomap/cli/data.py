"""CLI commands on scenes and datasets: ``scenes``, ``simulate``, ``info``, ``plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from radiomap.cli.app import Force, Scheduler, Workers, app, cluster
from radiomap.cli.tables import OutputFormat, check_format, console, emit
from radiomap.errors import ParameterError


@app.command()
def scenes(fmt: OutputFormat = "table") -> None:
    """List the preset scenes."""
    from radiomap.scene import get_scene, list_scenes

    check_format(fmt)
    rows = []
    for name in list_scenes():
        s = get_scene(name)
        rows.append({"scene": name, "APs": s.n_aps, "antennas": s.aps[0].n_antennas,
                     "carrier (GHz)": s.ofdm.carrier_hz / 1e9, "bandwidth (MHz)": s.ofdm.bandwidth_hz / 1e6,
                     "K": s.ofdm.n_subcarriers, "walls": len(s.walls), "description": s.description})
    emit({"preset scenes": rows}, fmt)


@app.command()
def simulate(
    scene: Annotated[str, typer.Argument(help="preset name (see `radiomap scenes`) or a .toml/.json scene file")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HDF5 file to write")] = Path("dataset.h5"),
    positions: Annotated[str, typer.Option(help="walk | grid | random | random-walk")] = "walk",
    walk: Annotated[str, typer.Option(help="named walk of the scene (positions=walk)")] = "train",
    resolution: Annotated[float, typer.Option(help="grid pitch in metres (positions=grid)")] = 0.5,
    n: Annotated[int, typer.Option(min=1, help="number of random positions (positions=random)")] = 1000,
    length: Annotated[float, typer.Option(help="random-walk length in metres (positions=random-walk)")] = 160.0,
    dt: Annotated[float, typer.Option(help="sampling interval of walks (s)")] = 0.1,
    snr_db: Annotated[float | None, typer.Option("--snr", help="per-sample SNR in dB")] = None,
    noise_variance: Annotated[float | None, typer.Option(min=0.0, help="noise variance on unit-power CSI")] = None,
    reference: Annotated[Path | None, typer.Option(
        help="dataset whose CSI normalisation to reuse with --noise-variance (e.g. the training set)")] = None,
    max_order: Annotated[int, typer.Option(min=0, max=2, help="max reflection order (0-2)")] = 2,
    plane_wave: Annotated[bool, typer.Option("--plane-wave", help="far-field instead of exact spherical")] = False,
    backend: Annotated[str, typer.Option(help="builtin | sionna-rt (optional extra)")] = "builtin",
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    max_gb: Annotated[float, typer.Option(help="refuse datasets larger than this (GB)")] = 4.0,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    impairments: Annotated[str | None, typer.Option(
        help="hardware impairments, e.g. packets=5,heard=1,agc=6,sto=2e-8,cpo=1,snr=25 (radiomap.data.impairments)"
    )] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    shard_size: Annotated[int | None, typer.Option(
        min=1, help="positions per shard; sets the noise streams (default radiomap.simulate.SHARD_SIZE, 4096)")] = None,
    force: Force = False,
) -> None:
    """Simulate CSI in SCENE with the built-in image-method tracer and write an HDF5 dataset.

    Shards of positions are traced (in this process, or on Dask workers with --workers/--scheduler) and
    streamed into the file, so memory stays flat; an interrupted run resumes when rerun with the same
    options. --impairments transforms the whole dataset and runs in memory, in this process.
    """
    from radiomap import mobility
    from radiomap.atomic import check_output
    from radiomap.parallel import check_executor_options
    from radiomap.scene import get_scene
    from radiomap.simulate import BACKENDS, simulate_dataset, simulate_file

    check_output(output, overwrite=force, inputs=[reference, scene], what="dataset")
    check_executor_options(workers, scheduler)
    from radiomap.data.impairments import impair, parse_impairments

    imp = parse_impairments(impairments) if impairments else None
    if imp is not None and (workers is not None or scheduler is not None):
        raise ParameterError("--impairments transforms the whole dataset in memory; drop --workers/--scheduler")
    for name, value in (("--resolution", resolution), ("--length", length), ("--dt", dt), ("--max-gb", max_gb)):
        if not value > 0:
            raise ParameterError(f"{name} must be > 0, got {value}")
    if snr_db is not None and not np.isfinite(snr_db):
        raise ParameterError(f"--snr must be finite, got {snr_db}")
    if snr_db is not None and noise_variance is not None:
        raise ParameterError("give either --snr or --noise-variance, not both")
    if reference is not None and noise_variance is None:
        raise ParameterError("--reference sets the CSI scale of --noise-variance; give --noise-variance too")
    if backend not in BACKENDS:
        raise ParameterError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    sc = get_scene(scene)
    rng = np.random.default_rng(seed)
    kw = {}
    if positions == "walk":
        if walk not in sc.walks:
            raise ParameterError(f"scene {sc.name!r} has no walk {walk!r}; walks: {sorted(sc.walks) or 'none'}")
        w = sc.walks[walk]
        traj = mobility.waypoint_walk(sc, w.waypoints, w.speeds, dt=dt, height=w.height)
    elif positions == "random-walk":
        traj = mobility.random_waypoint(sc, length, dt=dt, rng=rng)
    elif positions == "grid":
        pos, traj = sc.grid(resolution), None
    elif positions == "random":
        cand = sc.grid(0.05)
        pos, traj = cand[rng.choice(len(cand), size=n, replace=len(cand) < n)], None
    else:
        raise ParameterError(f"positions must be walk, grid, random or random-walk, got {positions!r}")
    if traj is not None:
        pos = traj.positions
        kw = {"velocity": traj.velocity, "timestamps": traj.timestamps, "trajectory_id": np.zeros(len(pos), int)}
    gb = len(pos) * (imp.packets if imp else 1) * sc.n_aps * sc.aps[0].n_antennas * sc.ofdm.n_subcarriers * 8 / 1e9
    if gb > max_gb:
        raise ParameterError(f"{len(pos)} positions of {sc.name} need {gb:.1f} GB of CSI (> --max-gb {max_gb}); "
                             "use fewer positions, or raise --max-gb to write it anyway (memory stays flat)")
    ref_power = None
    if reference is not None:
        from radiomap.data import CSIDataset

        ref_power = CSIDataset.load(reference).meta.get("noise", {}).get("reference_power")
        if ref_power is None:
            raise ParameterError(f"{reference} has no CSI normalisation (it was not simulated with --noise-variance)")
    how = {"positions": {"mode": positions, "walk": walk if positions == "walk" else None}}
    options = {"snr_db": snr_db, "noise_variance": noise_variance, "max_order": max_order,
               "reference_power": ref_power, "wavefront": "plane" if plane_wave else "spherical",
               "backend": backend, "seed": seed, "progress": progress, **kw}
    if imp is not None:
        ds = impair(simulate_dataset(sc, pos, **options), imp, seed=seed)
        ds.meta.update(how)
        ds.save(output, overwrite=force)
        n, shape, los = ds.n_samples, ds.csi.shape, ds.los.mean(0)
    else:
        with cluster(workers, scheduler) as ex:
            sharding = {} if shard_size is None else {"shard_size": shard_size}
            done = simulate_file(sc, pos, output, **options, **sharding, executor=ex, meta=how, overwrite=force)
        n, los = done["n"], np.asarray(done["los_mean"])
        shape = (n, sc.n_aps, sc.aps[0].n_antennas, sc.ofdm.n_subcarriers)
        if done["traced"] < done["shards"]:
            console.print(f"resumed: {done['shards'] - done['traced']} of {done['shards']} shards were already done")
    console.print(f"wrote {output}: {n} samples, csi {shape}, LOS per AP {np.round(los, 2).tolist()}")


@app.command()
def plot(
    path: Annotated[Path, typer.Argument(help="dataset (.h5) or scene (preset / .toml / .json)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="PNG to write (default: PATH.png)")] = None,
    force: Force = False,
) -> None:
    """Draw the floor plan, walls, APs and the dataset's positions coloured by LOS region."""
    from radiomap.atomic import check_output
    from radiomap.data import CSIDataset
    from radiomap.plotting import plot_positions_by_region
    from radiomap.scene import get_scene

    out = check_output(output or Path(path).with_suffix(".png"), overwrite=force, inputs=[path], what="figure")
    if str(path).endswith((".h5", ".hdf5")):
        ds = CSIDataset.load(path)
        if ds.positions is None:
            raise ParameterError(f"{path} has no positions to plot")
        scene, pos = ds.scene, ds.positions
        if ds.los is None and not scene.has_ap_positions:
            console.print("note: AP positions unknown (measured scene): APs and LOS regions not drawn")
            regions = None
        else:
            regions = ds.regions if ds.los is not None else scene.region_labels(pos)
        title = f"{scene.name}: {path.name} ({ds.n_samples} samples)"
    else:
        scene = get_scene(str(path))
        pos = scene.grid(0.1)
        regions, title = scene.region_labels(pos), f"{scene.name}: LOS regions"
    plot_positions_by_region(scene, pos, regions, title=title, path=out, overwrite=force)
    console.print(f"wrote {out}")
