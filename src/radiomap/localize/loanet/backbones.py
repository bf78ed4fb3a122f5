"""MaskDETR-Reg backbones: one token per angle beam, features along the delay axis.

Input: ``x [B, A, G]`` peak-normalised angle-delay image ``X_AD`` (A angle beams, G delay taps),
``m [B, A, G]`` its mask ``M`` (0/1). Output: tokens ``[B, A, d]``.

- EC (early concat): ``[X_AD, M]`` concatenated along the delay axis, one embedding MLP.
- DE (dual embedding): ``X_AD`` and ``M`` embedded separately, concatenated, compressed to ``d``.
"""

from __future__ import annotations

import torch
from torch import nn

from radiomap.localize.loanet.config import MaskDETRConfig


def _mlp(n_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, d), nn.LayerNorm(d), nn.GELU(), nn.Linear(d, d))


class EarlyConcatBackbone(nn.Module):
    """EC: ``tokens = MLP([X_AD, M])`` (delay-axis concatenation)."""

    def __init__(self, n_taps: int, d: int):
        super().__init__()
        self.embed = _mlp(2 * n_taps, d)

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return self.embed(torch.cat([x, m], dim=-1))


class DualEmbeddingBackbone(nn.Module):
    """DE: ``tokens = compress([MLP_x(X_AD), MLP_m(M)])``."""

    def __init__(self, n_taps: int, d: int):
        super().__init__()
        self.embed_x = _mlp(n_taps, d)
        self.embed_m = _mlp(n_taps, d)
        self.compress = nn.Sequential(nn.Linear(2 * d, d), nn.LayerNorm(d), nn.GELU())

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return self.compress(torch.cat([self.embed_x(x), self.embed_m(m)], dim=-1))


def build_backbone(cfg: MaskDETRConfig, n_taps: int) -> nn.Module:
    """The backbone named by ``cfg.backbone``."""
    cls = DualEmbeddingBackbone if cfg.backbone == "de" else EarlyConcatBackbone
    return cls(n_taps, cfg.hidden)
