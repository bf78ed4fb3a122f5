"""Built-in deterministic image-method ray tracer.

For every (position, AP) pair it finds the direct path (attenuated by each wall or slab it
crosses), the specular reflections of order 1..``max_order`` on walls, floor, ceilings and
other slabs, and single-bounce paths via the scene's fixed point scatterers. Image sources
depend only on the scene, so they are built once per AP and every per-position step is
vectorised over positions and candidate paths (no per-position Python loop).

Per-element path lengths are exact: mirroring is an isometry, so the path from element ``n``
via the same specular planes has length ``|user - image(element_n)|``.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.channel.paths import KIND_DIRECT, KIND_REFLECTION, KIND_SCATTERER, Paths
from radiomap.errors import ParameterError, SceneError
from radiomap.scene.geometry import segment_wall_crossings, slab_crossings
from radiomap.scene.scene import Scene

_CHUNK = 256  # positions per vectorised block (bounds memory to ~100 MB)


class _Planes:
    """All reflecting planes of a scene as arrays (walls first, then slabs)."""

    def __init__(self, scene: Scene):
        wa, sa = scene.wall_arrays, scene.slab_arrays
        n_w, n_s = len(wa["a"]), len(sa["z"])
        e = wa["b"] - wa["a"]
        wall_n = np.column_stack([e[:, 1], -e[:, 0], np.zeros(n_w)]) / np.linalg.norm(e, axis=1, keepdims=True)
        self.point = np.concatenate([np.column_stack([wa["a"], np.zeros(n_w)]),
                                     np.column_stack([np.zeros((n_s, 2)), sa["z"]])]).reshape(-1, 3)
        self.normal = np.concatenate([wall_n, np.tile([0.0, 0.0, 1.0], (n_s, 1))]).reshape(-1, 3)
        self.a = np.concatenate([wa["a"], np.zeros((n_s, 2))]).reshape(-1, 2)
        self.e = np.concatenate([e, np.ones((n_s, 2))]).reshape(-1, 2)
        self.z = np.concatenate([wa["z"], np.tile([-np.inf, np.inf], (n_s, 1))]).reshape(-1, 2)
        self.is_slab = np.arange(n_w + n_s) >= n_w
        self.materials = [scene.materials[w.material] for w in scene.walls] + \
                         [scene.materials[s.material] for s in scene.slabs]
        self.n = n_w + n_s
        xs = [scene.walkable[:, 0], scene.ap_positions[:, 0]] + ([wa["a"][:, 0], wa["b"][:, 0]] if n_w else [])
        ys = [scene.walkable[:, 1], scene.ap_positions[:, 1]] + ([wa["a"][:, 1], wa["b"][:, 1]] if n_w else [])
        xs, ys = np.concatenate(xs), np.concatenate(ys)
        self.bbox = (xs.min(), xs.max(), ys.min(), ys.max())

    def mirror(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Mirror points ``x [Q, ..., 3]`` across planes ``idx [Q]``."""
        c = self.point[idx].reshape((len(idx),) + (1,) * (x.ndim - 2) + (3,))
        n = self.normal[idx].reshape(c.shape)
        return x - 2.0 * _dot(x - c, n)[..., None] * n

    def intersect(self, start: np.ndarray, end: np.ndarray, idx: np.ndarray):
        """Intersection of segments ``start -> end [M, 3]`` with planes ``idx [M]`` (element-wise).

        Returns the points ``[M, 3]``, validity ``[M]`` (strictly inside the segment and within
        the plane's extent) and the incidence cosine ``[M]``.
        """
        c, n = self.point[idx], self.normal[idx]
        with np.errstate(divide="ignore", invalid="ignore"):  # parallel or already-invalid segments
            d = end - start
            denom = _dot(d, n)
            t = _dot(c - start, n) / denom
            r = start + t[..., None] * d
            ok = np.isfinite(t) & (t > 1e-9) & (t < 1 - 1e-9)
            a, e = self.a[idx], self.e[idx]
            s = ((r[..., 0] - a[..., 0]) * e[..., 0] + (r[..., 1] - a[..., 1]) * e[..., 1]) / \
                (e[..., 0] ** 2 + e[..., 1] ** 2)
            in_wall = (s >= 0) & (s <= 1) & (r[..., 2] >= self.z[idx, 0]) & (r[..., 2] <= self.z[idx, 1])
            x0, x1, y0, y1 = self.bbox
            in_slab = (r[..., 0] >= x0) & (r[..., 0] <= x1) & (r[..., 1] >= y0) & (r[..., 1] <= y1)
            ok &= np.where(self.is_slab[idx], in_slab, in_wall)
            cos_inc = np.abs(denom) / np.maximum(np.sqrt(_dot(d, d)), 1e-12)
        return r, ok, np.nan_to_num(cos_inc)

    def reflection(self, idx: np.ndarray, cos_inc: np.ndarray) -> np.ndarray:
        """Reflection coefficients ``[M]`` of planes ``idx [M]`` at incidence cosines ``[M]``."""
        out = np.empty_like(cos_inc)
        for p in np.unique(idx):
            sel = idx == p
            out[sel] = self.materials[p].reflection_coefficient(cos_inc[sel])
        return out


