"""Supervised fingerprinting baselines (seed 000 Table II): centroid, KNN, WKNN, SVM, DNN.

Every method maps an input vector per sample to a position. ``inputs`` names the feature
(``radiomap.features.stage``) it reads:

- ``"auto"`` (default): ``"seed000"`` when the CSI has >= 2 antennas per AP (an angle can be measured),
  else, for single-antenna CSI, the received power ``rssi`` when the capture records it, otherwise the
  per-packet AGC-normalised amplitude ``agc-amplitude``, plus the identity of the transmitter heard
  (``+tx-onehot``) when the dataset records it (``tx_id`` or ``ap_mask``). Measured on simulated
  single-antenna captures (AGC, timing and phase offsets, one AP heard per point; 1.5 m grid,
  leave-point-out): ``rssi+tx-onehot`` 5.6-6.4 m vs ``agc-amplitude+tx-onehot`` 6.7-7.4 m vs centroid
  18 m: at metre spacing the subcarrier amplitude pattern is small-scale fading, the power is path loss.
  The choice is made on the training set, kept as ``inputs_`` and recorded in ``fit_info_.notes["inputs"]``;
- ``"seed000"``: the seed 000 features ``[power_1..B, angle_1..B, delay_1..B]``
  (``delay`` chooses the delay feature),
- ``"beamspace"``: beamspace power in dB, ``10 log10 sum_{k in subband} |DFT_ant(H_b)[beam, k]|^2``
  for ``N_a`` beams x 8 subbands per AP (a phase-free CSI amplitude fingerprint),
- any other registered feature, ``NAME(key=value,...)`` with parameters, or the name of an array
  stored in the dataset (e.g. a triple-beam fingerprint), flattened per sample; several joined with
  ``+`` are concatenated (``"agc-amplitude+tx-onehot"``, ``radiomap.features.preprocessing``).

Inputs are standardised with the training mean and standard deviation. ``cv=True`` picks the
hyper-parameter by 10-fold cross-validation on the training set (mean 2-D error): folds hold out
whole measurement points (``point_id``) when the dataset has them, else random samples. The choice
is a learned attribute (``k_``, ``C_``, ``weight_decay_``) and is recorded in ``fit_info_``
(``chosen``, ``cv_scores``); constructor arguments are never changed. The SVM stores its support
vectors and dual coefficients and predicts with its own RBF kernel sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from radiomap.data.splits import kfold
from radiomap.errors import DataError, ParameterError
from radiomap.features.preprocessing import split_composite
from radiomap.features.seed000 import DELAY_FEATURES
from radiomap.features.stage import extract, parse_feature
from radiomap.localize.base import SEED, Localizer
from radiomap.params import AnyOf, Boolean, Interval, Options, Param, Pattern
from radiomap.params import Sequence as SequenceOf

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

N_FOLDS = 10
_PART = r"[A-Za-z0-9_.\-]+(\([^()]*\))?"
INPUTS = Param(Pattern(rf"{_PART}(\+{_PART})*", "'auto', a feature name, NAME(key=value,...), a stored feature, "
                       "or several joined with '+'"),
               "input feature: 'auto' (seed000 with >= 2 antennas, else rssi or agc-amplitude, +tx-onehot), 'seed000', "
               "'beamspace', 'agc-amplitude+tx-onehot', ... or a feature stored in the dataset")
DELAY = Param(Options(*DELAY_FEATURES), "seed 000 delay feature (with inputs=seed000)")
CV = Param(Boolean(), "choose the main hyper-parameter by 10-fold cross-validation on the training set")


# -- inputs ------------------------------------------------------------------------------------
def resolve_inputs(ds: CSIDataset, inputs: str = "auto") -> str:
    """The feature spec ``inputs="auto"`` stands for on ``ds`` (other specs are returned unchanged).

    ``"seed000"`` when ``ds`` has CSI with >= 2 antennas per AP (or no CSI but a stored ``seed000``);
    else ``"rssi"`` when it records the received power (``/rssi``), else ``"agc-amplitude"``, followed by
    ``"+tx-onehot"`` when it records transmitters (``tx_id`` or ``ap_mask``).
    """
    if inputs != "auto":
        return inputs
    if ds.csi is None:
        if "seed000" in ds.features:
            return "seed000"
        raise DataError("inputs='auto' needs CSI or a stored 'seed000'; this dataset stores only features: pass "
                        f"inputs=NAME (stored: {sorted(ds.features)})")
    if ds.n_antennas >= 2:
        return "seed000"
    power = "rssi" if ds.rssi is not None else "agc-amplitude"
    return power + "+tx-onehot" if (ds.tx_id is not None or ds.ap_mask is not None) else power


def fingerprint_inputs(ds: CSIDataset, inputs: str = "auto", delay: str = "selectivity") -> np.ndarray:
    """Input matrix of a fingerprinting method.

    Input
    -----
    ds : CSIDataset; inputs : feature spec (see the module docstring; "auto" is resolved on ``ds``)
    delay : seed 000 delay feature

    Output
    ------
    float64 [N, F] (the parts of a composite spec concatenated in order)
    """
    cols = []
    for part in split_composite(resolve_inputs(ds, inputs)):
        name, params = parse_feature(part)
        if name == "seed000":
            params = {"delay": delay} | params
        cols.append(np.asarray(extract(ds, name, **params), dtype=np.float64).reshape(ds.n_samples, -1))
    x = np.concatenate(cols, axis=1)
    if not np.isfinite(x).all():
        raise DataError(f"input feature {inputs!r} contains NaN or Inf")
    return x


def _positions(ds: CSIDataset) -> np.ndarray:
    pos = np.asarray(ds.positions, dtype=np.float64)
    if not np.isfinite(pos).all():
        raise DataError("training positions contain NaN or Inf")
    return pos


def cross_validate(train: CSIDataset, y: np.ndarray, candidates: Sequence,
                   predict_fold: Callable[[np.ndarray, np.ndarray], dict], seed: int) -> tuple[object, dict, str]:
    """Best candidate by ``N_FOLDS``-fold cross-validated mean 2-D error.

    Input
    -----
    train : the training set (its ``point_id`` groups the folds when present); y : float [N, 3] positions
    candidates : hyper-parameter values; predict_fold(train_idx, test_idx) -> {candidate: positions [M, 3]}

    Output
    ------
    (best candidate, {str(candidate): mean error (m)}, fold description)
    """
    groups = train.point_id
    folds = kfold(len(y), N_FOLDS, seed, groups=groups)
    errs: dict = {c: [] for c in candidates}
    for test_idx in folds:
        mask = np.ones(len(y), bool)
        mask[test_idx] = False
        for c, pred in predict_fold(np.flatnonzero(mask), test_idx).items():
            errs[c].append(np.linalg.norm(pred[:, :2] - y[test_idx, :2], axis=1))
    scores = {c: float(np.concatenate(v).mean()) for c, v in errs.items()}
    best = min(scores, key=scores.get)
    how = "grouped by point_id" if groups is not None else "random samples"
    return best, {str(c): v for c, v in scores.items()}, how


class _Standardised(Localizer):
    """Shared input handling: feature extraction and standardisation."""

    inputs: str
    delay: str

    def _fit_inputs(self, ds: CSIDataset) -> np.ndarray:
        self.inputs_ = resolve_inputs(ds, self.inputs)
        if self.inputs == "auto":
            self.fit_info_.notes["inputs"] = self.inputs_
        spec = getattr(self, "inputs_", self.inputs) if self.inputs == "auto" else self.inputs
        x = fingerprint_inputs(ds, spec, self.delay)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        return (x - self.mean_) / self.scale_

    def _inputs(self, ds: CSIDataset) -> np.ndarray:
        spec = getattr(self, "inputs_", self.inputs) if self.inputs == "auto" else self.inputs
        x = fingerprint_inputs(ds, spec, self.delay)
        if x.shape[1] != self.mean_.shape[0]:
            raise DataError(f"{self.name}: {x.shape[1]} input features, the model was fitted on "
                            f"{self.mean_.shape[0]}")
        return (x - self.mean_) / self.scale_

    def _record_cv(self, param: str, best, scores: dict, how: str) -> None:
        self.fit_info_.chosen[param] = best
        self.fit_info_.cv_scores = scores
        self.fit_info_.notes["cv_folds"] = f"{N_FOLDS} folds, {how}"


# -- trivial baseline -----------------------------------------------------------------------------
class Centroid(Localizer):
    """Predicts the mean training position for every query (the trivial baseline, SPEC 5)."""

    supervised = True
    param_spec = {}

    def __init__(self) -> None:
        pass

    def _fit(self, train: CSIDataset) -> None:
        self.position_ = _positions(train).mean(axis=0)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        return np.broadcast_to(self.position_, (ds.n_samples, 3)).copy()





# -- nearest neighbours ---------------------------------------------------------------------------
def _neighbours(x_train: np.ndarray, x_query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices ``[M, k]`` of the k nearest training rows (brute force, chunked)."""
    k = min(k, x_train.shape[0])
    sq_train = np.einsum("ij,ij->i", x_train, x_train)
    dists, idxs = [], []
    for start in range(0, x_query.shape[0], 2048):
        q = x_query[start:start + 2048]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] + sq_train[None, :] - 2.0 * q @ x_train.T
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        dpart = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(dpart, axis=1)
        idxs.append(np.take_along_axis(part, order, axis=1))
        dists.append(np.sqrt(np.maximum(np.take_along_axis(dpart, order, axis=1), 0.0)))
    return np.concatenate(dists), np.concatenate(idxs)


