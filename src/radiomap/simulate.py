"""Scene + positions -> CSI: ``simulate_dataset`` (in memory) and ``simulate_file`` (sharded, streamed to HDF5).

``simulate_dataset`` returns a ``CSIDataset`` and draws its noise from one generator seeded with ``seed``.
``simulate_file`` never holds more than a shard: shards of positions are traced (in this process or on
Dask workers, ``radiomap.parallel``), kept beside the output for resuming, and streamed into the file
with per-shard noise seeds; for a given ``seed`` its noise differs from ``simulate_dataset``'s, its
channels do not.
"""

from __future__ import annotations

import hashlib
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from radiomap import __version__
from radiomap.atomic import check_output
from radiomap.channel import add_noise_snr, normalise_and_add_noise, trace
from radiomap.channel.paths import Paths
from radiomap.data.dataset import CSIDataset
from radiomap.data.writer import dataset_writer
from radiomap.errors import ParameterError
from radiomap.scene.scene import Scene

BACKENDS = ("builtin", "sionna-rt")
"""Channel simulator backends of ``simulate_dataset``."""
_BLOCK = 1024  # positions traced + synthesised per block (progress granularity, memory bound)
SHARD_SIZE = 4096
"""Default positions per shard of ``simulate_file``."""

if TYPE_CHECKING:
    from radiomap.parallel import Executor


def simulate_dataset(
    scene: Scene,
    positions: np.ndarray,
    *,
    velocity: np.ndarray | None = None,
    timestamps: np.ndarray | None = None,
    trajectory_id: np.ndarray | None = None,
    point_id: np.ndarray | None = None,
    snr_db: float | None = None,
    noise_variance: float | None = None,
    reference_power: float | None = None,
    wavefront: str = "spherical",
    n_symbols: int | None = None,
    max_order: int = 2,
    scatterers: bool = True,
    backend: str = "builtin",
    seed: int = 0,
    store_paths: bool = False,
    csi: bool = True,
    progress: bool = False,
) -> CSIDataset:
    """Simulate CSI at ``positions`` and wrap it with labels and metadata.

    Input
    -----
    positions : [N, 3] (m); velocity : [N, 3] (m/s), needed for ``n_symbols``
    snr_db : per-(sample, AP) SNR, or None
    noise_variance : noise variance on CSI normalised to unit average power (seed 000), or None;
        ``reference_power`` fixes the normalisation (pass a training set's
        ``meta["noise"]["reference_power"]`` so test sets share its scale)
    wavefront : "spherical" (exact) or "plane"; n_symbols : OFDM symbols for a time axis
    csi : False: no CFR synthesis (needs ``store_paths``): the dataset holds the paths, from which features
        such as ``tbf`` are computed in closed form; the noise settings are recorded for them, not applied
    backend : "builtin" (image-method tracer) or "sionna-rt" (optional extra, see docs/sionna-rt.md;
        traces walls and slabs only, no point scatterers)

    Output
    ------
    CSIDataset with csi ``[N, B, N_a, K(, S)]`` complex64 (None with ``csi=False``), positions, LOS flags and metadata
    (scene, noise, simulator settings, seed, package version).
    """
    _check_settings(snr_db, noise_variance, backend)
    if not csi and not store_paths:
        raise ParameterError("csi=False keeps nothing: pass store_paths=True (features are computed from paths)")
    if not csi and noise_variance is not None:
        raise ParameterError("noise_variance scales the CSI to unit power; without CSI give snr_db instead")
    pos = np.asarray(positions, dtype=np.float64)
    rng = np.random.default_rng(seed)
    settings = {"wavefront": wavefront, "n_symbols": n_symbols, "max_order": max_order, "scatterers": scatterers,
                "backend": backend, "seed": seed}
    h, all_paths = _trace_blocks(scene, pos, velocity, settings, progress=progress, csi=csi)
    h, noise = _noisy(h, snr_db, noise_variance, reference_power, rng)
    return CSIDataset(h, positions=pos, velocity=velocity, timestamps=timestamps, los=all_paths.los,
                      trajectory_id=trajectory_id, point_id=point_id,
                      paths=all_paths.to_arrays() if store_paths else None, meta=_meta(scene, noise, settings))


def _noisy(csi: np.ndarray | None, snr_db: float | None, noise_variance: float | None,
           reference_power: float | None, rng: np.random.Generator) -> tuple[np.ndarray | None, dict]:
    """CSI with the requested noise (none, by SNR, or by variance after normalisation) and its ``meta["noise"]``.

    Without CSI (``None``, a paths-only simulation) the SNR is only recorded, for the features computed later.
    """
    if snr_db is not None:
        return None if csi is None else add_noise_snr(csi, snr_db, rng), {"mode": "snr", "snr_db": float(snr_db)}
    if noise_variance is not None:
        csi, ref = normalise_and_add_noise(csi, noise_variance, rng, reference_power)
        return csi, {"mode": "variance", "variance": float(noise_variance), "reference_power": ref}
    return csi, {"mode": "none"}


