"""Model-based neural location-to-channel map and sub-wavelength localization (seeds 001 + 003).

Modules: ``model`` (the physics-structured net), ``atoms`` (OMP initialisation of its atoms),
``baselines_mlp`` (plain and Fourier-feature MLP maps), ``train`` (NMSE training on the shared
engine ``radiomap.localize.training``), ``localize`` (the 5-stage search), ``localizer`` (the
registered ``neuralmap`` method) and ``baselines`` (``nn-pi``, ``nn-cosine``, ``wknn-csi``
fingerprinting on raw CSI).

The names below are the package's public API; experiments and the CLI import only these.
"""

from radiomap.localize.neuralmap.baselines_mlp import MLPChannelMap, build_fourier_mlp, build_plain_mlp
from radiomap.localize.neuralmap.localize import PipelineConfig, grid_positions
from radiomap.localize.neuralmap.localizer import NeuralMapLocalizer, csi_matrix, resolve_device
from radiomap.localize.neuralmap.model import ModelBasedChannelMap, model_bytes, n_parameters
from radiomap.localize.neuralmap.train import nmse_db, predict_map, train_map

__all__ = [
    "MLPChannelMap", "ModelBasedChannelMap", "NeuralMapLocalizer", "PipelineConfig", "build_fourier_mlp",
    "build_plain_mlp", "csi_matrix", "grid_positions", "model_bytes", "n_parameters", "nmse_db", "predict_map",
    "resolve_device", "train_map",
]
