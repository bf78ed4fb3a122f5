"""The joint log-likelihood of SPEC §2.3 (seed 000 eq. 9-10), one function for tests and optimiser.

``J(X, Theta, S, mobility) = sum_t log p(z_t | x_t; Theta, S) + sum_t log p(x_{t+1} | x_t, x_{t-1})
+ log p(S)``, with ``x_t`` grid cells, ``p(z_t | x_t)`` the product over APs of the region-conditional
models of ``propagation``, the Gauss-Markov transition of ``mobility`` and the spatial prior of
``regions``. ``emission_table`` evaluates the first term for every (slot, cell) pair for the Viterbi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.errors import ParameterError
from radiomap.localize.hmm.grid import CellGraph
from radiomap.localize.hmm.mobility import MIN_INNOVATION_STD, MobilityParams, mobility_loglik
from radiomap.localize.hmm.propagation import PropagationParams, angle_loglik, component_loglik, gauss_loglik
from radiomap.localize.hmm.regions import SpatialPrior, spatial_term
from radiomap.localize.hmm.walks import walk_slices


@dataclass(eq=False)
class HMMModel:
    """Everything the objective depends on except the trajectory.

    graph : CellGraph (G cells); logd, phi : [G, B] log10 distance and cone angle of each cell to
    each AP; params : PropagationParams; regions : bool [G, B] (True = LOS); mobility :
    MobilityParams; dt : slot (s); prior : SpatialPrior; shadows : per-AP (parent, child) pairs;
    features : which of (power, angle, delay) enter the emission; height : user height (m) of the
    grid plane; min_innovation_std : lower bound (m/s) on the fitted innovation std of the mobility
    MLE; quantisation_aware : raise that bound by the lattice quantisation std
    (``mobility.quantisation_std``) in the mobility step of ``fit``; walk_mobility : one MobilityParams
    per training walk when each walk has its own (``mobility`` is then their pooled fit, used for new
    walks), empty when all walks share ``mobility``.
    """

    graph: CellGraph
    logd: np.ndarray
    phi: np.ndarray
    params: PropagationParams
    regions: np.ndarray
    mobility: MobilityParams
    dt: float
    prior: SpatialPrior
    shadows: list[np.ndarray]
    features: tuple[bool, bool, bool] = (True, True, True)
    height: float = 0.0
    min_innovation_std: float = MIN_INNOVATION_STD
    quantisation_aware: bool = False
    walk_mobility: tuple[MobilityParams, ...] = ()

    def mobilities(self, n_walks: int) -> tuple[MobilityParams, ...]:
        """Mobility parameters of each of ``n_walks`` walks (``walk_mobility`` or ``mobility`` for all)."""
        if not self.walk_mobility:
            return (self.mobility,) * n_walks
        if len(self.walk_mobility) != n_walks:
            raise ParameterError(f"model has mobility for {len(self.walk_mobility)} walks, the data {n_walks}")
        return self.walk_mobility

    @property
    def lattice_xy(self) -> np.ndarray:
        """Cell centres rebuilt from the lattice indices ``[G, 2]`` (exact pitch multiples, m)."""
        return self.graph.xy.min(axis=0) + (self.graph.ij - self.graph.ij.min(axis=0)) * self.graph.delta


def cell_geometry(xyz: np.ndarray, aps) -> tuple[np.ndarray, np.ndarray]:
    """log10 distance and cone angle from each AP: ``([N, B], [N, B])``.

    Input: ``xyz [N, 3]`` points (m); ``aps`` sequence of ``AccessPoint``.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    pos = np.array([ap.position for ap in aps], dtype=np.float64)
    d = np.linalg.norm(xyz[:, None, :] - pos[None], axis=-1)
    phi = np.stack([ap.cone_angle(xyz) for ap in aps], axis=-1)
    return np.log10(np.maximum(d, 0.1)), phi


def select_region(comp: np.ndarray, los: np.ndarray) -> np.ndarray:
    """Pick ``comp[..., b, los]`` from ``comp [..., B, 2]`` with ``los [..., B]`` bool: ``[..., B]``."""
    return np.where(np.asarray(los), comp[..., 1], comp[..., 0])