def _penetration_db(scene: Scene, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Total penetration loss (dB) ``[...]`` of segments ``start -> end [..., 3]``."""
    wa, sa = scene.wall_arrays, scene.slab_arrays
    loss = np.zeros(start.shape[:-1])
    if len(wa["a"]):
        loss += segment_wall_crossings(start, end, wa["a"], wa["b"], wa["z"]) @ wa["penetration_db"]
    if len(sa["z"]):
        loss += slab_crossings(start, end, sa["z"]) @ sa["penetration_db"]
    return loss


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.sqrt(_dot(v, v)), 1e-12)[..., None]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product over a last axis of size 3 (faster than a reduction for tiny axes)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(_dot(v, v))


def trace(
    scene: Scene,
    positions: np.ndarray,
    *,
    max_order: int = 2,
    scatterers: bool = True,
    velocity: np.ndarray | None = None,
) -> Paths:
    """Trace the multipath between every AP of ``scene`` and every user position.

    Input
    -----
    scene : Scene
    positions : [N, 3] float, user positions (m)
    max_order : highest specular reflection order (0, 1 or 2)
    scatterers : include single-bounce paths via ``scene.scatterers``
    velocity : [N, 3] float (m/s) or None; when given, ``Paths.doppler`` is filled

    Output
    ------
    Paths with ``L`` = the largest number of valid paths of any (position, AP) pair; shorter
    lists are padded with ``valid = False`` and zero gain.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise SceneError(f"positions must have shape [N, 3], got {pos.shape}")
    if not np.isfinite(pos).all():
        raise SceneError("positions contain NaN or Inf")
    if max_order not in (0, 1, 2):
        raise ParameterError(f"max_order must be 0, 1 or 2, got {max_order}")
    if velocity is not None:
        velocity = np.asarray(velocity, dtype=np.float64)
        if velocity.shape != pos.shape:
            raise ParameterError(f"velocity must have shape {pos.shape}, got {velocity.shape}")
    planes = _Planes(scene)
    starts = range(0, len(pos), _CHUNK)
    workers = min(len(starts), os.cpu_count() or 1)
    # NumPy releases the GIL inside large array operations: chunks run in parallel threads
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(lambda i: _trace_chunk(scene, planes, pos[i:i + _CHUNK], max_order, scatterers),
                               starts))
    paths = Paths.concatenate(chunks) if len(chunks) != 1 else chunks[0]
    if velocity is not None:
        paths = paths.with_velocity(velocity, scene.ofdm.wavelength)
    return paths


def _candidate_sequences(n_planes: int, max_order: int) -> list[np.ndarray]:
    """Plane-index sequences per order: ``[Q_k, k]`` with no plane used twice in a row."""
    seqs = []
    for k in range(1, max_order + 1):
        s = [q for q in itertools.product(range(n_planes), repeat=k)
             if all(q[i] != q[i + 1] for i in range(k - 1))]
        seqs.append(np.array(s, dtype=np.int64).reshape(-1, k))
    return seqs


def _trace_chunk(scene: Scene, planes: _Planes, pos: np.ndarray, max_order: int, use_scatterers: bool) -> Paths:
    lam = scene.ofdm.wavelength
    seqs = _candidate_sequences(planes.n, max_order)
    per_ap = []
    for ap in scene.aps:
        o = np.asarray(ap.position, dtype=np.float64)
        elem = ap.element_positions(lam)  # [A, 3]
        cands = [_direct(scene, pos, o, elem)]
        for seq in seqs:
            if len(seq):
                cands.append(_reflections(scene, planes, pos, o, elem, seq))
        if use_scatterers and len(scene.scatterers):
            cands.append(_scattered(scene, pos, o, elem))
        per_ap.append({k: np.concatenate([c[k] for c in cands], axis=1) for k in cands[0]})
    stacked = {k: np.stack([p[k] for p in per_ap], axis=1) for k in per_ap[0]}  # [N, B, Lc, ...]
    los = stacked.pop("los_direct")[:, :, 0]
    return Paths.from_candidates(
        positions=pos, ap_positions=scene.ap_positions,
        element_positions=np.stack([ap.element_positions(lam) for ap in scene.aps]),
        los=los, **stacked,
    )


def _free_space(lam: float, length: np.ndarray) -> np.ndarray:
    return lam / (4.0 * np.pi * np.maximum(length, 1e-3))


def _direct(scene: Scene, pos: np.ndarray, o: np.ndarray, elem: np.ndarray) -> dict:
    lam = scene.ofdm.wavelength
    start = np.broadcast_to(o, pos.shape)
    loss_db = _penetration_db(scene, start, pos)
    length = np.linalg.norm(pos - o, axis=-1)
    dep = _unit(pos - o)
    return _pack(
        gain=_free_space(lam, length) * 10 ** (-loss_db / 20),
        length=length,
        element_length=np.linalg.norm(pos[:, None, :] - elem[None], axis=-1),
        departure=dep, arrival=dep, valid=np.ones(len(pos), bool),
        order=0, kind=KIND_DIRECT, los_direct=loss_db == 0,
    )


