"""Hardware impairments of measured CSI, applied to simulated datasets (issue 14 item 4).

So that the real-data pipeline (preprocessing, grouped evaluation) is tested end to end on
captures with known positions, ``impair`` turns a simulated dataset into what a WiFi capture looks
like:

- ``packets=P``: every position captured ``P`` times (one measurement point, ``point_id``, per position);
- ``heard=h``: each point is heard by its ``h`` strongest APs only (mean power over the point's packets):
  the others' CSI is zero and ``ap_mask`` False; with ``h = 1`` the AP heard is the transmitter
  ``tx_id`` (``meta["transmitters"]`` = AP names);
- ``snr=S``: per-packet complex Gaussian noise of one noise floor, ``mean |H|^2 / 10^(S/10)`` (the mean
  over the heard entries of the whole dataset), so far points are noisier;
- ``agc=A``: per-packet receiver gain uniform in ``[-A, A]`` dB (one gain per packet and AP);
- ``sto=T``: per-packet timing offset ``tau`` uniform in ``[-T, T]`` s: ``H_k *= exp(-2j pi f_k tau)`` with
  ``f_k`` the subcarrier's baseband frequency (``CSIDataset.subcarrier_indices() * spacing``);
- ``cpo=c``: per-packet carrier phase offset uniform in ``[-c pi, c pi]`` rad (``c = 1``: any phase).

Order: packets, heard selection (on the clean channel), noise, AGC gain, timing and phase offsets,
zeroing of the unheard APs. ``/rssi`` gets the received power per packet and AP before the AGC
(``10 log10 mean |H|^2``, dB re. the CSI unit; NaN where not heard). Everything is drawn from one
``numpy`` generator seeded with ``seed``; ``meta["impairments"]`` records the settings.

Example
-------
>>> imp = parse_impairments("agc=6,sto=2e-8,cpo=1,heard=1,packets=5")   # doctest: +SKIP
>>> captures = impair(ds, imp, seed=0)                                   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from radiomap.errors import DataError, ParameterError

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

_TINY = 1e-30


@dataclass(frozen=True)
class Impairments:
    """Impairment settings (see the module docstring); zeros / None switch an impairment off.

    packets : captures per position (>= 1); heard : APs heard per point (0 = all)
    snr : per-packet SNR on the mean channel power (dB) or None; agc : gain range (dB)
    sto : timing offset range (s); cpo : carrier phase offset range (fraction of pi, 0..1)
    """

    packets: int = 1
    heard: int = 0
    snr: float | None = None
    agc: float = 0.0
    sto: float = 0.0
    cpo: float = 0.0

    def __post_init__(self) -> None:
        checks = [(self.packets >= 1, "packets must be >= 1"), (self.heard >= 0, "heard must be >= 0 (0 = all)"),
                  (self.agc >= 0, "agc must be >= 0 dB"), (self.sto >= 0, "sto must be >= 0 s"),
                  (0 <= self.cpo <= 1, "cpo must be in [0, 1] (fraction of pi)"),
                  (self.snr is None or np.isfinite(self.snr), "snr must be finite")]
        for ok, msg in checks:
            if not ok:
                raise ParameterError(f"impairments: {msg}, got {self}")


_KEYS = {"packets": int, "heard": int, "snr": float, "agc": float, "sto": float, "cpo": float}


def parse_impairments(spec: str) -> Impairments:
    """``"agc=6,sto=2e-8,cpo=1,heard=1"`` -> ``Impairments`` (unknown keys and bad values raise one line)."""
    values: dict = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in _KEYS:
            raise ParameterError(f"impairment {item!r}: expected key=value with key in {', '.join(_KEYS)}")
        try:
            v = float(value)
            if _KEYS[key] is int and v != int(v):
                raise ValueError
            values[key] = _KEYS[key](v)
        except ValueError:
            raise ParameterError(f"impairment {key}={value!r}: expected a {_KEYS[key].__name__}") from None
    return Impairments(**values)


def draw_offsets(shape: tuple[int, int], imp: Impairments, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-packet, per-AP impairment draws.

    Input
    -----
    shape : (N, B); imp : settings; rng : the generator (drawn in the order gain, sto, cpo)

    Output
    ------
    dict "gain_db", "sto_s", "cpo_rad": float64 [N, B] (zeros where switched off)
    """
    def uniform(half):
        return rng.uniform(-half, half, shape) if half > 0 else np.zeros(shape)

    return {"gain_db": uniform(imp.agc), "sto_s": uniform(imp.sto), "cpo_rad": uniform(imp.cpo * np.pi)}


