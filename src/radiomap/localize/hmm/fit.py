"""Alternating optimisation of the joint log-likelihood (SPEC §2.4, seed 000 section III).

One iteration: (P3) trajectory by the exact second-order Viterbi; (P2.1-P2.3) region maps by an
exact minimum cut and propagation parameters by WLS / EM, alternated ``inner`` times; (P2-mob)
Gauss-Markov parameters by MLE. Every sub-step maximises the objective over its block (or is
rejected if rounding made it worse), so the logged objective never decreases. Several
initialisations (heuristic tracks and random parameters) are run; the best objective is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.ndimage import binary_dilation
from tqdm.auto import tqdm

from radiomap.errors import ParameterError
from radiomap.localize.hmm.likelihood import HMMModel, emission_components, emission_table, joint_loglik
from radiomap.localize.hmm.mobility import fit_mobility, quantisation_std, transition_table
from radiomap.localize.hmm.propagation import default_params, fit_params
from radiomap.localize.hmm.regions import map_all_regions
from radiomap.localize.hmm.viterbi import map_path
from radiomap.localize.hmm.walks import walk_slices


@dataclass
class FitResult:
    """Outcome of ``fit_hmm``.

    cells : int64 [T] recovered cell path; model : the fitted HMMModel; objective : its value;
    history : per-iteration records ``{"init", "iteration", "total", "emission", "mobility",
    "spatial", "time_s"}`` of every initialisation; best_init : name of the winning start.
    """

    cells: np.ndarray
    model: HMMModel
    objective: float
    history: list[dict] = field(default_factory=list)
    best_init: str = ""


def region_data(z: np.ndarray, cells: np.ndarray, model: HMMModel) -> np.ndarray:
    """Sum over the samples in each cell of ``log p(z | LOS) - log p(z | NLOS)``: ``[G, B]``."""
    comp = emission_components(z, cells, model)
    llr = comp[..., 1] - comp[..., 0]
    out = np.zeros((model.graph.n_cells, llr.shape[1]))
    np.add.at(out, np.asarray(cells, dtype=np.int64), llr)
    return out


def _propagation_step(z, cells, model: HMMModel, inner: int, lengths=None) -> HMMModel:
    """Alternate region MAP and parameter MLE ``inner`` times; each accepted only if not worse."""
    cur = joint_loglik(z, cells, model, lengths)["total"]
    for _ in range(inner):
        regions = map_all_regions(region_data(z, cells, model), model.graph.pairs, model.shadows, model.prior)
        cand = replace(model, regions=regions)
        val = joint_loglik(z, cells, cand, lengths)["total"]
        if val >= cur - 1e-9 * abs(cur):
            model, cur = cand, max(val, cur)
        c = np.asarray(cells)
        params = fit_params(z, model.logd[c], model.phi[c], model.regions[c], model.params,
                            fit_delay=model.features[2])
        cand = replace(model, params=params)
        val = joint_loglik(z, cells, cand, lengths)["total"]
        if val >= cur - 1e-9 * abs(cur):
            model, cur = cand, max(val, cur)
    return model


def _mobility_step(z, cells, model: HMMModel, lengths=None) -> HMMModel:
    """Constrained MLE of the mobility parameters (``s >= hypot(min_innovation_std, quantisation std)``,
    the quantisation term only when the model is ``quantisation_aware``; ``mobility.fit_mobility``).

    Pooled over the walks of ``lengths``; with ``model.walk_mobility`` each walk of at least 4 slots
    also gets its own MLE (shorter ones keep the pooled fit), the pooled fit then only serves new walks.
    A start outside the constraint (an initial ``s`` below the bound) is always replaced, which
    projects it onto the feasible set; afterwards the update is accepted only if not worse, so
    the objective logged from the first iteration on never decreases.
    """
    min_std = model.min_innovation_std
    delta = model.graph.delta if model.quantisation_aware else 0.0
    xy = model.lattice_xy[np.asarray(cells)]
    lengths = (len(xy),) if lengths is None else tuple(lengths)
    pooled = fit_mobility(xy, model.dt, min_std, delta, lengths=lengths)
    walk = ()
    if model.walk_mobility:
        walk = tuple(fit_mobility(xy[s], model.dt, min_std, delta) if s.stop - s.start >= 4 else pooled
                     for s in walk_slices(lengths))
    cand = replace(model, mobility=pooled, walk_mobility=walk)
    infeasible = any(m.innovation_std < np.hypot(min_std, quantisation_std(m.alpha, delta, model.dt)) - 1e-12
                     for m in (model.walk_mobility or (model.mobility,)))
    if infeasible or joint_loglik(z, cells, cand, lengths)["total"] >= joint_loglik(z, cells, model, lengths)["total"]:
        return cand
    return model


def decode_walks(z: np.ndarray, model: HMMModel, lengths=None, device=None, beam: int | None = None) -> np.ndarray:
    """MAP cell path ``int64 [T]`` of every walk (second-order Viterbi per walk, each under its own
    mobility parameters; exact, or beam-pruned to ``beam`` pair-states per slot); ``z [T, B, 3]``,
    ``lengths`` walk lengths (one walk if None)."""
    lengths = (len(z),) if lengths is None else tuple(lengths)
    slices = walk_slices(lengths)
    out = np.empty(len(z), dtype=np.int64)
    for s, mob in zip(slices, model.mobilities(len(slices)), strict=True):
        trans = transition_table(model.graph.offsets, model.graph.delta, model.dt, mob)
        out[s], _ = map_path(emission_table(z[s], model), trans, model.graph, beam=beam, device=device)
    return out


def run_alternating(z: np.ndarray, model: HMMModel, *, max_iter: int = 10, tol: float = 1e-4, inner: int = 2,
                    fix_propagation: bool = False, device=None, label: str = "", bar=None, lengths=None,
                    beam: int | None = None) -> tuple[np.ndarray, HMMModel, list[dict]]:
    """Alternating maximisation from ``model``; stops when the relative gain is below ``tol``.

    Input: ``z [T, B, 3]`` features; ``model`` the starting HMMModel; ``lengths`` walk lengths.
    Output: ``(cells [T], model, history)``.
    """
    history: list[dict] = []
    prev = -np.inf
    cells = None
    t0 = time.perf_counter()
    for it in range(max_iter):
        new_cells = decode_walks(z, model, lengths, device, beam)
        # the Viterbi is exact for the float32 emission table; keep the previous path in the rare
        # case rounding makes the new one worse under the float64 objective
        if cells is None or joint_loglik(z, new_cells, model, lengths)["total"] >= joint_loglik(
                z, cells, model, lengths)["total"]:
            cells = new_cells
        if not fix_propagation:
            model = _propagation_step(z, cells, model, inner, lengths)
        model = _mobility_step(z, cells, model, lengths)
        rec = joint_loglik(z, cells, model, lengths)
        history.append({"init": label, "iteration": it, **rec, "time_s": time.perf_counter() - t0})
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{label} J={rec['total']:.1f}")
        if np.isfinite(prev) and rec["total"] - prev <= tol * abs(prev):
            break
        prev = rec["total"]
    if bar is not None:
        bar.update(max_iter - 1 - it)
    return cells, model, history


def delay_los_llr(delay: np.ndarray, seed: int = 0, clip: float = 5.0) -> np.ndarray:
    """Position-free LOS evidence ``[T, B]``: log-odds of the low-selectivity component of a
    two-component Gaussian mixture fitted per AP to the delay feature ``[T, B]``.

    A dominant direct path flattens the spectrum, so the component with the smaller mean of the
    (log) frequency selectivity is LOS. Clipped to ``+-clip`` nats.
    """
    from sklearn.mixture import GaussianMixture

    d = np.asarray(delay, dtype=np.float64)
    out = np.zeros_like(d)
    for b in range(d.shape[1]):
        gm = GaussianMixture(2, random_state=seed).fit(d[:, b:b + 1])
        post = np.clip(gm.predict_proba(d[:, b:b + 1]), 1e-12, 1.0)
        los = int(np.argmin(gm.means_[:, 0]))
        out[:, b] = np.log(post[:, los]) - np.log(post[:, 1 - los])
    return np.clip(out, -clip, clip)


def start_from_track(z: np.ndarray, track_xy: np.ndarray, model: HMMModel, inner: int = 2, seed: int = 0
                     ) -> HMMModel:
    """Initial regions and propagation parameters from a rough position track ``[T, 2]`` (m).

    The first region maps combine two pieces of evidence that need no fitted parameter: the
    angle residual at the track (the mean angle is geometric; small residual = LOS) and, when
    the delay feature is used, the position-free delay mixture of ``delay_los_llr``. Power and
    delay models start from data-scaled defaults and are then fitted by WLS under these maps.
    """
    cells = model.graph.nearest(track_xy)
    n_b = model.logd.shape[1]
    model = replace(model, params=default_params(n_b, z=z, logd=model.logd[cells]))
    angle_only = replace(model, features=(False, True, False))
    comp = emission_components(z, cells, angle_only)
    llr = comp[..., 1] - comp[..., 0]
    if model.features[2]:
        llr = llr + delay_los_llr(z[..., 2], seed)
    data = np.zeros((model.graph.n_cells, n_b))
    np.add.at(data, cells, llr)
    model = replace(model, regions=map_all_regions(data, model.graph.pairs, model.shadows, model.prior))
    for k in range(inner):
        if k > 0:
            regions = map_all_regions(region_data(z, cells, model), model.graph.pairs, model.shadows,
                                      model.prior)
            model = replace(model, regions=regions)
        c = cells
        model = replace(model, params=fit_params(z, model.logd[c], model.phi[c], model.regions[c], model.params,
                                                 fit_delay=model.features[2]))
    return model


def nlos_splice(cells: np.ndarray, model: HMMModel, track_xy: np.ndarray, pad: int = 3) -> np.ndarray:
    """Restart track ``[T, 2]`` (m): the walk ``cells [T]``, with the slots where ``model`` labels every AP
    NLOS at the walk's cell (widened by ``pad`` slots on each side) taken from ``track_xy [T, 2]`` instead.

    Where no AP is in LOS the emissions are weak, and a walk that entered such a zone wrongly (e.g.
    the AoA start, whose bearings there are reflections) stays wrong: the parameters fitted to it make
    it self-consistent. A restart from a track that is independent there tests the other basin.
    """
    all_nlos = ~np.asarray(model.regions)[np.asarray(cells)].any(axis=1)
    if pad > 0:
        all_nlos = binary_dilation(all_nlos, iterations=pad)
    return np.where(all_nlos[:, None], np.asarray(track_xy, dtype=np.float64), model.lattice_xy[np.asarray(cells)])


def _check_inputs(z: np.ndarray, model: HMMModel, lengths) -> tuple[np.ndarray, tuple[int, ...]]:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 3 or z.shape[2] != 3 or z.shape[1] != model.logd.shape[1]:
        raise ParameterError(f"features must be [T, B={model.logd.shape[1]}, 3], got {z.shape}")
    if len(z) < 4:
        raise ParameterError(f"need at least 4 time slots to fit the HMM, got {len(z)}")
    if not np.isfinite(z).all():
        raise ParameterError("features contain NaN or Inf")
    lengths = (len(z),) if lengths is None else tuple(int(n) for n in lengths)
    if sum(lengths) != len(z) or min(lengths) < 1:
        raise ParameterError(f"walk lengths {lengths[:5]}... must be >= 1 and sum to T={len(z)}")
    return z, lengths


def _scaled(model: HMMModel, factor: float) -> HMMModel:
    """``model`` with every mobility's ``sigma_v`` scaled by ``factor``."""
    return replace(model, mobility=model.mobility.scaled(factor),
                   walk_mobility=tuple(m.scaled(factor) for m in model.walk_mobility))


