"""Spectral-bias baselines: a plain MLP and a Fourier-feature MLP location-to-channel map.

Both map ``x [N, 3]`` (metres) to ``[N, N_a, N_s]`` complex64 like the model-based net, and are
trained by the same loop (``train.train_map`` on ``localize.training``), to show why the physical structure matters:
the plain MLP only learns the low spatial frequencies of a field that oscillates at the
wavelength scale (spectral bias); random Fourier features help but need many more samples.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from radiomap.localize.neuralmap.model import as_complex
from radiomap.localize.training import seeded_init


class MLPChannelMap(nn.Module):
    """MLP ``x -> H(x)`` on normalised coordinates, optionally through random Fourier features.

    Parameters
    ----------
    lo, hi : [3] float, metres, box used to normalise positions to [-1, 1]
    n_antennas, n_subcarriers : output size
    hidden, n_layers : MLP width and depth
    ff_freqs : None (plain MLP) or [3, F] float, cycles per metre (Fourier-feature MLP)

    Forward
    -------
    ``x [N, 3]`` float32 metres -> ``[N, N_a, N_s]`` complex64.
    """

    def __init__(self, *, lo, hi, n_antennas: int, n_subcarriers: int, hidden: int = 128, n_layers: int = 3,
                 ff_freqs: np.ndarray | None = None):
        super().__init__()
        self.kind = "plain-mlp" if ff_freqs is None else "fourier-mlp"
        self.shape = (int(n_antennas), int(n_subcarriers))
        self.register_buffer("lo", torch.as_tensor(np.asarray(lo, dtype=np.float32)))
        self.register_buffer("hi", torch.as_tensor(np.asarray(hi, dtype=np.float32)))
        ff = np.zeros((3, 0), np.float32) if ff_freqs is None else np.asarray(ff_freqs, dtype=np.float32)
        self.register_buffer("freqs", torch.as_tensor(ff))
        n_in = 3 + 2 * ff.shape[1]
        layers: list[nn.Module] = []
        for _ in range(n_layers):
            layers += [nn.Linear(n_in, hidden), nn.ReLU()]
            n_in = hidden
        layers.append(nn.Linear(n_in, 2 * self.shape[0] * self.shape[1]))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centre = (self.lo + self.hi) / 2
        half = ((self.hi - self.lo) / 2).clamp(min=1e-3)
        feats = [(x - centre) / half]
        if self.freqs.shape[1]:
            ang = 2 * math.pi * (x - centre) @ self.freqs
            feats += [torch.sin(ang), torch.cos(ang)]
        out = self.mlp(torch.cat(feats, dim=1)).view(x.shape[0], self.shape[0], self.shape[1], 2)
        return as_complex(out)


def build_plain_mlp(*, lo, hi, n_antennas: int, n_subcarriers: int, hidden: int = 128, n_layers: int = 3,
                    seed: int = 0) -> MLPChannelMap:
    """Plain MLP baseline (seeded initialisation)."""
    with seeded_init(seed):
        return MLPChannelMap(lo=lo, hi=hi, n_antennas=n_antennas, n_subcarriers=n_subcarriers, hidden=hidden,
                             n_layers=n_layers)


def build_fourier_mlp(*, lo, hi, n_antennas: int, n_subcarriers: int, wavelength: float, hidden: int = 128,
                      n_layers: int = 3, n_ff: int = 64, sigma_cycles_per_wavelength: float = 0.5,
                      seed: int = 0) -> MLPChannelMap:
    """Fourier-feature MLP baseline: Gaussian frequencies of std ``sigma / wavelength`` cycles/m (xy only)."""
    rng = np.random.default_rng(seed)
    freqs = rng.normal(0.0, sigma_cycles_per_wavelength / wavelength, size=(3, n_ff))
    freqs[2] = 0.0  # users on a plane: no vertical frequencies
    with seeded_init(seed):
        return MLPChannelMap(lo=lo, hi=hi, n_antennas=n_antennas, n_subcarriers=n_subcarriers, hidden=hidden,
                             n_layers=n_layers, ff_freqs=freqs)
