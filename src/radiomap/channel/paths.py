"""``Paths``: the geometric multipath for a batch of positions, and its CFR synthesis."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from math import factorial

import numpy as np
import torch

from radiomap import SPEED_OF_LIGHT
from radiomap.errors import ParameterError
from radiomap.scene.elements import OFDM

KIND_DIRECT, KIND_REFLECTION, KIND_SCATTERER = 0, 1, 2
KIND_NAMES = ("direct", "reflection", "scatterer")

_TAYLOR_TOL = 1e-7


@dataclass(frozen=True)
class Paths:
    """Multipath between B APs and N user positions; ``L`` padded (see ``valid``).

    Attributes
    ----------
    positions : [N, 3] user positions (m)
    ap_positions : [B, 3] array centres (m)
    element_positions : [B, N_a, 3] global element positions (m)
    gain : [N, B, L] complex128, amplitude with free-space, reflection and penetration losses and
        material phase; excludes the propagation phase ``exp(-j 2 pi f tau)``
    length : [N, B, L] path length at the array centre (m)
    element_length : [N, B, L, N_a] exact per-element path length (m)
    departure : [N, B, L, 3] unit vector of the first segment, leaving the AP
    arrival : [N, B, L, 3] unit vector of the last segment, pointing toward the user
    valid : [N, B, L] bool
    order : [N, B, L] int8, number of specular reflections (scatterer paths: 1)
    kind : [N, B, L] int8, ``KIND_NAMES`` index (direct, reflection, scatterer)
    los : [N, B] bool, the direct path crosses no wall or slab
    doppler : [N, B, L] Doppler shift (Hz) or None; ``-(v . arrival) / lambda_c``
    """

    positions: np.ndarray
    ap_positions: np.ndarray
    element_positions: np.ndarray
    gain: np.ndarray
    length: np.ndarray
    element_length: np.ndarray
    departure: np.ndarray
    arrival: np.ndarray
    valid: np.ndarray
    order: np.ndarray
    kind: np.ndarray
    los: np.ndarray
    doppler: np.ndarray | None = None

    # -- construction ----------------------------------------------------------------------
    @staticmethod
    def from_candidates(**arrays) -> Paths:
        """Compact candidate arrays ``[N, B, Lc, ...]``: valid paths first, padded to the max count."""
        valid = arrays["valid"]
        n_valid = valid.sum(-1)
        l_max = max(int(n_valid.max()) if valid.size else 0, 1)
        idx = np.argsort(~valid, axis=-1, kind="stable")[..., :l_max]
        out = {}
        for k, v in arrays.items():
            if k in ("positions", "ap_positions", "element_positions", "los"):
                out[k] = v
                continue
            ix = idx.reshape(idx.shape + (1,) * (v.ndim - 3))
            out[k] = np.take_along_axis(v, ix, axis=2)
        keep = out["valid"]
        out["gain"] = np.where(keep, out["gain"], 0.0)
        out["length"] = np.where(keep, out["length"], 1.0)
        out["element_length"] = np.where(keep[..., None], out["element_length"], 1.0)
        return Paths(**out)

    @staticmethod
    def concatenate(parts: list[Paths]) -> Paths:
        """Concatenate along the position axis, re-padding ``L``."""
        l_max = max(p.n_paths for p in parts)
        padded = [p._pad(l_max) for p in parts]
        out = {}
        for f in fields(Paths):
            vals = [getattr(p, f.name) for p in padded]
            if f.name in ("ap_positions", "element_positions"):
                out[f.name] = vals[0]
            elif vals[0] is None:
                out[f.name] = None
            else:
                out[f.name] = np.concatenate(vals, axis=0)
        return Paths(**out)

    def _pad(self, l_max: int) -> Paths:
        extra = l_max - self.n_paths
        if extra == 0:
            return self
        fill = {"gain": 0.0, "length": 1.0, "element_length": 1.0, "departure": 0.0, "arrival": 0.0,
                "valid": False, "order": 0, "kind": 0, "doppler": 0.0}
        upd = {}
        for k, v in fill.items():
            a = getattr(self, k)
            if a is None:
                continue
            pad = [(0, 0)] * a.ndim
            pad[2] = (0, extra)
            upd[k] = np.pad(a, pad, constant_values=v)
        return replace(self, **upd)

    def with_velocity(self, velocity: np.ndarray, wavelength: float) -> Paths:
        """Copy with ``doppler = -(v . arrival) / lambda`` for user velocities ``[N, 3]`` (m/s)."""
        dop = -np.einsum("nc,nblc->nbl", velocity, self.arrival) / wavelength
        return replace(self, doppler=np.where(self.valid, dop, 0.0))

    def subset(self, idx: np.ndarray) -> Paths:
        """Paths of the positions ``idx``."""
        upd = {f.name: getattr(self, f.name)[idx] for f in fields(Paths)
               if f.name not in ("ap_positions", "element_positions") and getattr(self, f.name) is not None}
        return replace(self, **upd)

    # -- shapes and derived quantities --------------------------------------------------------
    @property
    def n_positions(self) -> int:
        return self.gain.shape[0]

    @property
    def n_aps(self) -> int:
        return self.gain.shape[1]

    @property
    def n_paths(self) -> int:
        return self.gain.shape[2]

    @property
    def n_antennas(self) -> int:
        return self.element_positions.shape[1]

    @property
    def delay(self) -> np.ndarray:
        """Delay at the array centre ``[N, B, L]`` (s)."""
        return self.length / SPEED_OF_LIGHT

    @property
    def aod_az(self) -> np.ndarray:
        return np.arctan2(self.departure[..., 1], self.departure[..., 0])

    @property
    def aod_el(self) -> np.ndarray:
        return np.arcsin(np.clip(self.departure[..., 2], -1, 1))

    @property
    def aoa_az(self) -> np.ndarray:
        """Azimuth the wave arrives FROM at the user (opposite of ``arrival``), radians."""
        return np.arctan2(-self.arrival[..., 1], -self.arrival[..., 0])

    @property
    def aoa_el(self) -> np.ndarray:
        return np.arcsin(np.clip(-self.arrival[..., 2], -1, 1))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (for HDF5 storage)."""
        return {f.name: getattr(self, f.name) for f in fields(Paths) if getattr(self, f.name) is not None}

    @staticmethod
    def from_arrays(arrays: dict[str, np.ndarray]) -> Paths:
        names = {f.name for f in fields(Paths)}
        return Paths(**{k: np.asarray(v) for k, v in arrays.items() if k in names})

    # -- channel synthesis -------------------------------------------------------------------
    def cfr(self, ofdm: OFDM, *, wavefront: str = "spherical", n_symbols: int | None = None,
            device: str | torch.device = "cpu", chunk: int = 64) -> np.ndarray:
        """Channel frequency response.

        Input
        -----
        ofdm : numerology (subcarrier frequencies ``f_k``, symbol duration)
        wavefront : ``"spherical"`` (exact per-element lengths, SPEC §1.2) or ``"plane"``
            (far-field steering vectors at the carrier and the centre delay)
        n_symbols : None for ``[N, B, N_a, K]``; S for a time axis ``[N, B, N_a, K, S]`` with each
            path rotated by ``exp(j 2 pi doppler s T_sym)`` (needs ``doppler``)

        Output
        ------
        complex64 CSI, ``[N, B, N_a, K]`` or ``[N, B, N_a, K, S]``

        Notes
        -----
        spherical: ``H[n,k] = sum_l g_l (d_l / d_{l,n}) exp(-j 2 pi f_k d_{l,n} / c)``. It is
        evaluated as a few batched matrix products: with ``d_{l,n} = d_l + delta_{l,n}``,
        ``exp(-j 2 pi (f_k - f_c) delta / c)`` is expanded in a Taylor series whose order is
        chosen so that the truncation error is below 1e-7.
        """
        if wavefront not in ("spherical", "plane"):
            raise ParameterError(f"wavefront must be 'spherical' or 'plane', got {wavefront!r}")
        if n_symbols is not None and self.doppler is None:
            raise ParameterError("a time axis (n_symbols) needs Doppler: trace with velocity=...")
        if self.n_positions <= chunk:
            return self._cfr_block(ofdm, wavefront, n_symbols, torch.device(device))
        # blocks of `chunk` positions keep the intermediates cache-sized (about 2x faster than one block)
        return np.concatenate([
            self.subset(np.arange(i, min(i + chunk, self.n_positions)))._cfr_block(
                ofdm, wavefront, n_symbols, torch.device(device))
            for i in range(0, self.n_positions, chunk)])

    def _cfr_block(self, ofdm: OFDM, wavefront: str, n_symbols: int | None, dev: torch.device) -> np.ndarray:
        """``cfr`` for all positions of this object at once."""
        fc = ofdm.carrier_hz
        df = torch.as_tensor(ofdm.frequencies - fc, dtype=torch.float64, device=dev)  # [K]
        tau = torch.as_tensor(self.length / SPEED_OF_LIGHT, device=dev)  # [N, B, L]
        gain = torch.as_tensor(self.gain, device=dev)
        # exp(-j 2 pi f_k tau_l) = exp(-j 2 pi f_c tau_l) exp(-j 2 pi df_k tau_l): [N, B, L, K]
        # (the carrier phase is reduced modulo one cycle in float64; df_k tau_l is small)
        cycles = torch.frac(tau * fc).float()[..., None] + tau.float()[..., None] * df.float()
        freq = _phasor(cycles)
        if n_symbols is not None:
            t = torch.arange(n_symbols, dtype=torch.float64, device=dev) * ofdm.symbol_duration
            dop = _phasor(-torch.as_tensor(self.doppler, device=dev)[..., None] * t)  # [N, B, L, S]
            freq = freq[..., :, None] * dop[..., None, :]  # [N, B, L, K, S]
        if wavefront == "plane":
            steer = self._plane_steering(ofdm.wavelength, dev)  # [N, B, L, A]
            return _contract(gain[..., None] * steer, freq).cpu().numpy()
        el = torch.as_tensor(self.element_length, device=dev)  # [N, B, L, A]
        length = torch.as_tensor(self.length, device=dev)[..., None]
        delta = (el - length).float()  # [N, B, L, A] (m), small: float32 is exact enough
        amp = (gain[..., None] * (length / el)).to(torch.complex64)
        base = amp * _phasor(delta * (fc / SPEED_OF_LIGHT))
        # Taylor terms in the normalised offset u_k = df_k / df_max (|u| <= 1):
        # H[a, k] = sum_m u_k^m sum_l base_la (w_la)^m / m! freq_lk,  w = -j 2 pi delta df_max / c
        df_max = float(df.abs().max()) or 1.0
        w = -2j * np.pi * delta * (df_max / SPEED_OF_LIGHT)  # [N, B, L, A]
        order = _taylor_order(float(w.abs().max()) if w.numel() else 0.0)
        terms = [base.to(torch.complex64)]
        w = w.to(torch.complex64)
        for m in range(1, order + 1):
            terms.append(terms[-1] * (w / m))
        stacked = torch.cat(terms, dim=-1)  # [N, B, L, (M+1) A]
        c = _contract(stacked, freq)  # [N, B, (M+1) A, K(, S)]
        n, nb, na = el.shape[0], el.shape[1], el.shape[3]
        c = c.reshape((n, nb, order + 1, na) + tuple(c.shape[3:]))
        u_pow = (df / df_max)[None, :] ** torch.arange(order + 1, device=dev, dtype=torch.float64)[:, None]
        u_pow = u_pow.to(torch.float32)  # [M+1, K]
        u_pow = u_pow.reshape((1, 1, order + 1, 1) + tuple(u_pow.shape[1:]) + (1,) * (c.ndim - 5))
        return (c * u_pow).sum(dim=2).cpu().numpy()

    def _plane_steering(self, wavelength: float, dev: torch.device) -> torch.Tensor:
        """``sqrt(N_a) * steering`` ``[N, B, L, A]``: ``exp(+j 2 pi (p_n - o) . u / lambda)``."""
        rel = torch.as_tensor(self.element_positions - self.ap_positions[:, None, :], device=dev)  # [B, A, 3]
        u = torch.as_tensor(self.departure, device=dev)  # [N, B, L, 3]
        return _phasor(-torch.einsum("nblc,bac->nbla", u, rel) / wavelength)


def _phasor(cycles: torch.Tensor) -> torch.Tensor:
    """``exp(-j 2 pi cycles)`` as complex64; the phase is reduced modulo one cycle in float64 first."""
    theta = (-2 * np.pi * torch.frac(cycles)).to(torch.float32) if cycles.dtype == torch.float64 \
        else -2 * np.pi * cycles
    return torch.complex(torch.cos(theta), torch.sin(theta))  # 4x faster than torch.polar on CPU


def _contract(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``sum_l a[n,b,l,A] * b[n,b,l,K(,S)]`` -> complex64 ``[N, B, A, K(,S)]`` as one batched matmul."""
    n, nb, l_, na = a.shape
    tail = b.shape[3:]
    a = a.to(torch.complex64).reshape(n * nb, l_, na).transpose(1, 2)
    b = b.to(torch.complex64).reshape(n * nb, l_, -1)
    return torch.bmm(a, b).reshape((n, nb, na) + tail)


def _taylor_order(x_max: float) -> int:
    """Smallest M with ``x^(M+1) / (M+1)! < tol`` (at least 0)."""
    m = 0
    while x_max ** (m + 1) / factorial(m + 1) >= _TAYLOR_TOL and m < 60:
        m += 1
    return m
