"""LOA-Net (seed 002): MaskDETR-Reg + Fusion-TDC on triple-beam fingerprints, and its baselines.

- ``config``: ``paper`` / ``cpu`` presets; ``backbones``, ``detr``, ``fusion_tdc``, ``cnn``: networks
  built by ``build_*`` factories (``transformer``: the encoder / decoder pair they share);
  ``complexity``: FLOPs (built-in counter) and parameters; ``inputs``: network inputs from a dataset;
- ``loanet.LOANet`` (``loanet``), ``baselines`` (``wknn-tbf``, ``cnn2d``, ``cnn3d``),
  ``direction`` (direction classes, the ``fusion-tdc`` direction estimator, the continuous-CSI
  baseline and the matched-template ceiling).
"""

from radiomap.localize.loanet.baselines import CNN2D, CNN3D, TBFWKNN
from radiomap.localize.loanet.config import CPU, PAPER, PRESETS, get_preset
from radiomap.localize.loanet.direction import (
    DOPPLER_NOISE,
    FusionTDCDirection,
    add_doppler_noise,
    class_to_heading,
    continuous_csi_direction,
    doppler_noise_reference,
    heading_to_class,
    matched_template_classes,
)
from radiomap.localize.loanet.inputs import tbf_features
from radiomap.localize.loanet.loanet import LOANet

__all__ = ["CNN2D", "CNN3D", "CPU", "DOPPLER_NOISE", "PAPER", "PRESETS", "TBFWKNN", "FusionTDCDirection", "LOANet",
           "add_doppler_noise", "class_to_heading", "continuous_csi_direction", "doppler_noise_reference", "get_preset",
           "heading_to_class", "matched_template_classes", "tbf_features"]
