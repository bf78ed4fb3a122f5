"""Supervised fingerprinting baselines (seed 000 Table II): centroid, KNN, WKNN, SVM, DNN.

Every method maps an input vector per sample to a position. ``inputs`` selects it:

- ``"seed000"``: the seed 000 features ``[power_1..B, angle_1..B, delay_1..B]``
  (``radiomap.features.seed000.feature_matrix``),
- ``"csi"``: beamspace power in dB, ``10 log10 sum_{k in subband} |DFT_ant(H_b)[beam, k]|^2`` for
  ``N_a`` beams x ``n_subbands`` subbands per AP (a phase-free CSI amplitude fingerprint),
- ``"features:<name>"``: a feature array stored in the dataset (e.g. a triple-beam fingerprint).

Inputs are standardised with the training mean and standard deviation. ``cv=True`` picks the
hyper-parameter by 10-fold cross-validation on the training set (mean 2-D error), stored as a
learned attribute (``k_``, ``C_``, ``weight_decay_``); constructor arguments are never changed.
Learned state is plain arrays (safetensors) + JSON: the SVM stores its support vectors and dual
coefficients and predicts with its own RBF kernel sum; the DNN stores its torch state dict.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.seed000 import DELAY_FEATURES
from radiomap.localize.base import LOCALIZERS, SEED, Localizer
from radiomap.params import AnyOf, Boolean, Interval, Options, Param, Pattern, Sequence

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

N_FOLDS = 10
INPUTS = Param(Pattern(r"seed000|csi|features:.+", "'seed000', 'csi' or 'features:<name>'"),
               "input vector: seed 000 features, CSI beamspace power (dB) or a stored feature")
DELAY = Param(Options(*DELAY_FEATURES), "seed 000 delay feature (with inputs=seed000)")
CV = Param(Boolean(), "choose the main hyper-parameter by 10-fold cross-validation on the training set")
_TINY = 1e-30
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Input features per dataset object (dropped with the dataset; CSI is treated as immutable)."""


# -- inputs ------------------------------------------------------------------------------------
def beamspace_power_db(csi: np.ndarray, n_subbands: int = 8) -> np.ndarray:
    """Beam x subband power per AP, in dB.

    Input
    -----
    csi : complex64 [N, B, N_a, K] or [N, B, N_a, K, S]
    n_subbands : number of contiguous subcarrier groups (<= K)

    Output
    ------
    float32 [N, B * N_a * n_subbands] : ``10 log10`` of the power of the antenna-DFT beams summed
    over each subband (and symbols).
    """
    from radiomap.features.power import check_csi

    arr = check_csi(csi)
    k = arr.shape[3]
    if not 1 <= n_subbands <= k:
        raise ParameterError(f"n_subbands={n_subbands}; expected 1..{k} (number of subcarriers)")
    beams = np.fft.fft(arr, axis=2, norm="ortho")
    p = beams.real.astype(np.float64) ** 2 + beams.imag.astype(np.float64) ** 2
    if p.ndim == 5:
        p = p.sum(axis=4)
    starts = np.linspace(0, k, n_subbands + 1).astype(int)[:-1]
    sub = np.add.reduceat(p, starts, axis=3)  # [N, B, N_a, n_subbands]
    return (10.0 * np.log10(sub + _TINY)).reshape(arr.shape[0], -1).astype(np.float32)


def fingerprint_inputs(ds: CSIDataset, inputs: str = "seed000", delay: str = "selectivity") -> np.ndarray:
    """Input matrix of a fingerprinting method.

    Input
    -----
    ds : CSIDataset; inputs : "seed000", "csi" or "features:<name>"; delay : seed 000 delay feature

    Output
    ------
    float64 [N, F]
    """
    if inputs.startswith("features:"):
        name = inputs.split(":", 1)[1]
        feats = ds.features or {}
        if name not in feats:
            raise DataError(f"dataset has no feature {name!r}; stored features: {sorted(feats) or 'none'}")
        return np.asarray(feats[name], dtype=np.float64).reshape(ds.n_samples, -1)
    if inputs not in ("seed000", "csi"):
        raise ParameterError(f"inputs={inputs!r}; expected 'seed000', 'csi' or 'features:<name>'")
    if ds.csi is None:
        raise DataError(f"inputs={inputs!r} needs CSI but the dataset stores none; use 'features:<name>'")
    key = (inputs, delay if inputs == "seed000" else None)
    cached = _CACHE.get(ds, {})
    if key not in cached:  # several methods on one dataset share the features
        if inputs == "csi":
            x = beamspace_power_db(ds.csi).astype(np.float64)
        else:
            from radiomap.features.seed000 import feature_matrix

            x = feature_matrix(ds.csi, ds.scene, delay=delay)
        x.setflags(write=False)
        _CACHE.setdefault(ds, {})[key] = x
    return _CACHE[ds][key]