def _check_settings(snr_db: float | None, noise_variance: float | None, backend: str) -> None:
    if snr_db is not None and noise_variance is not None:
        raise ParameterError("give either snr_db or noise_variance, not both")
    if backend not in BACKENDS:
        raise ParameterError(f"unknown simulator backend {backend!r}; known: {', '.join(BACKENDS)}")


def _trace_blocks(scene: Scene, pos: np.ndarray, velocity: np.ndarray | None, settings: dict,
                  progress: bool = False, csi: bool = True) -> tuple[np.ndarray | None, Paths]:
    """Trace ``pos`` [M, 3] in blocks of ``_BLOCK``; CSI [M, B, N_a, K(, S)] complex64 (None unless ``csi``)
    and the paths."""
    blocks, path_blocks = [], []
    for i in tqdm(range(0, len(pos), _BLOCK), desc=f"simulate {scene.name}", unit="block", disable=not progress):
        sl = slice(i, i + _BLOCK)
        vel = None if velocity is None else np.asarray(velocity)[sl]
        if settings["backend"] == "sionna-rt":
            from radiomap.channel.sionna_rt import trace_sionna

            paths = trace_sionna(scene, pos[sl], max_order=settings["max_order"], velocity=vel, seed=settings["seed"])
        else:
            paths = trace(scene, pos[sl], max_order=settings["max_order"], scatterers=settings["scatterers"],
                          velocity=vel)
        if csi:
            blocks.append(paths.cfr(scene.ofdm, wavefront=settings["wavefront"], n_symbols=settings["n_symbols"]))
        path_blocks.append(paths)
    h = np.concatenate(blocks) if csi else None
    return h, Paths.concatenate(path_blocks) if len(path_blocks) > 1 else path_blocks[0]


def _meta(scene: Scene, noise: dict, settings: dict) -> dict:
    """Dataset metadata of a simulation: scene, noise, simulator settings, seed, version, frequencies."""
    backend = settings["backend"]
    return {
        "scene": scene.to_dict(),
        "noise": noise,
        "simulator": {"name": "radiomap.builtin-image-method" if backend == "builtin" else "sionna-rt",
                      "backend": backend, "version": __version__, "max_order": settings["max_order"],
                      "scatterers": settings["scatterers"], "wavefront": settings["wavefront"],
                      "n_symbols": settings["n_symbols"]},
        "seed": settings["seed"],
        "radiomap_version": __version__,
        "carrier_hz": scene.ofdm.carrier_hz,
        "bandwidth_hz": scene.ofdm.bandwidth_hz,
        "frequencies_hz": scene.ofdm.frequencies.tolist(),
    }


