"""Model complexity measured, not counted by hand: FLOPs with PyTorch's built-in
``torch.utils.flop_counter.FlopCounterMode`` (matmul, convolution and attention kernels; a
multiply-add counts as 2 FLOPs) and trainable-parameter counts."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: torch.nn.Module) -> int:
    """Trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def count_flops(model: torch.nn.Module, *inputs: torch.Tensor) -> int:
    """Forward FLOPs per sample for the batch ``inputs`` (first dimension = batch).

    The model runs in eval mode with autograd enabled so that PyTorch takes the decomposed
    (countable) attention path rather than the fused inference fast path.
    """
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter:
        model(*inputs)
    model.train(was_training)
    return int(counter.get_total_flops() // max(inputs[0].shape[0], 1))