def _positions(ds: CSIDataset) -> np.ndarray:
    pos = np.asarray(ds.positions, dtype=np.float64)
    if not np.isfinite(pos).all():
        raise DataError("training positions contain NaN or Inf")
    return pos


def _kfold(n: int, seed: int) -> list[np.ndarray]:
    if n < N_FOLDS:
        raise DataError(f"{N_FOLDS}-fold cross-validation needs >= {N_FOLDS} training samples, got {n}")
    perm = np.random.default_rng(seed).permutation(n)
    return np.array_split(perm, N_FOLDS)


class _Standardised(Localizer):
    """Shared input handling: feature extraction and standardisation."""

    inputs: str
    delay: str

    def _fit_inputs(self, ds: CSIDataset) -> np.ndarray:
        x = fingerprint_inputs(ds, self.inputs, self.delay)
        if not np.isfinite(x).all():
            raise DataError(f"{self.name}: input features contain NaN or Inf")
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        return (x - self.mean_) / self.scale_

    def _inputs(self, ds: CSIDataset) -> np.ndarray:
        x = fingerprint_inputs(ds, self.inputs, self.delay)
        if x.shape[1] != self.mean_.shape[0]:
            raise DataError(f"{self.name}: {x.shape[1]} input features, the model was fitted on "
                            f"{self.mean_.shape[0]}")
        return (x - self.mean_) / self.scale_

    def _scaler_state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "scale": self.scale_}

    def _set_scaler(self, arrays: dict[str, np.ndarray]) -> None:
        self.mean_, self.scale_ = arrays["mean"], arrays["scale"]


# -- trivial baseline -----------------------------------------------------------------------------
@LOCALIZERS.register("centroid")
class Centroid(Localizer):
    """Predicts the mean training position for every query (the trivial baseline, SPEC 5)."""

    name = "centroid"
    supervised = True
    param_spec = {}

    def __init__(self) -> None:
        pass

    def _fit(self, train: CSIDataset) -> None:
        self.position_ = _positions(train).mean(axis=0)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        return np.broadcast_to(self.position_, (ds.n_samples, 3)).copy()

    def _get_state(self):
        return {"position": self.position_}, {}

    def _set_state(self, arrays, meta):
        self.position_ = arrays["position"]


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


