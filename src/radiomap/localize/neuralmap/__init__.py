"""Model-based neural location-to-channel map and sub-wavelength localization (seeds 001 + 003).

Modules: ``model`` (the physics-structured net), ``atoms`` (OMP initialisation of its atoms),
``baselines_mlp`` (plain and Fourier-feature MLP maps), ``train`` (NMSE training loop),
``localize`` (the 5-stage search), ``localizer`` (the registered ``neuralmap`` method) and
``baselines`` (``nn-pi``, ``nn-cosine``, ``wknn-csi`` fingerprinting on raw CSI).
"""

from radiomap.localize.neuralmap.localizer import NeuralMapLocalizer

__all__ = ["NeuralMapLocalizer"]