def apply_offsets(csi: np.ndarray, offsets: dict[str, np.ndarray], freqs_hz: np.ndarray) -> np.ndarray:
    """``H[n, b, a, k] * 10^(g/20) * exp(-2j pi f_k tau) * exp(1j phi)`` per packet and AP.

    Input
    -----
    csi : complex [N, B, N_a, K]; offsets : from :func:`draw_offsets`; freqs_hz : float [K] baseband (Hz)

    Output
    ------
    complex64 [N, B, N_a, K]
    """
    g = 10.0 ** (offsets["gain_db"] / 20.0)
    phase = -2 * np.pi * offsets["sto_s"][..., None] * np.asarray(freqs_hz)[None, None, :] \
        + offsets["cpo_rad"][..., None]  # [N, B, K]
    return (csi * (g[..., None] * np.exp(1j * phase))[:, :, None, :]).astype(np.complex64)


def heard_mask(power: np.ndarray, groups: np.ndarray, heard: int) -> np.ndarray:
    """The ``heard`` strongest APs of each group (by mean power over the group's packets).

    Input
    -----
    power : float [N, B] per-packet power; groups : int [N] point of each packet; heard : h (0 = all)

    Output
    ------
    bool [N, B]: True for the h APs of largest mean power in the packet's group
    """
    n, b = power.shape
    if heard == 0 or heard >= b:
        return np.ones((n, b), bool)
    ids, inv = np.unique(groups, return_inverse=True)
    sums = np.zeros((len(ids), b))
    np.add.at(sums, inv.ravel(), power)
    rank = np.argsort(np.argsort(-sums, axis=1), axis=1)  # 0 = strongest
    return (rank < heard)[inv.ravel()]


def impair(ds: CSIDataset, imp: Impairments, seed: int = 0) -> CSIDataset:
    """``ds`` with the impairments ``imp`` applied (a new dataset; ``ds`` is unchanged).

    Input
    -----
    ds : CSIDataset with CSI [N, B, N_a, K] (simulated: clean or with noise); seed : the draws

    Output
    ------
    CSIDataset of ``N * packets`` samples: impaired CSI (complex64), ``point_id`` (the position index when
    ``packets > 1`` or no point_id was set), ``ap_mask`` and ``rssi``; ``tx_id`` when ``heard = 1``;
    ``meta["impairments"]`` = settings and seed.
    """
    from radiomap.data import CSIDataset

    if ds.csi is None or ds.csi.ndim != 4:
        raise DataError("impairments need CSI [N, B, N_a, K] (one OFDM symbol per sample)")
    if imp.packets > 1 and ds.timestamps is not None:
        raise ParameterError("impairments: packets > 1 repeats static points; a walk (with timestamps) is "
                             "already a packet stream: use packets=1")
    rng = np.random.default_rng(seed)
    point = ds.point_id if ds.point_id is not None else np.arange(ds.n_samples)
    idx = np.repeat(np.arange(ds.n_samples), imp.packets)
    base = ds.subset(idx)
    csi = base.csi.astype(np.complex128)
    power = np.mean(np.abs(csi) ** 2, axis=(2, 3))  # [N, B]
    mask = heard_mask(power, point[idx], imp.heard)
    if imp.snr is not None:
        floor = float(power[mask].mean()) / 10.0 ** (imp.snr / 10.0)
        csi = csi + np.sqrt(floor / 2) * (rng.standard_normal(csi.shape) + 1j * rng.standard_normal(csi.shape))
    rssi = 10.0 * np.log10(np.maximum(np.mean(np.abs(csi) ** 2, axis=(2, 3)), _TINY))
    spacing = ds.meta.get("subcarriers", {}).get("spacing_hz") or ds.scene.ofdm.subcarrier_spacing
    offsets = draw_offsets(mask.shape, imp, rng)
    out = apply_offsets(csi, offsets, ds.subcarrier_indices() * spacing)
    out[~mask] = 0
    meta = dict(ds.meta, impairments=asdict(imp) | {"seed": seed})
    tx_id = None
    if imp.heard == 1 and ds.n_aps > 1:
        tx_id = np.argmax(mask, axis=1)
        meta["transmitters"] = [ap.name for ap in ds.scene.aps] if "scene" in ds.meta else \
            [f"AP{b}" for b in range(ds.n_aps)]
    fields = {name: getattr(base, name) for name in ("positions", "timestamps", "los", "velocity", "trajectory_id",
                                                     "carrier_hz", "source_file", "packet_index")}
    return CSIDataset(out, **fields, point_id=point[idx], ap_mask=mask, rssi=np.where(mask, rssi, np.nan),
                      tx_id=tx_id, features=None, paths=base.paths, meta=meta)
