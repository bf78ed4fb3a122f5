"""2-D and 3-D CNN regressors on the angle-delay image (C. Wu et al., IEEE TWC 2021 style).

- :class:`CNN2DNet`: ``X_AD`` as a one-channel image ``[B, 1, A, G]``.
- :class:`CNN3DNet`: ``X_AD`` as a volume ``[B, 1, n_h, n_v, G]`` (horizontal beam x vertical beam
  x delay), so the convolutions see the UPA's two angle axes separately.
Conv -> BatchNorm -> ReLU blocks with pooling, adaptive pooling, MLP to xyz.
"""

from __future__ import annotations

import torch
from torch import nn

from radiomap.localize.loanet.config import CNNConfig


def _blocks(dim: int, channels: tuple[int, ...]) -> nn.Sequential:
    conv = nn.Conv2d if dim == 2 else nn.Conv3d
    bn = nn.BatchNorm2d if dim == 2 else nn.BatchNorm3d
    pool = nn.MaxPool2d if dim == 2 else nn.MaxPool3d
    layers: list[nn.Module] = []
    c_in = 1
    for i, c in enumerate(channels):
        layers += [conv(c_in, c, 3, padding=1), bn(c), nn.ReLU()]
        if i < len(channels) - 1:
            layers.append(pool(2, ceil_mode=True))
        c_in = c
    return nn.Sequential(*layers)


class CNN2DNet(nn.Module):
    """Input ``x [B, A, G]``; output ``[B, 3]``."""

    def __init__(self, cfg: CNNConfig):
        super().__init__()
        self.features = _blocks(2, cfg.channels)
        self.pool = nn.AdaptiveAvgPool2d((4, 2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cfg.channels[-1] * 8, cfg.fc), nn.ReLU(),
                                  nn.Dropout(cfg.dropout), nn.Linear(cfg.fc, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x[:, None])))


class CNN3DNet(nn.Module):
    """Input ``x [B, A, G]`` with ``A = n_h n_v`` (row-major); output ``[B, 3]``."""

    def __init__(self, cfg: CNNConfig, n_h: int, n_v: int):
        super().__init__()
        self.n_h, self.n_v = n_h, n_v
        self.features = _blocks(3, cfg.channels)
        self.pool = nn.AdaptiveAvgPool3d((2, 2, 2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cfg.channels[-1] * 8, cfg.fc), nn.ReLU(),
                                  nn.Dropout(cfg.dropout), nn.Linear(cfg.fc, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x.reshape(x.shape[0], 1, self.n_h, self.n_v, x.shape[-1])
        return self.head(self.pool(self.features(v)))
