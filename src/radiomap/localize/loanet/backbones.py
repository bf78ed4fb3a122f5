"""MaskDETR-Reg backbones: one token per angle beam, features along the delay axis.

Input: ``x [B, A, G]`` peak-normalised angle-delay image ``X_AD`` (A angle beams, G delay taps),
``m [B, A, G]`` its mask ``M`` (0/1). Output: tokens ``[B, A / patch, d]``, one per group of
``patch`` consecutive angle beams.

- EC (early concat): ``[X_AD, M]`` concatenated along the delay axis, one embedding MLP.
- DE (dual embedding): ``X_AD`` and ``M`` embedded separately, concatenated, compressed to ``d``.
"""

from __future__ import annotations

import torch
from torch import nn

from radiomap.localize.loanet.config import MaskDETRConfig


def _mlp(n_in: int, d: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, d), nn.LayerNorm(d), nn.GELU(), nn.Linear(d, d))


def _patches(x: torch.Tensor, patch: int) -> torch.Tensor:
    """``[B, C, A, G]`` -> ``[B, A / patch, C * patch * G]`` (tokens of ``patch`` consecutive beams)."""
    b, c, a, g = x.shape
    return x.reshape(b, c, a // patch, patch * g).permute(0, 2, 1, 3).reshape(b, a // patch, c * patch * g)


class EarlyConcatBackbone(nn.Module):
    """EC: ``tokens = MLP([X_AD, M])`` (concatenation along the delay axis, then one embedding)."""

    def __init__(self, n_taps: int, d: int, patch: int):
        super().__init__()
        self.patch = patch
        self.embed = _mlp(2 * patch * n_taps, d)

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return self.embed(_patches(torch.cat([x, m], dim=-1)[:, None], self.patch))


class DualEmbeddingBackbone(nn.Module):
    """DE: ``tokens = compress([MLP_x(X_AD), MLP_m(M)])`` (separate embeddings, feature-level fusion)."""

    def __init__(self, n_taps: int, d: int, patch: int):
        super().__init__()
        self.patch = patch
        self.embed_x = _mlp(patch * n_taps, d)
        self.embed_m = _mlp(patch * n_taps, d)
        self.compress = nn.Sequential(nn.Linear(2 * d, d), nn.LayerNorm(d), nn.GELU())

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        ex = self.embed_x(_patches(x[:, None], self.patch))
        em = self.embed_m(_patches(m[:, None], self.patch))
        return self.compress(torch.cat([ex, em], dim=-1))


def build_backbone(cfg: MaskDETRConfig, n_taps: int) -> nn.Module:
    """The backbone named by ``cfg.backbone``."""
    if cfg.backbone == "de":
        return DualEmbeddingBackbone(n_taps, cfg.hidden, cfg.patch)
    return EarlyConcatBackbone(n_taps, cfg.hidden, cfg.patch)
