"""Preprocessing of measured CSI as registered feature transforms (issue 14 item 3).

Each transform is a pure function ``CSIDataset -> float array [N, ...]`` registered in
``radiomap.features.stage.FEATURES`` (``radiomap features compute NAME in.h5 -o out.h5``):

- ``agc-amplitude``: ``|H| / rms(|H|)`` per packet and AP (the RMS over antennas and subcarriers):
  invariant to a per-packet AGC gain; an AP that did not hear the packet (all-zero CSI) stays zero.
- ``amplitude-db``: ``20 log10 |H|`` (dB, floored), optionally of the AGC-normalised amplitude.
- ``phase-sanitised``: the unwrapped phase across subcarriers minus its least-squares line
  ``a k + b`` over the *real* subcarrier indices ``k`` (``meta["subcarriers"]["indices"]`` of imported
  data, ``k - K/2`` for simulated data): removes a timing offset (slope) and a carrier phase offset.
- ``taps``: magnitudes of the first ``n_taps`` time-domain taps (IFFT of the subcarriers placed at their
  indices; missing bins zero), optionally AGC-normalised.
- ``window``: mean AGC amplitude or trace-normalised sample covariance over the last ``window`` packets
  of the same group (``point_id``, ``trajectory_id`` and ``tx_id``: never across two points, walks or
  transmitters), ending at each packet.
- ``rssi``: the received power per packet and AP recorded by the capture (``/rssi``, dB: dBm from WiFi
  tools, dB re. the CSI unit from the simulator's impairments), before any AGC; APs that did not hear a
  packet (NaN) and weaker values read ``floor_db``. The large-scale (path-loss) part of the channel,
  which ``agc-amplitude`` removes by construction.
- ``tx-onehot``: the transmitter heard, one-hot over ``meta["transmitters"]`` (from ``/tx_id``), else
  ``/ap_mask`` as 0/1.

Composition: an ``inputs`` spec ``"agc-amplitude+tx-onehot"`` (``split_composite``) concatenates the
flattened parts per sample (``compose``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from radiomap.errors import DataError, ParameterError
from radiomap.features.power import check_csi
from radiomap.features.stage import Feature, extract, parse_feature
from radiomap.params import Boolean, Interval, Options, Param

if TYPE_CHECKING:
    from radiomap.data import CSIDataset

_TINY = 1e-30


# -- helpers -----------------------------------------------------------------------------------
def _csi(ds: CSIDataset, name: str) -> np.ndarray:
    if ds.csi is None:
        raise DataError(f"feature {name!r} needs CSI; the dataset stores only features")
    arr = check_csi(ds.csi, "csi")
    if arr.ndim == 5:
        raise DataError(f"feature {name!r} takes CSI [N, B, N_a, K] (one OFDM symbol per packet), got {arr.shape}")
    return arr


def agc_normalise(csi: np.ndarray) -> np.ndarray:
    """CSI divided by its RMS magnitude per packet and AP.

    Input
    -----
    csi : complex [N, B, N_a, K]

    Output
    ------
    complex128 [N, B, N_a, K] with ``mean_{a,k} |H|^2 = 1`` per (sample, AP); all-zero (unheard)
    entries stay zero. Multiplying a packet by any gain ``g > 0`` leaves the output unchanged.
    """
    arr = np.asarray(csi, dtype=np.complex128)
    power = np.mean(arr.real ** 2 + arr.imag ** 2, axis=(2, 3), keepdims=True)
    return np.where(power > _TINY, arr / np.sqrt(np.maximum(power, _TINY)), 0.0)


def sanitise_phase(csi: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Phase across subcarriers with its least-squares linear fit ``a k + b`` removed.

    Input
    -----
    csi : complex [N, B, N_a, K]; indices : int [K] real subcarrier indices (increasing)

    Output
    ------
    float64 [N, B, N_a, K] (rad): ``unwrap(angle(H))_k - (a k + b)`` with ``(a, b)`` the least-squares
    fit per packet, AP and antenna. A planted ``exp(1j (a k + b))`` is removed exactly.
    """
    k = np.asarray(indices, dtype=np.float64)
    if k.shape != (csi.shape[-1],):
        raise DataError(f"{len(k)} subcarrier indices for CSI with K={csi.shape[-1]}")
    if len(k) < 3:
        raise DataError(f"phase sanitisation needs >= 3 subcarriers, got {len(k)}")
    phase = np.unwrap(np.angle(csi), axis=-1)
    design = np.stack([k, np.ones_like(k)], axis=1)  # [K, 2]
    coef = phase @ np.linalg.pinv(design).T  # [..., 2] least squares per row
    return phase - coef @ design.T


