"""Triple-beam (angle x delay x Doppler) transform and fingerprints (seed 002, SPEC section 4.2).

The space-frequency-time (SFT) channel of one user is ``H [N_a, N_c, N_t]`` (antenna x subcarrier
x OFDM symbol). The triple-beam (TB) channel is the mode product (eq. 15)

    G = H x_1 V_A^H x_2 F_D^H x_3 F_T^H

with unit-norm DFT columns, each matched to the phase sign of its steering vector so that the
bin index grows with the physical parameter:

- angle ``V_A = F_h (kron) F_v``, ``F_h[m, p] = exp(+j 2 pi m p / (N_h o)) / sqrt(N_h)``
  (``o`` = oversampling; the UPA steering has phase ``exp(+j 2 pi (p_n - o) . u / lambda)``);
  bin ``p`` <-> spatial frequency ``psi_h = d_h (u . axis_h) / lambda = p / (N_h o)`` (mod 1);
- delay ``F_D[k, g] = exp(-j 2 pi k g / N_c) / sqrt(N_c)``, first ``N_g`` columns (taps inside
  the CP); tap ``g`` <-> delay ``tau = g / (N_c Delta_f)`` (absolute delay, s);
- Doppler ``F_T[s, q] = exp(+j 2 pi s q / N_t) / sqrt(N_t)``; bin ``q`` <-> Doppler
  ``nu = q / (N_t T_sym)`` (mod ``1 / T_sym``).

The TBF (eq. 20) is ``Omega = E[|G|^2]``. A path is a separable outer product
``h_l = sqrt(P_l) e^{j phi_l} (a_h (kron) a_v) o f_l o t_l``; with independent path phases

    Omega = sum_l P_l |V_A^H a_l|^2 o |F_D^H f_l|^2 o |F_T^H t_l|^2 + sigma^2,

and every factor is a Fejer kernel in closed form, so the 128 x 2048 x 112 SFT tensor is never
built (:func:`tbf_from_params`, :func:`compact_tbf`). The tensor route (:func:`triple_beam`,
:func:`tbf_from_csi`, :func:`tbf_from_sftf`) exists to verify it on small sizes.

Paths are described by :class:`BeamParams` in normalised units (cycles per element, per
subcarrier, per symbol); :func:`beam_params_from_paths` converts a ``radiomap.channel.Paths``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiomap.channel.paths import doppler_hz
from radiomap.errors import DataError, ParameterError

__all__ = [
    "BeamParams",
    "TBShape",
    "angle_delay_image",
    "angle_transform",
    "beam_params_from_paths",
    "collinearity",
    "compact_tbf",
    "delay_transform",
    "doppler_profile",
    "doppler_profile_from_weights",
    "doppler_transform",
    "doppler_weights",
    "fejer",
    "mask",
    "noise_variance_for_snr",
    "path_responses",
    "preprocess",
    "sftf_collinearity",
    "sftf_from_csi",
    "sftf_from_params",
    "synthesize_csi",
    "tbf_collinearity",
    "tbf_from_csi",
    "tbf_from_params",
    "tbf_from_sftf",
    "theorem2_gap",
    "triple_beam",
]

_MAX_DENSE = 2**22  # largest SFT / TB tensor (entries) the dense small-size routes accept


# ---------------------------------------------------------------------------------------------
# shapes and per-path parameters
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TBShape:
    """Sizes of the SFT and TB domains.

    Attributes
    ----------
    n_h, n_v : int
        UPA elements per row / column (``N_a = n_h * n_v``; a ULA has ``n_v = 1``).
    n_c : int
        Subcarriers ``N_c`` (delay DFT length).
    n_g : int
        Delay taps kept (``N_g <= N_c``, taps inside the cyclic prefix).
    n_t : int
        OFDM symbols of the frame (Doppler DFT length).
    oversample : int
        Angle-domain oversampling factor per array axis (1 = unitary ``V_A``).
    """

    n_h: int
    n_v: int
    n_c: int
    n_g: int
    n_t: int
    oversample: int = 1

    def __post_init__(self):
        for k in ("n_h", "n_v", "n_c", "n_g", "n_t", "oversample"):
            if int(getattr(self, k)) < 1:
                raise ParameterError(f"TBShape.{k} = {getattr(self, k)}, expected >= 1")
        if self.n_g > self.n_c:
            raise ParameterError(f"TBShape.n_g = {self.n_g} exceeds n_c = {self.n_c}")

    @property
    def n_a(self) -> int:
        """Antennas ``N_a = n_h n_v``."""
        return self.n_h * self.n_v

    @property
    def n_beams(self) -> int:
        """Angle bins ``n_h n_v oversample^2``."""
        return self.n_a * self.oversample**2

    @property
    def tb(self) -> tuple[int, int, int]:
        """TB tensor shape ``(n_beams, n_g, n_t)``."""
        return (self.n_beams, self.n_g, self.n_t)

    @property
    def sft(self) -> tuple[int, int, int]:
        """SFT tensor shape ``(N_a, N_c, N_t)``."""
        return (self.n_a, self.n_c, self.n_t)


@dataclass
class BeamParams:
    """Per-path parameters in normalised units (all arrays ``[N, L]``, float64).

    Attributes
    ----------
    power : ndarray [N, L]
        ``P_l = N_a |gain_l|^2``: the path's SFT energy per subcarrier and symbol (linear).
        Padding paths have power 0.
    psi_h, psi_v : ndarray [N, L]
        Spatial frequency along the array rows / columns, cycles per element:
        ``d (u . axis) / lambda``.
    kappa : ndarray [N, L]
        Delay in cycles per subcarrier, ``Delta_f * tau``.
    nu : ndarray [N, L]
        Doppler in cycles per OFDM symbol, ``doppler * T_sym``.
    """

    power: np.ndarray
    psi_h: np.ndarray
    psi_v: np.ndarray
    kappa: np.ndarray
    nu: np.ndarray

    def __post_init__(self):
        names = ("power", "psi_h", "psi_v", "kappa", "nu")
        arrs = [np.asarray(getattr(self, k), dtype=np.float64) for k in names]
        shape = np.broadcast_shapes(*(a.shape for a in arrs))
        if len(shape) == 1:
            shape = (1,) + shape
        if len(shape) != 2:
            raise DataError(f"BeamParams arrays must be [N, L], got shape {shape}")
        for k, a in zip(names, arrs, strict=True):
            a = np.broadcast_to(a, shape).copy()
            if not np.all(np.isfinite(a)):
                raise DataError(f"BeamParams.{k} has NaN/Inf values")
            setattr(self, k, a)
        if np.any(self.power < 0):
            raise DataError("BeamParams.power has negative values; expected linear power >= 0")

    @property
    def n_samples(self) -> int:
        return self.power.shape[0]

    def subset(self, idx) -> BeamParams:
        """Rows ``idx`` of every array."""
        return BeamParams(self.power[idx], self.psi_h[idx], self.psi_v[idx], self.kappa[idx], self.nu[idx])

    def with_doppler(self, nu: np.ndarray) -> BeamParams:
        """Same paths with another Doppler ``nu [N, L]`` (cycles per symbol)."""
        return BeamParams(self.power, self.psi_h, self.psi_v, self.kappa, nu)


# ---------------------------------------------------------------------------------------------
# transforms (dense, small sizes) and the Fejer kernel (closed form)
# ---------------------------------------------------------------------------------------------
def _dft(n: int, n_bins: int, sign: float) -> np.ndarray:
    """``[n, n_bins]`` complex128, ``exp(sign j 2 pi i p / n_bins) / sqrt(n)``."""
    i = np.arange(n)[:, None]
    p = np.arange(n_bins)[None, :]
    return np.exp(sign * 2j * np.pi * i * p / n_bins) / np.sqrt(n)


def angle_transform(n_h: int, n_v: int, oversample: int = 1) -> np.ndarray:
    """Angle-domain transform ``V_A = F_h (kron) F_v``.

    Output: ``[n_h n_v, n_h n_v oversample^2]`` complex128, unit-norm columns (unitary when
    ``oversample == 1``); column ``p * n_v o + r`` is the beam of spatial frequencies
    ``(p / (n_h o), r / (n_v o))``.
    """
    return np.kron(_dft(n_h, n_h * oversample, +1), _dft(n_v, n_v * oversample, +1))


def delay_transform(n_c: int, n_g: int) -> np.ndarray:
    """Delay-domain transform ``F_D``: the first ``n_g`` columns of the unitary ``n_c``-point DFT.

    Output: ``[n_c, n_g]`` complex128, ``F_D[k, g] = exp(-j 2 pi k g / n_c) / sqrt(n_c)``.
    """
    return _dft(n_c, n_c, -1)[:, :n_g]


def doppler_transform(n_t: int) -> np.ndarray:
    """Doppler-domain transform ``F_T[s, q] = exp(+j 2 pi s q / n_t) / sqrt(n_t)``, ``[n_t, n_t]``."""
    return _dft(n_t, n_t, +1)


def fejer(x: np.ndarray, n: int) -> np.ndarray:
    """Normalised Fejer kernel ``|sum_{m=0}^{n-1} exp(j 2 pi m x)|^2 / n^2`` (1 at integer ``x``).

    Input: ``x [...]`` float (cycles). Output: ``[...]`` float64 in ``[0, 1]``.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - np.round(x)
    s = np.sin(np.pi * x)
    small = np.abs(s) < 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (np.sin(np.pi * n * x) / (n * np.where(small, 1.0, s))) ** 2
    # second-order expansion near integers: 1 - (n^2 - 1) (pi x)^2 / 3
    return np.where(small, 1.0 - (n * n - 1) * (np.pi * x) ** 2 / 3.0, out)