def _reflections(scene: Scene, planes: _Planes, pos: np.ndarray, o: np.ndarray, elem: np.ndarray,
                 seq: np.ndarray) -> dict:
    """Specular paths for plane sequences ``seq [Q, k]`` (AP -> seq[0] -> ... -> seq[k-1] -> user).

    Candidates are compacted after every geometric test, so the work after the first
    intersection scales with the number of surviving (position, sequence) pairs.
    """
    lam = scene.ofdm.wavelength
    q, k = seq.shape
    n = len(pos)
    img = np.broadcast_to(o, (q, 3)).copy()
    img_el = np.broadcast_to(elem, (q,) + elem.shape).copy()  # [Q, A, 3]
    images = []
    for j in range(k):
        img = planes.mirror(img[:, None, :], seq[:, j])[:, 0]
        img_el = planes.mirror(img_el, seq[:, j])
        images.append(img)
    # walk back from the user: R_k on plane seq[k-1] toward image I_k, then R_{k-1} toward I_{k-1}, ...
    rows, cols = np.repeat(np.arange(n), q), np.tile(np.arange(q), n)  # surviving (position, sequence) pairs
    user = pos[rows]
    start, coef = user, np.ones(len(rows))
    points = []
    for j in range(k - 1, -1, -1):
        r, ok, cos_inc = planes.intersect(start, images[j][cols], seq[cols, j])
        keep = np.flatnonzero(ok)
        rows, cols, user, coef = rows[keep], cols[keep], user[keep], coef[keep]
        points = [pt[keep] for pt in points]
        coef = coef * planes.reflection(seq[cols, j], cos_inc[keep])
        points.insert(0, r[keep])
        start = r[keep]
    # penetration losses of every segment of the surviving paths
    chain = [np.broadcast_to(o, user.shape)] + points + [user]
    loss_db = sum(_penetration_db(scene, a, b) for a, b in zip(chain[:-1], chain[1:], strict=True))
    length = _norm(user - images[-1][cols])
    out = _dense(n, q, elem.shape[0])
    out["valid"][rows, cols] = True
    out["gain"][rows, cols] = _free_space(lam, length) * coef * 10 ** (-loss_db / 20)
    out["length"][rows, cols] = length
    out["element_length"][rows, cols] = _norm(user[:, None, :] - img_el[cols])
    out["departure"][rows, cols] = _unit(points[0] - o)
    out["arrival"][rows, cols] = _unit(user - points[-1])
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


def _scattered(scene: Scene, pos: np.ndarray, o: np.ndarray, elem: np.ndarray) -> dict:
    """Single-bounce paths AP -> scatterer -> user, bistatic amplitude ``g lambda / (4 pi d1 d2)``."""
    lam = scene.ofdm.wavelength
    sc = scene.scatterers  # [S, 3]
    n, s = len(pos), len(sc)
    d1 = np.linalg.norm(sc - o, axis=-1)  # [S]
    d2 = np.linalg.norm(pos[:, None, :] - sc[None], axis=-1)  # [N, S]
    sc_b = np.broadcast_to(sc, (n, s, 3))
    loss_db = _penetration_db(scene, np.broadcast_to(o, (s, 3)), sc)[None, :] + \
        _penetration_db(scene, sc_b, np.broadcast_to(pos[:, None, :], (n, s, 3)))  # AP leg is position-free
    amp = scene.scatterer_gain * lam / (4.0 * np.pi * np.maximum(d1, 1e-3) * np.maximum(d2, 1e-3))
    el_len = np.linalg.norm(elem[None, :, :] - sc[:, None, :], axis=-1)  # [S, A]
    return _pack(
        gain=amp * 10 ** (-loss_db / 20),
        length=d1 + d2,
        element_length=el_len[None] + d2[..., None],
        departure=np.broadcast_to(_unit(sc - o), (n, s, 3)), arrival=_unit(pos[:, None, :] - sc_b),
        valid=d2 > 1e-3, order=1, kind=KIND_SCATTERER, los_direct=np.zeros((n, s), bool),
    )


def _pack(*, gain, length, element_length, departure, arrival, valid, order, kind, los_direct) -> dict:
    """Candidate arrays with a path axis: ``[N, Q, ...]``."""
    def two(x):
        return x[:, None] if np.ndim(x) == 1 else x
    g = two(np.asarray(gain, dtype=np.complex128))
    shape = g.shape
    el = element_length if element_length.ndim == 3 else element_length[:, None, :]
    dep = departure if departure.ndim == 3 else departure[:, None, :]
    arr = arrival if arrival.ndim == 3 else arrival[:, None, :]
    return {
        "gain": g,
        "length": two(length),
        "element_length": el,
        "departure": np.broadcast_to(dep, shape + (3,)),
        "arrival": np.broadcast_to(arr, shape + (3,)),
        "valid": two(valid),
        "order": np.full(shape, order, np.int8),
        "kind": np.full(shape, kind, np.int8),
        "los_direct": two(los_direct),
    }


__all__ = ["SPEED_OF_LIGHT", "trace"]
