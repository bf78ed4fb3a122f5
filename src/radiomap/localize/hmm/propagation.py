"""LOS/NLOS-conditional power, angle and delay models per AP (SPEC §2.2) and their estimators.

Region index ``r``: 0 = NLOS, 1 = LOS. For AP ``b`` and log-distance ``l = log10 d_b(x)``:

- power (dB): ``P = beta_{b,r} - 10 gamma_{b,r} l + e``, ``e ~ N(0, var_p)``;
- delay feature: ``D = c_{b,r} + kappa_{b,r} l + e``, ``e ~ N(0, var_d)``;
- angle (rad): ``theta ~ (1 - eps) N(phi_b(x), var_a) + eps U(-pi/2, pi/2)``, with ``phi_b`` the
  cone angle the ULA sees; the uniform outlier component makes the variance estimate robust
  to the heavy tail of MUSIC errors (an EM step never decreases the likelihood).

Estimators (SPEC §2.4): weighted least squares ``(A^T W A)^-1 A^T W y`` (eq. 11) with the
region indicator as weight and the weighted residual variance (eq. 12); EM for the angle
mixture. Each block ``(b, r, feature)`` is updated only if it has enough samples, otherwise it
keeps its previous value, so each update is a coordinate ascent of the joint likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from radiomap.errors import ParameterError

LOG_2PI = float(np.log(2.0 * np.pi))
MIN_STD = {"power": 0.3, "angle": np.deg2rad(0.2), "delay": 0.02}
"""Floors on the residual standard deviations (dB, rad, delay-feature units)."""
EPS_RANGE = (1e-3, 0.5)
"""Range of the angle outlier fraction."""
MIN_SAMPLES = 8
"""A block with fewer weighted samples keeps its previous parameters."""


@dataclass(frozen=True, eq=False)
class PropagationParams:
    """Per-AP, per-region model parameters (B APs, region 0 NLOS / 1 LOS).

    power_coef : [B, 2, 2] ``(beta dB, gamma)``; power_var : [B, 2] dB^2
    delay_coef : [B, 2, 2] ``(c, kappa)``; delay_var : [B, 2]
    angle_var : [B, 2] rad^2; angle_eps : [B, 2] outlier fraction
    """

    power_coef: np.ndarray
    power_var: np.ndarray
    delay_coef: np.ndarray
    delay_var: np.ndarray
    angle_var: np.ndarray
    angle_eps: np.ndarray

    @property
    def n_aps(self) -> int:
        return self.power_var.shape[0]

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(getattr(self, k), dtype=np.float64) for k in _FIELDS}

    @staticmethod
    def from_arrays(d: dict[str, np.ndarray]) -> PropagationParams:
        return PropagationParams(**{k: np.asarray(d[k], dtype=np.float64) for k in _FIELDS})

    def to_dict(self) -> dict:
        """JSON-friendly summary (angles in degrees)."""
        return {
            "beta_db": self.power_coef[..., 0].tolist(), "gamma": self.power_coef[..., 1].tolist(),
            "power_std_db": np.sqrt(self.power_var).tolist(),
            "delay_c": self.delay_coef[..., 0].tolist(), "delay_kappa": self.delay_coef[..., 1].tolist(),
            "delay_std": np.sqrt(self.delay_var).tolist(),
            "angle_std_deg": np.rad2deg(np.sqrt(self.angle_var)).tolist(), "angle_eps": self.angle_eps.tolist(),
            "regions": ["NLOS", "LOS"],
        }


_FIELDS = ("power_coef", "power_var", "delay_coef", "delay_var", "angle_var", "angle_eps")


def default_params(n_aps: int, *, rng: np.random.Generator | None = None, z: np.ndarray | None = None,
                   logd: np.ndarray | None = None) -> PropagationParams:
    """Starting values, scaled to the data when features are given, optionally randomised.

    Input
    -----
    n_aps : B
    rng : perturb at random (random initialisation) when given
    z : [T, B, 3] features; logd : [T, B] log10 distances at a rough track or [G, B] over the grid

    Without data: LOS ``beta = -20 dB``, ``gamma = 2``; NLOS ``beta = -30 dB``, ``gamma = 3``. With data:
    ``gamma`` 2 (LOS) / 3 (NLOS) and ``beta`` so that the mean power at the mean log-distance is
    matched (+-3 dB LOS/NLOS); delay intercepts at the feature's median. Angles: LOS 2 deg,
    NLOS 15 deg, 5 % outliers.
    """
    gam = np.array([3.0, 2.0])
    if z is None:
        beta = np.tile(np.array([-30.0, -20.0]), (n_aps, 1))
        dmed = np.zeros(n_aps)
        pvar = np.tile(np.array([36.0, 9.0]), (n_aps, 1))
        dvar = np.full((n_aps, 2), 1e6)
    else:
        z = np.asarray(z, dtype=np.float64)
        lbar = np.asarray(logd, dtype=np.float64).mean(axis=0)
        pbar = z[..., 0].mean(axis=0)
        beta = pbar[:, None] + 10.0 * gam[None] * lbar[:, None] + np.array([-3.0, 3.0])[None]
        pvar = np.tile(z[..., 0].var(axis=0)[:, None] / 2.0, (1, 2))
        dmed = np.median(z[..., 2], axis=0)
        dvar = np.tile(z[..., 2].var(axis=0)[:, None], (1, 2))
    if rng is not None:
        gam_b = gam[None] + rng.uniform(-0.5, 0.5, size=(n_aps, 2))
        beta = beta + 10.0 * (gam_b - gam[None]) * (0.0 if logd is None else
                                                     np.asarray(logd).mean(axis=0)[:, None])
        beta = beta + rng.normal(0.0, 2.0, size=beta.shape)
        pvar = pvar * rng.uniform(0.5, 2.0, size=pvar.shape)
    else:
        gam_b = np.tile(gam, (n_aps, 1))
    pc = np.stack([beta, gam_b], axis=-1)
    dc = np.stack([np.tile(dmed[:, None], (1, 2)), np.zeros((n_aps, 2))], axis=-1)
    av = np.tile(np.deg2rad(np.array([15.0, 2.0])) ** 2, (n_aps, 1))
    return PropagationParams(power_coef=pc, power_var=np.maximum(pvar, MIN_STD["power"] ** 2), delay_coef=dc,
                             delay_var=np.maximum(dvar, MIN_STD["delay"] ** 2), angle_var=av,
                             angle_eps=np.full((n_aps, 2), 0.05))


def angle_loglik(theta: np.ndarray, phi: np.ndarray, var: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Log-density of the contaminated-Gaussian angle model (broadcasting, rad)."""
    g = -0.5 * (theta - phi) ** 2 / var - (0.5 * np.log(var) + 0.5 * LOG_2PI - np.log1p(-eps))
    u = np.log(eps) - np.log(np.pi)
    return np.logaddexp(g, u)


