"""Model-based neural location-to-channel map (SPEC section 3.1, seeds 001 + 003).

The channel at position ``x`` is a sparse sum of ``D`` atoms, each a local planar wavefront
times an antenna response times a frequency response:

    H(x) = sum_i c_i(x) * psi_a_i psi_f_i^T,    c_i(x) = w_i(x) * exp(-j 2 pi / lambda k_i . (x - o_i))

- ``k_i`` (learnable, ~unit directions) carries the wavelength-scale spatial oscillation;
  ``o_i`` is the centroid of the region whose Taylor expansion the atom belongs to.
- ``w(x) = window(x) * (w0 + MLP(gamma(x)))``: slowly varying complex weights from a small MLP
  over a low-frequency Fourier embedding ``gamma`` (no spectral-bias problem), times a smooth
  partition of unity over the regions (raised-cosine tents), so that at any position only the
  atoms of the (at most 4) neighbouring regions are active: ``||w(x)||_0 <= 4 P``.
- ``psi_a_i`` in C^{N_a} and ``psi_f_i`` in C^{N_s}: learnable antenna and frequency responses,
  initialised from the matched-filter estimate of each atom's steering vector and delay response
  (see ``radiomap.localize.neuralmap.atoms``).

Complex parameters are stored as real ``[..., 2]`` tensors (safetensors-friendly).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from radiomap.errors import ParameterError
from radiomap.localize.training import seeded_init


def as_complex(t: torch.Tensor) -> torch.Tensor:
    """Complex view of a real tensor with a trailing (real, imaginary) axis.

    Parameters
    ----------
    t : torch.Tensor, float [..., 2]

    Returns
    -------
    torch.Tensor, complex [...]
    """
    return torch.complex(t[..., 0], t[..., 1])


def as_real(z: np.ndarray) -> np.ndarray:
    """Real (real, imaginary) pairs of a complex array.

    Parameters
    ----------
    z : ndarray, complex [...]

    Returns
    -------
    ndarray, float32 [..., 2]
    """
    return np.stack([z.real, z.imag], axis=-1).astype(np.float32)


class FourierEmbedding(nn.Module):
    """Fixed Fourier features of a position normalised to the area.

    Input ``x [N, 3]`` metres -> output ``[N, 2 + 2 F]``: the normalised xy in [-1, 1] and
    ``sin / cos(2 pi B^T x_xy)`` with ``B [2, F]`` in cycles per metre.

    Parameters
    ----------
    lo, hi : ndarray, float [2]
        Area box (m).
    freqs : ndarray, float [2, F]
        Frequencies (cycles per metre).
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, freqs: np.ndarray):
        super().__init__()
        self.register_buffer("lo", torch.as_tensor(np.asarray(lo, dtype=np.float32)))
        self.register_buffer("hi", torch.as_tensor(np.asarray(hi, dtype=np.float32)))
        self.register_buffer("freqs", torch.as_tensor(np.asarray(freqs, dtype=np.float32)))

    @property
    def n_out(self) -> int:
        """int: output features, ``2 + 2 F``."""
        return 2 + 2 * self.freqs.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding.

        Parameters
        ----------
        x : torch.Tensor, float32 [N, 3]
            Positions (m).

        Returns
        -------
        torch.Tensor, float32 [N, 2 + 2 F]
        """
        xy = x[:, :2]
        centre, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        u = (xy - centre) / half
        ang = 2 * math.pi * (xy - centre) @ self.freqs
        return torch.cat([u, torch.sin(ang), torch.cos(ang)], dim=1)


def region_windows(x: torch.Tensor, centroids_x: torch.Tensor, centroids_y: torch.Tensor,
                   overlap: float = 1.0) -> torch.Tensor:
    """Raised-cosine partition of unity over a ``R_x x R_y`` grid of region centroids.

    Along each axis, with ``u = (v - c_j) / step`` the offset from centroid ``j`` in centroid spacings,
    region ``j`` has weight 1 for ``|u| <= (1 - overlap) / 2`` and falls as a raised cosine to 0 at
    ``|u| = (1 + overlap) / 2``: the blend between neighbouring regions is ``overlap`` spacings wide,
    centred on their common cell border. ``overlap = 1`` gives the full tents (each region weighted up to
    its neighbours' centroids); a smaller one confines every region's atoms to its cell plus a margin of
    ``overlap / 2`` spacings.

    Parameters
    ----------
    x : torch.Tensor, float32 [N, 3]
        Positions (m).
    centroids_x : torch.Tensor, float32 [R_x]
        Increasing (m).
    centroids_y : torch.Tensor, float32 [R_y]
        Increasing (m).
    overlap : float
        Width of the blend at each border, in centroid spacings, in (0, 1].

    Returns
    -------
    torch.Tensor, float32 [N, R_x R_y]
        Weights in [0, 1] summing to 1 (region index ``ix * R_y + iy``); outside the centroid hull the
        nearest edge regions take the full weight.
    """

    def tents(v: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        if c.numel() == 1:
            return torch.ones(v.shape[0], 1, dtype=v.dtype, device=v.device)
        step = c[1] - c[0]
        t = (v[:, None] - c[None, :]) / step
        # edges: beyond the first/last centroid the edge tent saturates at 1
        t = torch.cat([t[:, :1].clamp(min=0.0), t[:, 1:-1], t[:, -1:].clamp(max=0.0)], dim=1)
        a = ((t.abs() - 0.5 * (1.0 - overlap)) / overlap).clamp(0.0, 1.0)
        w = torch.cos(0.5 * math.pi * a) ** 2
        return w

    wx = tents(x[:, 0], centroids_x)
    wy = tents(x[:, 1], centroids_y)
    return (wx[:, :, None] * wy[:, None, :]).reshape(x.shape[0], -1)


class ModelBasedChannelMap(nn.Module):
    """Physics-structured network ``f_theta: R^3 -> C^{N_a x N_s}``.

    Parameters
    ----------
    wave_vectors : [D, 3] float, unitless directions ``k_i`` (initial values)
    psi_a : [D, N_a] complex, initial antenna responses
    psi_f : [D, N_s] complex, initial frequency responses
    w0 : [D] complex, initial constant weights
    atom_region : [D] int, region index of each atom (``ix * R_y + iy``)
    centroids_x, centroids_y : [R_x], [R_y] float, metres, region-centroid grid
    z_ref : float, metres, reference height of the atoms' phase centres
    lo, hi : [2] float, metres, xy bounding box of the mapped area
    wavelength : float, metres (carrier)
    hidden, n_layers : size of the weight MLP
    overlap : float, width of the blend between neighbouring regions in centroid spacings (``region_windows``)
    ff_freqs : [2, F] float, cycles per metre, Fourier-embedding frequencies (low: << 1/lambda)

    Forward
    -------
    Input ``x [N, 3]`` float32 metres -> output ``[N, N_a, N_s]`` complex64 (normalised CSI units).
    """

    kind = "model-based"

    def __init__(self, *, wave_vectors, psi_a, psi_f, w0, atom_region, centroids_x, centroids_y, z_ref,
                 lo, hi, wavelength, hidden=64, n_layers=2, ff_freqs=None, overlap=1.0):
        super().__init__()
        d = len(wave_vectors)
        self.config = {
            "n_atoms": int(d), "n_antennas": int(np.shape(psi_a)[1]),
            "n_subcarriers": int(np.shape(psi_f)[1]),
            "hidden": int(hidden), "n_layers": int(n_layers), "wavelength": float(wavelength),
            "z_ref": float(z_ref), "n_ff": int(0 if ff_freqs is None else np.shape(ff_freqs)[1]),
            "overlap": float(overlap),
        }
        if not 0.0 < overlap <= 1.0:
            raise ParameterError(f"overlap={overlap}; expected in (0, 1]")
        self.overlap = float(overlap)
        self.wavelength = float(wavelength)
        self.k = nn.Parameter(torch.as_tensor(np.asarray(wave_vectors, dtype=np.float32)))
        self.psi_a = nn.Parameter(torch.as_tensor(as_real(np.asarray(psi_a))))
        self.psi_f = nn.Parameter(torch.as_tensor(as_real(np.asarray(psi_f))))
        self.w0 = nn.Parameter(torch.as_tensor(as_real(np.asarray(w0))))
        self.register_buffer("atom_region", torch.as_tensor(np.asarray(atom_region, dtype=np.int64)))
        self.register_buffer("centroids_x", torch.as_tensor(np.asarray(centroids_x, dtype=np.float32)))
        self.register_buffer("centroids_y", torch.as_tensor(np.asarray(centroids_y, dtype=np.float32)))
        cx, cy = np.meshgrid(np.asarray(centroids_x), np.asarray(centroids_y), indexing="ij")
        cen = np.stack([cx.ravel(), cy.ravel(), np.full(cx.size, z_ref)], axis=1)[np.asarray(atom_region)]
        self.register_buffer("origins", torch.as_tensor(cen.astype(np.float32)))
        ff = np.zeros((2, 0), np.float32) if ff_freqs is None else np.asarray(ff_freqs, np.float32)
        self.embed = FourierEmbedding(lo, hi, ff)
        layers: list[nn.Module] = []
        n_in = self.embed.n_out
        for _ in range(n_layers):
            layers += [nn.Linear(n_in, hidden), nn.SiLU()]
            n_in = hidden
        last = nn.Linear(n_in, 2 * d)
        nn.init.normal_(last.weight, std=1e-3)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(*layers, last)
        scale = float(np.sqrt(np.mean(np.abs(np.asarray(w0)) ** 2))) or 1.0
        self.register_buffer("w_scale", torch.tensor(scale, dtype=torch.float32))
        self.k_lr_scale = 0.03

    def param_groups(self, lr: float) -> list[dict]:
        """Adam groups: the wave vectors get a smaller step (their phase sensitivity is ~2 pi r / lambda).

        Parameters
        ----------
        lr : float
            Base learning rate.

        Returns
        -------
        list of dict
            ``[{"params": [k], "lr": lr * k_lr_scale}, {"params": rest, "lr": lr}]``.
        """
        rest = [p for n, p in self.named_parameters() if n != "k"]
        return [{"params": [self.k], "lr": lr * self.k_lr_scale}, {"params": rest, "lr": lr}]

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """Slowly varying sparse weights ``w(x)``.

        Parameters
        ----------
        x : torch.Tensor, float32 [N, 3]
            Positions (m).

        Returns
        -------
        torch.Tensor, complex64 [N, D]
        """
        out = self.mlp(self.embed(x)).view(x.shape[0], -1, 2)
        w = self.w_scale * as_complex(out) + as_complex(self.w0)[None, :]
        win = region_windows(x, self.centroids_x, self.centroids_y, self.overlap)[:, self.atom_region]
        return w * win

    def coefficients(self, x: torch.Tensor) -> torch.Tensor:
        """Atom coefficients ``c(x) = w(x) * psi_x(x)``.

        Parameters
        ----------
        x : torch.Tensor, float32 [N, 3]
            Positions (m).

        Returns
        -------
        torch.Tensor, complex64 [N, D]
        """
        rel = x[:, None, :] - self.origins[None]
        phase = (-2 * math.pi / self.wavelength) * (rel * self.k[None]).sum(-1)
        return self.weights(x) * torch.polar(torch.ones_like(phase), phase)

    def atom_matrix(self) -> torch.Tensor:
        """The atoms' antenna-frequency responses.

        Returns
        -------
        torch.Tensor, complex64 [D, N_a N_s]
            ``B`` with ``vec(f(x)) = c(x) @ B`` (antenna-major flattening).
        """
        outer = as_complex(self.psi_a)[:, :, None] * as_complex(self.psi_f)[:, None, :]
        return outer.reshape(self.k.shape[0], -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The map ``f_theta(x)``.

        Parameters
        ----------
        x : torch.Tensor, float32 [N, 3]
            Positions (m).

        Returns
        -------
        torch.Tensor, complex64 [N, N_a, N_s]
            Channels (normalised CSI units).
        """
        # one complex GEMM [N, D] @ [D, N_a N_s]: ~5x faster (forward + backward) than contracting the
        # antenna and frequency responses in two steps through an [N, D, N_a] intermediate
        n_a, n_s = self.psi_a.shape[1], self.psi_f.shape[1]
        return (self.coefficients(x) @ self.atom_matrix()).view(x.shape[0], n_a, n_s)  # [N, N_a, N_s]


def n_parameters(model: nn.Module) -> int:
    """Number of learnable real parameters.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    int
    """
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def model_bytes(model: nn.Module) -> int:
    """Bytes of the learnable parameters and buffers as stored (float32/int64).

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    int
    """
    tensors = list(model.parameters()) + list(model.buffers())
    return int(sum(t.numel() * t.element_size() for t in tensors))


def build_model_based_map(init: dict[str, Any], *, lo, hi, wavelength: float, hidden: int = 64,
                          n_layers: int = 2, n_ff: int = 16, ff_max_cycles_per_m: float = 1.5,
                          overlap: float = 1.0, seed: int = 0) -> ModelBasedChannelMap:
    """Build the model-based map from an atom initialisation (``atoms.init_atoms`` output).

    ``n_ff`` random isotropic Fourier frequencies (cycles per metre) with radii uniform up to
    ``ff_max_cycles_per_m``, drawn from ``seed``; ``ff_max_cycles_per_m`` must stay well below
    ``1 / wavelength`` so that ``w(x)`` is low-frequency. Weights are initialised under
    ``training.seeded_init(seed)`` (the caller's global torch generator is left as it was).

    Parameters
    ----------
    init : dict
        ``wave_vectors [D, 3]``, ``psi_a [D, N_a]``, ``psi_f [D, N_s]``, ``w0 [D]``, ``atom_region [D]``,
        ``centroids_x``, ``centroids_y`` (m), ``z_ref`` (m).
    lo, hi : array-like, float [2]
        Area box (m).
    wavelength : float
        Carrier wavelength (m).
    hidden, n_layers : int
        Weight MLP size.
    n_ff : int
        Fourier features of the embedding.
    ff_max_cycles_per_m : float
        Their highest frequency (1/m), below ``0.5 / wavelength``.
    overlap : float
        Blend width between neighbouring regions (centroid spacings, ``region_windows``).
    seed : int

    Returns
    -------
    ModelBasedChannelMap

    Raises
    ------
    ParameterError
        A Fourier embedding that is not low-frequency.
    """
    if ff_max_cycles_per_m >= 0.5 / wavelength:
        raise ParameterError(
            f"ff_max_cycles_per_m={ff_max_cycles_per_m} is not low-frequency; "
            f"expected < {0.5 / wavelength:.2f}"
        )
    rng = np.random.default_rng(seed)
    r = ff_max_cycles_per_m * np.sqrt(rng.uniform(0.0, 1.0, n_ff))
    a = rng.uniform(0.0, 2 * np.pi, n_ff)
    freqs = np.stack([r * np.cos(a), r * np.sin(a)], axis=0)
    with seeded_init(seed):
        return ModelBasedChannelMap(
            wave_vectors=init["wave_vectors"], psi_a=init["psi_a"], psi_f=init["psi_f"], w0=init["w0"],
            atom_region=init["atom_region"], centroids_x=init["centroids_x"], centroids_y=init["centroids_y"],
            z_ref=init["z_ref"], lo=lo, hi=hi, wavelength=wavelength, hidden=hidden, n_layers=n_layers,
            ff_freqs=freqs, overlap=overlap,
        )