def _starts(z, model: HMMModel, tracks, n_random: int, seed: int, inner: int, fix_propagation: bool,
            mobility_scales) -> list[tuple[str, HMMModel]]:
    rng = np.random.default_rng(seed)
    starts: list[tuple[str, HMMModel]] = []
    if fix_propagation:
        starts.append(("given", model))
    else:
        for name, track in (tracks or {}).items():
            starts.append((name, start_from_track(z, track, model, inner, seed)))
        for k in range(n_random):
            starts.append((f"random{k}", replace(model, params=default_params(model.logd.shape[1], rng=rng, z=z,
                                                                              logd=model.logd),
                                                 regions=np.ones_like(model.regions, dtype=bool))))
    if not starts:
        raise ParameterError("no initialisation: give heuristic tracks or n_random >= 1")
    if not mobility_scales or min(mobility_scales) <= 0:
        raise ParameterError(f"mobility_scales must be non-empty and > 0, got {tuple(mobility_scales)}")
    if tuple(mobility_scales) != (1.0,):
        starts = [(name if f == 1.0 else f"{name}/sigma_v x{f:g}", _scaled(start, f))
                  for name, start in starts for f in mobility_scales]
    return starts


def fit_hmm(z: np.ndarray, model: HMMModel, *, tracks: dict[str, np.ndarray] | None = None, n_random: int = 1,
            seed: int = 0, max_iter: int = 10, tol: float = 1e-4, inner: int = 2, fix_propagation: bool = False,
            mobility_scales: tuple[float, ...] = (1.0,), nlos_track: np.ndarray | None = None, device=None,
            progress: bool = True, lengths=None, per_walk_mobility: bool = False, beam: int | None = None
            ) -> FitResult:
    """Multi-start alternating optimisation; keeps the start with the best final objective.

    Input
    -----
    z : [T, B, 3] features of the time-ordered sequence(s) (power dB, angle rad, delay feature)
    model : starting HMMModel (its params/regions/mobility are the defaults of every start)
    tracks : heuristic starting tracks ``{name: [T, 2]}`` (m), e.g. AoA and WCL
    n_random : number of starts from random propagation parameters and all-LOS maps
    fix_propagation : keep params and regions fixed (GMA: only trajectory and mobility)
    mobility_scales : every start is run from the model's initial ``sigma_v`` times each factor (the
        first Viterbi pass depends on it: a small ``sigma_v`` over-smooths, a large one follows the
        emissions); the best final objective among all of them is kept
    nlos_track : [T, 2] (m), optional; after the starts, one more start from ``nlos_splice`` of the best
        walk with this track (when the best walk has slots where no AP is in LOS), kept if its final
        objective is higher
    lengths : walk lengths (ints, sum T) when the rows are several walks; None: one walk
    per_walk_mobility : each walk gets its own Gauss-Markov parameters (else one pooled set)
    beam : keep the best ``beam`` pair-states per slot in the Viterbi (``viterbi.viterbi2_beam``); None: exact.
        A pruned path can be worse than the previous one; the trajectory step then keeps the previous
        path, so the objective stays monotone.

    Output
    ------
    FitResult
    """
    z, lengths = _check_inputs(z, model, lengths)
    if per_walk_mobility and not model.walk_mobility:
        model = replace(model, walk_mobility=(model.mobility,) * len(lengths))
    starts = _starts(z, model, tracks, n_random, seed, inner, fix_propagation, mobility_scales)
    splice = nlos_track is not None and not fix_propagation
    best: FitResult | None = None
    history: list[dict] = []

    def run(name: str, start: HMMModel, bar) -> None:
        nonlocal best
        cells, fitted, hist = run_alternating(z, start, max_iter=max_iter, tol=tol, inner=inner, lengths=lengths,
                                              fix_propagation=fix_propagation, device=device, label=name, bar=bar,
                                              beam=beam)
        history.extend(hist)
        if best is None or hist[-1]["total"] > best.objective:
            best = FitResult(cells=cells, model=fitted, objective=hist[-1]["total"], best_init=name)

    with tqdm(total=(len(starts) + splice) * max_iter, desc="hmm fit", disable=not progress, leave=False) as bar:
        for name, start in starts:
            run(name, start, bar)
        track = nlos_splice(best.cells, best.model, nlos_track) if splice else None
        if track is not None and not np.array_equal(track, best.model.lattice_xy[best.cells]):
            restart = start_from_track(z, track, replace(model, mobility=best.model.mobility,
                                                         walk_mobility=best.model.walk_mobility), inner, seed)
            run(f"{best.best_init}+nlos-splice", restart, bar)
        elif splice:
            bar.total -= max_iter  # no all-NLOS slot: the restart is not run
            bar.refresh()
    best.history = history
    return best