def fejer_grid(x: np.ndarray, n: int) -> np.ndarray:
    """:func:`fejer` at ``x[..., None] - q / n`` for ``q = 0..n-1``, ``[..., n]``, without a transcendental per
    grid point: ``sin(pi n (x - q/n))^2 = sin(pi n x)^2`` and ``sin(pi (x - q/n))`` by the difference formula
    (same values as :func:`fejer` to ~1e-12)."""
    x = np.asarray(x, dtype=np.float64)
    q = np.pi * np.arange(n) / n
    num = np.sin(np.pi * n * x)[..., None] ** 2
    s = np.sin(np.pi * x)[..., None] * np.cos(q) - np.cos(np.pi * x)[..., None] * np.sin(q)
    small = np.abs(s) < 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / (n * n * np.where(small, 1.0, s * s))
    if small.any():
        d = x[..., None] - np.arange(n) / n
        d = d - np.round(d)
        out = np.where(small, 1.0 - (n * n - 1) * (np.pi * d) ** 2 / 3.0, out)
    return out


def path_responses(params: BeamParams, shape: TBShape) -> dict[str, np.ndarray]:
    """Closed-form per-path TB power responses (the separable factors of eq. 20).

    Input: ``params`` (``[N, L]``), ``shape``.
    Output: dict of float64 arrays
        ``"h" [N, L, n_h o]``, ``"v" [N, L, n_v o]``: ``|F^H a|^2`` per array axis (sum 1);
        ``"delay" [N, L, n_g]``: ``|F_D^H f_l|^2`` (sums to ``n_c`` over all ``n_c`` taps);
        ``"doppler" [N, L, n_t]``: ``|F_T^H t_l|^2`` (sum ``n_t``).
    The TB power of path ``l`` is ``P_l * kron(h, v) o delay o doppler``.
    """
    o = shape.oversample
    ph = np.arange(shape.n_h * o) / (shape.n_h * o)
    pv = np.arange(shape.n_v * o) / (shape.n_v * o)
    g = np.arange(shape.n_g) / shape.n_c
    q = np.arange(shape.n_t) / shape.n_t
    return {
        "h": fejer(params.psi_h[..., None] - ph, shape.n_h),
        "v": fejer(params.psi_v[..., None] - pv, shape.n_v),
        "delay": shape.n_c * fejer(g - params.kappa[..., None], shape.n_c),
        "doppler": shape.n_t * fejer(params.nu[..., None] - q, shape.n_t),
    }


