"""WiFi CSI tools: Nexmon (own numpy parser, cross-checked against csiread), Intel 5300, Atheros,
ESP32 and PicoScenes (through ``csiread``, the ``csiread`` extra).

Every reader keeps subcarriers BY INDEX from the 802.11 map of the bandwidth
(``radiomap.data.loaders.subcarriers``), in natural order, and records per sample: transmitter MAC,
carrier (from the channel / chanspec where the file has it), RSSI, timestamp, antenna (core /
receive chain), capture file and packet index. The receiver is one AP (B = 1) whose antennas are
the cores / receive chains; the transmitters (APs heard by a sniffer) are ``tx_id``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from radiomap.data.loaders.base import Capture, Format, mac_strings, require_package
from radiomap.data.loaders.nexmon import chanspec_carrier_hz, read_nexmon
from radiomap.data.loaders.subcarriers import INTEL5300_INDICES, MAPS, SUBCARRIER_SPACING_HZ, subcarrier_map
from radiomap.errors import DataError, ParameterError

DEFAULT_CARRIER_HZ = 2.437e9
"""Carrier assumed (channel 6) when a file does not record it and none is given; a note says so."""


def _carrier(values: np.ndarray | None, carrier: float | None, n: int, fmt: str, notes: list[str]) -> np.ndarray:
    if carrier is not None:
        if not carrier > 0:
            raise ParameterError(f"carrier={carrier}; expected a carrier frequency > 0 Hz")
        return np.full(n, float(carrier))
    if values is not None and len(values) and (values > 0).all():
        return values.astype(np.float64)
    notes.append(f"{fmt}: carrier not recorded in the file; assumed {DEFAULT_CARRIER_HZ / 1e9:g} GHz "
                 "(pass --carrier HZ)")
    return np.full(n, DEFAULT_CARRIER_HZ)


# -- Nexmon ---------------------------------------------------------------------------------------
def read_nexmon_capture(path: Path, *, chip: str | None = None, bandwidth: int | None = None,
                        subcarriers: str = "data", carrier: float | None = None) -> Capture:
    """One nexmon_csi pcap file as a Capture.

    Packets of one Wi-Fi frame (same sequence number and MAC, consecutive) become one sample with
    one antenna per (core, stream); frames missing one of them are dropped and counted.

    Parameters
    ----------
    path : Path
    chip : str or None
        Chip name (bcm4339, bcm43455c0, bcm4358, bcm4366c0); None: detected.
    bandwidth : int or None
        Expected bandwidth (MHz); a mismatch with the packets' CSI size is a DataError.
    subcarriers : str
        Subcarriers kept by 802.11 index: ``"data"``, ``"data+pilot"`` or ``"all"``.
    carrier : float or None
        Carrier (Hz) overriding the file's; None: the file's, else 2.437 GHz (noted).

    Returns
    -------
    Capture
        csi complex64 ``[F, 1, A, K]`` (F frames, A = cores x streams captured), carrier ``[F]``
        from the chanspecs (Hz), rssi ``[F, 1]`` (dBm, as reported), transmitter MACs ``[F]``.
    """
    p = read_nexmon(path.read_bytes(), chip, path.name)
    n_fft = p.csi.shape[1]
    bw = int(round(n_fft / 3.2))
    if bandwidth is not None and int(bandwidth) != bw:
        raise DataError(f"{path.name}: packets hold {n_fft}-bin CSI ({bw} MHz), not --bandwidth {bandwidth}")
    smap = subcarrier_map(bw)
    idx = smap.indices(subcarriers)
    csi_k = p.csi[:, smap.fft_bins(idx)]                                   # [P, K] natural order
    pair = p.core.astype(np.int64) * 8 + p.stream
    antennas = np.unique(pair)
    notes: list[str] = []
    if p.n_other:
        notes.append(f"{path.name}: {p.n_other} pcap record(s) that are not nexmon CSI skipped")
    if len(antennas) == 1:
        first = np.arange(len(pair))
        csi = csi_k[:, None, None, :]
    else:
        new = np.r_[True, (p.seq[1:] != p.seq[:-1]) | (p.mac[1:] != p.mac[:-1]).any(axis=1)]
        fid = np.cumsum(new) - 1
        slot = np.searchsorted(antennas, pair)
        count = np.zeros((fid[-1] + 1, len(antennas)), np.int64)
        np.add.at(count, (fid, slot), 1)
        good = (count == 1).all(axis=1)
        csi = np.zeros((len(good), 1, len(antennas), len(idx)), np.complex64)
        csi[fid, 0, slot] = csi_k
        first = np.flatnonzero(new)[good]
        csi = csi[good]
        if (~good).any():
            notes.append(f"{path.name}: {int((~good).sum())} frame(s) without one packet per core/stream dropped")
    cs_carrier, cs_bw = chanspec_carrier_hz(p.chanspec[first])
    known = (p.chanspec[first] != 0) & (cs_bw > 0)
    carrier_hz = _carrier(np.where(known, cs_carrier, 0.0), carrier, len(first), "nexmon", notes)
    return Capture(csi=csi.astype(np.complex64), carrier_hz=carrier_hz, bandwidth_hz=bw * 1e6,
                   spacing_hz=SUBCARRIER_SPACING_HZ, subcarriers=idx, standard=smap.standard,
                   packet_index=p.packet_index[first], source_file=path.name, timestamps=p.timestamps[first],
                   rssi=p.rssi[first, None], transmitter=mac_strings(p.mac[first]),
                   meta={"antennas": [f"core{a // 8}/stream{a % 8}" for a in antennas],
                         "chip_version": int(p.chip_version[0]) if len(p.chip_version) else None},
                   notes=notes)


# -- Intel 5300 -------------------------------------------------------------------------------------
def read_intel5300_capture(path: Path, *, carrier: float | None = None, scaled: bool = True) -> Capture:
    """One Linux 802.11n CSI Tool (Intel 5300) ``.dat`` log as a Capture.

    Packets with another number of receive chains than the most common one, or another bandwidth
    than the majority, are dropped.

    Parameters
    ----------
    path : Path
    carrier : float or None
        Carrier (Hz) overriding the file's; None: the file's, else 2.437 GHz (noted).
    scaled : bool
        Apply the CSI Tool's ``get_scaled_csi`` (CSI in sqrt(mW) from RSSI, AGC and noise).

    Returns
    -------
    Capture
        csi complex64 ``[N, 1, N_rx, 30]`` (first spatial stream, ``INTEL5300_INDICES``),
        timestamps ``[N]`` (s, 32-bit microsecond clock unwrapped), rssi ``[N, 1]`` (total RSS, dBm).
    """
    csiread = require_package("csiread", "csiread", "intel5300")
    d = csiread.Intel(str(path), nrxnum=3, ntxnum=3, if_report=False)
    _run_reader(d, path, "Intel 5300 .dat")
    raw = d.get_scaled_csi() if scaled else d.csi                         # [N, 30, 3, 3] complex128
    nrx = np.asarray(d.Nrx)
    n_rx = int(np.bincount(nrx).argmax())
    keep = np.flatnonzero(nrx == n_rx)
    notes = [f"{path.name}: {len(nrx) - len(keep)} packet(s) with another number of receive chains dropped"] \
        if len(keep) < len(nrx) else []
    ht40 = (np.asarray(d.rate)[keep] & 0x800) != 0
    bw = 40 if ht40.mean() > 0.5 else 20
    keep = keep[ht40 == (bw == 40)]
    perm_ok = _intel_perm(d, keep)
    csi = np.transpose(raw[keep][:, :, :n_rx, 0], (0, 2, 1))[:, None]        # [N, 1, N_rx, 30]
    tl = np.asarray(d.timestamp_low, dtype=np.float64)[keep]
    t = (tl + 2.0**32 * np.r_[0, np.cumsum(np.diff(tl) < 0)]) * 1e-6          # unwrap the 32-bit us clock
    tx = mac_strings(np.asarray(d.addr_src)[keep]) if np.asarray(d.addr_src).shape[0] == len(nrx) else None
    return Capture(csi=csi.astype(np.complex64), carrier_hz=_carrier(None, carrier, len(keep), "intel5300", notes),
                   bandwidth_hz=bw * 1e6, spacing_hz=SUBCARRIER_SPACING_HZ, subcarriers=INTEL5300_INDICES[bw],
                   standard=f"intel5300-ht{bw}", packet_index=keep.astype(np.int64), source_file=path.name,
                   timestamps=t, rssi=np.asarray(d.get_total_rss(), dtype=np.float32)[keep, None], transmitter=tx,
                   meta={"scaled": bool(scaled), "antenna_permutation_constant": perm_ok}, notes=notes)


def _intel_perm(d, keep: np.ndarray) -> bool:
    perm = np.asarray(d.perm)[keep]
    return bool(len(perm) == 0 or (perm == perm[0]).all())


# -- Atheros ---------------------------------------------------------------------------------------
def read_atheros_capture(path: Path, *, carrier: float | None = None) -> Capture:
    """One Atheros CSI Tool log as a Capture (packets of another size than the majority dropped).

    Parameters
    ----------
    path : Path
    carrier : float or None
        Carrier (Hz) overriding the file's; None: the file's, else 2.437 GHz (noted).

    Returns
    -------
    Capture
        csi complex64 ``[N, 1, N_r, 56|114]`` (the used subcarriers of ht20/ht40, first stream),
        timestamps ``[N]`` (s), rssi ``[N, 1]`` (as reported).
    """
    csiread = require_package("csiread", "csiread", "atheros")
    d = csiread.Atheros(str(path), nrxnum=3, ntxnum=3, tones=56, if_report=False)
    _run_reader(d, path, "Atheros CSI Tool")
    if (np.asarray(d.num_tones) == 114).any():
        d = csiread.Atheros(str(path), nrxnum=3, ntxnum=3, tones=114, if_report=False)
        _run_reader(d, path, "Atheros CSI Tool")
    tones = np.asarray(d.num_tones)
    n_t = int(np.bincount(tones).argmax())
    nr = np.asarray(d.nr)
    n_r = int(np.bincount(nr).argmax())
    keep = np.flatnonzero((tones == n_t) & (nr == n_r))
    notes = [f"{path.name}: {len(tones) - len(keep)} packet(s) of another size dropped"] \
        if len(keep) < len(tones) else []
    smap = MAPS["ht20"] if n_t == 56 else MAPS["ht40"]
    csi = np.transpose(np.asarray(d.csi)[keep][:, :n_t, :n_r, 0], (0, 2, 1))[:, None]
    ch = np.asarray(d.tx_channel, dtype=np.float64)[keep] * 1e6
    return Capture(csi=csi.astype(np.complex64), carrier_hz=_carrier(ch, carrier, len(keep), "atheros", notes),
                   bandwidth_hz=(20 if n_t == 56 else 40) * 1e6, spacing_hz=SUBCARRIER_SPACING_HZ,
                   subcarriers=smap.used, standard=smap.standard, packet_index=keep.astype(np.int64),
                   source_file=path.name, timestamps=np.asarray(d.timestamp, dtype=np.float64)[keep] * 1e-6,
                   rssi=np.asarray(d.rssi, dtype=np.float32)[keep, None], notes=notes)


# -- ESP32 -----------------------------------------------------------------------------------------
def read_esp32_capture(path: Path, *, subcarriers: str = "data", carrier: float | None = None) -> Capture:
    """One ESP32-CSI-Tool CSV log as a Capture, from the L-LTF (64 bins in FFT order).

    Parameters
    ----------
    path : Path
    subcarriers : str
        Subcarriers kept by 802.11 index (``legacy20`` map): ``"data"``, ``"data+pilot"`` or ``"all"``.
    carrier : float or None
        Carrier (Hz) overriding the file's; None: the file's, else 2.437 GHz (noted).

    Returns
    -------
    Capture
        csi complex64 ``[N, 1, 1, K]``, carrier ``[N]`` from the channel numbers (Hz), timestamps
        ``[N]`` (s), rssi ``[N, 1]`` (dBm), transmitter MACs ``[N]``.
    """
    csiread = require_package("csiread", "csiread", "esp32")
    d = csiread.ESP32(str(path), if_report=False, csi_only=False)
    try:
        d.read()
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path.name}: not an ESP32-CSI-Tool CSV log ({exc})") from exc
    if not d.count:
        raise DataError(f"{path.name}: no CSI_DATA lines")
    smap = MAPS["legacy20"]
    idx = smap.indices(subcarriers)
    raw = np.asarray(d.csi)
    if raw.shape[1] < 64:
        raise DataError(f"{path.name}: CSI lines hold {raw.shape[1]} values; expected the 64 L-LTF bins")
    csi = raw[:, smap.fft_bins(idx)][:, None, None, :]
    ch = np.asarray(d.channel, dtype=np.float64)
    notes: list[str] = []
    mhz = np.where(ch == 14, 2484.0, 2407.0 + 5.0 * ch)
    return Capture(csi=csi.astype(np.complex64), carrier_hz=_carrier(mhz * 1e6, carrier, d.count, "esp32", notes),
                   bandwidth_hz=20e6, spacing_hz=SUBCARRIER_SPACING_HZ, subcarriers=idx, standard=smap.standard,
                   packet_index=np.arange(d.count, dtype=np.int64), source_file=path.name,
                   timestamps=np.asarray(d.real_timestamp, dtype=np.float64),
                   rssi=np.asarray(d.rssi, dtype=np.float32)[:, None],
                   transmitter=np.array([m.lower() for m in d.mac]), notes=notes)


# -- PicoScenes -------------------------------------------------------------------------------------
def read_picoscenes_capture(path: Path, *, subcarriers: str = "data", carrier: float | None = None) -> Capture:
    """One PicoScenes ``.csi`` file as a Capture.

    Uses csiread's (experimental) PicoScenes parser in two passes: the first reads the frames' headers
    (csiread skips CSI that does not fit its ``pl_size`` buffers, zero by default), the second reads the
    CSI with buffers sized from the file's own ``NumTones`` / ``NumRx`` / ``NumTx + NumESS``. csiread's CSI
    is ``[N, tones, rx, tx]``; subcarriers are matched by the file's own ``SubcarrierIndex`` against the
    802.11 map of the channel bandwidth.

    Parameters
    ----------
    path : Path
    subcarriers : str
        Subcarriers kept by 802.11 index: ``"data"``, ``"data+pilot"`` or ``"all"`` (all the
        file's subcarriers for a bandwidth other than 20/40/80 MHz).
    carrier : float or None
        Carrier (Hz) overriding the file's; None: the file's, else 2.437 GHz (noted).

    Returns
    -------
    Capture
        csi complex64 ``[N, 1, N_rx, K]`` (first transmit stream), carrier ``[N]`` (Hz), timestamps
        ``[N]`` (s), rssi ``[N, 1]`` (dBm), transmitter MACs ``[N]``.
    """
    csiread = require_package("csiread", "csiread", "picoscenes")
    d = csiread.Picoscenes(str(path), if_report=False)
    _run_reader(d, path, "PicoScenes .csi")
    info = d.raw["CSI"]["Info"]
    shape = [int(np.max(info["NumTones"])), int(np.max(info["NumRx"])),
             int(np.max(np.asarray(info["NumTx"]) + np.asarray(info["NumESS"])))]
    if min(shape) < 1:
        raise DataError(f"{path.name}: PicoScenes frames without CSI (tones, rx, tx = {shape})")
    d = csiread.Picoscenes(str(path), dict(d.pl_size, CSI=shape), if_report=False)
    _run_reader(d, path, "PicoScenes .csi")
    raw = d.raw
    info = raw["CSI"]["Info"]
    full = (np.asarray(info["NumTones"]) == shape[0]) & (np.asarray(info["NumRx"]) == shape[1])
    if not full.all():
        raise DataError(f"{path.name}: PicoScenes frames of different CSI sizes (tones "
                        f"{sorted(set(info['NumTones']))}, rx {sorted(set(info['NumRx']))}); split the capture")
    csi = np.asarray(raw["CSI"]["CSI"])                                     # [N, tones, rx, tx]
    sub = np.asarray(raw["CSI"]["SubcarrierIndex"])[0]
    cbw = int(np.asarray(raw["RxSBasic"]["CBW"])[0])
    smap = subcarrier_map(cbw) if cbw in (20, 40, 80) else None
    want = smap.indices(subcarriers) if smap is not None else sub
    cols = np.flatnonzero(np.isin(sub, want))
    out = np.transpose(csi[..., 0][:, cols], (0, 2, 1))[:, None]            # first tx stream
    notes: list[str] = []
    fc = np.asarray(raw["CSI"]["Info"]["CarrierFreq"], dtype=np.float64)
    return Capture(csi=out.astype(np.complex64), carrier_hz=_carrier(fc, carrier, len(out), "picoscenes", notes),
                   bandwidth_hz=cbw * 1e6, spacing_hz=SUBCARRIER_SPACING_HZ, subcarriers=sub[cols],
                   standard=smap.standard if smap else "picoscenes", packet_index=np.arange(len(out), dtype=np.int64),
                   source_file=path.name,
                   timestamps=np.asarray(raw["RxSBasic"]["Timestamp"], dtype=np.float64) * 1e-6,
                   rssi=np.asarray(raw["RxSBasic"]["RSSI"], dtype=np.float32)[:, None],
                   transmitter=mac_strings(np.asarray(raw["StandardHeader"]["Addr2"])), notes=notes)


def _run_reader(d, path: Path, what: str) -> None:
    """Run a csiread reader; its failures and empty results become one-line ``DataError``s."""
    try:
        d.read()
    except Exception as exc:  # csiread raises bare Exceptions on foreign files
        raise DataError(f"{path.name}: not a readable {what} file ({exc})") from exc
    if not getattr(d, "count", 0):
        raise DataError(f"{path.name}: no CSI packets found (is this a {what} file?)")


# -- format descriptions (registered in radiomap.data.loaders.FORMATS) -------------------------------
NEXMON = Format("nexmon", "wifi", "nexmon_csi pcap (bcm4339, bcm43455c0, bcm4358, bcm4366c0; 20/40/80 MHz)",
                read_nexmon_capture, (".pcap",), ("chip", "bandwidth", "subcarriers", "carrier"))
INTEL5300 = Format("intel5300", "wifi", "Linux 802.11n CSI Tool (Intel 5300) .dat log, 30 grouped subcarriers",
                   read_intel5300_capture, (".dat",), ("carrier", "scaled"), ("csiread", "csiread"))
ATHEROS = Format("atheros", "wifi", "Atheros CSI Tool log, 56/114 tones", read_atheros_capture, (".dat",),
                 ("carrier",), ("csiread", "csiread"))
ESP32 = Format("esp32", "wifi", "ESP32-CSI-Tool CSV log (L-LTF, 64 bins)", read_esp32_capture, (".csv",),
               ("subcarriers", "carrier"), ("csiread", "csiread"))
PICOSCENES = Format("picoscenes", "wifi", "PicoScenes .csi file (csiread's experimental parser)",
                    read_picoscenes_capture, (".csi",), ("subcarriers", "carrier"), ("csiread", "csiread"))
