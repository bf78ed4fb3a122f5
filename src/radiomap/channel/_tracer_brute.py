"""Brute-force image-method tracer: the test oracle of the visibility-pruned one.

Every plane sequence is tested against every position, and every leg against every wall, so the
cost grows as ``N * P^k * W`` (``P`` planes, ``W`` walls, order ``k``). It returns the same
``Paths`` as ``radiomap.channel.trace`` (same paths, in the same order) and is kept only to check
it: ``trace(..., method="brute")``.
"""

from __future__ import annotations

import itertools

import numpy as np

from radiomap.channel import _imagepaths as ip
from radiomap.channel.paths import KIND_REFLECTION, Paths
from radiomap.scene.geometry import segment_wall_crossings
from radiomap.scene.scene import Scene


def penetration_db(scene: Scene, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Total penetration loss (dB) ``[...]`` of segments ``start -> end [..., 3]``, testing every wall."""
    wa = scene.wall_arrays
    loss = ip.slab_penetration_db(scene, start, end)
    if len(wa["a"]):
        loss = loss + segment_wall_crossings(start, end, wa["a"], wa["b"], wa["z"]) @ wa["penetration_db"]
    return loss


def candidate_sequences(n_planes: int, max_order: int) -> list[np.ndarray]:
    """Plane-index sequences per order: ``[Q_k, k]`` with no plane used twice in a row (lexicographic)."""
    seqs = []
    for k in range(1, max_order + 1):
        s = [q for q in itertools.product(range(n_planes), repeat=k)
             if all(q[i] != q[i + 1] for i in range(k - 1))]
        seqs.append(np.array(s, dtype=np.int64).reshape(-1, k))
    return seqs


def trace_chunk(scene: Scene, planes: ip.Planes, pos: np.ndarray, max_order: int, use_scatterers: bool,
                width: int, cull_db: float | None = None):
    """Brute-force paths of positions ``pos [N, 3]``.

    Output
    ------
    Paths, and the plane sequence of every path ``[N, B, L, width]`` int64 (-1 padded; for a
    scatterer path ``-2 - s`` in the first slot); ``width >= max(max_order, 1)``
    """
    lam = scene.ofdm.wavelength
    seqs = candidate_sequences(planes.n, max_order)

    def pen(a, b):
        return penetration_db(scene, a, b)

    n_sc = len(scene.scatterers) if use_scatterers else 0
    ids = [np.full((1, width), -1)] + [np.pad(s, ((0, 0), (0, width - s.shape[1])), constant_values=-1)
                                       for s in seqs if len(s)]
    ids.append(np.pad(-2 - np.arange(n_sc)[:, None], ((0, 0), (0, width - 1)), constant_values=-1))
    ids = np.concatenate(ids)
    per_ap = []
    for ap in scene.aps:
        o = np.asarray(ap.position, dtype=np.float64)
        elem = ap.element_positions(lam)  # [A, 3]
        cands = [ip.direct_path(scene, pos, o, elem, pen)]
        for seq in seqs:
            if len(seq):
                cands.append(_reflections(scene, planes, pos, o, elem, seq, cull_db))
        if n_sc:
            cands.append(ip.scattered_paths(scene, pos, o, elem, pen))
        per_ap.append({k: np.concatenate([c[k] for c in cands], axis=1) for k in cands[0]})
    stacked = {k: np.stack([p[k] for p in per_ap], axis=1) for k in per_ap[0]}  # [N, B, Lc, ...]
    los = stacked.pop("los_direct")[:, :, 0]
    # the candidate index of every path, compacted like Paths.from_candidates does
    valid = stacked["valid"]
    l_max = max(int(valid.sum(-1).max()) if valid.size else 0, 1)
    order_idx = np.argsort(~valid, axis=-1, kind="stable")[..., :l_max]
    seq_ids = np.where(np.take_along_axis(valid, order_idx, -1)[..., None], ids[order_idx], -1)
    paths = Paths.from_candidates(
        positions=pos, ap_positions=scene.ap_positions,
        element_positions=np.stack([ap.element_positions(lam) for ap in scene.aps]),
        los=los, **stacked,
    )
    return paths, seq_ids


def _reflections(scene: Scene, planes: ip.Planes, pos: np.ndarray, o: np.ndarray, elem: np.ndarray,
                 seq: np.ndarray, cull_db: float | None) -> dict:
    """Specular paths for plane sequences ``seq [Q, k]`` at every position: dense ``[N, Q, ...]``.

    With ``cull_db``, paths weaker than that (dB) relative to free space at the direct distance are invalid.
    """
    lam = scene.ofdm.wavelength
    q, k = seq.shape
    n = len(pos)
    images, img_el = ip.image_chain(planes, o, elem, seq)
    rows, cols = np.repeat(np.arange(n), q), np.tile(np.arange(q), n)  # every (position, sequence) pair
    rows, cols, points, coef = ip.backtrace(planes, pos, images, seq, rows, cols)
    user = pos[rows]
    loss_db = ip.penetration_of_chain(lambda a, b: penetration_db(scene, a, b), o, points, user)
    length = ip.norm(user - images[-1][cols])
    out = _dense(n, q, elem.shape[0])
    gain = ip.free_space(lam, length) * coef * 10 ** (-loss_db / 20)
    out["valid"][rows, cols] = True if cull_db is None else ip.above_cull(gain, user, o, lam, cull_db)
    out["gain"][rows, cols] = gain
    out["length"][rows, cols] = length
    out["element_length"][rows, cols] = ip.norm(user[:, None, :] - img_el[cols])
    out["departure"][rows, cols] = ip.unit(points[0] - o)
    out["arrival"][rows, cols] = ip.unit(user - points[-1])
    out["order"][:] = k
    out["kind"][:] = KIND_REFLECTION
    return out


def _dense(n: int, q: int, n_ant: int) -> dict:
    """Empty candidate arrays ``[N, Q, ...]`` (invalid, zero gain, unit lengths)."""
    return {
        "gain": np.zeros((n, q), np.complex128),
        "length": np.ones((n, q)),
        "element_length": np.ones((n, q, n_ant)),
        "departure": np.zeros((n, q, 3)),
        "arrival": np.zeros((n, q, 3)),
        "valid": np.zeros((n, q), bool),
        "order": np.zeros((n, q), np.int8),
        "kind": np.zeros((n, q), np.int8),
        "los_direct": np.zeros((n, q), bool),
    }