@LOCALIZERS.register("knn")
class KNN(_Standardised):
    """K-nearest-neighbour fingerprinting: mean position of the k closest training inputs.

    Parameters
    ----------
    k : neighbours (seed 000: 8); inputs, delay : see module docstring
    cv : choose k from ``k_grid`` by 10-fold cross-validation; seed : fold assignment
    """

    name = "knn"
    supervised = True
    weighted = False
    param_spec = {
        "k": Param(Interval(int, 1, None), "neighbours averaged (at most the number of training samples)"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "k_grid": Param(Sequence(Interval(int, 1, None)), "candidate k for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, k: int = 8, *, inputs: str = "seed000", delay: str = "selectivity", cv: bool = False,
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
            self.k_, self.cv_scores_ = self._cross_validate()

    def _cross_validate(self) -> tuple[int, dict[int, float]]:
        """Best k of ``k_grid`` (candidates larger than a cross-validation fit's training set are skipped)."""
        n = len(self.x_)
        limit = n - -(-n // N_FOLDS)  # a fold's fit leaves out the largest fold
        grid = sorted(int(k) for k in self.k_grid if k <= limit)
        if not grid:
            raise ParameterError(f"{self.name}: every k of k_grid exceeds the {limit} samples of a "
                                 "cross-validation fit")
        errs = {k: [] for k in grid}
        for fold in _kfold(len(self.x_), self.seed):
            mask = np.ones(len(self.x_), bool)
            mask[fold] = False
            dist, idx = _neighbours(self.x_[mask], self.x_[fold], max(grid))
            y_tr = self.y_[mask]
            for k in grid:
                pred = _knn_average(dist[:, :k], idx[:, :k], y_tr, self.weighted)
                errs[k].append(np.linalg.norm(pred[:, :2] - self.y_[fold, :2], axis=1))
        scores = {k: float(np.concatenate(v).mean()) for k, v in errs.items()}
        return min(scores, key=scores.get), scores

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        dist, idx = _neighbours(self.x_, self._inputs(ds), self.k_)
        return _knn_average(dist, idx, self.y_, self.weighted)

    def _get_state(self):
        return {"x": self.x_, "y": self.y_, **self._scaler_state()}, {"k": self.k_}

    def _set_state(self, arrays, meta):
        self.x_, self.y_ = arrays["x"], arrays["y"]
        self._set_scaler(arrays)
        self.k_ = int(meta["k"])


@LOCALIZERS.register("wknn")
class WKNN(KNN):
    """Weighted KNN: neighbours weighted by inverse input-space distance ``1 / (d + 1e-9)``."""

    name = "wknn"
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


@LOCALIZERS.register("svm")
class SVMRegressor(_Standardised):
    """Support vector regression with an RBF (Gaussian) kernel, one model per coordinate.

    Parameters
    ----------
    C, epsilon : SVR regularisation and tube width (in units of the standardised coordinate)
    gamma : RBF width; "scale" = ``1 / (F * var(X))`` as in scikit-learn, or a float
    cv : choose C from ``C_grid`` by 10-fold cross-validation
    """

    name = "svm"
    supervised = True
    param_spec = {
        "C": Param(Interval(float, 0, None, closed="neither"), "regularisation (standardised coordinates)"),
        "epsilon": Param(Interval(float, 0, None), "width of the insensitive tube (standardised coordinates)"),
        "gamma": Param(AnyOf(Options("scale"), Interval(float, 0, None, closed="neither")),
                       "RBF width: 'scale' = 1 / (F var X) as in scikit-learn, or a number > 0"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "C_grid": Param(Sequence(Interval(float, 0, None, closed="neither")), "candidate C for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, C: float = 10.0, *, epsilon: float = 0.05, gamma: float | str = "scale",
                 inputs: str = "seed000", delay: str = "selectivity", cv: bool = False,
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
            scores = {}
            for c in self.C_grid:
                errs = []
                for fold in _kfold(len(x), self.seed):
                    mask = np.ones(len(x), bool)
                    mask[fold] = False
                    pred = self._eval(self._fit_svr(x[mask], y[mask], float(c), gamma), x[fold])
                    errs.append(np.linalg.norm(pred[:, :2] - y[fold, :2], axis=1))
                scores[float(c)] = float(np.concatenate(errs).mean())
            self.C_ = min(scores, key=scores.get)
            self.cv_scores_ = scores
        self.models_ = self._fit_svr(x, y, self.C_, gamma)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        return self._eval(self.models_, self._inputs(ds))

    def _get_state(self):
        arrays = self._scaler_state()
        meta: dict[str, Any] = {"C": self.C_, "models": []}
        for d, m in enumerate(self.models_):
            arrays[f"sv{d}"] = np.ascontiguousarray(m["sv"])
            arrays[f"coef{d}"] = np.ascontiguousarray(m["coef"])
            meta["models"].append({"intercept": m["intercept"], "gamma": m["gamma"]})
        return arrays, meta

    def _set_state(self, arrays, meta):
        self._set_scaler(arrays)
        self.C_ = meta["C"]
        self.models_ = [{"sv": arrays[f"sv{d}"], "coef": arrays[f"coef{d}"], **m}
                        for d, m in enumerate(meta["models"])]


# -- multilayer perceptron --------------------------------------------------------------------------
def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int):
    """MLP ``n_in -> hidden... -> n_out`` with ReLU activations (torch.nn.Sequential)."""
    import torch

    layers, prev = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(prev, int(h)), torch.nn.ReLU()]
        prev = int(h)
    layers.append(torch.nn.Linear(prev, n_out))
    return torch.nn.Sequential(*layers)


def train_mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], *, epochs: int, lr: float,
              weight_decay: float, batch_size: int, seed: int):
    """Train an MLP regressor on standardised ``x [N, F]``, ``y [N, D]`` with Adam + MSE; returns it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 30-unit MLP trains fastest on one thread (no sync overhead)
    try:
        return _train_loop(x, y, hidden, epochs=epochs, lr=lr, weight_decay=weight_decay,
                           batch_size=batch_size, seed=seed)
    finally:
        torch.set_num_threads(threads)


def _train_loop(x, y, hidden, *, epochs, lr, weight_decay, batch_size, seed):
    import torch

    gen = torch.Generator().manual_seed(int(seed))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        net = build_mlp(x.shape[1], hidden, y.shape[1]).double()
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(int(epochs), 1))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = xt.shape[0]
    for _ in range(int(epochs)):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            b = perm[start:start + batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xt[b]), yt[b])
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


@LOCALIZERS.register("dnn")
class DNN(_Standardised):
    """MLP regressor (seed 000: 3 hidden layers of 30 units), inputs and positions standardised.

    Parameters
    ----------
    hidden : hidden layer widths; epochs, lr, batch_size : Adam training (cosine learning rate)
    weight_decay : L2 penalty; cv : choose it from ``wd_grid`` by 10-fold cross-validation
    seed : weight initialisation, batch order and folds
    """

    name = "dnn"
    supervised = True
    param_spec = {
        "hidden": Param(Sequence(Interval(int, 1, None), min_len=0), "hidden layer widths"),
        "epochs": Param(Interval(int, 1, None), "training epochs (Adam, cosine learning rate)"),
        "lr": Param(Interval(float, 0, None, closed="neither"), "initial learning rate"),
        "batch_size": Param(Interval(int, 1, None), "mini-batch size"),
        "weight_decay": Param(Interval(float, 0, None), "L2 penalty"),
        "inputs": INPUTS, "delay": DELAY, "cv": CV,
        "wd_grid": Param(Sequence(Interval(float, 0, None)), "candidate weight decays for cross-validation"),
        "seed": SEED,
    }

    def __init__(self, hidden: tuple[int, ...] = (30, 30, 30), *, epochs: int = 200, lr: float = 3e-3,
                 batch_size: int = 32, weight_decay: float = 1e-4, inputs: str = "seed000",
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

    def _train(self, x, y, wd):
        return train_mlp(x, y, tuple(self.hidden), epochs=self.epochs, lr=self.lr, weight_decay=wd,
                         batch_size=int(self.batch_size), seed=self.seed)

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
            scores = {}
            for wd in self.wd_grid:
                errs = []
                for fold in _kfold(len(x), self.seed):
                    mask = np.ones(len(x), bool)
                    mask[fold] = False
                    net = self._train(x[mask], yn[mask], float(wd))
                    with torch.no_grad():
                        pred = net(torch.from_numpy(x[fold])).numpy() * self.y_scale_ + self.y_mean_
                    errs.append(np.linalg.norm(pred[:, :2] - y[fold, :2], axis=1))
                scores[float(wd)] = float(np.concatenate(errs).mean())
            self.weight_decay_ = min(scores, key=scores.get)
            self.cv_scores_ = scores
        self.net_ = self._train(x, yn, self.weight_decay_)

    def _predict(self, ds: CSIDataset) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = self.net_(torch.from_numpy(self._inputs(ds))).numpy()
        return out * self.y_scale_ + self.y_mean_

    def _get_state(self):
        arrays = {f"net.{k}": v.detach().numpy() for k, v in self.net_.state_dict().items()}
        arrays.update(self._scaler_state())
        arrays.update({"y_mean": self.y_mean_, "y_scale": self.y_scale_})
        return arrays, {"weight_decay": self.weight_decay_, "n_in": int(self.mean_.shape[0])}

    def _set_state(self, arrays, meta):
        import torch

        self._set_scaler(arrays)
        self.y_mean_, self.y_scale_ = arrays["y_mean"], arrays["y_scale"]
        self.weight_decay_ = meta["weight_decay"]
        net = build_mlp(int(meta["n_in"]), tuple(self.hidden), int(self.y_mean_.shape[0])).double()
        state = {k[4:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("net.")}
        net.load_state_dict(state)
        self.net_ = net.eval()
