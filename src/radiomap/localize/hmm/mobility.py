"""Gauss-Markov mobility on the grid: transition log-probabilities and their MLE (SPEC §1.6, §2.3).

Per axis, ``v_t = alpha v_{t-1} + (1 - alpha) v_bar + s w_t`` with ``w_t ~ N(0, 1)`` and the
innovation standard deviation ``s = sqrt(1 - alpha^2) sigma_v``; the velocity of a move between
cells is ``v = delta * d_ij / dt``. The log-density of a move given the previous one is the
Gaussian density of the position ``x_{t+1} = x_t + dt v_t`` (a ``-2 log dt`` Jacobian per slot),
the same expression in the transition table of the Viterbi and in the MLE, so both maximise
one objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.errors import ParameterError
from radiomap.localize.hmm.walks import walk_slices

MIN_INNOVATION_STD = 0.05
"""Floor on ``s`` (m/s), keeps the objective bounded on a lattice where moves repeat exactly."""


@dataclass(frozen=True)
class MobilityParams:
    """Gauss-Markov parameters.

    alpha : memory in [0, 1); mean_velocity : [2] (m/s); innovation_std : ``s`` (m/s).
    """

    alpha: float
    mean_velocity: tuple[float, float]
    innovation_std: float

    @property
    def sigma_v(self) -> float:
        """Stationary velocity standard deviation ``s / sqrt(1 - alpha^2)`` (m/s)."""
        return self.innovation_std / np.sqrt(max(1.0 - self.alpha ** 2, 1e-12))

    @staticmethod
    def from_sigma(alpha: float, sigma_v: float, mean_velocity=(0.0, 0.0)) -> MobilityParams:
        """Build from the stationary ``sigma_v`` of SPEC eq. 8."""
        if not 0.0 <= alpha < 1.0 or sigma_v <= 0:
            raise ParameterError(f"need 0 <= alpha < 1 and sigma_v > 0, got alpha={alpha}, sigma_v={sigma_v}")
        s = max(np.sqrt(1.0 - alpha ** 2) * sigma_v, MIN_INNOVATION_STD)
        return MobilityParams(float(alpha), (float(mean_velocity[0]), float(mean_velocity[1])), float(s))

    def scaled(self, factor: float) -> MobilityParams:
        """Same alpha, ``sigma_v`` and mean velocity multiplied by ``factor``."""
        return MobilityParams(self.alpha, (self.mean_velocity[0] * factor, self.mean_velocity[1] * factor),
                              max(self.innovation_std * factor, MIN_INNOVATION_STD))

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "mean_velocity": list(self.mean_velocity),
                "innovation_std": self.innovation_std, "sigma_v": self.sigma_v}


def move_loglik(v_prev: np.ndarray, v_next: np.ndarray, params: MobilityParams, dt: float) -> np.ndarray:
    """Log-density of position moves given the previous velocity.

    Input: ``v_prev, v_next [..., 2]`` velocities (m/s); ``dt`` slot (s).
    Output: ``[...]`` log-density of ``x_{t+1}`` (per m^2).
    """
    mean = params.alpha * v_prev + (1.0 - params.alpha) * np.asarray(params.mean_velocity)
    s2 = params.innovation_std ** 2
    r2 = ((v_next - mean) ** 2).sum(-1)
    return -0.5 * r2 / s2 - np.log(2.0 * np.pi * s2) - 2.0 * np.log(dt)


def transition_table(offsets: np.ndarray, delta: float, dt: float, params: MobilityParams) -> np.ndarray:
    """``trans[r, r']`` log-density of move ``r'`` after move ``r``: float64 [R, R].

    Input: ``offsets [R, 2]`` lattice moves, ``delta`` pitch (m), ``dt`` slot (s).
    """
    v = np.asarray(offsets, dtype=np.float64) * delta / dt
    return move_loglik(v[:, None, :], v[None, :, :], params, dt)


def mobility_loglik(xy: np.ndarray, dt: float, params: MobilityParams) -> float:
    """Total transition log-density of a trajectory ``xy [T, 2]`` (m): sum over ``t = 1..T-2``."""
    v = np.diff(np.asarray(xy, dtype=np.float64), axis=0) / dt
    if len(v) < 2:
        return 0.0
    return float(move_loglik(v[:-1], v[1:], params, dt).sum())


def quantisation_std(alpha: float | np.ndarray, delta: float, dt: float) -> float | np.ndarray:
    """Innovation std (m/s) that lattice rounding alone adds to a walk's moves.

    A continuous walk read on a lattice of pitch ``delta`` (m) is ``x_t + u_t`` with ``u_t`` uniform
    in the cell (variance ``delta^2 / 12`` per axis). The innovation of the lattice walk,
    ``(x_{t+1} - (1 + alpha) x_t + alpha x_{t-1}) / dt``, then carries ``(u_{t+1} - (1 + alpha) u_t
    + alpha u_{t-1}) / dt``: std ``(delta / dt) sqrt((1 + (1 + alpha)^2 + alpha^2) / 12)`` per axis
    for independent ``u_t`` (1.64 m/s at 0.25 m, 0.1 s, alpha = 0.85). ``delta = 0``: no lattice.
    """
    a = np.asarray(alpha, dtype=np.float64)
    return (delta / dt) * np.sqrt((1.0 + (1.0 + a) ** 2 + a ** 2) / 12.0)


def fit_mobility(xy: np.ndarray, dt: float, min_std: float = MIN_INNOVATION_STD, delta: float = 0.0,
                 n_alpha: int = 1000, lengths=None) -> MobilityParams:
    """Maximum-likelihood Gauss-Markov parameters of a trajectory ``xy [T, 2]`` (m), constrained to
    ``s >= floor(alpha) = sqrt(min_std^2 + quantisation_std(alpha, delta, dt)^2)`` (m/s).

    The model is the regression ``v_t = alpha v_{t-1} + c + s w_t`` (``c = (1 - alpha) v_bar`` per axis,
    ``alpha`` shared in ``[0, 0.999]``). For a given ``alpha`` the MLE of ``c`` is least squares and the
    constrained MLE of ``s`` is ``max(rms residual per axis, floor(alpha))`` (the likelihood is unimodal
    in ``s``); ``alpha`` maximises the resulting profile likelihood. Without a lattice (``delta = 0``)
    the floor is constant and the profile optimum is the clipped least-squares ``alpha``; with one,
    the profile is evaluated on ``n_alpha`` values of ``alpha`` (vectorised), so the fit is the
    constrained MLE to within ``1 / n_alpha``.

    With ``lengths`` (walk lengths, sum ``T``) ``xy`` holds several walks one after the other; the
    pairs of consecutive velocities are taken within walks only and one set of parameters is fitted
    to all of them (pooled MLE).
    """
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    parts = [xy] if lengths is None else [xy[s] for s in walk_slices(lengths)]
    vs = [np.diff(p, axis=0) / dt for p in parts]
    pairs = [(v[:-1], v[1:]) for v in vs if len(v) >= 2]
    if sum(len(p[0]) for p in pairs) < 2:
        raise ParameterError(f"need at least 4 positions in a walk to fit mobility, got walks of "
                             f"{[len(p) for p in parts]}")
    a, b = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    ac, bc = a - a.mean(0), b - b.mean(0)
    saa, sab, sbb = float((ac ** 2).sum()), float((ac * bc).sum()), float((bc ** 2).sum())
    alpha_ls = float(np.clip(sab / saa if saa > 0 else 0.0, 0.0, 0.999))
    alphas = np.array([alpha_ls]) if delta == 0.0 else np.append(np.linspace(0.0, 0.999, n_alpha), alpha_ls)
    n = len(b)
    rss = sbb - 2.0 * alphas * sab + alphas ** 2 * saa  # centred residual sum of squares, both axes
    s = np.maximum(np.sqrt(np.maximum(rss, 0.0) / (2.0 * n)), np.hypot(min_std, quantisation_std(alphas, delta, dt)))
    profile = -0.5 * rss / s ** 2 - 2.0 * n * np.log(s)
    k = int(np.argmax(profile))
    alpha = float(alphas[k])
    c = b.mean(0) - alpha * a.mean(0)
    vbar = c / (1.0 - alpha)
    return MobilityParams(alpha, (float(vbar[0]), float(vbar[1])), float(s[k]))
