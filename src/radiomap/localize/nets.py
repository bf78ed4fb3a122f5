"""Small torch building blocks shared by several localizers."""

from __future__ import annotations

import torch


def build_mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> torch.nn.Sequential:
    """MLP ``n_in -> hidden... -> n_out`` with ReLU activations between layers (none at the output).

    Parameters
    ----------
    n_in : int
        Input features.
    hidden : tuple of int
        Width of each hidden layer.
    n_out : int
        Outputs.

    Returns
    -------
    torch.nn.Sequential
        Maps ``[batch, n_in]`` to ``[batch, n_out]`` (float32 with default initialisation).
    """
    layers: list[torch.nn.Module] = []
    prev = int(n_in)
    for h in hidden:
        layers += [torch.nn.Linear(prev, int(h)), torch.nn.ReLU()]
        prev = int(h)
    layers.append(torch.nn.Linear(prev, int(n_out)))
    return torch.nn.Sequential(*layers)
