"""The ``hmm`` and ``gma`` localizers: radio map by HMM trajectory recovery (seed 000) and its
genius-aided variant.

``HMMRadioMap.fit`` takes a time-ordered CSI sequence WITHOUT positions, recovers the walk, the
per-AP LOS/NLOS maps and the propagation and mobility parameters (``fit.fit_hmm``), and keeps
them as a radio map. ``predict`` localizes new CSI by maximum likelihood over the grid (single
samples) or, with ``sequence=True``, over the whole query walk with the trained mobility model:
the MAP path (the same Viterbi as in training) or the forward-backward posterior mean.
``GMA`` is given the true propagation model (parameters fitted on true positions and LOS flags,
and the true LOS maps) and estimates only the trajectory and the mobility parameters.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.seed000 import DELAY_FEATURES, per_ap_features
from radiomap.localize.base import PROGRESS, SEED, TORCH_DEVICE, Localizer, require_aps
from radiomap.localize.hmm.fit import FitResult, fit_hmm
from radiomap.localize.hmm.grid import build_cell_graph, reachable_cells
from radiomap.localize.hmm.init import aoa_track, smooth_track, wcl_track
from radiomap.localize.hmm.likelihood import HMMModel, cell_geometry, emission_components, emission_table, select_region
from radiomap.localize.hmm.mobility import MobilityParams, transition_table
from radiomap.localize.hmm.propagation import default_params, fit_params
from radiomap.localize.hmm.radiomap import RadioMap
from radiomap.localize.hmm.regions import SpatialPrior, shadow_pairs
from radiomap.localize.hmm.smoother import cell_posteriors, posterior_mean
from radiomap.localize.hmm.viterbi import map_path
from radiomap.localize.hmm.walks import SPLITS, split_walks, walk_slices
from radiomap.params import AnyOf, Boolean, Interval, NoneValue, Options, Param, Sequence

INITS = ("aoa", "wcl", "random")
SEQUENCE_DECODERS = ("viterbi", "smooth")
"""How ``decode`` localizes a walk: MAP path or forward-backward posterior mean."""


class HMMRadioMap(Localizer):
    """Unsupervised radio map by second-order HMM trajectory recovery (seed 000).

    Parameters
    ----------
    resolution : grid pitch delta (m)
    max_speed : largest speed the Viterbi allows (m/s); reachable offsets ``<= max_speed dt / delta + 0.5``
    dt : slot (s) when the dataset has no timestamps
    delay : delay feature, "selectivity" (modelled as log10) or "rms" (ns)
    use_delay : include the delay feature in the emission
    inits : starting points among "aoa", "wcl" (heuristic tracks) and "random" (random parameters)
    max_iter, tol, inner : alternating optimisation (iterations per start, relative stop gain,
        region/parameter sweeps per iteration)
    potts, shadow, los_bias : spatial prior weights (``regions.SpatialPrior``)
    mobility_alpha, mobility_sigma : initial Gauss-Markov alpha and sigma_v (m/s)
    min_innovation_std : lower bound (m/s) on the fitted innovation std ``s``, a constraint of the
        mobility MLE; without it Viterbi training shrinks ``s`` toward the MAP path's own smoothness
        and over-smooths, and in zones where no AP is in LOS a walk that stalls beats one that moves
    quantisation_aware : raise the bound to ``hypot(min_innovation_std, q(alpha))`` with ``q`` the
        innovation std that rounding a walk to the lattice adds (``mobility.quantisation_std``:
        1.6 m/s at 0.25 m, 0.1 s)
    nlos_restart : after the starts, one more from the best walk with its all-NLOS slots replaced by
        the WCL track (``fit.nlos_splice``), kept only if its objective is higher (selection never
        uses positions)
    mobility_scales : each heuristic start is also run from ``sigma_v`` times these factors; the
        best final objective wins (unsupervised selection, no positions involved). Off by default:
        on xing-indoor (1.0, 2.0) helped 3 seeds of 5 but on seed 4 the higher objective picked a
        worse walk (0.62 -> 0.83 m)
    walks, max_gap : several walks in one dataset (hmmlearn's ``lengths``): cut by ``trajectory_id``
        ("trajectory"), where time goes back or jumps by more than ``max_gap`` s ("gaps"), "auto" (ids
        when they name several walks, else gaps) or "one"; propagation and region maps are shared,
        each walk is decoded with its own chain (``walks.split_walks``)
    mobility_sharing : "pooled" (one Gauss-Markov fit over all walks) or "per-walk" (each walk its
        own; new walks are decoded with the pooled fit)
    grid, grid_margin : the cells of the map: "scene" (the scene's walkable grid) or "tracks" (only cells
        within ``grid_margin`` m of the position-free AoA / WCL starting tracks; for a measured scene whose
        box is wrong or far larger than the area walked, ``grid.reachable_cells``)
    beam : the Viterbi keeps the best ``beam`` pair-states (cell, move) per slot (``viterbi.viterbi2_beam``:
        memory ``O(T beam)``, exact when ``beam >= G R``); None: the exact dense recursion
    sequence : treat the query as one time-ordered walk (uses the mobility model) instead of
        independent samples
    estimator : "map" (best cell per sample; with ``sequence`` the Viterbi MAP path) or "mean"
        (posterior mean over cells; with ``sequence`` the forward-backward smoothed mean)
    seed, progress, device : random starts, progress bar, torch device for the Viterbi

    The defaults of ``min_innovation_std``, ``quantisation_aware`` and ``nlos_restart`` were chosen
    on xing-indoor validation seeds 5-9 (the report uses seeds 0-4). Mean training-walk error,
    HMM / GMA (m): bound 0.8 without quantisation 0.688 / 0.512; with quantisation 0.619 / 0.469;
    plus the NLOS restart 0.585 / 0.469 (taken on 2 of 5 seeds); with ``min_innovation_std`` 1.5
    instead of 0.8: 0.515 / 0.477 (2.2: 0.527 / 0.479). ``los_bias`` (the per-cell LOS tie-break, which
    also decides the map in cells the walk never visits, e.g. a closed room the walk has not entered)
    on validation seeds 5-19, HMM error (m) against GMA 0.469: 0.01 -> 0.535, 0.02 -> 0.530,
    0.03 -> 0.525, 0.05 -> 0.556, 0.1 -> 0.616 (0.0 and -0.02 were worse than 0.02 on all of seeds 5-11).
    Above 0.03 the LOS bonus of the unvisited room outweighs the NLOS restart, which then loses the selection.

    After ``fit``: ``walk_lengths_`` the walks found (ints), ``trajectory_ [T, 3]`` the recovered walk(s)
    (MAP cell path of the final
    alternating step), ``trajectory_smoothed_ [T, 3]`` its forward-backward posterior mean under
    the fitted model, ``trajectory_los_ [T, B]`` the LOS map at the walk, ``history_`` the
    objective per iteration and start.
    """

    supervised = False
    param_spec = {
        "resolution": Param(Interval(float, 0, None, closed="neither"), "grid pitch delta (m)"),
        "max_speed": Param(Interval(float, 0, None, closed="neither"), "largest speed the Viterbi allows (m/s)"),
        "dt": Param(Interval(float, 0, None, closed="neither"), "slot (s) when the dataset has no timestamps"),
        "delay": Param(Options(*DELAY_FEATURES), "delay feature: 'selectivity' (as log10) or 'rms' (ns)"),
        "use_delay": Param(Boolean(), "include the delay feature in the emission"),
        "inits": Param(Sequence(Options(*INITS)), "starting points of the alternating optimisation"),
        "max_iter": Param(Interval(int, 1, None), "alternating iterations per start"),
        "tol": Param(Interval(float, 0, None), "relative objective gain that stops a start"),
        "inner": Param(Interval(int, 1, None), "region/parameter sweeps per iteration"),
        "potts": Param(Interval(float, 0, None), "spatial prior: Potts weight of neighbouring LOS labels"),
        "shadow": Param(Interval(float, 0, None), "spatial prior: weight of the shadow (behind-NLOS) term"),
        "los_bias": Param(Interval(float), "spatial prior: per-cell LOS tie-break"),
        "mobility_alpha": Param(Interval(float, 0, 1, closed="right"), "initial Gauss-Markov memory alpha"),
        "mobility_sigma": Param(Interval(float, 0, None, closed="neither"), "initial speed std sigma_v (m/s)"),
        "min_innovation_std": Param(Interval(float, 0, None), "lower bound on the fitted innovation std (m/s)"),
        "quantisation_aware": Param(Boolean(), "raise that bound by the lattice quantisation noise"),
        "nlos_restart": Param(Boolean(), "one more start with all-NLOS slots from the WCL track"),
        "mobility_scales": Param(Sequence(Interval(float, 0, None, closed="neither")),
                                 "run each start from sigma_v times these factors"),
        "walks": Param(Options(*SPLITS), "how a dataset is cut into walks: by trajectory_id, at time gaps, "
                       "'auto' (ids when there are several, else gaps) or 'one'"),
        "max_gap": Param(Interval(float, 0, None, closed="neither"), "a time step above this (s) starts a new walk"),
        "mobility_sharing": Param(Options("pooled", "per-walk"), "one set of mobility parameters for all walks, "
                                  "or one per walk"),
        "grid": Param(Options("scene", "tracks"), "grid cells: the scene's walkable grid, or those within "
                      "grid_margin of the position-free starting tracks (the area the walks reach)"),
        "grid_margin": Param(Interval(float, 0, None), "distance (m) from the tracks a 'tracks' grid reaches"),
        "beam": Param(AnyOf(NoneValue("exact"), Interval(int, 1, None)),
                      "pair-states kept per slot by the Viterbi (None: exact)"),
        "sequence": Param(Boolean(), "localize the query as one time-ordered walk"),
        "estimator": Param(Options("map", "mean"), "best cell ('map') or posterior mean ('mean')"),
        "seed": SEED, "progress": PROGRESS,
        "device": Param(AnyOf(NoneValue("CPU"), TORCH_DEVICE), "torch device for the Viterbi"),
    }

    def __init__(self, *, resolution: float = 0.25, max_speed: float = 4.0, dt: float = 0.1,
                 delay: str = "selectivity", use_delay: bool = True, inits: tuple[str, ...] = ("aoa", "wcl"),
                 max_iter: int = 8, tol: float = 1e-3, inner: int = 2, potts: float = SpatialPrior.potts,
                 shadow: float = SpatialPrior.shadow, los_bias: float = SpatialPrior.los_bias,
                 mobility_alpha: float = 0.9, mobility_sigma: float = 1.5,
                 min_innovation_std: float = 1.5, quantisation_aware: bool = True, nlos_restart: bool = True,
                 mobility_scales: tuple[float, ...] = (1.0,), walks: str = "auto", max_gap: float = 1.0,
                 mobility_sharing: str = "pooled", grid: str = "scene", grid_margin: float = 3.0,
                 beam: int | None = None, sequence: bool = False,
                 estimator: str = "mean", seed: int = 0, progress: bool = False, device: str | None = None):
        self.resolution = resolution
        self.max_speed = max_speed
        self.dt = dt
        self.delay = delay
        self.use_delay = use_delay
        self.inits = inits
        self.max_iter = max_iter
        self.tol = tol
        self.inner = inner
        self.potts = potts
        self.shadow = shadow
        self.los_bias = los_bias
        self.mobility_alpha = mobility_alpha
        self.mobility_sigma = mobility_sigma
        self.min_innovation_std = min_innovation_std
        self.quantisation_aware = quantisation_aware
        self.nlos_restart = nlos_restart
        self.mobility_scales = mobility_scales
        self.walks = walks
        self.max_gap = max_gap
        self.mobility_sharing = mobility_sharing
        self.grid = grid
        self.grid_margin = grid_margin
        self.beam = beam
        self.sequence = sequence
        self.estimator = estimator
        self.seed = seed
        self.progress = progress
        self.device = device

    # -- validation and set-up ------------------------------------------------------------------
    def _walks(self, ds) -> tuple[tuple[int, ...], float]:
        """Walk lengths of ``ds`` (``walks``, ``max_gap``) and the slot (s)."""
        return split_walks(ds.trajectory_id, ds.timestamps, ds.n_samples, split=self.walks, max_gap=self.max_gap,
                           dt=self.dt, what=self.name)

    def _cells(self, scene, z: np.ndarray, tracks: dict[str, np.ndarray]) -> np.ndarray:
        """Grid cells ``[G, 3]`` (m): the scene's walkable grid, or (``grid="tracks"``) the part within
        ``grid_margin`` of the position-free heuristic tracks (``grid.reachable_cells``)."""
        height = float(scene.user_heights[0])
        if self.grid == "scene":
            return scene.grid(self.resolution, height=height)
        pts = list(tracks.values()) or [wcl_track(z[..., 0], scene.ap_positions[:, :2])]
        return reachable_cells(scene, self.resolution, height, np.concatenate(pts), self.grid_margin)

    def _base_model(self, scene, dt: float, cells: np.ndarray) -> HMMModel:
        height = float(scene.user_heights[0])
        graph = build_cell_graph(cells[:, :2], self.resolution, self.max_speed * dt / self.resolution + 0.5)
        logd, phi = cell_geometry(cells, scene.aps)
        n_b = len(scene.aps)
        return HMMModel(graph=graph, logd=logd, phi=phi, params=default_params(n_b),
                        regions=np.ones((graph.n_cells, n_b), dtype=bool),
                        mobility=self.initial_mobility, dt=dt,
                        prior=SpatialPrior(self.potts, self.shadow, self.los_bias),
                        shadows=[shadow_pairs(graph, np.asarray(ap.position[:2])) for ap in scene.aps],
                        features=(True, True, bool(self.use_delay)), height=height,
                        min_innovation_std=float(self.min_innovation_std),
                        quantisation_aware=bool(self.quantisation_aware))

    @property
    def initial_mobility(self) -> MobilityParams:
        """Gauss-Markov parameters every start begins from (``mobility_alpha``, ``mobility_sigma``).

        Not clamped to ``min_innovation_std``: a start below the bound drives the first Viterbi
        pass; the first mobility step then projects onto the constraint (``fit._mobility_step``).
        """
        return MobilityParams.from_sigma(self.mobility_alpha, self.mobility_sigma)

    def _tracks(self, z: np.ndarray, scene, lengths) -> dict[str, np.ndarray]:
        ap_xy = scene.ap_positions[:, :2]
        out = {}
        if "aoa" in self.inits:
            out["aoa"] = smooth_track(aoa_track(z[..., 1], z[..., 0], scene.aps, float(scene.user_heights[0]),
                                                scene.bounds), lengths=lengths)
        if "wcl" in self.inits:
            out["wcl"] = smooth_track(wcl_track(z[..., 0], ap_xy), lengths=lengths)
        return out

    # -- Localizer hooks ------------------------------------------------------------------------
    def _fit(self, train) -> None:
        scene = train.scene
        scene.require_geometry(f"{self.name} (radio map over AP distances and angles)")
        require_aps(scene, self.name, min_aps=2, min_antennas=2)
        lengths, dt = self._walks(train)
        z = per_ap_features(train, self.delay)
        tracks = self._tracks(z, scene, lengths)
        base = self._base_model(scene, dt, self._cells(scene, z, tracks))
        result = self._optimise(z, base, train, lengths, tracks)
        self.walk_lengths_ = lengths
        self._store(result)
        self.trajectory_smoothed_ = self._with_height(
            self._decode_walks(z, lengths, "smooth", self.model_.mobilities(len(lengths))))

    def _optimise(self, z: np.ndarray, base: HMMModel, train, lengths, tracks) -> FitResult:
        scene = train.scene
        nlos_track = smooth_track(wcl_track(z[..., 0], scene.ap_positions[:, :2]),
                                  lengths=lengths) if self.nlos_restart else None
        return fit_hmm(z, base, tracks=tracks, n_random=int("random" in self.inits),
                       seed=self.seed, max_iter=self.max_iter, tol=self.tol, inner=self.inner,
                       mobility_scales=tuple(self.mobility_scales), nlos_track=nlos_track, device=self.device,
                       progress=self.progress, lengths=lengths,
                       per_walk_mobility=self.mobility_sharing == "per-walk", beam=self.beam)

    def _store(self, result: FitResult) -> None:
        m = result.model
        self.model_ = m
        self.trajectory_ = self._with_height(m.lattice_xy[result.cells])
        self.cells_ = result.cells
        self.history_ = result.history
        self.objective_ = result.objective
        self.best_init_ = result.best_init
        self.fit_info_.iterations = len(result.history)
        self.fit_info_.objective = [float(h["total"]) for h in result.history]
        self.fit_info_.notes.update(best_init=result.best_init, final_objective=float(result.objective))
        self.trajectory_los_ = m.regions[result.cells]

    def _features(self, ds) -> np.ndarray:
        z = per_ap_features(ds, self.delay)
        if z.shape[1] != self.model_.logd.shape[1]:
            raise DataError(f"{self.name}: dataset has {z.shape[1]} APs, the map {self.model_.logd.shape[1]}")
        return z

    def _emission(self, ds) -> np.ndarray:
        return emission_table(self._features(ds), self.model_)

    def _predict(self, ds) -> np.ndarray:
        if self.sequence:
            return self._decode(ds, "viterbi" if self.estimator == "map" else "smooth")
        emis = self._emission(ds)
        xy = self.model_.lattice_xy
        if self.estimator == "map":
            return self._with_height(xy[np.argmax(emis, axis=1)])
        return self._with_height(_softmax(emis) @ xy)

    def _decode(self, ds, sequence: str) -> np.ndarray:
        if sequence not in SEQUENCE_DECODERS:
            raise ParameterError(f"{self.name}: sequence={sequence!r}; expected one of {SEQUENCE_DECODERS}")
        lengths, _ = self._walks(ds)
        return self._with_height(self._decode_walks(self._features(ds), lengths, sequence))

    def _decode_walks(self, z: np.ndarray, lengths, sequence: str, mobilities=None) -> np.ndarray:
        """Positions ``[T, 2]`` (m): each walk of ``lengths`` decoded under its mobility (default: the pooled
        ``mobility_``) as its Viterbi path (``sequence="viterbi"``), posterior mean ("smooth") or, for
        ``sequence="posterior"``, the cell marginals ``[T, G]``."""
        m = self.model_
        slices = walk_slices(lengths)
        mobilities = mobilities or (m.mobility,) * len(slices)
        out = np.empty((len(z), m.graph.n_cells if sequence == "posterior" else 2))
        for s, mob in zip(slices, mobilities, strict=True):
            emis = emission_table(z[s], m)
            trans = transition_table(m.graph.offsets, m.graph.delta, m.dt, mob)
            if len(emis) < 2:
                post = _softmax(emis)
                out[s] = post if sequence == "posterior" else m.lattice_xy[np.argmax(emis, axis=1)]
            elif sequence == "viterbi":
                out[s] = m.lattice_xy[map_path(emis, trans, m.graph, beam=self.beam, device=self.device)[0]]
            else:
                post = cell_posteriors(emis, trans, m.graph.prv, m.graph.nxt, device=self.device)
                out[s] = post if sequence == "posterior" else posterior_mean(post, m.lattice_xy)
        return out

    def _with_height(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy, np.full(len(xy), self.model_.height)])

    # -- public results ---------------------------------------------------------------------------
    def decode(self, ds, sequence: str = "viterbi") -> np.ndarray:
        """Localize ``ds`` as one time-ordered walk under the trained mobility model.

        Parameters
        ----------
        ds : CSIDataset, N samples in time order (same geometry as the training set); several walks
            (``trajectory_id`` or time gaps, as in ``fit``) are decoded one by one
        sequence : "viterbi" (the MAP cell path of the second-order chain, as in training) or
            "smooth" (the forward-backward posterior mean)

        Returns
        -------
        float64 [N, 3] : positions (m); the third column is the grid height.
        """
        self.check_fitted()
        self.check_compatible(ds)
        return self._decode(ds, sequence)

    def predict_proba(self, ds, sequence: bool = False) -> np.ndarray:
        """Posterior over the grid cells (``cell_xy_``) of each sample.

        Parameters
        ----------
        ds : CSIDataset, N samples (time-ordered when ``sequence``)
        sequence : False: per-sample posterior under a uniform cell prior (the emission normalised);
            True: forward-backward marginals of the whole walk under the trained mobility model

        Returns
        -------
        float64 [N, G] : rows sum to 1.
        """
        self.check_fitted()
        self.check_compatible(ds)
        if not sequence:
            return _softmax(self._emission(ds))
        return self._decode_walks(self._features(ds), self._walks(ds)[0], "posterior")

    def predict_regions(self, ds) -> np.ndarray:
        """LOS flags ``[N, B]`` bool of the map at the predicted (MAP) cells of ``ds``."""
        self.check_fitted()
        return self.model_.regions[np.argmax(self._emission(ds), axis=1)]

    def feature_loglik(self, ds, xy: np.ndarray) -> np.ndarray:
        """Log-likelihood of each sample's features at given positions under the fitted map, per feature.

        Parameters
        ----------
        ds : CSIDataset, N samples
        xy : float [N, 2] (m), positions (read at their nearest grid cell), e.g. true or recovered ones

        Returns
        -------
        float64 [N, 3] : nats of (power, angle, delay) summed over APs, each AP in the map's region at the cell
        (the delay column is 0 when ``use_delay`` is off).
        """
        self.check_fitted()
        self.check_compatible(ds)
        m = self.model_
        z = self._features(ds)
        cells = m.graph.nearest(np.asarray(xy, dtype=np.float64)[:, :2])
        out = np.zeros((len(z), 3))
        for k in range(3):
            if m.features[k]:
                only = replace(m, features=tuple(i == k for i in range(3)))
                out[:, k] = select_region(emission_components(z, cells, only), m.regions[cells]).sum(-1)
        return out

    def regions_at(self, xy: np.ndarray) -> np.ndarray:
        """LOS flags bool ``[N, B]`` of the fitted map at the grid cells nearest to ``xy [N, 2]`` (m)."""
        self.check_fitted()
        return self.model_.regions[self.model_.graph.nearest(np.asarray(xy, dtype=np.float64)[:, :2])]

    @property
    def radio_map_(self) -> RadioMap:
        """The fitted radio map (``RadioMap``: LOS maps, expected features, parameters) over ``cell_xy_``."""
        self.check_fitted()
        m = self.model_
        return RadioMap.from_model(m.lattice_xy, m.graph.delta, m.logd, m.phi, m.regions, m.params,
                                   meta={"mobility": m.mobility.to_dict(), "dt": m.dt, "height": m.height,
                                         "method": self.name})

    @property
    def mobility_(self) -> MobilityParams:
        """Fitted Gauss-Markov parameters (alpha, mean velocity m/s, innovation std m/s)."""
        self.check_fitted()
        return self.model_.mobility

    @property
    def cell_xy_(self) -> np.ndarray:
        """Grid cell centres float64 ``[G, 2]`` (m), the columns of ``predict_proba``."""
        self.check_fitted()
        return self.model_.lattice_xy

    @property
    def n_cells_(self) -> int:
        """Number ``G`` of walkable grid cells of the fitted map."""
        self.check_fitted()
        return int(self.model_.graph.n_cells)

    @property
    def n_offsets_(self) -> int:
        """Number ``R`` of lattice moves reachable in one slot (``max_speed dt / resolution + 0.5`` cells)."""
        self.check_fitted()
        return int(self.model_.graph.n_offsets)


def _softmax(emis: np.ndarray) -> np.ndarray:
    w = np.exp(emis - emis.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


class GMA(HMMRadioMap):
    """Genius-aided map-assisted baseline: the HMM with the true propagation model given.

    ``fit`` uses the training positions and LOS flags only to build the true model (WLS/EM fits of
    every block on true geometry, true LOS maps from the scene); the trajectory and the mobility
    parameters are then estimated from the features alone, as in the HMM.
    """

    supervised = True

    def _optimise(self, z: np.ndarray, base: HMMModel, train, lengths, tracks) -> FitResult:
        scene = train.scene
        if train.los is None:
            raise DataError(f"{self.name}: the training set needs LOS flags to build the true model")
        logd, phi = cell_geometry(train.positions, scene.aps)
        params = base.params
        for _ in range(3):
            params = fit_params(z, logd, phi, np.asarray(train.los, dtype=bool), params, fit_delay=self.use_delay)
        cells3 = np.column_stack([base.graph.xy, np.full(base.graph.n_cells, base.height)])
        true_model = replace(base, params=params, regions=scene.los(cells3))
        return fit_hmm(z, true_model, fix_propagation=True, max_iter=self.max_iter, tol=self.tol,
                       mobility_scales=tuple(self.mobility_scales), device=self.device, progress=self.progress,
                       lengths=lengths, per_walk_mobility=self.mobility_sharing == "per-walk", beam=self.beam)