def time_taps(csi: np.ndarray, indices: np.ndarray, n_taps: int) -> np.ndarray:
    """Magnitudes of the first ``n_taps`` time-domain channel taps.

    Input
    -----
    csi : complex [N, B, N_a, K]; indices : int [K] subcarrier indices; n_taps : taps kept

    Output
    ------
    float64 [N, B, N_a, n_taps]: ``|IFFT_n(H)[l]|`` for ``l < n_taps``, the subcarriers placed at
    ``indices mod n`` of an ``n``-point grid (``n`` = smallest power of two covering the index span;
    missing bins zero), unitary scaling.
    """
    idx = np.asarray(indices, dtype=np.int64)
    span = int(idx.max() - idx.min()) + 1
    n = 1 << max(span - 1, 1).bit_length()
    if not 1 <= n_taps <= n:
        raise ParameterError(f"n_taps={n_taps}; expected 1..{n} (the IFFT size of this subcarrier grid)")
    grid = np.zeros((*csi.shape[:-1], n), dtype=np.complex128)
    grid[..., idx % n] = csi
    return np.abs(np.fft.ifft(grid, axis=-1, norm="ortho")[..., :n_taps])


def packet_groups(ds: CSIDataset) -> np.ndarray:
    """Group label ``[N]`` int64 of each packet: one per (point_id, trajectory_id, tx_id) present."""
    keys = [v for v in (ds.point_id, ds.trajectory_id, ds.tx_id) if v is not None]
    if ds.point_id is None and ds.trajectory_id is None:
        raise DataError("packet windows need 'point_id' or 'trajectory_id' (so that no window spans two "
                        "points or walks); the dataset has neither")
    stacked = np.stack([np.asarray(v, dtype=np.int64) for v in keys], axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].ravel()


def window_mean(values: np.ndarray, groups: np.ndarray, order: np.ndarray, window: int) -> np.ndarray:
    """Mean of ``values`` over the last ``window`` packets of each packet's group, ending at it.

    Input
    -----
    values : float or complex [N, ...]; groups : int [N]; order : [N] sort key within a group (time)
    window : W >= 1

    Output
    ------
    [N, ...] same dtype family: row i is the mean over the up-to-W packets of group ``groups[i]``
    that precede it in ``order`` (itself included). Computed with cumulative sums (no loop).
    """
    perm = np.lexsort((order, groups))
    g = groups[perm]
    v = values[perm]
    cum = np.cumsum(v, axis=0)
    start = np.searchsorted(g, g, side="left")  # first row of each row's group (g sorted)
    pos = np.arange(len(g))
    lo = np.maximum(start, pos - window + 1)
    zero = np.zeros((1, *v.shape[1:]), dtype=cum.dtype)
    cum0 = np.concatenate([zero, cum])
    count = (pos - lo + 1).reshape(-1, *([1] * (v.ndim - 1)))
    mean_sorted = (cum0[pos + 1] - cum0[lo]) / count
    out = np.empty_like(mean_sorted)
    out[perm] = mean_sorted
    return out


def received_power_db(ds: CSIDataset, floor_db: float) -> np.ndarray:
    """The capture's received power per packet and AP, floored.

    Parameters
    ----------
    ds : CSIDataset
        With ``/rssi`` float [N, B] dB (NaN: not heard).
    floor_db : float
        Value (dB) of unheard APs and lower bound of every entry.

    Returns
    -------
    numpy.ndarray of float64, shape [N, B]
        ``max(rssi, floor_db)`` with NaN replaced by ``floor_db``.
    """
    if ds.rssi is None:
        raise DataError("feature 'rssi' needs /rssi (received power per packet and AP); the dataset has none")
    rssi = np.asarray(ds.rssi, dtype=np.float64)
    return np.where(np.isnan(rssi), floor_db, np.maximum(rssi, floor_db))


def transmitter_onehot(ds: CSIDataset) -> np.ndarray:
    """Which transmitter / AP a packet was heard from.

    Output
    ------
    float64 [N, T]: one-hot of ``/tx_id`` over ``T = len(meta["transmitters"])`` (else ``max + 1``);
    without ``tx_id``, ``/ap_mask`` as 0/1 ``[N, B]``.
    """
    if ds.tx_id is not None:
        names = ds.meta.get("transmitters")
        t = len(names) if names else int(ds.tx_id.max()) + 1
        if int(ds.tx_id.max()) >= t:
            raise DataError(f"tx_id up to {int(ds.tx_id.max())} but meta['transmitters'] lists {t}")
        return np.eye(t)[ds.tx_id]
    if ds.ap_mask is not None:
        return ds.ap_mask.astype(np.float64)
    raise DataError("feature 'tx-onehot' needs /tx_id or /ap_mask; the dataset has neither")


# -- composition ---------------------------------------------------------------------------------
def split_composite(spec: str) -> list[str]:
    """``"agc-amplitude+taps(n_taps=8)"`` -> ``["agc-amplitude", "taps(n_taps=8)"]`` ("+" outside brackets)."""
    parts, depth, cur = [], 0, ""
    for ch in spec:
        depth += (ch == "(") - (ch == ")")
        if ch == "+" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    if any(not p for p in parts):
        raise ParameterError(f"input spec {spec!r}: empty part (expected NAME[(k=v,...)][+NAME...])")
    return parts


