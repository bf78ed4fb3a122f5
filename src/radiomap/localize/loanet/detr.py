"""MaskDETR-Reg (seed 002 section IV-B): backbone -> DETR encoder / decoder -> object queries -> xyz.

The model receives a built backbone and only composes; :func:`build_maskdetr` is the only code
reading the configuration.
"""

from __future__ import annotations

import torch
from torch import nn

from radiomap.errors import ParameterError
from radiomap.localize.loanet.backbones import build_backbone
from radiomap.localize.loanet.config import MaskDETRConfig
from radiomap.localize.loanet.transformer import encoder_decoder


class MaskDETRReg(nn.Module):
    """Regression DETR over angle-beam tokens.

    Input: ``x [B, A, G]`` (X_AD), ``m [B, A, G]`` (mask); tokens are groups of ``cfg.patch``
    consecutive angle beams (``A / patch`` tokens of ``patch * G`` values). Output: ``[B, 3]`` in the
    normalised frame the caller trained on (the mean of the ``N_q`` per-query estimates).
    ``forward_queries`` returns the per-query estimates ``[B, N_q, 3]``.
    """

    def __init__(self, backbone: nn.Module, n_tokens: int, cfg: MaskDETRConfig):
        super().__init__()
        d = cfg.hidden
        self.backbone = backbone
        self.pos = nn.Parameter(torch.randn(1, n_tokens, d) * 0.02)  # learned angle-beam position code
        self.queries = nn.Parameter(torch.randn(1, cfg.queries, d) * 0.02)
        self.encoder, self.decoder = encoder_decoder(cfg)
        self.head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 3))

    def forward_queries(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        tokens = self.backbone(x, m) + self.pos
        memory = self.encoder(tokens)
        q = self.decoder(self.queries.expand(x.shape[0], -1, -1), memory)
        return self.head(q)

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        return self.forward_queries(x, m).mean(dim=1)


def build_maskdetr(cfg: MaskDETRConfig, n_beams: int, n_taps: int) -> MaskDETRReg:
    """MaskDETR-Reg for ``[n_beams, n_taps]`` angle-delay images."""
    if n_beams % cfg.patch:
        raise ParameterError(f"patch = {cfg.patch} does not divide the {n_beams} angle beams")
    return MaskDETRReg(build_backbone(cfg, n_taps), n_beams // cfg.patch, cfg)