def _angle(resp: dict[str, np.ndarray]) -> np.ndarray:
    """``[N, L, n_beams]`` = row-major Kronecker product of the two array axes."""
    h, v = resp["h"], resp["v"]
    return (h[..., :, None] * v[..., None, :]).reshape(h.shape[:-1] + (-1,))


def _check_dense(n: int, what: str) -> None:
    if n > _MAX_DENSE:
        raise ParameterError(f"{what} would have {n} entries (> {_MAX_DENSE}); use compact_tbf")


# ---------------------------------------------------------------------------------------------
# TBF: closed form from paths
# ---------------------------------------------------------------------------------------------
def tbf_from_params(params: BeamParams, shape: TBShape, noise_var=0.0) -> np.ndarray:
    """Full TBF ``Omega = E|G|^2`` (eq. 20) in closed form; small sizes only.

    Input: ``params`` ``[N, L]``; ``noise_var`` scalar or ``[N]`` (CSI noise variance per entry).
    Output: ``[N, n_beams, n_g, n_t]`` float64 (linear power).
    """
    _check_dense(int(np.prod(shape.tb)) * params.n_samples, "the dense TBF")
    r = path_responses(params, shape)
    omega = np.einsum("nl,nla,nlg,nlq->nagq", params.power, _angle(r), r["delay"], r["doppler"],
                      optimize=True)
    return omega + np.asarray(noise_var, dtype=np.float64).reshape(-1, 1, 1, 1)


