"""Pieces shared by the image-method tracers: reflecting planes, image chains, path legs.

Both the visibility-pruned tracer (``radiomap.channel.tracer``) and the brute-force oracle
(``radiomap.channel._tracer_brute``) call these functions, so a path that both of them consider
gets bit-identical geometry (images, reflection points, lengths, reflection coefficients); the
tracers differ only in which (position, plane sequence) candidates they test and in how they find
the walls a leg crosses. Every function is element-wise over its candidates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from radiomap.channel.paths import KIND_DIRECT, KIND_SCATTERER
from radiomap.scene.geometry import slab_crossings
from radiomap.scene.scene import Scene

PenetrationFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``loss_db = f(start [..., 3], end [..., 3])``: total penetration loss (dB) of each segment."""

MAX_ORDER = 3
"""Highest specular reflection order the tracers support."""


class Planes:
    """All reflecting planes of a scene as arrays (walls first, then slabs).

    Attributes
    ----------
    n, n_walls : number of planes, of walls (planes ``0..n_walls-1`` are walls)
    point, normal : [P, 3] a point of each plane and its unit normal
    a, e : [P, 2] wall start and direction (end - start); slabs: zeros and ones
    materials, material_index : the distinct materials, and the material of each plane [P]
    z : [P, 2] wall height range; slabs: (-inf, inf)
    bbox : (x_min, x_max, y_min, y_max) extent of the slabs (walkable area, APs, wall ends) (m)
    """

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
        names = [w.material for w in scene.walls] + [s.material for s in scene.slabs]
        self.materials = [scene.materials[m] for m in sorted(set(names))]
        self.material_index = np.array([sorted(set(names)).index(m) for m in names], dtype=np.int64)
        self.n, self.n_walls = n_w + n_s, n_w
        xs = [scene.walkable[:, 0], scene.ap_positions[:, 0]] + ([wa["a"][:, 0], wa["b"][:, 0]] if n_w else [])
        ys = [scene.walkable[:, 1], scene.ap_positions[:, 1]] + ([wa["a"][:, 1], wa["b"][:, 1]] if n_w else [])
        xs, ys = np.concatenate(xs), np.concatenate(ys)
        self.bbox = (xs.min(), xs.max(), ys.min(), ys.max())

    def mirror(self, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Mirror points ``x [Q, ..., 3]`` across planes ``idx [Q]``."""
        c = self.point[idx].reshape((len(idx),) + (1,) * (x.ndim - 2) + (3,))
        n = self.normal[idx].reshape(c.shape)
        return x - 2.0 * dot(x - c, n)[..., None] * n

    def intersect(self, start: np.ndarray, end: np.ndarray, idx: np.ndarray):
        """Intersection of segments ``start -> end [M, 3]`` with planes ``idx [M]`` (element-wise).

        Returns the points ``[M, 3]``, validity ``[M]`` (strictly inside the segment and within
        the plane's extent) and the incidence cosine ``[M]``.
        """
        c, n = self.point[idx], self.normal[idx]
        with np.errstate(divide="ignore", invalid="ignore"):  # parallel or already-invalid segments
            d = end - start
            denom = dot(d, n)
            t = dot(c - start, n) / denom
            r = start + t[..., None] * d
            ok = np.isfinite(t) & (t > 1e-9) & (t < 1 - 1e-9)
            a, e = self.a[idx], self.e[idx]
            s = ((r[..., 0] - a[..., 0]) * e[..., 0] + (r[..., 1] - a[..., 1]) * e[..., 1]) / \
                (e[..., 0] ** 2 + e[..., 1] ** 2)
            in_wall = (s >= 0) & (s <= 1) & (r[..., 2] >= self.z[idx, 0]) & (r[..., 2] <= self.z[idx, 1])
            x0, x1, y0, y1 = self.bbox
            in_slab = (r[..., 0] >= x0) & (r[..., 0] <= x1) & (r[..., 1] >= y0) & (r[..., 1] <= y1)
            ok &= np.where(self.is_slab[idx], in_slab, in_wall)
            cos_inc = np.abs(denom) / np.maximum(np.sqrt(dot(d, d)), 1e-12)
        return r, ok, np.nan_to_num(cos_inc)

    def reflection(self, idx: np.ndarray, cos_inc: np.ndarray) -> np.ndarray:
        """Reflection coefficients ``[M]`` of planes ``idx [M]`` at incidence cosines ``[M]``."""
        out = np.empty_like(cos_inc)
        mat = self.material_index[idx]
        for m in np.unique(mat):
            sel = mat == m
            out[sel] = self.materials[m].reflection_coefficient(cos_inc[sel])
        return out


def image_chain(planes: Planes, o: np.ndarray, elem: np.ndarray, seq: np.ndarray):
    """Images of the AP centre and elements across plane sequences ``seq [Q, k]``.

    Output
    ------
    images : list of k arrays ``[Q, 3]``, the AP centre mirrored across ``seq[:, :j+1]``
    element_images : [Q, A, 3] the elements mirrored across the whole sequence
    """
    q, k = seq.shape
    img = np.broadcast_to(o, (q, 3)).copy()
    img_el = np.broadcast_to(elem, (q,) + elem.shape).copy()  # [Q, A, 3]
    images = []
    for j in range(k):
        img = planes.mirror(img[:, None, :], seq[:, j])[:, 0]
        img_el = planes.mirror(img_el, seq[:, j])
        images.append(img)
    return images, img_el


def backtrace(planes: Planes, pos: np.ndarray, images: list[np.ndarray], seq: np.ndarray,
              rows: np.ndarray, cols: np.ndarray):
    """Reflection points of candidate paths (position ``rows [M]``, sequence ``cols [M]``).

    Walks back from the user: R_k on plane ``seq[k-1]`` toward image I_k, then R_{k-1} toward
    I_{k-1}, ...; candidates are compacted after every test, so the work after the first
    intersection scales with the survivors.

    Output
    ------
    rows, cols : [M'] the surviving candidates
    points : list of k arrays ``[M', 3]``, reflection points in path order (AP side first)
    coef : [M'] product of the reflection coefficients
    """
    k = seq.shape[1]
    start, coef = pos[rows], np.ones(len(rows))
    points: list[np.ndarray] = []
    for j in range(k - 1, -1, -1):
        r, ok, cos_inc = planes.intersect(start, images[j][cols], seq[cols, j])
        keep = np.flatnonzero(ok)
        rows, cols, coef = rows[keep], cols[keep], coef[keep]
        points = [pt[keep] for pt in points]
        coef = coef * planes.reflection(seq[cols, j], cos_inc[keep])
        points.insert(0, r[keep])
        start = r[keep]
    return rows, cols, points, coef


def penetration_of_chain(penetration: PenetrationFn, o: np.ndarray, points: list[np.ndarray],
                         user: np.ndarray) -> np.ndarray:
    """Total penetration loss (dB) ``[M]`` of the legs AP -> points[0] -> ... -> user ``[M, 3]``."""
    chain = [np.broadcast_to(o, user.shape)] + points + [user]
    return sum(penetration(a, b) for a, b in zip(chain[:-1], chain[1:], strict=True))


def slab_penetration_db(scene: Scene, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Penetration loss (dB) ``[...]`` of the slabs crossed by segments ``start -> end [..., 3]``."""
    sa = scene.slab_arrays
    if not len(sa["z"]):
        return np.zeros(np.shape(start)[:-1])
    return slab_crossings(start, end, sa["z"]) @ sa["penetration_db"]


def direct_path(scene: Scene, pos: np.ndarray, o: np.ndarray, elem: np.ndarray, penetration: PenetrationFn) -> dict:
    """Direct path AP -> user for every position: arrays ``[N, 1, ...]`` (see ``pack``)."""
    lam = scene.ofdm.wavelength
    start = np.broadcast_to(o, pos.shape)
    loss_db = penetration(start, pos)
    length = np.linalg.norm(pos - o, axis=-1)
    dep = unit(pos - o)
    return pack(
        gain=free_space(lam, length) * 10 ** (-loss_db / 20),
        length=length,
        element_length=np.linalg.norm(pos[:, None, :] - elem[None], axis=-1),
        departure=dep, arrival=dep, valid=np.ones(len(pos), bool),
        order=0, kind=KIND_DIRECT, los_direct=loss_db == 0,
    )


def scattered_paths(scene: Scene, pos: np.ndarray, o: np.ndarray, elem: np.ndarray,
                    penetration: PenetrationFn, penetration_to_user: PenetrationFn | None = None) -> dict:
    """Single-bounce paths AP -> scatterer -> user, bistatic amplitude ``g lambda / (4 pi d1 d2)``: ``[N, S, ...]``.

    ``penetration`` gives the losses of the AP -> scatterer legs ``[S]``, ``penetration_to_user``
    (default: the same function) those of the scatterer -> user legs ``[N, S]``.
    """
    to_user = penetration if penetration_to_user is None else penetration_to_user
    lam = scene.ofdm.wavelength
    sc = scene.scatterers  # [S, 3]
    n, s = len(pos), len(sc)
    d1 = np.linalg.norm(sc - o, axis=-1)  # [S]
    d2 = np.linalg.norm(pos[:, None, :] - sc[None], axis=-1)  # [N, S]
    sc_b = np.broadcast_to(sc, (n, s, 3))
    loss_db = penetration(np.broadcast_to(o, (s, 3)), sc)[None, :] + \
        to_user(sc_b, np.broadcast_to(pos[:, None, :], (n, s, 3)))  # AP leg is position-free
    amp = scene.scatterer_gain * lam / (4.0 * np.pi * np.maximum(d1, 1e-3) * np.maximum(d2, 1e-3))
    el_len = np.linalg.norm(elem[None, :, :] - sc[:, None, :], axis=-1)  # [S, A]
    return pack(
        gain=amp * 10 ** (-loss_db / 20),
        length=d1 + d2,
        element_length=el_len[None] + d2[..., None],
        departure=np.broadcast_to(unit(sc - o), (n, s, 3)), arrival=unit(pos[:, None, :] - sc_b),
        valid=d2 > 1e-3, order=1, kind=KIND_SCATTERER, los_direct=np.zeros((n, s), bool),
    )


def pack(*, gain, length, element_length, departure, arrival, valid, order, kind, los_direct) -> dict:
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


def above_cull(gain: np.ndarray, user: np.ndarray, o: np.ndarray, lam: float, cull_db: float) -> np.ndarray:
    """Paths kept by gain culling: ``|gain| >= 10^(cull_db / 20)`` times free space at the direct distance.

    Input: ``gain [M]`` path amplitudes, ``user [M, 3]`` positions, ``o [3]`` the AP (m), ``cull_db`` (dB, < 0).
    Output: [M] bool.
    """
    return np.abs(gain) >= 10 ** (cull_db / 20) * free_space(lam, norm(user - o))


def free_space(lam: float, length: np.ndarray) -> np.ndarray:
    """Free-space amplitude ``lambda / (4 pi d)`` (d floored at 1 mm)."""
    return lam / (4.0 * np.pi * np.maximum(length, 1e-3))


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.sqrt(dot(v, v)), 1e-12)[..., None]


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product over a last axis of size 3 (faster than a reduction for tiny axes)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(dot(v, v))
