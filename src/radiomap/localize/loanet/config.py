"""Hyper-parameters of LOA-Net and its CNN baselines: the ``paper`` preset (SPEC section 4.3) and a
smaller ``cpu`` preset that trains end to end on two CPU cores.

Every builder reads only these dataclasses; nothing else in the package holds a magic number.
Values the seed lost are marked (chosen).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from radiomap.errors import ParameterError
from radiomap.localize.training import TrainConfig


@dataclass(frozen=True)
class MaskDETRConfig:
    """MaskDETR-Reg: backbone ``"de"`` (dual embedding) or ``"ec"`` (early concat), DETR encoder /
    decoder and ``queries`` object queries averaged to xyz."""

    backbone: str = "de"
    hidden: int = 256
    heads: int = 4
    enc_layers: int = 4
    dec_layers: int = 2
    queries: int = 4
    ffn: int = 1024  # (chosen)
    dropout: float = 0.1  # (chosen)
    patch: int = 1  # consecutive angle beams per token (1: one token per beam; n_v: one per array column)

    def __post_init__(self):
        if self.patch < 1:
            raise ParameterError(f"patch = {self.patch}, expected >= 1")
        if self.backbone not in ("de", "ec"):
            raise ParameterError(f"backbone = {self.backbone!r}, expected 'de' or 'ec'")
        if self.hidden % self.heads:
            raise ParameterError(f"hidden = {self.hidden} is not a multiple of heads = {self.heads}")


@dataclass(frozen=True)
class TDCConfig:
    """Fusion-TDC: Doppler profile + coordinates -> one of ``n_classes`` motion directions."""

    hidden: int = 256
    heads: int = 8
    enc_layers: int = 4
    dec_layers: int = 2
    ffn: int = 512  # (chosen)
    dropout: float = 0.1  # (chosen)
    n_classes: int = 16
    smoothing: float = 0.1  # label-smoothing factor (chosen)
    smooth_weight: float = 1.0  # weight of the label-smoothing term (chosen)
    log_doppler: bool = True  # feed log10 of the normalised Doppler profile (chosen; see docs)
    doppler_bins: int = 0  # keep Doppler bins -K..K around 0 (0: all); far bins hold noise at walking speed
    standardize: bool = True  # per-bin standardisation of the Doppler input (training-set mean / std)
    coords: bool = True  # the coordinate branch (False: the Doppler token alone; ablation)
    coord_fourier: int = 0  # coordinates as sin/cos at this many octaves (1 / 2^k of the span) before the branch


@dataclass(frozen=True)
class CNNConfig:
    """2-D / 3-D CNN baselines (C. Wu et al., IEEE TWC 2021 style): conv blocks then an MLP head."""

    channels: tuple[int, ...] = (32, 64, 128, 256)
    fc: int = 512
    dropout: float = 0.1


@dataclass(frozen=True)
class LOANetPreset:
    """Everything one preset fixes."""

    name: str
    n_taps: int  # delay taps kept in X_AD (N_g)
    eta: float  # mask threshold on the peak-normalised X_AD
    de: MaskDETRConfig
    ec: MaskDETRConfig
    tdc: TDCConfig
    cnn: CNNConfig
    train_reg: TrainConfig
    train_tdc: TrainConfig
    input_scale: str = "db"  # X_AD fed to every learner in dB (see inputs.scale_image); "linear" = as stored
    floor_db: float = 40.0
    notes: dict = field(default_factory=dict)

    def detr(self, backbone: str) -> MaskDETRConfig:
        return self.de if backbone == "de" else self.ec

    def to_dict(self) -> dict:
        return asdict(self)


PAPER = LOANetPreset(
    name="paper",
    n_taps=144,
    eta=0.01,
    de=MaskDETRConfig("de", hidden=256, heads=4, enc_layers=4, dec_layers=2, queries=4, ffn=512),
    ec=MaskDETRConfig("ec", hidden=256, heads=4, enc_layers=6, dec_layers=2, queries=4, ffn=512),
    tdc=TDCConfig(hidden=256, heads=8, enc_layers=4, dec_layers=2, ffn=256),
    cnn=CNNConfig(),
    train_reg=TrainConfig(epochs=1000, batch_size=8, lr=1e-4, optimizer="adam", l2=1e-6, patience=100),
    train_tdc=TrainConfig(epochs=1000, batch_size=16, lr=1e-4, optimizer="adamw", weight_decay=1e-2, l2=1e-6,
                          patience=100),
    notes={"source": "seed 002 Table III; learning rates lost in extraction (chosen 1e-4)"},
)

CPU = LOANetPreset(
    name="cpu",
    n_taps=16,
    eta=0.01,
    de=MaskDETRConfig("de", hidden=64, heads=4, enc_layers=2, dec_layers=1, queries=4, ffn=128, dropout=0.1,
                      patch=8),
    ec=MaskDETRConfig("ec", hidden=64, heads=4, enc_layers=3, dec_layers=1, queries=4, ffn=128, dropout=0.1,
                      patch=8),
    tdc=TDCConfig(hidden=32, heads=4, enc_layers=1, dec_layers=1, ffn=64, dropout=0.0, doppler_bins=16,
                  smoothing=0.0),
    cnn=CNNConfig(channels=(8, 16, 32), fc=128, dropout=0.0),
    train_reg=TrainConfig(epochs=200, batch_size=32, lr=1e-3, optimizer="adam", l2=1e-4, patience=15,
                          lr_patience=4),
    train_tdc=TrainConfig(epochs=200, batch_size=256, lr=3e-3, optimizer="adamw", weight_decay=1e-2, l2=1e-6,
                          patience=10, lr_patience=3),
    notes={"scaled": "hidden 64, fewer layers, tokens of 8 beams (one UPA column), larger batches and LR, "
                     "16 delay taps",
           "fusion-tdc": "hidden 32, 1 + 1 layers, batch 256, LR 3e-3, no label smoothing: what won the "
                         "validation ablation under the 90 s budget (docs/loanet.md)"},
)

PRESETS = {"paper": PAPER, "cpu": CPU}


def get_preset(name: str | LOANetPreset) -> LOANetPreset:
    """Preset by name (``"paper"``, ``"cpu"``) or pass-through."""
    if isinstance(name, LOANetPreset):
        return name
    if name not in PRESETS:
        raise ParameterError(f"unknown LOA-Net preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def override(cfg, **kw):
    """``cfg`` with the non-None keyword values replaced."""
    return replace(cfg, **{k: v for k, v in kw.items() if v is not None})