def noise_variance_for_snr(total_power, snr_db, n_a: int) -> np.ndarray:
    """CSI noise variance per entry for a per-sample SNR over antennas, subcarriers and symbols.

    The expected power of one SFT entry is ``sum_l |gain_l|^2 = sum_l P_l / N_a``.

    Parameters
    ----------
    total_power : float or ndarray, float64 [N]
        ``sum_l P_l`` per sample (linear, the beam parameters' normalised path powers).
    snr_db : float or ndarray [N]
        SNR (dB).
    n_a : int
        Antennas of the AP.

    Returns
    -------
    ndarray, float64 [N] (or scalar)
        ``sigma^2`` (linear).
    """
    return np.asarray(total_power, dtype=np.float64) / n_a / 10.0 ** (np.asarray(snr_db, dtype=np.float64) / 10.0)


def compact_tbf(
    params: BeamParams,
    shape: TBShape,
    *,
    snr_db=None,
    rng: np.random.Generator | None = None,
    chunk: int = 512,
    angle_delay: bool = True,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Angle-delay and Doppler marginals of the TBF without building it (large sizes).

    ``X_AD[a, g] = sum_q Omega[a, g, q]`` and ``X_D[q] = sum_{a, g} Omega[a, g, q]`` (eq. 28, 30
    before normalisation). The signal part is the expected power (eq. 20). With ``snr_db``
    (per-sample SNR over antennas, subcarriers and symbols: ``sigma^2 = mean entry power / SNR``)
    the AWGN of one frame is added in distribution: for a fixed TB channel ``G`` and
    ``W ~ CN(0, sigma^2)`` i.i.d. per TB cell (unit-norm orthogonal columns keep white noise
    white), ``sum_q |G + W|^2 = sum_q |G|^2 + sigma^2 Gamma(n_t, 1) + N(0, 2 sigma^2 sum_q |G|^2)``
    (the cross term is exactly Gaussian given ``G``); likewise for ``X_D`` with
    ``n_beams n_g`` terms.

    Input: ``params`` ``[N, L]``; ``snr_db`` None, scalar or ``[N]`` (dB); ``rng`` required with noise;
    ``angle_delay=False`` skips ``x_ad`` (returned as None) when only the Doppler profile is needed.
    Output: ``x_ad [N, n_beams, n_g]`` float32, ``x_d [N, n_t]`` float32 (linear power).
    """
    n = params.n_samples
    x_ad = np.empty((n, shape.n_beams, shape.n_g), dtype=np.float32) if angle_delay else None
    x_d = np.empty((n, shape.n_t), dtype=np.float32)
    if snr_db is not None and rng is None:
        raise ParameterError("compact_tbf: snr_db given without rng; pass a numpy Generator")
    sigma2 = None
    if snr_db is not None:
        sigma2 = np.broadcast_to(noise_variance_for_snr(params.power.sum(axis=1), snr_db, shape.n_a), (n,))
    for s in range(0, n, chunk):
        sl = slice(s, min(s + chunk, n))
        r = path_responses(params.subset(sl), shape)
        ang = _angle(r)
        p = params.power[sl]
        s2 = None if sigma2 is None else sigma2[sl]
        if angle_delay:
            w_ad = p * r["doppler"].sum(-1)  # [n, L]
            ad = np.matmul((ang * w_ad[..., None]).transpose(0, 2, 1), r["delay"])  # [n, a, g]
            if s2 is not None:
                ad = (ad + s2[:, None, None] * rng.gamma(shape.n_t, 1.0, size=ad.shape)
                      + np.sqrt(2.0 * s2[:, None, None] * ad) * rng.standard_normal(ad.shape))
            x_ad[sl] = np.maximum(ad, 0.0)
        w_d = p * ang.sum(-1) * r["delay"].sum(-1)
        x_d[sl] = _doppler_from_weights(w_d, r["doppler"], s2, shape.n_beams * shape.n_g, rng)
    return x_ad, x_d


def _doppler_from_weights(w_d, dop_resp, s2, n_cells, rng) -> np.ndarray:
    """``X_D = sum_l w_l |F_T^H t_l|^2`` plus the compact AWGN terms (see :func:`compact_tbf`)."""
    d = np.einsum("nl,nlq->nq", w_d, dop_resp)
    if s2 is not None:
        d = (d + s2[:, None] * rng.gamma(n_cells, 1.0, size=d.shape)
             + np.sqrt(2.0 * s2[:, None] * d) * rng.standard_normal(d.shape))
    return np.maximum(d, 0.0).astype(np.float32)


def doppler_weights(params: BeamParams, shape: TBShape, chunk: int = 512) -> np.ndarray:
    """Per-path weight of the Doppler profile, ``P_l sum_a |V_A^H a_l|^2 sum_{g < N_g} |F_D^H f_l|^2``.

    It does not depend on the Doppler, so one position's weights serve every velocity
    (:func:`doppler_profile_from_weights`). Output ``[N, L]`` float64.
    """
    out = np.empty_like(params.power)
    for s in range(0, params.n_samples, chunk):
        sl = slice(s, min(s + chunk, params.n_samples))
        r = path_responses(params.subset(sl), shape)
        out[sl] = params.power[sl] * r["h"].sum(-1) * r["v"].sum(-1) * r["delay"].sum(-1)
    return out


def doppler_profile_from_weights(weights: np.ndarray, nu: np.ndarray, shape: TBShape, *, total_power=None,
                                 snr_db=None, rng: np.random.Generator | None = None) -> np.ndarray:
    """Raw ``X_D [N, n_t]`` float32 from :func:`doppler_weights` ``[N, L]`` and Doppler ``nu [N, L]``
    (cycles per symbol); equals ``compact_tbf(...)[1]``. With ``snr_db`` pass ``total_power = sum_l P_l``
    ``[N]`` and ``rng``."""
    s2 = None
    if snr_db is not None:
        if rng is None or total_power is None:
            raise ParameterError("doppler_profile_from_weights: snr_db needs total_power and rng")
        s2 = np.broadcast_to(noise_variance_for_snr(total_power, snr_db, shape.n_a), (len(weights),))
    out = np.empty((len(weights), shape.n_t), dtype=np.float32)
    for s in range(0, len(weights), 1024):
        sl = slice(s, s + 1024)
        t = shape.n_t * fejer_grid(nu[sl], shape.n_t)
        out[sl] = _doppler_from_weights(weights[sl], t, None if s2 is None else s2[sl],
                                        shape.n_beams * shape.n_g, rng)
    return out


# ---------------------------------------------------------------------------------------------
# tensor route (small sizes): SFT tensor, its TB transform, SFTF
# ---------------------------------------------------------------------------------------------
def _path_vectors(params: BeamParams, shape: TBShape):
    """Explicit per-path vectors: a ``[N, L, N_a]`` (unit norm), f ``[N, L, N_c]``, t ``[N, L, N_t]``."""
    m = np.arange(shape.n_h)
    r = np.arange(shape.n_v)
    ah = np.exp(2j * np.pi * params.psi_h[..., None] * m) / np.sqrt(shape.n_h)
    av = np.exp(2j * np.pi * params.psi_v[..., None] * r) / np.sqrt(shape.n_v)
    a = (ah[..., :, None] * av[..., None, :]).reshape(ah.shape[:-1] + (-1,))
    f = np.exp(-2j * np.pi * params.kappa[..., None] * np.arange(shape.n_c))
    t = np.exp(2j * np.pi * params.nu[..., None] * np.arange(shape.n_t))
    return a, f, t


def synthesize_csi(params: BeamParams, shape: TBShape, phases: np.ndarray | None = None) -> np.ndarray:
    """SFT channel tensor ``H = sum_l sqrt(P_l) e^{j phi_l} a_l o f_l o t_l`` (eq. 10); small sizes.

    Input: ``params`` ``[N, L]``; ``phases [..., N, L]`` (rad) or None (zero phases).
    Output: ``[..., N, N_a, N_c, N_t]`` complex128.
    """
    _check_dense(int(np.prod(shape.sft)) * params.n_samples, "the SFT tensor")
    a, f, t = _path_vectors(params, shape)
    amp = np.sqrt(params.power) * (1.0 if phases is None else np.exp(1j * np.asarray(phases)))
    return np.einsum("...nl,nla,nlk,nls->...naks", amp, a, f, t, optimize=True)


def triple_beam(csi: np.ndarray, shape: TBShape) -> np.ndarray:
    """TB-domain channel ``G = H x_1 V_A^H x_2 F_D^H x_3 F_T^H`` (eq. 15) by mode products.

    Input: ``csi [..., N_a, N_c, N_t]`` complex. Output: ``[..., n_beams, n_g, n_t]`` complex128.
    """
    csi = np.asarray(csi)
    if csi.shape[-3:] != shape.sft:
        raise DataError(f"triple_beam: csi has trailing shape {csi.shape[-3:]}, expected {shape.sft}")
    va = angle_transform(shape.n_h, shape.n_v, shape.oversample).conj()
    fd = delay_transform(shape.n_c, shape.n_g).conj()
    ft = doppler_transform(shape.n_t).conj()
    g = np.einsum("...aks,ab->...bks", csi, va, optimize=True)
    g = np.einsum("...bks,kg->...bgs", g, fd, optimize=True)
    return np.einsum("...bgs,sq->...bgq", g, ft, optimize=True)


def tbf_from_csi(csi: np.ndarray, shape: TBShape) -> np.ndarray:
    """Sample TBF ``mean_r |G_r|^2`` over realisations (axis 0) of the SFT tensor.

    Input: ``csi [R, ..., N_a, N_c, N_t]``. Output: ``[..., n_beams, n_g, n_t]`` float64.
    """
    return np.mean(np.abs(triple_beam(csi, shape)) ** 2, axis=0)


def sftf_from_params(params: BeamParams, shape: TBShape, noise_var=0.0) -> np.ndarray:
    """SFTF ``R = E[vec(H) vec(H)^H] = sum_l P_l h_l h_l^H + sigma^2 I`` (eq. 19); small sizes.

    ``vec`` is row-major over ``(antenna, subcarrier, symbol)``.
    Input: ``params`` ``[N, L]``. Output: ``[N, M, M]`` complex128, ``M = N_a N_c N_t``.
    """
    m = int(np.prod(shape.sft))
    _check_dense(m * m * params.n_samples, "the SFTF")
    a, f, t = _path_vectors(params, shape)
    h = np.einsum("nla,nlk,nls->nlaks", a, f, t).reshape(params.n_samples, -1, m)
    r = np.einsum("nl,nli,nlj->nij", params.power, h, h.conj())
    return r + np.asarray(noise_var, dtype=np.float64).reshape(-1, 1, 1) * np.eye(m)


def sftf_from_csi(csi: np.ndarray) -> np.ndarray:
    """Sample SFTF ``mean_r vec(H_r) vec(H_r)^H`` over realisations (axis 0).

    Input: ``[R, ..., N_a, N_c, N_t]``. Output: ``[..., M, M]`` complex128.
    """
    csi = np.asarray(csi)
    v = csi.reshape(csi.shape[:-3] + (-1,))
    _check_dense(v.shape[-1] ** 2 * int(np.prod(v.shape[1:-1], dtype=np.int64)), "the SFTF")
    return np.einsum("r...i,r...j->...ij", v, v.conj()) / v.shape[0]


def tbf_from_sftf(r: np.ndarray, shape: TBShape) -> np.ndarray:
    """TBF as the diagonal of the transformed SFTF, ``diag(W^H R W)``, ``W = V_A (kron) F_D (kron) F_T``.

    Input: ``r [..., M, M]``. Output: ``[..., n_beams, n_g, n_t]`` float64.
    """
    w = np.kron(np.kron(angle_transform(shape.n_h, shape.n_v, shape.oversample),
                        delay_transform(shape.n_c, shape.n_g)), doppler_transform(shape.n_t))
    d = np.einsum("ij,...ik,kj->...j", w.conj(), r, w, optimize=True)
    return d.real.reshape(r.shape[:-2] + shape.tb)


# ---------------------------------------------------------------------------------------------
# collinearity (eq. 25) and Theorem 2
# ---------------------------------------------------------------------------------------------
def collinearity(a: np.ndarray, b: np.ndarray) -> float:
    """Collinearity ``|<A, B>| / (||A||_F ||B||_F)`` of two tensors of one shape (eq. 25)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise DataError(f"collinearity: shapes {a.shape} and {b.shape} differ")
    num = np.abs(np.vdot(b, a))
    return float(num / (np.linalg.norm(a) * np.linalg.norm(b)))


def _sftf_inner(p1: BeamParams, p2: BeamParams, shape: TBShape) -> float:
    """``<R_1, R_2> = sum_{l, l'} P_l P'_l' |h_l^H h'_l'|^2`` with separable ``h^H h'`` (row 0 of each)."""
    a1, f1, t1 = _path_vectors(p1.subset([0]), shape)
    a2, f2, t2 = _path_vectors(p2.subset([0]), shape)
    g = (a1[0].conj() @ a2[0].T) * (f1[0].conj() @ f2[0].T) * (t1[0].conj() @ t2[0].T)
    return float(p1.power[0] @ (np.abs(g) ** 2) @ p2.power[0])


def _tbf_inner(p1: BeamParams, p2: BeamParams, shape: TBShape) -> float:
    """``<Omega_1, Omega_2>`` (noiseless), separable over the three domains (row 0 of each)."""
    r1, r2 = path_responses(p1.subset([0]), shape), path_responses(p2.subset([0]), shape)
    g = np.ones((p1.power.shape[1], p2.power.shape[1]))
    for k in ("h", "v", "delay", "doppler"):
        g = g * (r1[k][0] @ r2[k][0].T)
    return float(p1.power[0] @ g @ p2.power[0])


def sftf_collinearity(p1: BeamParams, p2: BeamParams, shape: TBShape) -> float:
    """Collinearity of the noiseless SFTFs of the first samples of ``p1`` and ``p2``, without the SFTF."""
    return _sftf_inner(p1, p2, shape) / np.sqrt(_sftf_inner(p1, p1, shape) * _sftf_inner(p2, p2, shape))


def tbf_collinearity(p1: BeamParams, p2: BeamParams, shape: TBShape) -> float:
    """Collinearity of the noiseless TBFs of the first samples of ``p1`` and ``p2``, in closed form."""
    return _tbf_inner(p1, p2, shape) / np.sqrt(_tbf_inner(p1, p1, shape) * _tbf_inner(p2, p2, shape))


def theorem2_gap(p1: BeamParams, p2: BeamParams, shapes: list[TBShape]) -> np.ndarray:
    """Theorem 2 check: ``|c(SFTF_1, SFTF_2) - c(TBF_1, TBF_2)|`` for each size in ``shapes``.

    Output: ``[len(shapes), 3]`` float64 rows ``(c_sftf, c_tbf, gap)``.
    """
    out = []
    for s in shapes:
        cs, ct = sftf_collinearity(p1, p2, s), tbf_collinearity(p1, p2, s)
        out.append((cs, ct, abs(cs - ct)))
    return np.asarray(out)


# ---------------------------------------------------------------------------------------------
# from radiomap Paths
# ---------------------------------------------------------------------------------------------
def beam_params_from_paths(paths, scene, *, ap_index: int = 0, velocity=None) -> BeamParams:
    """Normalised per-path parameters of AP ``ap_index`` from ``radiomap.channel.Paths``.

    Spatial frequencies come from the AP's element geometry (element ``m n_v + n``), matching the
    plane-wave steering ``exp(+j 2 pi (p_n - o) . u / lambda_c)`` of ``paths.cfr(..., "plane")``.
    Input: ``paths`` (``N`` positions), ``scene`` (its ``aps`` and ``ofdm``), ``velocity [N, 3]``
    (m/s) or None (use ``paths.doppler``, else zero Doppler).
    Output: :class:`BeamParams` ``[N, L]``.
    """
    ofdm = scene.ofdm
    ap = scene.aps[ap_index]
    lam = ofdm.wavelength
    n_h, n_v = array_shape(ap.array)
    el = np.asarray(ap.element_positions(lam), dtype=np.float64)
    e_h = (el[n_v] - el[0]) if n_h > 1 else np.zeros(3)
    e_v = (el[1] - el[0]) if n_v > 1 else np.zeros(3)
    u = np.asarray(paths.departure[:, ap_index], dtype=np.float64)  # [N, L, 3]
    valid = np.asarray(paths.valid[:, ap_index], dtype=bool)
    power = np.where(valid, n_h * n_v * np.abs(paths.gain[:, ap_index]) ** 2, 0.0)
    if velocity is not None:
        dop = doppler_hz(paths.arrival[:, ap_index], np.asarray(velocity)[:, None, :], lam)
    elif getattr(paths, "doppler", None) is not None:
        dop = np.asarray(paths.doppler[:, ap_index], dtype=np.float64)
    else:
        dop = np.zeros_like(power)
    clean = lambda x: np.where(valid, np.nan_to_num(x), 0.0)  # noqa: E731
    return BeamParams(
        power=power,
        psi_h=clean(u @ e_h / lam),
        psi_v=clean(u @ e_v / lam),
        kappa=clean(np.asarray(paths.delay[:, ap_index]) * ofdm.subcarrier_spacing),
        nu=clean(dop * ofdm.symbol_duration),
    )


def array_shape(array) -> tuple[int, int]:
    """``(n_h, n_v)`` of a ``UPA`` (``n_h``, ``n_v``) or ``ULA`` (``n``, 1)."""
    if hasattr(array, "n_h"):
        return int(array.n_h), int(array.n_v)
    if hasattr(array, "n"):
        return int(array.n), 1
    raise DataError(f"unsupported array {type(array).__name__}; expected UPA or ULA")


# ---------------------------------------------------------------------------------------------
# preprocessing (eq. 28-30)
# ---------------------------------------------------------------------------------------------
def angle_delay_image(x_ad: np.ndarray) -> np.ndarray:
    """``X_AD`` normalised per sample to a peak of 1 (eq. 28). ``[N, A, G]`` -> float32 same shape."""
    x = np.asarray(x_ad, dtype=np.float32)
    peak = x.reshape(len(x), -1).max(axis=1).reshape(-1, *([1] * (x.ndim - 1)))
    return x / np.maximum(peak, np.finfo(np.float32).tiny)


def mask(x_ad_norm: np.ndarray, eta: float) -> np.ndarray:
    """Mask ``M = 1[X_AD > eta]`` (eq. 29) on a normalised image. Output: same shape, uint8."""
    if not 0.0 <= eta < 1.0:
        raise ParameterError(f"mask threshold eta = {eta}, expected 0 <= eta < 1")
    return (np.asarray(x_ad_norm) > eta).astype(np.uint8)


def doppler_profile(x_d: np.ndarray) -> np.ndarray:
    """``X_D`` normalised per sample to a peak of 1 (eq. 30). ``[N, n_t]`` -> float32."""
    return angle_delay_image(x_d)


def preprocess(x_ad: np.ndarray, x_d: np.ndarray, eta: float = 0.01) -> dict[str, np.ndarray]:
    """Compact fingerprint features as stored in a ``CSIDataset`` (``features=``).

    Input: raw marginals ``x_ad [N, A, G]``, ``x_d [N, n_t]`` (from :func:`compact_tbf`).
    Output: ``{"x_ad": float16 [N, A, G], "mask": uint8 [N, A, G], "x_d": float32 [N, n_t]}``.
    """
    img = angle_delay_image(x_ad)
    return {"x_ad": img.astype(np.float16), "mask": mask(img, eta), "x_d": doppler_profile(x_d)}