def gauss_loglik(y: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    return -0.5 * (y - mean) ** 2 / var - (0.5 * np.log(var) + 0.5 * LOG_2PI)


def feature_means(logd: np.ndarray, params: PropagationParams) -> tuple[np.ndarray, np.ndarray]:
    """Expected power (dB) and delay feature ``[..., B, 2]`` at log10-distances ``logd [..., B]``."""
    ld = np.asarray(logd)[..., None]
    p = params.power_coef[..., 0] - 10.0 * params.power_coef[..., 1] * ld
    d = params.delay_coef[..., 0] + params.delay_coef[..., 1] * ld
    return p, d


def component_loglik(z: np.ndarray, logd: np.ndarray, phi: np.ndarray, params: PropagationParams,
                     features: tuple[bool, bool, bool] = (True, True, True), dtype=np.float64) -> np.ndarray:
    """Log-likelihood of each AP's features under each region: ``[..., B, 2]``.

    Input
    -----
    z : [..., B, 3] features (power dB, angle rad, delay feature)
    logd : [..., B] log10 distance to each AP (m); phi : [..., B] cone angle (rad)
    params : PropagationParams; features : which of (power, angle, delay) to use
    dtype : float dtype of the computation (float32 for the large emission tables)

    Output
    ------
    [..., B, 2] of ``dtype`` (region 0 NLOS, 1 LOS), broadcast over the leading axes.
    """
    params = PropagationParams(**{k: np.asarray(v, dtype=dtype) for k, v in params.arrays().items()})
    p_mean, d_mean = feature_means(np.asarray(logd, dtype=dtype), params)
    z = np.asarray(z, dtype=dtype)
    phi = np.asarray(phi, dtype=dtype)
    out = 0.0
    if features[0]:
        out = out + gauss_loglik(z[..., 0][..., None], p_mean, params.power_var)
    if features[1]:
        out = out + angle_loglik(z[..., 1][..., None], np.asarray(phi)[..., None], params.angle_var,
                                 params.angle_eps)
    if features[2]:
        out = out + gauss_loglik(z[..., 2][..., None], d_mean, params.delay_var)
    return np.broadcast_to(out, np.broadcast_shapes(np.shape(out), np.shape(p_mean))).astype(dtype)


def wls(A: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Weighted least squares (eq. 11) and weighted residual variance (eq. 12).

    Input: ``A [N, P]``, ``y [N]``, ``w [N]`` non-negative weights.
    Output: ``(coef [P], residual variance, total weight)``.
    """
    A = np.asarray(A, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    AtW = A.T * w
    gram = AtW @ A
    if np.linalg.cond(gram) > 1e12:
        raise ParameterError("weighted least squares is singular (all samples at one distance?)")
    coef = np.linalg.solve(gram, AtW @ y)
    sw = float(w.sum())
    var = float((w * (y - A @ coef) ** 2).sum() / sw)
    return coef, var, sw


def fit_params(z: np.ndarray, logd: np.ndarray, phi: np.ndarray, los: np.ndarray, prev: PropagationParams, *,
               fit_delay: bool = True, em_steps: int = 3) -> PropagationParams:
    """Maximum-likelihood update of every block given positions and region labels.

    Input
    -----
    z : [T, B, 3] features; logd, phi : [T, B] geometry at the (estimated) positions
    los : [T, B] region weight of LOS in [0, 1] (hard labels: bool)
    prev : previous parameters, kept for blocks with fewer than ``MIN_SAMPLES``

    Output
    ------
    PropagationParams
    """
    z = np.asarray(z, dtype=np.float64)
    w_los = np.asarray(los, dtype=np.float64)
    pc, pv = prev.power_coef.copy(), prev.power_var.copy()
    dc, dv = prev.delay_coef.copy(), prev.delay_var.copy()
    av, ae = prev.angle_var.copy(), prev.angle_eps.copy()
    for b in range(z.shape[1]):
        l = logd[:, b]
        for r in (0, 1):
            w = w_los[:, b] if r == 1 else 1.0 - w_los[:, b]
            sel = w > 0.5
            if w.sum() < MIN_SAMPLES or not sel.any() or np.ptp(l[sel]) < 0.05:
                continue
            coef, var, _ = wls(np.stack([np.ones_like(l), -10.0 * l], -1), z[:, b, 0], w)
            pc[b, r], pv[b, r] = coef, max(var, MIN_STD["power"] ** 2)
            if fit_delay:
                coef, var, _ = wls(np.stack([np.ones_like(l), l], -1), z[:, b, 2], w)
                dc[b, r], dv[b, r] = coef, max(var, MIN_STD["delay"] ** 2)
            res2 = (z[:, b, 1] - phi[:, b]) ** 2
            v, e = av[b, r], ae[b, r]
            for _ in range(em_steps):
                g = np.exp(-0.5 * res2 / v - 0.5 * np.log(v) - 0.5 * LOG_2PI) * (1.0 - e)
                u = e / np.pi
                gam = g / np.maximum(g + u, 1e-300)
                wg = w * gam
                v = max(float((wg * res2).sum() / max(wg.sum(), 1e-12)), MIN_STD["angle"] ** 2)
                e = float(np.clip((w * (1.0 - gam)).sum() / w.sum(), *EPS_RANGE))
            av[b, r], ae[b, r] = v, e
    return replace(prev, power_coef=pc, power_var=pv, delay_coef=dc, delay_var=dv, angle_var=av, angle_eps=ae)
