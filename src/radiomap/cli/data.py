"""CLI commands on scenes and datasets: ``scenes``, ``simulate``, ``info``, ``plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from radiomap.cli.app import Force, Progress, Scheduler, Workers, app, cluster, show_progress
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


SIMULATE_DEFAULTS = {"positions": "walk", "walk": "train", "resolution": 0.5, "n": 1000, "length": 160.0, "dt": 0.1,
                     "snr": None, "speed": None, "feature": (), "csi": True}
"""Defaults of ``radiomap simulate`` where neither the command line nor the scene's ``[simulate]`` table sets one."""


def simulate_options(scene, given: dict) -> dict:
    """Options of ``radiomap simulate``: those ``given`` (not None), else the scene's ``[simulate]`` table,
    else :data:`SIMULATE_DEFAULTS`."""
    unknown = sorted(set(scene.simulate) - set(SIMULATE_DEFAULTS))
    if unknown:
        raise ParameterError(f"scene {scene.name!r}: [simulate] sets unknown option(s) {', '.join(unknown)}; "
                             f"known: {', '.join(SIMULATE_DEFAULTS)}")
    return {k: given[k] if given.get(k) is not None else scene.simulate.get(k, v) for k, v in SIMULATE_DEFAULTS.items()}


@app.command()
def simulate(
    scene: Annotated[str, typer.Argument(help="preset name (see `radiomap scenes`) or a .toml/.json scene file")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HDF5 file to write")] = Path("dataset.h5"),
    positions: Annotated[str | None, typer.Option(
        help="walk | grid | random | random-walk (default: the scene's, else walk)")] = None,
    walk: Annotated[str | None, typer.Option(help="named walk of the scene (positions=walk; default train)")] = None,
    resolution: Annotated[float | None, typer.Option(help="grid pitch in metres (positions=grid; default 0.5)")]
    = None,
    n: Annotated[int | None, typer.Option(min=1, help="number of random positions (positions=random; default 1000)")]
    = None,
    length: Annotated[float | None, typer.Option(help="random-walk length in metres (positions=random-walk)")] = None,
    dt: Annotated[float | None, typer.Option(help="sampling interval of walks (s; default 0.1)")] = None,
    speed: Annotated[float | None, typer.Option(
        help="speed (m/s) of grid / random users, uniform random headings (velocities: Doppler, direction labels)")]
    = None,
    snr_db: Annotated[float | None, typer.Option("--snr", help="per-sample SNR in dB")] = None,
    noise_variance: Annotated[float | None, typer.Option(min=0.0, help="noise variance on unit-power CSI")] = None,
    reference: Annotated[Path | None, typer.Option(
        help="dataset whose CSI normalisation to reuse with --noise-variance (e.g. the training set)")] = None,
    feature: Annotated[list[str] | None, typer.Option(
        "--feature", "-F", help="registered feature to compute and store, e.g. tbf or seed000(delay=rms) "
                                "(repeatable; see `radiomap features list`)")] = None,
    csi: Annotated[bool | None, typer.Option(
        "--csi/--no-csi", help="store the CSI (default: yes, unless the scene says otherwise); --no-csi keeps only "
                               "the features, and features computable from paths (tbf) never synthesise CSI")] = None,
    max_order: Annotated[int, typer.Option(min=0, max=2, help="max reflection order (0-2)")] = 2,
    plane_wave: Annotated[bool, typer.Option("--plane-wave", help="far-field instead of exact spherical")] = False,
    backend: Annotated[str, typer.Option(help="builtin | sionna-rt (optional extra)")] = "builtin",
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    max_gb: Annotated[float, typer.Option(help="refuse datasets larger than this (GB)")] = 4.0,
    progress: Progress = None,
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

    Options not given come from the scene's [simulate] table (zhao-tbf: a 2 m grid, 5 km/h random headings,
    20 dB, the tbf feature and no CSI), else from the defaults shown. Plain CSI is traced in shards (in this
    process, or on Dask workers with --workers/--scheduler) and streamed into the file, so memory stays flat;
    an interrupted run resumes when rerun with the same options. --impairments and --feature transform the
    whole dataset and run in memory, in this process.
    """
    from radiomap.atomic import check_output
    from radiomap.data.impairments import parse_impairments
    from radiomap.features.stage import FEATURES, feature_key, parse_feature
    from radiomap.parallel import check_executor_options
    from radiomap.scene import get_scene
    from radiomap.simulate import BACKENDS, simulate_file

    check_output(output, overwrite=force, inputs=[reference, scene], what="dataset")
    check_executor_options(workers, scheduler)
    progress = show_progress(progress)
    imp = parse_impairments(impairments) if impairments else None
    sc = get_scene(scene)
    opt = simulate_options(sc, {"positions": positions, "walk": walk, "resolution": resolution, "n": n,
                                "length": length, "dt": dt, "snr": snr_db, "speed": speed, "feature": feature,
                                "csi": csi})
    _check_numbers(opt, max_gb, noise_variance, reference)
    if backend not in BACKENDS:
        raise ParameterError(f"--backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    feats = [parse_feature(f) for f in opt["feature"]]
    for name, params in feats:
        feature_key(name, params)  # validates names and parameters before any work
    from_paths = bool(feats) and imp is None and all(FEATURES.get(name).from_paths for name, _ in feats)
    if not opt["csi"] and not feats:
        raise ParameterError("--no-csi keeps nothing: add --feature NAME (e.g. tbf)")
    in_memory = imp is not None or bool(feats)
    if in_memory and (workers is not None or scheduler is not None):
        raise ParameterError("--impairments and --feature transform the whole dataset in memory; "
                             "drop --workers/--scheduler")
    pos, kw, how = _positions(sc, opt, speed, np.random.default_rng(seed))
    gb = len(pos) * (imp.packets if imp else 1) * sc.n_aps * sc.aps[0].n_antennas * sc.ofdm.n_subcarriers * 8 / 1e9
    make_csi = opt["csi"] or not from_paths
    if gb > max_gb and make_csi:
        raise ParameterError(f"{len(pos)} positions of {sc.name} need {gb:.1f} GB of CSI (> --max-gb {max_gb}); "
                             "use fewer positions, features computed from paths (--no-csi --feature tbf), or "
                             "raise --max-gb to write it anyway (streamed: memory stays flat)")
    options = {"snr_db": opt["snr"], "noise_variance": noise_variance, "max_order": max_order,
               "reference_power": _reference_power(reference), "wavefront": "plane" if plane_wave else "spherical",
               "backend": backend, "seed": seed, "progress": progress, **kw}
    if in_memory:
        _simulate_in_memory(sc, pos, options, output, how=how, imp=imp, feats=feats, keep_csi=opt["csi"],
                            make_csi=make_csi, from_paths=from_paths, force=force)
        return
    with cluster(workers, scheduler) as ex:
        sharding = {} if shard_size is None else {"shard_size": shard_size}
        done = simulate_file(sc, pos, output, **options, **sharding, executor=ex, meta={"positions": how},
                             overwrite=force)
    if done["traced"] < done["shards"]:
        console.print(f"resumed: {done['shards'] - done['traced']} of {done['shards']} shards were already done")
    shape = (done["n"], sc.n_aps, sc.aps[0].n_antennas, sc.ofdm.n_subcarriers)
    console.print(f"wrote {output}: {done['n']} samples, csi {shape}, "
                  f"LOS per AP {np.round(done['los_mean'], 2).tolist()}")


def _check_numbers(opt: dict, max_gb: float, noise_variance: float | None, reference: Path | None) -> None:
    """Range checks of ``simulate``'s numeric options (one-line ``ParameterError``)."""
    for name in ("resolution", "length", "dt"):
        if not opt[name] > 0:
            raise ParameterError(f"--{name} must be > 0, got {opt[name]}")
    if not max_gb > 0:
        raise ParameterError(f"--max-gb must be > 0, got {max_gb}")
    if opt["snr"] is not None and not np.isfinite(opt["snr"]):
        raise ParameterError(f"--snr must be finite, got {opt['snr']}")
    if opt["snr"] is not None and noise_variance is not None:
        raise ParameterError("give either --snr or --noise-variance, not both")
    if reference is not None and noise_variance is None:
        raise ParameterError("--reference sets the CSI scale of --noise-variance; give --noise-variance too")


def _positions(sc, opt: dict, speed: float | None, rng: np.random.Generator) -> tuple[np.ndarray, dict, dict]:
    """User positions [N, 3] (m) of ``simulate``, the per-sample fields of a walk or the velocities of
    ``--speed`` (keyword arguments of the simulator), and the record of how they were chosen."""
    from radiomap import mobility

    mode = opt["positions"]
    if speed is not None and mode in ("walk", "random-walk"):
        raise ParameterError(f"--speed sets grid / random users' velocities; --positions {mode} has its own speeds")
    traj = None
    if mode == "walk":
        if opt["walk"] not in sc.walks:
            raise ParameterError(f"scene {sc.name!r} has no walk {opt['walk']!r}; walks: {sorted(sc.walks) or 'none'}"
                                 " (or choose --positions grid | random | random-walk)")
        w = sc.walks[opt["walk"]]
        traj = mobility.waypoint_walk(sc, w.waypoints, w.speeds, dt=opt["dt"], height=w.height)
    elif mode == "random-walk":
        traj = mobility.random_waypoint(sc, opt["length"], dt=opt["dt"], rng=rng)
    elif mode == "grid":
        pos = sc.grid(opt["resolution"])
    elif mode == "random":
        cand = sc.grid(0.05)
        pos = cand[rng.choice(len(cand), size=opt["n"], replace=len(cand) < opt["n"])]
    else:
        raise ParameterError(f"positions must be walk, grid, random or random-walk, got {mode!r}")
    kw = {}
    if traj is not None:
        pos = traj.positions
        kw = {"velocity": traj.velocity, "timestamps": traj.timestamps, "trajectory_id": np.zeros(len(pos), int)}
    elif opt["speed"] is not None:
        if not opt["speed"] >= 0:
            raise ParameterError(f"--speed must be >= 0 (m/s), got {opt['speed']}")
        kw = {"velocity": mobility.random_headings(len(pos), opt["speed"], rng)}
    how = {"mode": mode, "walk": opt["walk"] if mode == "walk" else None,
           "resolution_m": opt["resolution"] if mode == "grid" else None,
           "speed_m_s": opt["speed"] if traj is None else None}
    return pos, kw, how


def _reference_power(reference: Path | None) -> float | None:
    """The CSI normalisation (mean ``|H|^2``) recorded in the ``--reference`` dataset, or None."""
    if reference is None:
        return None
    from radiomap.data import CSIDataset

    ref_power = CSIDataset.load(reference).meta.get("noise", {}).get("reference_power")
    if ref_power is None:
        raise ParameterError(f"{reference} has no CSI normalisation (it was not simulated with --noise-variance)")
    return ref_power


def _simulate_in_memory(sc, pos: np.ndarray, options: dict, output: Path, *, how: dict, imp, feats: list,
                        keep_csi: bool, make_csi: bool, from_paths: bool, force: bool) -> None:
    """``simulate`` with --impairments or --feature: the whole dataset in this process, then one write."""
    from radiomap.data.impairments import impair
    from radiomap.features.stage import materialise
    from radiomap.simulate import simulate_dataset

    ds = simulate_dataset(sc, pos, **options, csi=make_csi, store_paths=from_paths)
    ds.meta["positions"] = how
    if imp is not None:
        ds = impair(ds, imp, seed=options["seed"])
    if feats:
        ds = materialise(ds, feats).without(csi=not keep_csi, paths=True)
    # feature-only files (TBF masks and images are mostly zeros) shrink ~6x with gzip; CSI barely compresses
    ds.save(output, overwrite=force, compression="gzip" if ds.csi is None else None)
    stored = ", ".join(f"{k} {list(v.shape)}" for k, v in ds.features.items())
    los = f", LOS per AP {np.round(ds.los.mean(0), 2).tolist()}" if ds.los is not None else ""
    console.print(f"wrote {output}: {ds.n_samples} samples, csi {'none' if ds.csi is None else ds.csi.shape}"
                  + (f", features {stored}" if stored else "") + los)


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
