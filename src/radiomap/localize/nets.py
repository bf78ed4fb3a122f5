"""Small torch building blocks shared by several localizers."""

from __future__ import annotations

import torch


def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> torch.nn.Sequential:
    """MLP ``n_in -> hidden... -> n_out`` with ReLU activations between layers (none at the output)."""
    layers: list[torch.nn.Module] = []
    prev = int(n_in)
    for h in hidden:
        layers += [torch.nn.Linear(prev, int(h)), torch.nn.ReLU()]
        prev = int(h)
    layers.append(torch.nn.Linear(prev, int(n_out)))
    return torch.nn.Sequential(*layers)
