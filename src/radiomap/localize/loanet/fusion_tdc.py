"""Fusion-TDC (seed 002 section IV-C): Doppler profile + coordinates -> motion-direction class.

Both inputs pass Linear + LayerNorm + GELU, become two tokens, go through a Transformer encoder
and decoder; the decoded tokens are flattened and classified into ``n_classes`` directions
(class ``c`` = heading ``c * 360 / n_classes`` degrees, counter-clockwise from +x).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from radiomap.localize.loanet.config import TDCConfig
from radiomap.localize.loanet.transformer import encoder_decoder


def _proj(n_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, d), nn.LayerNorm(d), nn.GELU())


class FusionTDC(nn.Module):
    """Input: ``x_d [B, n_t]`` (network-ready Doppler profile), ``xyz [B, 3]`` (normalised coordinates).
    Output: logits ``[B, n_classes]``."""

    def __init__(self, n_doppler: int, cfg: TDCConfig):
        super().__init__()
        d = cfg.hidden
        self.coords, self.n_fourier = cfg.coords, cfg.coord_fourier
        n_tok = 2 if cfg.coords else 1
        self.proj_d = _proj(n_doppler, d)
        self.proj_c = _proj(3 * (1 + 2 * self.n_fourier), d)
        self.type_embed = nn.Parameter(torch.randn(1, n_tok, d) * 0.02)
        self.encoder, self.decoder = encoder_decoder(cfg)
        self.classifier = nn.Sequential(nn.Linear(n_tok * d, d), nn.GELU(), nn.Linear(d, cfg.n_classes))

    def _coord_features(self, xyz: torch.Tensor) -> torch.Tensor:
        """``xyz`` and, with ``coord_fourier = K``, ``sin / cos(pi 2^k xyz)`` for ``k < K`` (``[B, 3 (1 + 2K)]``)."""
        if not self.n_fourier:
            return xyz
        f = xyz[..., None] * (torch.pi * 2.0 ** torch.arange(self.n_fourier, device=xyz.device))
        return torch.cat([xyz, torch.sin(f).flatten(1), torch.cos(f).flatten(1)], dim=1)

    def forward(self, x_d: torch.Tensor, xyz: torch.Tensor) -> torch.Tensor:
        parts = [self.proj_d(x_d)] + ([self.proj_c(self._coord_features(xyz))] if self.coords else [])
        tokens = torch.stack(parts, dim=1) + self.type_embed
        memory = self.encoder(tokens)
        out = self.decoder(tokens, memory)
        return self.classifier(out.flatten(1))


def tdc_loss(logits: torch.Tensor, target: torch.Tensor, cfg: TDCConfig) -> torch.Tensor:
    """Cross-entropy + ``smooth_weight`` x label-smoothing loss (eq. 32-33).

    The smoothing term is the cross-entropy against the smoothed target
    ``(1 - eps) onehot + eps / C``.
    """
    ce = F.cross_entropy(logits, target)
    if cfg.smoothing <= 0 or cfg.smooth_weight <= 0:
        return ce
    return ce + cfg.smooth_weight * F.cross_entropy(logits, target, label_smoothing=cfg.smoothing)


def build_tdc(cfg: TDCConfig, n_doppler: int) -> FusionTDC:
    """Fusion-TDC for ``n_doppler``-bin Doppler profiles."""
    return FusionTDC(n_doppler, cfg)