def _knn_average(dist: np.ndarray, idx: np.ndarray, y: np.ndarray, weighted: bool) -> np.ndarray:
    """Positions ``[M, 3]`` from neighbour distances/indices ``[M, k]`` and training positions ``y``."""
    if weighted:
        w = 1.0 / (dist + 1e-9)
    else:
        w = np.ones_like(dist)
    w = w / w.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkd->md", w, y[idx])


class KNN(_Standardised):
    """K-nearest-neighbour fingerprinting: mean position of the k closest training inputs.

    Parameters
    ----------
    k : neighbours (seed 000: 8); inputs, delay : see module docstring
    cv : choose k from ``k_grid`` by 10-fold cross-validation; seed : fold assignment
    """

    supervised = True
    weighted = False
    param_spec = {
        "k": Param(Interval(int, 1, None), "neighbours averaged (at most the number of training samples)"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "k_grid": Param(SequenceOf(Interval(int, 1, None)), "candidate k for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, k: int = 8, *, inputs: str = "auto", delay: str = "selectivity", cv: bool = False,
                 k_grid: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 16, 24, 32), seed: int = 0):
        self.k = k
        self.inputs = inputs
        self.delay = delay
        self.cv = cv
        self.k_grid = k_grid
        self.seed = seed

    def _fit(self, train: CSIDataset) -> None:
        n = train.n_samples
        if not self.cv and self.k > n:
            raise ParameterError(f"{self.name}: k={self.k} exceeds the {n} training samples")
        self.x_ = self._fit_inputs(train)
        self.y_ = _positions(train)
        self.k_ = int(self.k)
        if self.cv:
            self.k_ = self._cross_validate(train)

    def _cross_validate(self, train: CSIDataset) -> int:
        """Best k of ``k_grid`` (candidates larger than a cross-validation fit's training set are skipped)."""
        n = len(self.x_)
        limit = n - -(-n // N_FOLDS)  # a fold's fit leaves out the largest fold
        grid = sorted(int(k) for k in self.k_grid if k <= limit)
        if not grid:
            raise ParameterError(f"{self.name}: every k of k_grid exceeds the {limit} samples of a "
                                 "cross-validation fit")

        def predict_fold(tr, te):
            dist, idx = _neighbours(self.x_[tr], self.x_[te], max(grid))
            return {k: _knn_average(dist[:, :k], idx[:, :k], self.y_[tr], self.weighted) for k in grid}

        best, scores, how = cross_validate(train, self.y_, grid, predict_fold, self.seed)
        self._record_cv("k", best, scores, how)
        return best

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        dist, idx = _neighbours(self.x_, self._inputs(ds), self.k_)
        return _knn_average(dist, idx, self.y_, self.weighted)





class WKNN(KNN):
    """Weighted KNN: neighbours weighted by inverse input-space distance ``1 / (d + 1e-9)``."""

    weighted = True


# -- support vector regression ----------------------------------------------------------------------
def _rbf_predict(x: np.ndarray, sv: np.ndarray, coef: np.ndarray, intercept: float,
                 gamma: float) -> np.ndarray:
    """``sum_i coef_i exp(-gamma ||x - sv_i||^2) + intercept`` for x ``[M, F]``: float64 [M]."""
    out = np.empty(x.shape[0])
    sq_sv = np.einsum("ij,ij->i", sv, sv)
    for start in range(0, x.shape[0], 2048):
        q = x[start:start + 2048]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] + sq_sv[None, :] - 2.0 * q @ sv.T
        out[start:start + 2048] = np.exp(-gamma * np.maximum(d2, 0.0)) @ coef + intercept
    return out


class SVMRegressor(_Standardised):
    """Support vector regression with an RBF (Gaussian) kernel, one model per coordinate.

    Parameters
    ----------
    C, epsilon : SVR regularisation and tube width (in units of the standardised coordinate)
    gamma : RBF width; "scale" = ``1 / (F * var(X))`` as in scikit-learn, or a float
    cv : choose C from ``C_grid`` by 10-fold cross-validation
    """

    supervised = True
    param_spec = {
        "C": Param(Interval(float, 0, None, closed="neither"), "regularisation (standardised coordinates)"),
        "epsilon": Param(Interval(float, 0, None), "width of the insensitive tube (standardised coordinates)"),
        "gamma": Param(AnyOf(Options("scale"), Interval(float, 0, None, closed="neither")),
                       "RBF width: 'scale' = 1 / (F var X) as in scikit-learn, or a number > 0"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "C_grid": Param(SequenceOf(Interval(float, 0, None, closed="neither")), "candidate C for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, C: float = 10.0, *, epsilon: float = 0.05, gamma: float | str = "scale",
                 inputs: str = "auto", delay: str = "selectivity", cv: bool = False,
                 C_grid: tuple[float, ...] = (1.0, 10.0, 100.0), seed: int = 0):
        self.C = C
        self.epsilon = epsilon
        self.gamma = gamma
        self.inputs = inputs
        self.delay = delay
        self.cv = cv
        self.C_grid = C_grid
        self.seed = seed

    def _gamma(self, x: np.ndarray) -> float:
        if self.gamma == "scale":
            var = float(x.var())
            return 1.0 / (x.shape[1] * var) if var > 0 else 1.0
        return float(self.gamma)

    def _fit_svr(self, x: np.ndarray, y: np.ndarray, c: float, gamma: float) -> list[dict]:
        from sklearn.svm import SVR

        models = []
        for d in range(y.shape[1]):
            mu, sd = float(y[:, d].mean()), float(y[:, d].std())
            if sd < 1e-9:  # constant coordinate (e.g. user height)
                models.append({"sv": x[:0], "coef": np.zeros(0), "intercept": mu, "gamma": gamma})
                continue
            svr = SVR(kernel="rbf", C=c, epsilon=self.epsilon, gamma=gamma).fit(x, (y[:, d] - mu) / sd)
            models.append({"sv": svr.support_vectors_, "coef": svr.dual_coef_[0] * sd,
                           "intercept": float(svr.intercept_[0]) * sd + mu, "gamma": gamma})
        return models

    @staticmethod
    def _eval(models: list[dict], x: np.ndarray) -> np.ndarray:
        cols = [_rbf_predict(x, m["sv"], m["coef"], m["intercept"], m["gamma"]) for m in models]
        return np.stack(cols, axis=1)

    def _fit(self, train: CSIDataset) -> None:
        x = self._fit_inputs(train)
        y = _positions(train)
        gamma = self._gamma(x)
        self.C_ = float(self.C)
        if self.cv:
            def predict_fold(tr, te):
                return {c: self._eval(self._fit_svr(x[tr], y[tr], c, gamma), x[te]) for c in self.C_grid}

            self.C_, scores, how = cross_validate(train, y, self.C_grid, predict_fold, self.seed)
            self._record_cv("C", self.C_, scores, how)
        self.models_ = self._fit_svr(x, y, self.C_, gamma)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        return self._eval(self.models_, self._inputs(ds))





# -- multilayer perceptron --------------------------------------------------------------------------
class DNN(_Standardised):
    """MLP regressor (seed 000: 3 hidden layers of 30 units), inputs and positions standardised.

    Parameters
    ----------
    hidden : hidden layer widths; epochs, lr, batch_size : Adam training (cosine learning rate)
    weight_decay : L2 penalty; cv : choose it from ``wd_grid`` by 10-fold cross-validation
    seed : weight initialisation, batch order and folds
    """

    supervised = True
    param_spec = {
        "hidden": Param(SequenceOf(Interval(int, 1, None), min_len=0), "hidden layer widths"),
        "epochs": Param(Interval(int, 1, None), "training epochs (Adam, cosine learning rate)"),
        "lr": Param(Interval(float, 0, None, closed="neither"), "initial learning rate"),
        "batch_size": Param(Interval(int, 1, None), "mini-batch size"),
        "weight_decay": Param(Interval(float, 0, None), "L2 penalty"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "wd_grid": Param(SequenceOf(Interval(float, 0, None)), "candidate weight decays for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, hidden: tuple[int, ...] = (30, 30, 30), *, epochs: int = 200, lr: float = 3e-3,
                 batch_size: int = 32, weight_decay: float = 1e-4, inputs: str = "auto",
                 delay: str = "selectivity", cv: bool = False,
                 wd_grid: tuple[float, ...] = (1e-5, 1e-4, 1e-3), seed: int = 0):
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.inputs = inputs
        self.delay = delay
        self.cv = cv
        self.wd_grid = wd_grid
        self.seed = seed

    def _train(self, x: np.ndarray, y: np.ndarray, wd: float):
        """An MLP trained on standardised ``x [N, F]`` -> ``y [N, 3]`` (MSE, Adam, cosine LR, one thread)."""
        import torch

        from radiomap.localize.nets import build_mlp
        from radiomap.localize.training import TrainConfig, seeded_init, torch_threads, train_model

        cfg = TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, weight_decay=wd,
                          schedule="cosine", patience=None, val_fraction=0.0)
        with torch_threads(1):  # a 30-unit MLP trains fastest on one thread (no synchronisation)
            with seeded_init(self.seed):
                net = build_mlp(x.shape[1], tuple(self.hidden), y.shape[1]).double()
            result = train_model(net, lambda m, b: torch.nn.functional.mse_loss(m(b["x"]), b["y"]),
                                 {"x": torch.from_numpy(x), "y": torch.from_numpy(y)}, cfg, seed=self.seed)
        return net, result

    def _fit(self, train: CSIDataset) -> None:
        import torch

        x = self._fit_inputs(train)
        y = _positions(train)
        self.y_mean_ = y.mean(axis=0)
        sd = y.std(axis=0)
        self.y_scale_ = np.where(sd > 1e-9, sd, 1.0)
        yn = (y - self.y_mean_) / self.y_scale_
        self.weight_decay_ = float(self.weight_decay)
        if self.cv:
            def predict_fold(tr, te):
                out = {}
                for wd in self.wd_grid:
                    net, _ = self._train(x[tr], yn[tr], wd)
                    with torch.no_grad():
                        out[wd] = net(torch.from_numpy(x[te])).numpy() * self.y_scale_ + self.y_mean_
                return out

            self.weight_decay_, scores, how = cross_validate(train, y, self.wd_grid, predict_fold, self.seed)
            self._record_cv("weight_decay", self.weight_decay_, scores, how)
        self.net_, result = self._train(x, yn, self.weight_decay_)
        self.fit_info_.training["mlp"] = result.summary()
        self.fit_info_.objective = [h["train"] for h in result.history]
        self.fit_info_.iterations = result.epochs_run

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = self.net_(torch.from_numpy(self._inputs(ds))).numpy()
        return out * self.y_scale_ + self.y_mean_

    def _build_module(self, name: str):
        from radiomap.localize.nets import build_mlp

        return build_mlp(len(self.mean_), tuple(self.hidden), len(self.y_mean_)).double()

