"""LOA-Net (seed 002): MaskDETR-Reg + Fusion-TDC on triple-beam fingerprints, and its baselines.

- ``config``: ``paper`` / ``cpu`` presets; ``backbones``, ``detr``, ``fusion_tdc``, ``cnn``: networks
  built by ``build_*`` factories; ``training``: the loop (adaptive LR, early stopping,
  safetensors checkpoints, resume); ``complexity``: FLOPs (built-in counter) and parameters;
- ``loanet.LOANet`` (``loanet``), ``baselines`` (``wknn-tbf``, ``cnn2d``, ``cnn3d``),
  ``direction`` (direction classes, Fusion-TDC wrapper, continuous-CSI baseline).
"""

from radiomap.localize.loanet.config import CPU, PAPER, PRESETS, get_preset
from radiomap.localize.loanet.direction import DirectionClassifier, continuous_csi_direction, heading_to_class
from radiomap.localize.loanet.loanet import LOANet

__all__ = ["CPU", "PAPER", "PRESETS", "DirectionClassifier", "LOANet", "continuous_csi_direction",
           "get_preset", "heading_to_class"]