def emission_table(z: np.ndarray, model: HMMModel, *, chunk: int = 64, soft: np.ndarray | None = None
                   ) -> np.ndarray:
    """``log p(z_t | cell g)`` for every slot and cell: float64 ``[T, G]`` (evaluated in float32).

    Input: ``z [T, B, 3]`` features. With ``soft [G, B]`` (LOS probability) the two regions are
    mixed instead of selected by ``model.regions``.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty((len(z), model.graph.n_cells))
    if soft is None:
        return _hard_emission(z, model, chunk, out)
    logd, phi = model.logd[None].astype(np.float32), model.phi[None].astype(np.float32)
    for a in range(0, len(z), chunk):
        comp = component_loglik(z[a:a + chunk, None].astype(np.float32), logd, phi, model.params,
                                model.features, dtype=np.float32)
        p = np.clip(soft, 1e-6, 1 - 1e-6)[None]
        out[a:a + chunk] = np.logaddexp(comp[..., 1] + np.log(p), comp[..., 0] + np.log1p(-p)).sum(-1)
    return out


def _hard_emission(z: np.ndarray, model: HMMModel, chunk: int, out: np.ndarray) -> np.ndarray:
    """Emission table with each cell's region model gathered first (half the work of both regions)."""
    f32 = np.float32
    pr = model.params
    r = model.regions.astype(np.int64)
    b = np.arange(r.shape[1])[None]
    ld = model.logd
    p_mean = (pr.power_coef[b, r, 0] - 10.0 * pr.power_coef[b, r, 1] * ld).astype(f32)[None]
    d_mean = (pr.delay_coef[b, r, 0] + pr.delay_coef[b, r, 1] * ld).astype(f32)[None]
    p_var, d_var = pr.power_var[b, r].astype(f32)[None], pr.delay_var[b, r].astype(f32)[None]
    a_var, a_eps = pr.angle_var[b, r].astype(f32)[None], pr.angle_eps[b, r].astype(f32)[None]
    phi = model.phi.astype(f32)[None]
    zz = z.astype(f32)
    for a in range(0, len(z), chunk):
        zc = zz[a:a + chunk, None]  # [t, 1, B, 3]
        acc = np.zeros((len(zc), model.graph.n_cells, r.shape[1]), dtype=f32)
        if model.features[0]:
            acc += gauss_loglik(zc[..., 0], p_mean, p_var)
        if model.features[1]:
            acc += angle_loglik(zc[..., 1], phi, a_var, a_eps)
        if model.features[2]:
            acc += gauss_loglik(zc[..., 2], d_mean, d_var)
        out[a:a + chunk] = acc.sum(-1)
    return out


def emission_components(z: np.ndarray, cells: np.ndarray, model: HMMModel) -> np.ndarray:
    """Per-AP, per-region log-likelihoods along a cell path: ``[T, B, 2]``."""
    c = np.asarray(cells, dtype=np.int64)
    return component_loglik(z, model.logd[c], model.phi[c], model.params, model.features)


def joint_loglik(z: np.ndarray, cells: np.ndarray, model: HMMModel, lengths=None) -> dict[str, float]:
    """The objective (eq. 10) of a cell path ``cells [T]`` given features ``z [T, B, 3]``.

    With ``lengths`` (walk lengths, sum ``T``) the rows are several walks: the mobility term is the
    sum over walks (each with its own parameters when ``model.walk_mobility`` is set), emissions and
    the spatial prior are shared.

    Output: ``{"total", "emission", "mobility", "spatial"}`` (nats).
    """
    c = np.asarray(cells, dtype=np.int64)
    emis = float(select_region(emission_components(z, c, model), model.regions[c]).sum())
    slices = walk_slices((len(c),) if lengths is None else lengths)
    xy = model.lattice_xy[c]
    mob = 0.0
    for s, params in zip(slices, model.mobilities(len(slices)), strict=True):
        mob += mobility_loglik(xy[s], model.dt, params)
        if (model.graph.moves(c[s]) < 0).any():
            mob = -np.inf
    spat = spatial_term(model.regions, model.graph.pairs, model.shadows, model.prior)
    return {"total": emis + mob + spat, "emission": emis, "mobility": mob, "spatial": spat}