def simulate_file(
    scene: Scene,
    positions: np.ndarray,
    output: str | os.PathLike,
    *,
    velocity: np.ndarray | None = None,
    timestamps: np.ndarray | None = None,
    trajectory_id: np.ndarray | None = None,
    snr_db: float | None = None,
    noise_variance: float | None = None,
    reference_power: float | None = None,
    wavefront: str = "spherical",
    n_symbols: int | None = None,
    max_order: int = 2,
    scatterers: bool = True,
    backend: str = "builtin",
    seed: int = 0,
    shard_size: int = SHARD_SIZE,
    executor: Executor | None = None,
    meta: dict | None = None,
    overwrite: bool = False,
    progress: bool = False,
    on_shard: Callable[[int], None] | None = None,
) -> dict:
    """Simulate CSI at ``positions`` shard by shard and stream it into the dataset file ``output``.

    Peak memory does not grow with N: each shard of ``shard_size`` positions is traced (on ``executor``'s
    workers, or in this process) and kept as a sealed file in ``.<output>.radiomap-shards/``; one writer
    then adds the noise, shard by shard, into chunked datasets of a temporary file that is sealed and
    renamed to ``output``, and the shard folder is removed. Shard ``i`` draws its noise from
    ``radiomap.parallel.shard_seed(seed, i)``, so the file is bitwise identical for any executor and any
    number of workers (with ``SOURCE_DATE_EPOCH`` fixing ``meta["created"]``). A run that was interrupted
    resumes: rerun it with the same settings and the finished shards are reused, not traced again.

    Parameters
    ----------
    scene : Scene
        The scene to trace.
    positions : ndarray, float64 [N, 3]
        User positions (m).
    output : path
        Dataset file to write (``radiomap.atomic`` rules).
    velocity : ndarray, float64 [N, 3] or None
        User velocities (m/s), needed for ``n_symbols``.
    timestamps : ndarray, float64 [N] or None
        Sample times (s).
    trajectory_id : ndarray, int [N] or None
        Walk of each sample.
    snr_db : float or None
        Per-(sample, AP) SNR (dB).
    noise_variance : float or None
        Noise variance on CSI normalised to unit average power (the mean over all N positions, or
        ``reference_power``).
    reference_power : float or None
        Mean ``|H|^2`` defining unit power with ``noise_variance`` (a training set's).
    wavefront : {"spherical", "plane"}
        Exact per-element lengths or far field.
    n_symbols : int or None
        OFDM symbols of a time axis.
    max_order : int
        Maximum reflection order (0-3).
    scatterers : bool
        Trace the scene's point scatterers.
    backend : {"builtin", "sionna-rt"}
        Channel simulator.
    seed : int
        The user's seed; shard seeds derive from it.
    shard_size : int
        Positions per shard (memory per worker ~ ``shard_size`` x B x N_a x K x 8 bytes); part of the
        result (it sets the noise streams), recorded in ``meta["shards"]``.
    executor : InProcess or DaskExecutor or None
        Where shards run (``radiomap.parallel.executor``); None = in this process.
    meta : dict or None
        Extra metadata merged into the dataset's (e.g. how positions were chosen).
    overwrite : bool
        Replace an existing radiomap output; also discards a shard folder left by a run with other settings.
    progress : bool
        Progress bar over shards.
    on_shard : callable or None
        Called with a shard's index when it finishes (tests interrupt a run with it).

    Returns
    -------
    dict
        ``n`` (int), ``shards`` (int), ``traced`` (shards traced by this call; the others were resumed),
        ``los_mean`` (list of B floats, share of LOS samples per AP), ``shard_s`` (list of seconds per
        traced shard, measured on the worker), ``worker_max_rss_mb`` (peak RSS per traced shard's worker, MB).
    """
    from radiomap.parallel import InProcess, shard_bounds, shard_seed
    from radiomap.shards import ShardStore

    _check_settings(snr_db, noise_variance, backend)
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) == 0:
        raise ParameterError(f"positions: expected float [N >= 1, 3] (m), got shape {pos.shape}")
    bounds = shard_bounds(len(pos), shard_size)
    settings = {"wavefront": wavefront, "n_symbols": n_symbols, "max_order": max_order, "scatterers": scatterers,
                "backend": backend, "seed": seed}
    check_output(output, overwrite=overwrite, what="dataset")
    run = {"scene": scene.to_dict(), "settings": settings, "shard_size": shard_size, "version": __version__,
           "positions_sha256": _digest(pos), "velocity_sha256": None if velocity is None else _digest(velocity)}
    store = ShardStore(output, run, discard=overwrite).open()
    todo = [i for i in range(len(bounds)) if not store.done(i)]
    tasks = [{"scene": run["scene"], "settings": settings, "path": str(store.path(i)),
              "positions": pos[slice(*bounds[i])],
              "velocity": None if velocity is None else np.asarray(velocity)[slice(*bounds[i])]} for i in todo]
    ex = executor or InProcess()
    stats = []
    with tqdm(total=len(bounds), initial=len(bounds) - len(todo), desc=f"simulate {scene.name}", unit="shard",
              disable=not progress) as bar:
        for k, result in ex.map(_simulate_shard, tasks):
            stats.append(result)
            bar.update()
            if on_shard is not None:
                on_shard(todo[k])
    if noise_variance is not None and reference_power is None:
        sums = np.array([_shard_stats(store.path(i)) for i in range(len(bounds))])
        reference_power = float(sums[:, 0].sum() / sums[:, 1].sum())
    los_sum = None
    record = dict(meta or {}) | {"shards": {"size": shard_size, "count": len(bounds),
                                            "seeds": "numpy SeedSequence(seed).spawn, one child per shard"}}
    with dataset_writer(output, len(pos), record, overwrite=overwrite) as w:
        w.write(0, positions=pos, **{k: v for k, v in (("velocity", velocity), ("timestamps", timestamps),
                                                      ("trajectory_id", trajectory_id)) if v is not None})
        for i, (start, _) in enumerate(bounds):
            shard = CSIDataset.load(store.path(i))
            csi, noise = _noisy(shard.csi, snr_db, noise_variance, reference_power,
                                np.random.default_rng(shard_seed(seed, i)))
            w.write(start, csi=csi, los=shard.los)
            los_sum = shard.los.sum(0) if los_sum is None else los_sum + shard.los.sum(0)
        w.meta = _meta(scene, noise, settings) | w.meta
    store.remove()
    return {"n": len(pos), "shards": len(bounds), "traced": len(todo),
            "los_mean": (los_sum / max(len(pos), 1)).tolist(),
            "shard_s": [r["seconds"] for r in stats], "worker_max_rss_mb": [r["max_rss_mb"] for r in stats]}


def _simulate_shard(task: dict) -> dict:
    """Trace one shard and keep its clean CSI, LOS flags and power sum as a sealed file (a worker task)."""
    t0 = time.perf_counter()
    scene = Scene.from_dict(task["scene"])
    csi, paths = _trace_blocks(scene, task["positions"], task["velocity"], task["settings"])
    mag = np.abs(csi).astype(np.float64)
    power = float(np.sum(mag * mag))
    CSIDataset(csi, los=paths.los, meta={"power_sum": power, "count": int(csi.size)}).save(task["path"],
                                                                                           overwrite=True)
    return {"seconds": time.perf_counter() - t0,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _shard_stats(path: Path) -> tuple[float, int]:
    """(sum of |H|^2, number of CSI entries) recorded in a shard file."""
    meta = CSIDataset.load(path).meta
    return meta["power_sum"], meta["count"]


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype=np.float64).tobytes()).hexdigest()
