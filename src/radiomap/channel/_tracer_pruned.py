"""Visibility-pruned image-method tracer (the default of ``radiomap.channel.trace``).

Same paths as the brute-force oracle (``radiomap.channel._tracer_brute``), found with far less
work:

* per AP, once per call: the 2-D beam tree of the wall sequences up to ``max_order``
  (``radiomap.channel.beams``); a plane sequence that mixes walls with floor/ceiling slabs is a
  wall sequence with slab bounces inserted, so it shares its wall sequence's beam;
* per block of positions: a (position, sequence) candidate only where the position lies in the
  sequence's beam (three half-planes per beam, tested for every position and beam by matrix
  products); candidates then go through the same exact 3-D back-trace as the oracle;
* penetration losses: every leg of a path lies on a ray from the user, the AP or the AP's
  first-order image (the path's last, first and second straight runs in the floor plan), so
  the walls a leg crosses are looked up in an angular index of that source
  (``radiomap.channel.angular``); other legs (the third run of an order-3 path) use a uniform
  grid over the walls (``radiomap.channel.wallgrid``). Both find *every* crossed wall.

Paths come out in the oracle's order (direct, reflections by order then plane sequence,
scatterers) with no dense ``[N, P^k]`` candidate arrays, so memory follows the number of valid
paths.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from radiomap.channel import _imagepaths as ip
from radiomap.channel.angular import AngularIndex
from radiomap.channel.beams import EPS_M, Beams, build_beams, halfplanes, linear_contains, reach_l1
from radiomap.channel.paths import KIND_REFLECTION, Paths
from radiomap.channel.wallgrid import WallGrid, indexed_crossings, pack_walls
from radiomap.scene.geometry import segment_wall_crossings
from radiomap.scene.scene import Scene
from radiomap.threads import thread_budget

_DENSE_MAX_WALLS = 24  # up to this many walls, every leg is tested against every wall
_BINS_BLOCK = 1024  # direction sectors of the block's (users') angular index
_BINS_AP_FEW, _BINS_AP = 256, 1024  # sectors of the AP/image index: below / from _BINS_AP_WALLS walls
_BINS_AP_WALLS = 512  # (measured, room family, 1 thread: 300 walls tables 0.52 -> 0.34 s with 256
#                       sectors, chunks unchanged; 1,000 walls chunks 19 s with 1,024 vs 29 s with 256)
_PAIRS_PER_BLOCK = 1 << 19  # (position, beam) pairs tested at once


class PrunedTracer:
    """Scene-level tables of the pruned tracer (built once per ``trace`` call, then read-only).

    ``trace_chunk(pos)`` traces a block of positions; blocks may run in parallel threads.
    """

    def __init__(self, scene: Scene, planes: ip.Planes, max_order: int, use_scatterers: bool, width: int,
                 cull_db: float | None = None):
        self.scene, self.planes, self.max_order, self.width = scene, planes, max_order, width
        self.cull_db = cull_db
        self.use_scatterers = use_scatterers and len(scene.scatterers) > 0
        wa = scene.wall_arrays
        self.indexed = len(wa["a"]) > _DENSE_MAX_WALLS
        self.grid = WallGrid(wa["a"], wa["b"]) if self.indexed else None
        self.base = max(planes.n, 1)  # sort keys: plane sequences as base-P numbers
        with ThreadPoolExecutor(max_workers=min(len(scene.aps), thread_budget())) as pool:
            self.aps = list(pool.map(lambda ap: _ApTables(scene, planes, ap, max_order, self.indexed), scene.aps))

    def trace_chunk(self, pos: np.ndarray) -> tuple[Paths, np.ndarray]:
        """Paths of positions ``pos [N, 3]`` (nearby positions adjacent, see ``spatial_order``).

        Output
        ------
        Paths, and the plane sequence of every path ``[N, B, L, width]`` int64 (-1 padded;
        scatterer paths ``-2 - s`` in the first slot)
        """
        scene, lam = self.scene, self.scene.ofdm.wavelength
        kmax, width = self.max_order, self.width
        span = self.base ** max(kmax, 1)
        legs = _Legs(self, pos)
        found: list[dict] = []
        los = np.zeros((len(pos), scene.n_aps), bool)
        for b, (ap, tab) in enumerate(zip(scene.aps, self.aps, strict=True)):
            o = np.asarray(ap.position, dtype=np.float64)
            d = ip.direct_path(scene, pos, o, tab.elem, legs.to_user)
            los[:, b] = d["los_direct"][:, 0]
            found.append(_rows(b, np.arange(len(pos)), np.full(len(pos), -1), np.full((len(pos), width), -1),
                               {k: v[:, 0] for k, v in d.items() if k != "los_direct"}))
            pairs = {m: _match(beams, forms, pos[:, :2])
                     for m, (beams, forms) in enumerate(zip(tab.beams, tab.forms, strict=True), start=1)}
            for k, table in enumerate(tab.orders, start=1):
                rows, cols = table.candidates(pairs, len(pos))
                if not len(rows):
                    continue
                rows, cols, points, coef = ip.backtrace(self.planes, pos, table.images, table.seq, rows, cols)
                length = ip.norm(pos[rows] - table.images[-1][cols])
                budget = None
                if self.cull_db is not None:  # penetration (dB) a candidate can afford before it is culled
                    direct = ip.free_space(lam, ip.norm(pos[rows] - o))
                    with np.errstate(divide="ignore"):
                        budget = 20 * np.log10(np.abs(coef) * ip.free_space(lam, length) / direct) - self.cull_db
                    budget = budget + 1e-6  # decided exactly below, as the oracle does
                keep, loss_db = legs.chain_loss(tab, table, o, points, rows, cols, budget)
                rows, cols, coef, length = rows[keep], cols[keep], coef[keep], length[keep]
                points = [pt[keep] for pt in points]
                user = pos[rows]
                gain = ip.free_space(lam, length) * coef * 10 ** (-loss_db / 20)
                if self.cull_db is not None:
                    strong = ip.above_cull(gain, user, o, lam, self.cull_db)
                    rows, cols, length, gain = rows[strong], cols[strong], length[strong], gain[strong]
                    user, points = user[strong], [pt[strong] for pt in points]
                seq = table.seq[cols]
                key = k * span + (seq * self.base ** np.arange(k - 1, -1, -1)).sum(-1)
                found.append(_rows(b, rows, key, np.pad(seq, ((0, 0), (0, width - k)), constant_values=-1), {
                    "gain": gain.astype(np.complex128),
                    "length": length,
                    "element_length": ip.norm(user[:, None, :] - table.element_images[cols]),
                    "departure": ip.unit(points[0] - o), "arrival": ip.unit(user - points[-1]),
                    "valid": np.ones(len(rows), bool), "order": np.full(len(rows), k, np.int8),
                    "kind": np.full(len(rows), KIND_REFLECTION, np.int8)}))
            if self.use_scatterers:
                sc = ip.scattered_paths(scene, pos, o, tab.elem, legs.from_ap(tab), legs.to_user)
                n_i, s_i = np.nonzero(sc["valid"])
                seq = np.full((len(n_i), width), -1)
                seq[:, 0] = -2 - s_i
                found.append(_rows(b, n_i, (kmax + 1) * span + s_i, seq,
                                   {k: v[n_i, s_i] for k, v in sc.items() if k != "los_direct"}))
        return _assemble(scene, pos, los, found, width)


class _Legs:
    """Penetration losses of path legs for one block of positions ``pos [N, 3]``."""

    def __init__(self, tracer: PrunedTracer, pos: np.ndarray):
        self.t, self.pos = tracer, pos
        wa = tracer.scene.wall_arrays
        self.wa = wa
        self.walls = pack_walls(wa["a"], wa["b"], wa["z"], wa["penetration_db"])
        self.index = AngularIndex(pos[:, :2], wa["a"], wa["b"], n_bins=_BINS_BLOCK) if tracer.indexed else None

    def to_user(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Losses (dB) ``[N, ...]`` of legs ``start -> end [N, ..., 3]`` that end at the block's positions."""
        start, end = np.broadcast_arrays(start, end)
        shape = start.shape[:-1]
        src = np.broadcast_to(np.arange(len(self.pos)).reshape((-1,) + (1,) * (len(shape) - 1)), shape).ravel()
        return self._loss(start.reshape(-1, 3), end.reshape(-1, 3), [(self.index, src, end.reshape(-1, 3),
                                                                       np.arange(src.size))]).reshape(shape)

    def from_ap(self, tab: _ApTables):
        """Loss function of legs leaving AP ``tab`` (source 0 of its angular index)."""
        def loss(start: np.ndarray, end: np.ndarray) -> np.ndarray:
            start, end = np.broadcast_arrays(start, end)
            shape = start.shape[:-1]
            a, b = start.reshape(-1, 3), end.reshape(-1, 3)
            groups = [] if self.index is None else [(tab.index, np.zeros(len(a), np.int64), a, np.arange(len(a)))]
            return self._loss(a, b, groups).reshape(shape)
        return loss

    def chain_loss(self, tab: _ApTables, table: _OrderTable, o: np.ndarray, points: list[np.ndarray],
                   rows: np.ndarray, cols: np.ndarray, budget: np.ndarray | None = None):
        """Total loss (dB) of the legs AP -> points[0] -> ... -> user of candidates ``rows, cols [M]``.

        With ``budget [M]`` (dB), a candidate is dropped as soon as its losses so far exceed its
        budget (the last leg is computed first).

        Output: ``keep [M']`` (indices of the kept candidates) and their losses ``[M']``
        """
        user = self.pos[rows]
        chain = [np.broadcast_to(o, user.shape)] + points + [user]
        n_legs = len(chain) - 1
        alive = np.arange(len(rows))
        per_leg = np.zeros((n_legs, len(rows)))
        for j in [n_legs - 1] + list(range(n_legs - 1)):
            per_leg[j, alive] = self._leg_loss(tab, table, chain, j, rows, cols, alive)
            if budget is not None:
                alive = alive[per_leg[:, alive].sum(0) <= budget[alive]]
        total = np.zeros(len(alive))
        for j in range(n_legs):  # in leg order, as the oracle adds them
            total = total + per_leg[j, alive]
        return alive, total

    def _leg_loss(self, tab: _ApTables, table: _OrderTable, chain: list[np.ndarray], j: int,
                  rows: np.ndarray, cols: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Losses (dB) ``[len(idx)]`` of leg ``j`` (``chain[j] -> chain[j+1]``) of candidates ``idx``."""
        a, b = chain[j][idx], chain[j + 1][idx]
        if self.index is None:
            return self._loss(a, b, [])
        rows, cols = rows[idx], cols[idx]
        user = chain[-1][idx]
        run, m, first = table.run[cols, j], table.n_walls[cols], table.first_wall[cols]
        last = run == m
        from_ap = (run == 0) & ~last
        from_image = (run == 1) & ~last & ~tab.full_first[np.maximum(first, 0)]
        groups = [(self.index, rows, user, np.flatnonzero(last)),
                  (tab.index, np.zeros(len(rows), np.int64), chain[0][idx], np.flatnonzero(from_ap)),
                  (tab.index, 1 + first, tab.sources[1 + np.maximum(first, 0)], np.flatnonzero(from_image)),
                  (None, None, None, np.flatnonzero(~(last | from_ap | from_image)))]
        return self._loss(a, b, groups)

    def _loss(self, a: np.ndarray, b: np.ndarray, groups: list) -> np.ndarray:
        """Losses (dB) ``[M]`` of legs ``a -> b [M, 3]``; ``groups`` = (index, source, source point, legs) tuples.

        A group's legs lie on rays from their source point: the walls they cross are looked up in
        ``index`` in the direction of the leg end farther from the source (``index`` None: the grid).
        """
        loss = ip.slab_penetration_db(self.t.scene, a, b)
        if not len(self.wa["a"]):
            return loss
        if self.index is None:  # few walls: test them all, as the oracle does
            crossed = segment_wall_crossings(a, b, self.wa["a"], self.wa["b"], self.wa["z"])
            return loss + crossed @ self.wa["penetration_db"]
        legs, walls = [], []
        for index, src, point, sel in groups:
            if not len(sel):
                continue
            if index is None:
                leg, wall = self.t.grid.candidates(a[sel], b[sel])
            else:
                pt, a2, b2 = point[sel, :2], a[sel, :2], b[sel, :2]
                da, db = ((a2 - pt) ** 2).sum(-1), ((b2 - pt) ** 2).sum(-1)
                leg, wall = index.candidates(src[sel], np.where((da > db)[:, None], a2, b2) - pt)
            legs.append(sel[leg])
            walls.append(wall)
        if not legs:
            return loss
        leg, wall = np.concatenate(legs), np.concatenate(walls)
        hit = indexed_crossings(a, b, self.walls, leg, wall)
        leg, wall = leg[hit], wall[hit]
        if groups[-1][0] is None and len(groups[-1][3]):  # the grid may list a wall twice
            n_w = len(self.walls)
            key = np.unique(leg * n_w + wall)
            leg, wall = key // n_w, key % n_w
        return loss + np.bincount(leg, weights=self.walls[wall, 6], minlength=len(a))


class _ApTables:
    """One AP's beams, per reflection order k its plane-sequence table and image chains, and the
    angular wall index of its leg sources: the AP (source 0) and its images across each wall (1 + w)."""

    def __init__(self, scene: Scene, planes: ip.Planes, ap, max_order: int, indexed: bool):
        wa = scene.wall_arrays
        self.elem = ap.element_positions(scene.ofdm.wavelength)
        o = np.asarray(ap.position, dtype=np.float64)
        self.beams = build_beams(o[:2], wa["a"], wa["b"], max_order)
        self.forms = [halfplanes(b) for b in self.beams]
        self.orders = [_OrderTable(planes, self.beams, k, o, self.elem) for k in range(1, max_order + 1)]
        if not indexed:
            return
        first = self.beams[0] if self.beams else build_beams(o[:2], wa["a"], wa["b"], 1)[0]
        self.full_first = first.full  # image on the wall's line: its second-run legs use the grid
        self.sources = np.concatenate([o[None, :2], first.image])
        # a second-run leg stays on the user's side of the first wall: walls wholly behind it are skipped
        side_a = ((wa["a"][None] - first.line_p[:, None]) * first.line_n[:, None]).sum(-1) * first.side[:, None]
        side_b = ((wa["b"][None] - first.line_p[:, None]) * first.line_n[:, None]).sum(-1) * first.side[:, None]
        mask = np.concatenate([np.ones((1, len(wa["a"])), bool), np.maximum(side_a, side_b) >= -EPS_M])
        self.index = AngularIndex(self.sources, wa["a"], wa["b"], mask=mask,
                                  n_bins=_BINS_AP if len(wa["a"]) >= _BINS_AP_WALLS else _BINS_AP_FEW)


class _OrderTable:
    """Plane sequences of order ``k``: blocks of one wall/slab pattern each.

    A block with ``m`` wall slots holds, for every beam of order ``m``, its wall sequence with
    fixed slab planes in the other slots (``m = 0``: one all-slab sequence).
    """

    def __init__(self, planes: ip.Planes, beams: list[Beams], k: int, o: np.ndarray, elem: np.ndarray):
        n_w, n_s = planes.n_walls, planes.n - planes.n_walls
        blocks, seqs, offset = [], [], 0
        for pattern in itertools.product((True, False), repeat=k):  # True = a wall slot
            m = sum(pattern)
            if m > len(beams) or (m == 0 and n_s == 0) or (m > 0 and beams[m - 1].n == 0):
                continue
            slab_slots = [j for j, is_wall in enumerate(pattern) if not is_wall]
            for slabs in itertools.product(range(n_s), repeat=len(slab_slots)):
                if any(slab_slots[i + 1] == slab_slots[i] + 1 and slabs[i + 1] == slabs[i]
                       for i in range(len(slabs) - 1)):
                    continue  # the same slab twice in a row
                size = beams[m - 1].n if m else 1
                seq = np.empty((size, k), np.int64)
                if m:
                    seq[:, list(np.flatnonzero(pattern))] = beams[m - 1].seq
                seq[:, slab_slots] = n_w + np.asarray(slabs, np.int64)
                blocks.append((m, offset))
                seqs.append(seq)
                offset += size
        self.blocks = blocks
        self.seq = np.concatenate(seqs) if seqs else np.zeros((0, k), np.int64)
        self.images, self.element_images = ip.image_chain(planes, o, elem, self.seq)
        is_wall = self.seq < n_w
        # straight run of each leg in the floor plan: the number of walls reflected before it
        self.run = np.concatenate([np.zeros((len(self.seq), 1), np.int64), np.cumsum(is_wall, 1)], 1)  # [Q, k+1]
        self.n_walls = self.run[:, -1]
        self.first_wall = np.where(is_wall.any(1), self.seq[np.arange(len(self.seq)), is_wall.argmax(1)], -1)

    def candidates(self, pairs: dict[int, tuple[np.ndarray, np.ndarray]], n: int):
        """(position, sequence) candidates ``rows, cols [M]`` from the (position, beam) ``pairs`` per wall order."""
        rows, cols = [], []
        for m, offset in self.blocks:
            if m == 0:
                rows.append(np.arange(n))
                cols.append(np.full(n, offset))
            else:
                r, q = pairs[m]
                rows.append(r)
                cols.append(offset + q)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows), np.concatenate(cols)


def _match(beams: Beams, forms: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, beam) pairs ``rows, beam [M]`` with position ``xy [N, 2]`` (conservatively) in the beam.

    ``forms [9, Q]`` are the beams' ``halfplanes``: every position is tested against every beam
    by three matrix products ``[N, 3] @ [3, Q]`` (blocked over beams), accepting at least what
    ``Beams.contains`` accepts (``linear_contains``). Output ordered by beam block, then position.
    """
    n, q = len(xy), beams.n
    if not q or not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = reach_l1(beams, xy)
    x3 = np.column_stack([xy, np.ones(n)])  # [N, 3]
    step = max(1, _PAIRS_PER_BLOCK // n)
    rows, cols = [], []
    for j in range(0, q, step):
        idx = slice(j, min(j + step, q))
        values = [x3 @ forms[3 * c:3 * c + 3, idx] for c in range(3)]  # [N, step] each
        r, b = np.nonzero(linear_contains(forms, beams.full[idx][None, :], reach, values=values))
        rows.append(r)
        cols.append(j + b)
    return np.concatenate(rows), np.concatenate(cols)


def _rows(b: int, n_idx: np.ndarray, key: np.ndarray, seq: np.ndarray, fields: dict) -> dict:
    """One batch of valid paths of AP ``b``: position index, sort key, plane sequence and path fields."""
    return {"b": np.full(len(n_idx), b), "n": n_idx, "key": np.asarray(key, np.int64), "seq": seq, **fields}


def _assemble(scene: Scene, pos: np.ndarray, los: np.ndarray, found: list[dict], width: int):
    """Scatter valid paths into padded ``[N, B, L]`` arrays, ordered by sort key within each (position, AP)."""
    cat = {k: np.concatenate([f[k] for f in found]) for k in found[0]}
    order = np.lexsort((cat["key"], cat["b"], cat["n"]))
    cat = {k: v[order] for k, v in cat.items()}
    n, nb = len(pos), scene.n_aps
    pair = cat["n"] * nb + cat["b"]
    counts = np.bincount(pair, minlength=n * nb)
    slot = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    l_max = max(int(counts.max()) if len(counts) else 0, 1)
    n_ant = cat["element_length"].shape[-1]
    fill = {"gain": (np.zeros, np.complex128), "length": (np.ones, np.float64), "departure": (np.zeros, np.float64),
            "arrival": (np.zeros, np.float64), "valid": (np.zeros, bool), "order": (np.zeros, np.int8),
            "kind": (np.zeros, np.int8)}
    out = {}
    for k, (make, dtype) in fill.items():
        shape = (n, nb, l_max) + cat[k].shape[1:]
        out[k] = make(shape, dtype)
        out[k][cat["n"], cat["b"], slot] = cat[k]
    out["element_length"] = np.ones((n, nb, l_max, n_ant))
    out["element_length"][cat["n"], cat["b"], slot] = cat["element_length"]
    seq = np.full((n, nb, l_max, width), -1, np.int64)
    seq[cat["n"], cat["b"], slot] = cat["seq"]
    lam = scene.ofdm.wavelength
    paths = Paths(positions=pos, ap_positions=scene.ap_positions,
                  element_positions=np.stack([ap.element_positions(lam) for ap in scene.aps]), los=los, **out)
    return paths, seq


def spatial_order(xy: np.ndarray) -> np.ndarray:
    """Permutation ``[N]`` that puts nearby points ``xy [N, 2]`` next to each other (Morton order)."""
    lo, hi = xy.min(0), xy.max(0)
    q = ((xy - lo) / np.maximum(hi - lo, 1e-12) * 65535).astype(np.uint64)
    code = np.zeros(len(xy), np.uint64)
    for bit in range(16):
        for axis in (0, 1):
            code |= ((q[:, axis] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + axis)
    return np.argsort(code, kind="stable")


__all__ = ["PrunedTracer", "spatial_order"]
