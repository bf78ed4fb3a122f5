"""The table of localization methods: registry name -> class (imported on first use).

The names here are the only place a method's name is written: the CLI's choices, ``radiomap
methods``, saved models and reports all take them from this table (``Localizer.name``).
"""

from radiomap.errors import RadiomapError
from radiomap.registry import Registry

LOCALIZERS = Registry("localizer", {
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
    "hmm": "radiomap.localize.hmm.model:HMMRadioMap",
    "gma": "radiomap.localize.hmm.model:GMA",
    "charting": "radiomap.localize.charting.model:ChannelCharting",
    # seeds 001/003: model-based neural location-to-channel map and its fingerprint baselines
    "neuralmap": "radiomap.localize.neuralmap.localizer:NeuralMapLocalizer",
    "nn-pi": "radiomap.localize.neuralmap.baselines:PhaseInsensitiveNN",
    "nn-cosine": "radiomap.localize.neuralmap.baselines:CosineNN",
    "wknn-csi": "radiomap.localize.neuralmap.baselines:ChannelWKNN",
    # seed 002: LOA-Net and its baselines on triple-beam fingerprints
    "loanet": "radiomap.localize.loanet.loanet:LOANet",
    "wknn-tbf": "radiomap.localize.loanet.baselines:TBFWKNN",
    "cnn2d": "radiomap.localize.loanet.baselines:CNN2D",
    "cnn3d": "radiomap.localize.loanet.baselines:CNN3D",
})
"""Registry of localizer classes by method name (``radiomap fit NAME``)."""

DIRECTIONS = Registry("direction estimator", {
    # seed 002: Fusion-TDC on (Doppler profile, coordinates)
    "fusion-tdc": "radiomap.localize.loanet.direction:FusionTDCDirection",
})
"""Registry of motion-direction estimators (the ``direction`` task): ``predict`` gives classes ``[N]``."""

TASKS = {"localization": LOCALIZERS, "direction": DIRECTIONS}
"""The tasks and their registries; a method name is unique across them (``radiomap fit NAME`` finds its task)."""


def task_of(name: str) -> str:
    """The task of method ``name`` (a key of :data:`TASKS`).

    Parameters
    ----------
    name : str
        A registered method name.

    Returns
    -------
    str
        ``"localization"`` or ``"direction"``.

    Raises
    ------
    RadiomapError
        Unknown name; the message lists every task's methods.
    """
    for task, registry in TASKS.items():
        if name in registry:
            return task
    known = "; ".join(f"{task}: {', '.join(reg.names())}" for task, reg in TASKS.items())
    raise RadiomapError(f"unknown method {name!r}; known ({known})")