def compose(ds: CSIDataset, spec: str) -> np.ndarray:
    """Features of a (composite) spec, each flattened per sample and concatenated.

    Output
    ------
    float64 [N, F] with F the sum of the parts' sizes, in the order given.
    """
    cols = []
    for part in split_composite(spec):
        name, params = parse_feature(part)
        cols.append(np.asarray(extract(ds, name, **params), dtype=np.float64).reshape(ds.n_samples, -1))
    return np.concatenate(cols, axis=1)


# -- registered extractors ------------------------------------------------------------------------
def _agc_amplitude(ds: CSIDataset) -> np.ndarray:
    return np.abs(agc_normalise(_csi(ds, "agc-amplitude")))


def _amplitude_db(ds: CSIDataset, agc: bool, floor_db: float) -> np.ndarray:
    arr = _csi(ds, "amplitude-db")
    mag = np.abs(agc_normalise(arr)) if agc else np.abs(arr).astype(np.float64)
    return 20.0 * np.log10(np.maximum(mag, 10.0 ** (floor_db / 20.0)))


def _phase(ds: CSIDataset) -> np.ndarray:
    return sanitise_phase(_csi(ds, "phase-sanitised"), ds.subcarrier_indices())


def _taps(ds: CSIDataset, n_taps: int, agc: bool) -> np.ndarray:
    arr = _csi(ds, "taps")
    return time_taps(agc_normalise(arr) if agc else arr, ds.subcarrier_indices(), n_taps)


def _window(ds: CSIDataset, window: int, stat: str) -> np.ndarray:
    h = agc_normalise(_csi(ds, "window"))
    groups = packet_groups(ds)
    order = ds.timestamps if ds.timestamps is not None else (
        ds.packet_index if ds.packet_index is not None else np.arange(ds.n_samples))
    if stat == "mean":
        return window_mean(np.abs(h), groups, np.asarray(order), window)
    outer = np.einsum("nbak,nbck->nbac", h, h.conj()) / h.shape[3]  # [N, B, N_a, N_a] per packet
    cov = window_mean(outer, groups, np.asarray(order), window)
    trace = np.real(np.einsum("nbaa->nb", cov))[..., None, None]
    cov = np.where(trace > _TINY, cov / np.maximum(trace, _TINY), 0.0)
    return np.stack([cov.real, cov.imag], axis=-1)


AGC_AMPLITUDE = Feature(_agc_amplitude, "per-packet AGC-normalised amplitude |H| / rms_{a,k}|H|: float64 "
                        "[N, B, N_a, K] (unheard APs 0)")
AMPLITUDE_DB = Feature(_amplitude_db, "amplitude in dB, 20 log10 |H| (floored): float64 [N, B, N_a, K]",
                       params={"agc": Param(Boolean(), "AGC-normalise each packet first"),
                               "floor_db": Param(Interval(float, -400, 0), "floor (dB) for zero amplitudes")},
                       defaults={"agc": True, "floor_db": -60.0})
PHASE_SANITISED = Feature(_phase, "unwrapped phase minus its least-squares line over the real subcarrier "
                          "indices (removes timing and carrier phase offsets): float64 [N, B, N_a, K] rad")
TAPS = Feature(_taps, "time-domain tap magnitudes |IFFT(H)|[:n_taps] on the subcarrier index grid: "
               "float64 [N, B, N_a, n_taps]",
               params={"n_taps": Param(Interval(int, 1, None), "leading taps kept"),
                       "agc": Param(Boolean(), "AGC-normalise each packet first")},
               defaults={"n_taps": 16, "agc": True})
WINDOW = Feature(_window, "mean AGC amplitude [N, B, N_a, K] or trace-normalised sample covariance "
                 "[N, B, N_a, N_a, 2] (re, im) over the last W packets of the same point / walk / transmitter",
                 params={"window": Param(Interval(int, 1, None), "packets W per window"),
                         "stat": Param(Options("mean", "cov"), "mean amplitude or sample covariance")},
                 defaults={"window": 10, "stat": "mean"}, per_sample=False)
RSSI = Feature(received_power_db, "received power per packet and AP from /rssi (dB), unheard and weaker "
               "entries at floor_db: float64 [N, B]",
               params={"floor_db": Param(Interval(float, -400, 100), "value of unheard APs, lower bound (dB)")},
               defaults={"floor_db": -120.0})
TX_ONEHOT = Feature(lambda ds: transmitter_onehot(ds), "transmitter heard, one-hot over meta['transmitters'] "
                    "(from /tx_id) or /ap_mask as 0/1: float64 [N, T]")
