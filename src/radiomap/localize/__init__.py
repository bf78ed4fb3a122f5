"""Localizers: the contract, the registry, and every method.

Methods are registered lazily (``"module:Class"``) so that importing this package stays cheap;
``LOCALIZERS.get(name)`` imports the module on first use.
"""

from radiomap.localize.base import LOCALIZERS, Localizer, get_localizer

_BUILTIN = {
    # trivial baseline and supervised fingerprinting (seed 000 Table II)
    "centroid": "radiomap.localize.fingerprint:Centroid",
    "knn": "radiomap.localize.fingerprint:KNN",
    "wknn": "radiomap.localize.fingerprint:WKNN",
    "svm": "radiomap.localize.fingerprint:SVMRegressor",
    "dnn": "radiomap.localize.fingerprint:DNN",
    # geometric, unsupervised
    "wcl": "radiomap.localize.geometric:WCL",
    "aoa": "radiomap.localize.geometric:AoATriangulation",
    # seed 000: unsupervised radio map, genius-aided variant, channel charting
    "hmm": "radiomap.localize.hmm:HMMRadioMap",
    "gma": "radiomap.localize.hmm:GMA",
    "charting": "radiomap.localize.charting:ChannelCharting",
    # seeds 001/003: model-based neural location-to-channel map and its fingerprint baselines
    "neuralmap": "radiomap.localize.neuralmap:NeuralMapLocalizer",
    "nn-pi": "radiomap.localize.neuralmap.baselines:PhaseInsensitiveNN",
    "nn-cosine": "radiomap.localize.neuralmap.baselines:CosineNN",
    "wknn-csi": "radiomap.localize.neuralmap.baselines:ChannelWKNN",
    # seed 002: LOA-Net and its baselines on triple-beam fingerprints
    "loanet": "radiomap.localize.loanet:LOANet",
    "wknn-tbf": "radiomap.localize.loanet.baselines:TBFWKNN",
    "cnn2d": "radiomap.localize.loanet.baselines:CNN2D",
    "cnn3d": "radiomap.localize.loanet.baselines:CNN3D",
}
for _name, _target in _BUILTIN.items():
    LOCALIZERS.register_lazy(_name, _target)

__all__ = ["LOCALIZERS", "Localizer", "get_localizer"]
