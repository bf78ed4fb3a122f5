"""User mobility inside a scene's walkable area: Gauss-Markov, waypoint walks, random walks.

Every generator keeps users inside the walkable area, at least ``CLEARANCE`` from any wall, and
never lets a step cross a wall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.errors import ParameterError, SceneError
from radiomap.scene.geometry import point_segment_distance
from radiomap.scene.scene import Scene

CLEARANCE = 0.1
"""Minimum distance (m) kept between a user and any wall."""


@dataclass(frozen=True)
class Trajectory:
    """Positions ``[T, 3]`` (m), velocities ``[T, 3]`` (m/s), timestamps ``[T]`` (s)."""

    positions: np.ndarray
    velocity: np.ndarray
    timestamps: np.ndarray

    @property
    def length_m(self) -> float:
        return float(np.linalg.norm(np.diff(self.positions[:, :2], axis=0), axis=1).sum())

    def __len__(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class GaussMarkovParams:
    """Gauss-Markov mobility (SPEC §1.6): ``alpha`` in [0, 1], ``mean_velocity [2]`` (m/s), ``sigma`` (m/s)."""

    alpha: float
    mean_velocity: np.ndarray
    sigma: float


def _valid_points(scene: Scene, xy: np.ndarray) -> np.ndarray:
    """Inside the walkable area and at least ``CLEARANCE`` from every wall: [N] bool."""
    ok = scene.contains(xy)
    wa = scene.wall_arrays
    if len(wa["a"]):
        ok &= point_segment_distance(xy, wa["a"], wa["b"]).min(axis=1) >= CLEARANCE
    return ok


def _valid_steps(scene: Scene, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Steps ``p -> q [N, 2]`` ending at a valid point without crossing a wall: [N] bool."""
    return _valid_points(scene, q) & ~scene.crosses_wall(p, q)


