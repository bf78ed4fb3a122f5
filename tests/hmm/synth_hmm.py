"""Synthetic known-answer scenario for the HMM tests: features drawn from the model itself."""

from __future__ import annotations

import numpy as np

from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.likelihood import HMMModel, cell_geometry
from radiomap.localize.hmm.mobility import MobilityParams
from radiomap.localize.hmm.propagation import PropagationParams
from radiomap.localize.hmm.regions import SpatialPrior, shadow_pairs
from radiomap.scene import ULA, AccessPoint

WALLS = np.array([[[6.0, 0.0], [6.0, 4.5]], [[10.0, 3.5], [10.0, 8.0]]])


def make_aps(lx: float, ly: float) -> list[AccessPoint]:
    corners = [(0.0, 0.0), (lx, 0.0), (lx, ly), (0.0, ly)]
    centre = np.array([lx / 2, ly / 2])
    return [AccessPoint(f"ap{i}", (x, y, 4.0), ULA(8), float(np.arctan2(centre[1] - y, centre[0] - x)))
            for i, (x, y) in enumerate(corners)]


def _cross(p, q, a, b):
    def orient(u, v, w):
        return (v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1]) - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0])
    return (orient(p, q, a) * orient(p, q, b) < 0) & (orient(a, b, p) * orient(a, b, q) < 0)


def los_flags(xy: np.ndarray, aps) -> np.ndarray:
    """[N, B] True where no synthetic wall blocks the AP -> point segment (2-D)."""
    out = np.ones((len(xy), len(aps)), dtype=bool)
    for b, ap in enumerate(aps):
        o = np.broadcast_to(np.asarray(ap.position[:2]), xy.shape)
        for a, c in WALLS:
            out[:, b] &= ~_cross(o, xy, np.broadcast_to(a, xy.shape), np.broadcast_to(c, xy.shape))
    return out


def true_params(n_aps: int) -> PropagationParams:
    pc = np.tile(np.array([[-38.0, 2.8], [-25.0, 2.0]]), (n_aps, 1, 1))
    pv = np.tile(np.array([4.0, 1.0]) ** 2, (n_aps, 1))
    dc = np.tile(np.array([[-0.2, 0.3], [-1.0, 0.4]]), (n_aps, 1, 1))
    dv = np.tile(np.array([0.15, 0.1]) ** 2, (n_aps, 1))
    av = np.tile(np.deg2rad([12.0, 1.5]) ** 2, (n_aps, 1))
    ae = np.tile(np.array([0.2, 0.02]), (n_aps, 1))
    return PropagationParams(pc, pv, dc, dv, av, ae)


def walk(n_steps: int, lx: float, ly: float, dt: float, rng, alpha=0.95, sigma=1.5) -> np.ndarray:
    """Gauss-Markov walk reflected at the room edges: [T, 2] (m)."""
    x = np.array([lx / 2, ly / 2])
    v = rng.normal(0, sigma, 2)
    out = np.empty((n_steps, 2))
    for t in range(n_steps):
        out[t] = x
        v = alpha * v + np.sqrt(1 - alpha ** 2) * sigma * rng.normal(size=2)
        speed = np.linalg.norm(v)
        if speed > 4.0:
            v *= 4.0 / speed
        x = x + dt * v
        for k, hi in ((0, lx), (1, ly)):
            if x[k] < 0.2 or x[k] > hi - 0.2:
                v[k] = -v[k]
                x[k] = np.clip(x[k], 0.2, hi - 0.2)
    return out


def scenario(n_steps=400, lx=16.0, ly=8.0, delta=0.25, dt=0.1, seed=0):
    """Return (z [T, B, 3], true xy [T, 2], true los [T, B], model with true params, aps)."""
    rng = np.random.default_rng(seed)
    aps = make_aps(lx, ly)
    xs, ys = np.arange(delta / 2, lx, delta), np.arange(delta / 2, ly, delta)
    xy = np.stack(np.meshgrid(xs, ys, indexing="ij"), -1).reshape(-1, 2)
    graph = build_cell_graph(xy, delta, 5.0 * dt / delta + 0.5)
    logd, phi = cell_geometry(np.column_stack([xy, np.full(len(xy), 1.5)]), aps)
    params = true_params(len(aps))
    track = walk(n_steps, lx, ly, dt, rng)
    los = los_flags(track, aps)
    ld, ph = cell_geometry(np.column_stack([track, np.full(len(track), 1.5)]), aps)
    r = los.astype(int)
    bi = np.arange(len(aps))[None]
    power = (params.power_coef[bi, r, 0] - 10 * params.power_coef[bi, r, 1] * ld
             + rng.normal(size=ld.shape) * np.sqrt(params.power_var[bi, r]))
    delay = (params.delay_coef[bi, r, 0] + params.delay_coef[bi, r, 1] * ld
             + rng.normal(size=ld.shape) * np.sqrt(params.delay_var[bi, r]))
    outlier = rng.random(ld.shape) < params.angle_eps[bi, r]
    angle = np.where(outlier, rng.uniform(-np.pi / 2, np.pi / 2, ld.shape),
                     ph + rng.normal(size=ld.shape) * np.sqrt(params.angle_var[bi, r]))
    z = np.stack([power, angle, delay], -1)
    model = HMMModel(graph=graph, logd=logd, phi=phi, params=params, regions=los_flags(xy, aps),
                     mobility=MobilityParams.from_sigma(0.9, 1.5), dt=dt, prior=SpatialPrior(),
                     shadows=[shadow_pairs(graph, np.asarray(ap.position[:2])) for ap in aps])
    return z, track, los, model, aps


