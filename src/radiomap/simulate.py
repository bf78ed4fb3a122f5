"""Scene + positions -> ``CSIDataset`` with the built-in tracer (the one-call simulator)."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from radiomap import __version__
from radiomap.channel import add_noise_snr, normalise_and_add_noise, trace
from radiomap.channel.paths import Paths
from radiomap.data.dataset import CSIDataset
from radiomap.errors import ParameterError
from radiomap.scene.scene import Scene

BACKENDS = ("builtin", "sionna-rt")
"""Channel simulator backends of ``simulate_dataset``."""
_BLOCK = 1024  # positions traced + synthesised per block (progress granularity, memory bound)


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
    if snr_db is not None and noise_variance is not None:
        raise ParameterError("give either snr_db or noise_variance, not both")
    if backend not in BACKENDS:
        raise ParameterError(f"unknown simulator backend {backend!r}; known: {', '.join(BACKENDS)}")
    if not csi and not store_paths:
        raise ParameterError("csi=False keeps nothing: pass store_paths=True (features are computed from paths)")
    if not csi and noise_variance is not None:
        raise ParameterError("noise_variance scales the CSI to unit power; without CSI give snr_db instead")
    pos = np.asarray(positions, dtype=np.float64)
    rng = np.random.default_rng(seed)
    blocks, path_blocks = [], []
    for i in tqdm(range(0, len(pos), _BLOCK), desc=f"simulate {scene.name}", unit="block", disable=not progress):
        sl = slice(i, i + _BLOCK)
        vel = None if velocity is None else np.asarray(velocity)[sl]
        if backend == "sionna-rt":
            from radiomap.channel.sionna_rt import trace_sionna

            paths = trace_sionna(scene, pos[sl], max_order=max_order, velocity=vel, seed=seed)
        else:
            paths = trace(scene, pos[sl], max_order=max_order, scatterers=scatterers, velocity=vel)
        if csi:
            blocks.append(paths.cfr(scene.ofdm, wavefront=wavefront, n_symbols=n_symbols))
        path_blocks.append(paths)
    h = np.concatenate(blocks) if csi else None
    all_paths = Paths.concatenate(path_blocks) if len(path_blocks) > 1 else path_blocks[0]
    noise = {"mode": "none"}
    if snr_db is not None:
        h = None if h is None else add_noise_snr(h, snr_db, rng)
        noise = {"mode": "snr", "snr_db": float(snr_db)}
    elif noise_variance is not None:
        h, ref = normalise_and_add_noise(h, noise_variance, rng, reference_power)
        noise = {"mode": "variance", "variance": float(noise_variance), "reference_power": ref}
    meta = {
        "scene": scene.to_dict(),
        "noise": noise,
        "simulator": {"name": "radiomap.builtin-image-method" if backend == "builtin" else "sionna-rt",
                      "backend": backend, "version": __version__, "max_order": max_order,
                      "scatterers": scatterers, "wavefront": wavefront, "n_symbols": n_symbols},
        "seed": seed,
        "radiomap_version": __version__,
        "carrier_hz": scene.ofdm.carrier_hz,
        "bandwidth_hz": scene.ofdm.bandwidth_hz,
        "frequencies_hz": scene.ofdm.frequencies.tolist(),
    }
    return CSIDataset(h, positions=pos, velocity=velocity, timestamps=timestamps, los=all_paths.los,
                      trajectory_id=trajectory_id, point_id=point_id,
                      paths=all_paths.to_arrays() if store_paths else None, meta=meta)