def gauss_markov(scene: Scene, n_steps: int, *, dt: float, alpha: float, mean_velocity, sigma: float,
                 rng: np.random.Generator, start=None, height: float | None = None,
                 max_tries: int = 50) -> Trajectory:
    """Gauss-Markov walk ``v_t = a v_{t-1} + (1-a) v_bar + sqrt(1-a^2) sigma w_t``, ``x_{t+1} = x_t + dt v_t``.

    A step that would leave the walkable area or cross a wall is redrawn (new ``w_t``); after
    ``max_tries`` failures the velocity is reversed (a bounce), or the user waits one slot.

    Output: Trajectory with ``n_steps`` samples at ``dt`` spacing, at ``height`` (default: first user height).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ParameterError(f"alpha must be in [0, 1], got {alpha}")
    if dt <= 0 or sigma < 0 or n_steps < 1:
        raise ParameterError(f"need dt > 0, sigma >= 0, n_steps >= 1; got {dt}, {sigma}, {n_steps}")
    v_bar = np.asarray(mean_velocity, dtype=np.float64).reshape(2)
    h = scene.user_heights[0] if height is None else height
    x = _start_point(scene, start, rng)
    v = v_bar.copy()
    xs, vs = [x], []
    scale = np.sqrt(max(1.0 - alpha**2, 0.0)) * sigma
    for _ in range(n_steps - 1):
        # draw all candidate innovations at once, take the first valid step
        cand_v = alpha * v + (1 - alpha) * v_bar + scale * rng.standard_normal((max_tries, 2))
        cand_x = x + dt * cand_v
        ok = _valid_steps(scene, np.broadcast_to(x, cand_x.shape), cand_x)
        if ok.any():
            j = int(np.argmax(ok))
            v, x = cand_v[j], cand_x[j]
        elif _valid_steps(scene, x[None], (x - dt * v)[None])[0]:
            v = -v
            x = x + dt * v
        else:
            v = np.zeros(2)
        xs.append(x)
        vs.append(v)
    vs.append(v)
    pos = np.column_stack([np.array(xs), np.full(n_steps, h)])
    vel = np.column_stack([np.array(vs), np.zeros(n_steps)])
    return Trajectory(pos, vel, np.arange(n_steps) * dt)


def _start_point(scene: Scene, start, rng: np.random.Generator) -> np.ndarray:
    if start is not None:
        x = np.asarray(start, dtype=np.float64)[:2]
        if not _valid_points(scene, x[None])[0]:
            raise SceneError(f"start point {x.tolist()} is not walkable (or closer than {CLEARANCE} m to a wall)")
        return x
    x0, x1, y0, y1 = scene.bounds
    for _ in range(100):
        cand = rng.uniform([x0, y0], [x1, y1], size=(64, 2))
        ok = _valid_points(scene, cand)
        if ok.any():
            return cand[np.argmax(ok)]
    raise SceneError(f"scene {scene.name!r}: found no walkable start point")


def waypoint_walk(scene: Scene, waypoints, speeds, *, dt: float, height: float | None = None) -> Trajectory:
    """Piecewise-linear walk through ``waypoints [M, 2]`` at ``speeds`` (scalar or [M-1], m/s), sampled every ``dt``.

    Raises ``SceneError`` if a leg crosses a wall or leaves the walkable area.
    """
    w = np.asarray(waypoints, dtype=np.float64)[:, :2]
    if len(w) < 2:
        raise ParameterError("a waypoint walk needs at least 2 waypoints")
    sp = np.broadcast_to(np.asarray(speeds, dtype=np.float64), (len(w) - 1,))
    if (sp <= 0).any() or dt <= 0:
        raise ParameterError(f"speeds and dt must be > 0; got speeds min {sp.min()}, dt {dt}")
    seg = np.diff(w, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    if scene.crosses_wall(w[:-1], w[1:]).any():
        bad = int(np.argmax(scene.crosses_wall(w[:-1], w[1:])))
        raise SceneError(f"waypoint leg {bad} ({w[bad].tolist()} -> {w[bad + 1].tolist()}) crosses a wall")
    dur = seg_len / sp
    t_end = np.concatenate([[0.0], np.cumsum(dur)])
    t = np.arange(0.0, t_end[-1] + 1e-9, dt)
    leg = np.clip(np.searchsorted(t_end, t, side="right") - 1, 0, len(seg) - 1)
    frac = np.clip((t - t_end[leg]) / np.maximum(dur[leg], 1e-12), 0.0, 1.0)
    xy = w[leg] + frac[:, None] * seg[leg]
    if not scene.contains(xy).all():
        raise SceneError("waypoint walk leaves the walkable area")
    v = seg[leg] / np.maximum(seg_len[leg], 1e-12)[:, None] * sp[leg][:, None]
    h = scene.user_heights[0] if height is None else height
    return Trajectory(np.column_stack([xy, np.full(len(t), h)]), np.column_stack([v, np.zeros(len(t))]), t)


def random_walk(scene: Scene, length_m: float, *, dt: float, speed=(1.0, 2.0), rng: np.random.Generator,
                height: float | None = None, leg_range=(1.0, 4.0), start=None) -> Trajectory:
    """Random piecewise-linear walk of about ``length_m`` metres: random headings and leg lengths,
    per-leg speed uniform in ``speed`` (m/s, or a scalar); legs never cross walls."""
    if length_m <= 0:
        raise ParameterError(f"length_m must be > 0, got {length_m}")
    lo, hi = (speed, speed) if np.isscalar(speed) else speed
    pts = [_start_point(scene, start, rng)]
    total, fails = 0.0, 0
    while total < length_m:
        if fails > 2000:
            raise SceneError(f"scene {scene.name!r}: random walk got stuck at {pts[-1].tolist()}")
        heading = rng.uniform(0, 2 * np.pi, 32)
        leg = np.minimum(rng.uniform(*leg_range, 32), length_m - total + 1e-9)
        ends = pts[-1] + leg[:, None] * np.column_stack([np.cos(heading), np.sin(heading)])
        ok = _leg_clear(scene, pts[-1], ends)
        if not ok.any():
            fails += 1
            continue
        j = int(np.argmax(ok))
        pts.append(ends[j])
        total += leg[j]
    speeds = rng.uniform(lo, hi, len(pts) - 1)
    return waypoint_walk(scene, np.array(pts), speeds, dt=dt, height=height)


def _leg_clear(scene: Scene, p: np.ndarray, ends: np.ndarray, step: float = 0.1) -> np.ndarray:
    """Legs ``p -> ends [J, 2]`` whose sampled points are all valid and which cross no wall: [J] bool."""
    n_s = int(np.ceil(np.linalg.norm(ends - p, axis=1).max() / step)) + 1
    f = np.linspace(0.0, 1.0, n_s)
    pts = p + f[None, :, None] * (ends - p)[:, None, :]  # [J, n_s, 2]
    ok = _valid_points(scene, pts.reshape(-1, 2)).reshape(len(ends), n_s).all(1)
    return ok & ~scene.crosses_wall(np.broadcast_to(p, ends.shape), ends)


def fit_gauss_markov(positions: np.ndarray, dt: float) -> GaussMarkovParams:
    """Maximum-likelihood Gauss-Markov parameters from a trajectory ``[T, 2|3]`` sampled every ``dt``.

    Velocities ``v_t = (x_{t+1} - x_t) / dt``; least squares of ``v_t`` on ``[v_{t-1}, 1]`` (one alpha
    shared by both axes, one intercept per axis) gives ``alpha`` and ``(1 - alpha) v_bar``; the residual
    variance is ``(1 - alpha^2) sigma^2``.
    """
    x = np.asarray(positions, dtype=np.float64)[:, :2]
    if len(x) < 4:
        raise ParameterError(f"fit_gauss_markov needs at least 4 positions, got {len(x)}")
    v = np.diff(x, axis=0) / dt
    prev, cur = v[:-1], v[1:]
    pc, cc = prev - prev.mean(0), cur - cur.mean(0)
    alpha = float(np.clip((pc * cc).sum() / max((pc * pc).sum(), 1e-12), 0.0, 0.999999))
    intercept = cur.mean(0) - alpha * prev.mean(0)
    resid = cur - alpha * prev - intercept
    sigma = float(np.sqrt(resid.var(axis=0).mean() / max(1.0 - alpha**2, 1e-12)))
    v_bar = intercept / max(1.0 - alpha, 1e-6)
    return GaussMarkovParams(alpha=alpha, mean_velocity=v_bar, sigma=sigma)


def random_waypoint(scene: Scene, length_m: float, *, dt: float, speed=(1.0, 2.0), rng: np.random.Generator,
                    height: float | None = None, resolution: float = 0.25, start=None) -> Trajectory:
    """Random-waypoint walk of about ``length_m`` metres: goals drawn uniformly over the walkable
    area, reached along shortest wall-free routes (8-connected grid of ``resolution`` m, Dijkstra), so
    the walk also enters rooms through their doors. Per-route speed uniform in ``speed`` (m/s)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    if length_m <= 0:
        raise ParameterError(f"length_m must be > 0, got {length_m}")
    cells = scene.grid(resolution, height=0.0)[:, :2]
    cells = cells[_valid_points(scene, cells)]
    # edges between 8-neighbours whose connecting step is valid
    key = {tuple(np.round(c / resolution).astype(int)): i for i, c in enumerate(cells)}
    src, dst = [], []
    for di, dj in ((1, 0), (0, 1), (1, 1), (1, -1)):
        for (i, j), a in key.items():
            b = key.get((i + di, j + dj))
            if b is not None:
                src.append(a)
                dst.append(b)
    src, dst = np.array(src), np.array(dst)
    ok = ~scene.crosses_wall(cells[src], cells[dst])
    src, dst = src[ok], dst[ok]
    w = np.linalg.norm(cells[src] - cells[dst], axis=1)
    graph = coo_matrix((w, (src, dst)), shape=(len(cells),) * 2).tocsr()
    here = int(rng.integers(len(cells))) if start is None else int(
        np.argmin(np.linalg.norm(cells - np.asarray(start)[:2], axis=1)))
    pts, legs_speed, total = [cells[here]], [], 0.0
    lo, hi = (speed, speed) if np.isscalar(speed) else speed
    while total < length_m:
        dist, pred = dijkstra(graph, directed=False, indices=here, return_predecessors=True)
        reachable = np.flatnonzero(np.isfinite(dist) & (dist > 2 * resolution))
        if not len(reachable):
            raise SceneError(f"scene {scene.name!r}: random waypoint walk found no reachable goal")
        goal = int(rng.choice(reachable))
        route = [goal]
        while route[-1] != here:
            route.append(int(pred[route[-1]]))
        route = route[::-1][1:]
        v = rng.uniform(lo, hi)
        for c in route:
            pts.append(cells[c])
            legs_speed.append(v)
        total += dist[goal]
        here = goal
    return waypoint_walk(scene, np.array(pts), np.array(legs_speed), dt=dt, height=height)


def random_headings(n: int, speed: float, rng: np.random.Generator) -> np.ndarray:
    """Horizontal velocities with uniform random headings (static users moving in any direction).

    Parameters
    ----------
    n : int
        Number of users N.
    speed : float
        Speed (m/s).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, float64 [N, 3]
        Velocities (m/s), ``z = 0``, headings uniform in ``[0, 2 pi)``.
    """
    a = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([np.cos(a), np.sin(a), np.zeros(n)]) * speed


def class_headings(n_classes: int, speed: float) -> np.ndarray:
    """Velocities at the centres of ``n_classes`` direction classes (class ``c``: heading ``c 2 pi / C``).

    Parameters
    ----------
    n_classes : int
        Number of headings C.
    speed : float
        Speed (m/s).

    Returns
    -------
    ndarray, float64 [C, 3]
        Velocities (m/s), ``z = 0``, counter-clockwise from +x.
    """
    a = np.arange(n_classes) * 2 * np.pi / n_classes
    return np.column_stack([np.cos(a), np.sin(a), np.zeros(n_classes)]) * speed
