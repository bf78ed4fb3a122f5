"""Built-in deterministic image-method ray tracer.

For every (position, AP) pair it finds the direct path (attenuated by each wall or slab it
crosses), the specular reflections of order 1..``max_order`` (up to 3) on walls, floor, ceilings
and other slabs, and single-bounce paths via the scene's fixed point scatterers. Image sources
and their visibility regions depend only on the scene, so they are built once per AP, and every
per-position step is vectorised over positions and candidate paths (no per-position Python loop).

Per-element path lengths are exact: mirroring is an isometry, so the path from element ``n``
via the same specular planes has length ``|user - image(element_n)|``.

Two methods return the same paths: ``"pruned"`` (default; beam tracing over the floor plan and
a wall grid, ``radiomap.channel._tracer_pruned``) and ``"brute"`` (every plane sequence against
every position and wall, ``radiomap.channel._tracer_brute``), kept as the test oracle.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.channel import _tracer_brute
from radiomap.channel._imagepaths import MAX_ORDER, Planes
from radiomap.channel._tracer_pruned import PrunedTracer, spatial_order
from radiomap.channel.paths import Paths
from radiomap.errors import ParameterError, SceneError
from radiomap.scene.scene import Scene
from radiomap.threads import thread_budget

METHODS = ("pruned", "brute")
_CHUNK = 256  # positions per vectorised block (at most)
_MIN_CHUNK = 32


def trace(
    scene: Scene,
    positions: np.ndarray,
    *,
    max_order: int = 2,
    scatterers: bool = True,
    velocity: np.ndarray | None = None,
    method: str = "pruned",
    cull_db: float | None = None,
) -> Paths:
    """Trace the multipath between every AP of ``scene`` and every user position.

    Parameters
    ----------
    scene : Scene
    positions : array_like, float [N, 3]
        User positions (m), N >= 1.
    max_order : int
        Highest specular reflection order (0 to 3).
    scatterers : bool
        Include single-bounce paths via ``scene.scatterers``.
    velocity : array_like, float [N, 3] or None
        User velocities (m/s); when given, ``Paths.doppler`` is filled.
    method : str
        ``"pruned"`` (default) or ``"brute"`` (the slow oracle; same paths).
    cull_db : float or None
        None (default: every path) or a level in dB (< 0, e.g. -80): reflected paths whose
        amplitude is below that level relative to free space at the direct AP-user distance,
        ``|gain| < 10^(cull_db/20) * lambda / (4 pi |user - AP|)``, are dropped. Each dropped path
        changes the CFR by less than that fraction of a free-space LOS path; the pruned tracer
        stops computing a path's penetration losses as soon as they put it below the level.

    Returns
    -------
    Paths
        ``[N, B, L]`` with ``L`` = the largest number of valid paths of any (position, AP) pair;
        shorter lists are padded with ``valid = False`` and zero gain. Per (position, AP) the paths
        are ordered: direct, reflections by order then plane sequence, scatterers.

    Raises
    ------
    SceneError
        Positions not [N, 3], empty or not finite.
    ParameterError
        ``max_order``, ``method``, ``cull_db`` or ``velocity`` out of range or of another shape.
    """
    return trace_with_sequences(scene, positions, max_order=max_order, scatterers=scatterers,
                                velocity=velocity, method=method, cull_db=cull_db)[0]


def trace_with_sequences(
    scene: Scene,
    positions: np.ndarray,
    *,
    max_order: int = 2,
    scatterers: bool = True,
    velocity: np.ndarray | None = None,
    method: str = "pruned",
    cull_db: float | None = None,
) -> tuple[Paths, np.ndarray]:
    """``trace``, plus the interactions of every path.

    Parameters
    ----------
    scene, positions, max_order, scatterers, velocity, method, cull_db
        As in ``trace``.

    Returns
    -------
    paths : Paths
        As ``trace`` returns them, ``[N, B, L]``.
    sequences : ndarray, int64 [N, B, L, max(max_order, 1)]
        The planes each path reflects on in order (AP side first): wall ``i`` is ``i``, slab ``j``
        is ``len(scene.walls) + j``; -1 pads shorter sequences, direct paths and padding; a
        scatterer path holds ``-2 - s`` (scatterer ``s``) in its first slot.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise SceneError(f"positions must have shape [N, 3], got {pos.shape}")
    if not np.isfinite(pos).all():
        raise SceneError("positions contain NaN or Inf")
    if max_order not in range(MAX_ORDER + 1):
        raise ParameterError(f"max_order must be 0..{MAX_ORDER}, got {max_order}")
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if cull_db is not None and not (np.isfinite(cull_db) and cull_db < 0):
        raise ParameterError(f"cull_db must be None or a finite level < 0 dB, got {cull_db}")
    if velocity is not None:
        velocity = np.asarray(velocity, dtype=np.float64)
        if velocity.shape != pos.shape:
            raise ParameterError(f"velocity must have shape {pos.shape}, got {velocity.shape}")
    planes = Planes(scene)
    k = max(max_order, 1)
    if method == "brute":
        order = np.arange(len(pos))

        def run(p):
            return _tracer_brute.trace_chunk(scene, planes, p, max_order, scatterers, k, cull_db)
    else:
        order = spatial_order(pos[:, :2]) if len(pos) else np.arange(0)
        run = PrunedTracer(scene, planes, max_order, scatterers, k, cull_db).trace_chunk
    sorted_pos = pos[order]
    cores = thread_budget()
    chunk = max(_MIN_CHUNK, min(_CHUNK, -(-len(pos) // cores)))  # at least one chunk per core when N allows
    starts = range(0, len(pos), chunk)
    workers = max(1, min(len(starts), cores))
    # NumPy releases the GIL inside large array operations: chunks run in parallel threads
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(lambda i: run(sorted_pos[i:i + chunk]), starts))
    if not chunks:
        raise SceneError("positions is empty: need at least one position [1, 3]")
    paths = Paths.concatenate([c[0] for c in chunks]) if len(chunks) != 1 else chunks[0][0]
    l_max = paths.n_paths
    seqs = np.concatenate([np.pad(s, ((0, 0), (0, 0), (0, l_max - s.shape[2]), (0, 0)), constant_values=-1)
                           for _, s in chunks])
    if not np.array_equal(order, np.arange(len(pos))):
        inverse = np.argsort(order)
        paths, seqs = paths.subset(inverse), seqs[inverse]
    if velocity is not None:
        paths = paths.with_velocity(velocity, scene.ofdm.wavelength)
    return paths, seqs


__all__ = ["METHODS", "SPEED_OF_LIGHT", "trace", "trace_with_sequences"]
