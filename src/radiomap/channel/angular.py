"""Angular wall index: from a source point, which walls a ray in a given direction can cross.

Every leg of a specular path lies, in the floor plan, on a ray from a point known in advance:
the user (the last straight run of the path), the AP (the first run) or the AP's image across
the first wall (the second run). For each such source the index splits the directions into
``n_bins`` equal sectors and lists, per sector, the walls whose angular extent (seen from the
source) meets it, widened by ``EPS_ANG`` plus ``EPS_M`` of arc at the nearer end, sorted by
their distance from the source. A wall crossed by a leg is seen from the source in the leg's
direction, no farther than the leg's far end, so it is among that sector's walls up to that
distance: the candidates are a superset of the crossings, which are then found with the exact
test of ``radiomap.scene.geometry.segment_wall_crossings``. A wall passing within ``EPS_M`` of
the source is listed in every sector.
"""

from __future__ import annotations

import numpy as np

EPS_ANG = 1e-7
"""Absolute widening of every wall's angular extent (rad)."""
EPS_M = 1e-6
"""Widening of every wall's extent at its ends (m of arc) and distance below which a wall is listed everywhere."""
_ENTRIES_PER_BLOCK = 1 << 22


class AngularIndex:
    """Walls by direction sector, seen from a set of sources.

    Parameters
    ----------
    src : ndarray, float64 [M, 2]
        Source points (m).
    a, b : ndarray, float64 [W, 2]
        Wall end points (m).
    n_bins : int
        Direction sectors per source (each ``2 pi / n_bins`` rad).
    mask : ndarray, bool [M, W] or None
        Restricts which walls are listed for each source.

    Attributes
    ----------
    n_src, n_bins : int
        M and the number of sectors.
    width : float
        Sector width (rad).
    scale : float
        Distance scale of the sort key (m), larger than any source-wall distance.
    walls : ndarray, int32 [E]
        Wall index of every (source, sector, wall) entry, by sector then distance.
    comp : ndarray, float64 [E]
        Sort key of the entries: ``source * n_bins + sector + distance / scale``.
    start : ndarray, int64 [M * n_bins + 1]
        First entry of each (source, sector).
    """

    def __init__(self, src: np.ndarray, a: np.ndarray, b: np.ndarray, *, n_bins: int = 1024,
                 mask: np.ndarray | None = None):
        self.n_src, self.n_bins = len(src), n_bins
        self.width = 2 * np.pi / n_bins
        va = a[None] - src[:, None]  # [M, W, 2]
        vb = b[None] - src[:, None]
        cross = va[..., 0] * vb[..., 1] - va[..., 1] * vb[..., 0]
        dot = (va * vb).sum(-1)
        th_a = np.arctan2(va[..., 1], va[..., 0])
        span = np.arctan2(cross, dot)  # signed angle a -> b, in (-pi, pi]
        lo = np.where(span >= 0, th_a, th_a + span)
        near = np.minimum(np.hypot(va[..., 0], va[..., 1]), np.hypot(vb[..., 0], vb[..., 1]))
        seg_len = np.hypot(*(b - a).T)[None]
        line_dist = np.abs(cross) / seg_len
        eps = EPS_ANG + EPS_M / np.maximum(near, EPS_M)
        everywhere = (line_dist < EPS_M) | (near < EPS_M)
        b0 = np.floor((lo - eps + np.pi) / self.width).astype(np.int64)
        b1 = np.floor((lo + np.abs(span) + eps + np.pi) / self.width).astype(np.int64)
        n_b = np.where(everywhere, n_bins, np.minimum(b1 - b0 + 1, n_bins))
        # distance from the source to the nearest point of each wall, rounded down
        t = np.clip(-(va * (b - a)[None]).sum(-1) / seg_len**2, 0.0, 1.0)
        dist = np.hypot(*np.moveaxis(va + t[..., None] * (b - a)[None], -1, 0)) * (1 - 1e-9) - EPS_M
        if mask is not None:
            n_b = np.where(mask, n_b, 0)
        s_i, w_i = np.nonzero(n_b)
        cnt = n_b[s_i, w_i]
        start = np.where(everywhere[s_i, w_i], 0, b0[s_i, w_i])
        src_e = np.repeat(s_i, cnt)
        wall_e = np.repeat(w_i, cnt)
        bins = (np.repeat(start, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)) % n_bins
        key = src_e * n_bins + bins
        # sort by sector, then by distance: composite = sector + distance / scale, distance / scale in [0, 1)
        self.scale = max(float(np.abs(np.concatenate([a, b])[None] - src[:, None]).sum(-1).max()) * 2.0, 1.0)
        comp = key + np.clip(dist[s_i, w_i], 0.0, None)[np.repeat(np.arange(len(s_i)), cnt)] / self.scale
        order = np.argsort(comp, kind="stable")
        self.walls = wall_e[order].astype(np.int32)
        self.comp = comp[order]
        self.start = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=self.n_src * n_bins))])

    def candidates(self, src: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate (leg, wall) pairs: a superset of the walls each leg crosses.

        Parameters
        ----------
        src : ndarray, int [M]
            Source index of each of the M legs.
        direction : ndarray, float64 [M, 2]
            Vector from the source to the leg's far end (m).

        Returns
        -------
        leg : ndarray, int64 [P]
            Index into the M legs.
        wall : ndarray, int32 [P]
            Wall index.
        """
        theta = np.arctan2(direction[:, 1], direction[:, 0])
        bins = np.clip(np.floor((theta + np.pi) / self.width).astype(np.int64), 0, self.n_bins - 1)
        key = src * self.n_bins + bins
        reach = np.minimum(np.hypot(direction[:, 0], direction[:, 1]) * (1 + 1e-9) + EPS_M, self.scale)
        lo = self.start[key]
        hi = np.minimum(np.searchsorted(self.comp, key + reach / self.scale, side="right"), self.start[key + 1])
        cnt = hi - lo
        leg = np.repeat(np.arange(len(src)), cnt)
        off = np.arange(len(leg)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        return leg, self.walls[np.repeat(lo, cnt) + off]