def small_scene():
    """A 6 m x 4 m room, 4 corner APs at 4 m, one partial wall: a real ``Scene``."""
    from radiomap.scene import OFDM, Material, Scene, Wall

    aps = make_aps(6.0, 4.0)
    return Scene(name="hmm-test-room", ofdm=OFDM(5e9, 80e6, 64), aps=tuple(aps),
                 walls=(Wall((3.0, 0.0), (3.0, 2.2), 0.0, 4.5, "concrete"),),
                 materials={"concrete": Material("concrete", 0.4, 20.0)},
                 walkable=np.array([[0.1, 0.1], [5.9, 0.1], [5.9, 3.9], [0.1, 3.9]]), user_heights=(1.5,))


def feature_dataset(scene, n_steps: int, seed: int, dt: float = 0.1, noise_scale: float = 1.0):
    """Features-only CSIDataset drawn from the model on ``scene`` (LOS from ``scene.los``).

    Stored as the ``seed000`` feature ``[power_1..B, angle_1..B, delay_1..B]`` with the delay as the
    selectivity (10**value), so that ``hmm_features`` takes log10.
    """
    from radiomap.data import CSIDataset

    rng = np.random.default_rng(seed)
    x0, x1, y0, y1 = scene.bounds
    track = walk(n_steps, x1 + x0, y1 + y0, dt, rng, sigma=1.2)
    track[:, 0] = np.clip(track[:, 0], x0 + 0.05, x1 - 0.05)
    track[:, 1] = np.clip(track[:, 1], y0 + 0.05, y1 - 0.05)
    pos = np.column_stack([track, np.full(len(track), 1.5)])
    los = scene.los(pos)
    params = true_params(scene.n_aps)
    ld, ph = cell_geometry(pos, scene.aps)
    r = los.astype(int)
    bi = np.arange(scene.n_aps)[None]
    power = (params.power_coef[bi, r, 0] - 10 * params.power_coef[bi, r, 1] * ld
             + noise_scale * rng.normal(size=ld.shape) * np.sqrt(params.power_var[bi, r]))
    delay = (params.delay_coef[bi, r, 0] + params.delay_coef[bi, r, 1] * ld
             + noise_scale * rng.normal(size=ld.shape) * np.sqrt(params.delay_var[bi, r]))
    outlier = rng.random(ld.shape) < params.angle_eps[bi, r]
    angle = np.where(outlier, rng.uniform(-np.pi / 2, np.pi / 2, ld.shape),
                     ph + noise_scale * rng.normal(size=ld.shape) * np.sqrt(params.angle_var[bi, r]))
    return CSIDataset(None, positions=pos, timestamps=np.arange(n_steps) * dt, los=los,
                      features={"seed000": np.concatenate([power, angle, 10.0 ** delay], axis=1)},
                      meta={"scene": scene.to_dict()})


def forced_path_problem(off: float):
    """A 6 x 2 lattice (pitch 1 m) and a 7-slot path: ``(graph, truth [7], emission [7, G], trans [R, R])``.

    The emission is 0 on the path's cell and ``off`` elsewhere; transitions are flat, so a sharp
    enough emission forces the path.
    """
    xy = np.stack(np.meshgrid(np.arange(6) * 1.0, np.arange(2) * 1.0, indexing="ij"), -1).reshape(-1, 2)
    g = build_cell_graph(xy, 1.0, 1.0)
    truth = g.lookup(np.array([[0, 0], [1, 0], [2, 0], [2, 1], [3, 1], [4, 1], [5, 1]]))
    emis = np.full((len(truth), g.n_cells), off)
    emis[np.arange(len(truth)), truth] = 0.0
    return g, truth, emis, np.zeros((g.n_offsets, g.n_offsets))
