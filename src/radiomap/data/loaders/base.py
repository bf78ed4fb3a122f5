"""What every loader returns (``Capture``), the ``Format`` description, and Capture -> CSIDataset.

A reader turns ONE capture file into a ``Capture``: per-sample arrays plus what the file says about
the receiver (arrays, carrier, subcarriers). ``to_dataset`` concatenates captures, maps transmitter
MACs to ``tx_id`` and builds the measured scene, so that every format lands in the same
``CSIDataset`` (schema version 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radiomap import __version__
from radiomap.data.dataset import CSIDataset
from radiomap.errors import DataError, ParameterError
from radiomap.scene import OFDM, measured_scene


@dataclass
class Capture:
    """Samples read from one capture file.

    Attributes
    ----------
    csi : ndarray, complex64 [N, B, N_a, K]
        Natural subcarrier order (increasing index).
    carrier_hz : ndarray, float64 [N]
        Carrier of each sample (Hz).
    bandwidth_hz : float
        Channel bandwidth (Hz).
    spacing_hz : float
        Subcarrier spacing (Hz).
    packet_index : ndarray, int [N]
        Index of the sample's packet in the file.
    source_file : str
        Base name of the file.
    subcarriers : ndarray, int [K] or None
        Signed subcarrier indices (``f = carrier + k * spacing_hz``); None for a uniform grid
        centred on the carrier.
    standard : str
        Subcarrier map name (``ht20``, ...) or "".
    timestamps : ndarray, float64 [N] or None
        Seconds.
    rssi : ndarray, float [N, B] or None
        dBm or dB, as reported.
    transmitter : ndarray, str [N] or None
        Transmitter of each sample (e.g. MAC).
    positions : ndarray, float64 [N, 3] or None
        User positions (m), for formats that record them.
    los : ndarray, bool [N, B] or None
    paths : dict[str, ndarray] or None
        Ray-traced path parameters of simulated formats; per-sample arrays ``[N, ...]`` plus the
        shared ``ap_positions`` and ``element_positions``.
    ap_names : list of str [B] or None
    ap_positions : ndarray, float64 [B, 3] or None
        Receiving array centres (m), NaN where unknown.
    arrays : list of ULA | UPA [B] or None
    orientations : list of float [B] or None
        Array normal vs the x axis (rad).
    meta : dict
        Format-specific extra metadata (JSON-serialisable).
    notes : list of str
        One-line remarks for the user (assumed carrier, dropped packets, ...).
    """

    csi: np.ndarray
    carrier_hz: np.ndarray
    bandwidth_hz: float
    spacing_hz: float
    packet_index: np.ndarray
    source_file: str
    subcarriers: np.ndarray | None = None
    standard: str = ""
    timestamps: np.ndarray | None = None
    rssi: np.ndarray | None = None
    transmitter: np.ndarray | None = None
    positions: np.ndarray | None = None
    los: np.ndarray | None = None
    paths: dict | None = None
    ap_names: list[str] | None = None
    ap_positions: np.ndarray | None = None
    arrays: list | None = None
    orientations: list[float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """int: number of samples N."""
        return self.csi.shape[0]

    def subset(self, idx: np.ndarray) -> Capture:
        """The capture restricted to some samples; the receiver description is shared.

        Parameters
        ----------
        idx : ndarray, int [M] or bool [N]
            Sample indices or mask.

        Returns
        -------
        Capture
            Per-sample fields (csi, carrier_hz, packet_index, timestamps, rssi, transmitter,
            positions, los, per-sample ``paths`` arrays) indexed by ``idx``.
        """
        def take(v):
            return None if v is None else np.asarray(v)[idx]

        out = Capture(**{**self.__dict__})
        for name in ("csi", "carrier_hz", "packet_index", "timestamps", "rssi", "transmitter", "positions", "los"):
            setattr(out, name, take(getattr(self, name)))
        if self.paths is not None:
            shared = ("ap_positions", "element_positions")
            out.paths = {k: (v if k in shared else v[idx]) for k, v in self.paths.items()}
        return out


@dataclass(frozen=True)
class Format:
    """One importable format: name, family, the reader of one file and what it accepts.

    Parameters
    ----------
    name : str
        Format name (``radiomap import --format``).
    family : str
        Reader family (module), e.g. ``wifi``.
    description : str
        One line for ``radiomap formats``.
    read : Callable[..., Capture]
        ``read(path, **options) -> Capture`` for one file (or folder when ``folder``).
    extensions : tuple of str
        Lower-case file endings selected inside a SRC folder.
    options : tuple of str
        Keyword options the reader accepts (anything else is refused in one line).
    requires : tuple[str, str] or None
        Optional package it needs: (import name, pip extra).
    folder : bool
        A SRC folder is one capture (passed whole to ``read``), not a folder of files.
    """

    name: str
    family: str
    description: str
    read: Callable[..., Capture]
    extensions: tuple[str, ...]
    options: tuple[str, ...] = ()
    requires: tuple[str, str] | None = None
    folder: bool = False

    def check_options(self, options: dict) -> None:
        """Refuse options this format does not take.

        Parameters
        ----------
        options : dict
            Keyword options; entries whose value is None are ignored.

        Raises
        ------
        ParameterError
            One line naming the unknown options and the known ones.
        """
        unknown = sorted(k for k, v in options.items() if v is not None and k not in self.options)
        if unknown:
            known = ", ".join(self.options) or "none"
            raise ParameterError(f"format {self.name!r} does not take option(s) {', '.join(unknown)}; "
                                 f"it takes: {known}")


def require_package(module: str, extra: str, fmt: str):
    """Import an optional dependency or fail in one line naming the extra that provides it.

    Parameters
    ----------
    module : str
        Import name.
    extra : str
        The radiomap pip extra that installs it.
    fmt : str
        Format name, for the message.

    Returns
    -------
    module

    Raises
    ------
    DataError
        The package is not installed.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DataError(f"format {fmt!r} needs the {module!r} package: pip install 'radiomap[{extra}]'") from exc


def expand_sources(sources: list[str | os.PathLike], fmt: Format) -> list[Path]:
    """Files to read: SRC files as given, SRC folders expanded to their files with the format's extensions.

    Parameters
    ----------
    sources : list of str or PathLike
        Files or folders (a folder is kept whole when ``fmt.folder``).
    fmt : Format

    Returns
    -------
    list of Path
        In the given order, each folder's files sorted by name.

    Raises
    ------
    DataError
        A missing path, a folder without matching files, or no input.
    """
    files: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir() and not fmt.folder:
            found = sorted(f for f in p.iterdir() if f.is_file() and f.name.lower().endswith(fmt.extensions))
            if not found:
                raise DataError(f"{p}: no {fmt.name} files ({', '.join(fmt.extensions)}) in this folder")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise DataError(f"{p}: no such file or folder")
    if not files:
        raise DataError(f"no {fmt.name} input given")
    return files


def to_dataset(captures: list[Capture], fmt: str, *, name: str | None = None, positions: np.ndarray | None = None,
               point_id: np.ndarray | None = None, extra_meta: dict | None = None) -> CSIDataset:
    """Concatenate captures of one receiver into a ``CSIDataset`` with a measured scene.

    Parameters
    ----------
    captures : list of Capture
        Non-empty, all with the same [B, N_a, K] and subcarrier grid.
    fmt : str
        Format name (recorded in ``meta["source"]``).
    name : str or None
        Scene name; default ``<fmt>-capture``.
    positions : ndarray, float [N, 3] or None
        Positions (m) overriding the captures' own (from a positions file).
    point_id : ndarray, int [N] or None
        Measurement point of each sample.
    extra_meta : dict or None
        Merged into ``meta`` last.

    Returns
    -------
    CSIDataset
        csi, timestamps, rssi, tx_id (+ ``meta["transmitters"]``), carrier_hz (only where it
        varies), source_file, packet_index, positions, point_id, los, paths; ``meta["scene"]`` measured.
    """
    if not captures:
        raise DataError(f"{fmt}: no samples to import")
    first = captures[0]
    for c in captures[1:]:
        if c.csi.shape[1:] != first.csi.shape[1:] or not _same(c.subcarriers, first.subcarriers):
            raise DataError(f"{c.source_file}: CSI shape {c.csi.shape[1:]} / subcarriers differ from "
                            f"{first.source_file} {first.csi.shape[1:]}; import them separately")

    def cat(attr):
        vals = [getattr(c, attr) for c in captures]
        if all(v is None for v in vals):
            return None
        if any(v is None for v in vals):
            raise DataError(f"{fmt}: field {attr!r} is present in some files and missing in others")
        return np.concatenate([np.asarray(v) for v in vals])

    csi = cat("csi")
    carrier = cat("carrier_hz").astype(np.float64)
    tx_names, tx_id = None, None
    tx = cat("transmitter")
    if tx is not None:
        tx_names, tx_id = np.unique(tx.astype(str), return_inverse=True)
    pos = positions if positions is not None else cat("positions")
    main_carrier = float(np.median(carrier))
    k = csi.shape[3]
    spacing = first.spacing_hz
    if first.subcarriers is not None and k > 1:  # mean spacing of the stored grid (may have gaps)
        spacing *= float(first.subcarriers[-1] - first.subcarriers[0]) / (k - 1)
    ofdm = OFDM(main_carrier, spacing * k, k)
    scene = measured_scene(name or f"{fmt}-capture", ofdm, ap_names=first.ap_names or
                           [f"RX{b}" for b in range(csi.shape[1])], ap_positions=first.ap_positions,
                           arrays=first.arrays or None, orientations=first.orientations,
                           n_antennas=csi.shape[2], positions=pos,
                           description=f"measured: imported from {fmt} files")
    meta = {"scene": scene.to_dict(), "radiomap_version": __version__,
            "source": {"format": fmt, "files": [c.source_file for c in captures],
                       "bandwidth_hz": first.bandwidth_hz} | first.meta,
            "noise": {"mode": "measured"}}
    if first.subcarriers is not None:
        meta["subcarriers"] = {"indices": [int(v) for v in first.subcarriers], "spacing_hz": first.spacing_hz,
                               "standard": first.standard}
    if tx_names is not None:
        meta["transmitters"] = [str(t) for t in tx_names]
    notes = [n for c in captures for n in c.notes]
    if notes:
        meta["import_notes"] = sorted(set(notes))
    meta |= extra_meta or {}
    source_file = np.concatenate([np.full(c.n, c.source_file) for c in captures])
    return CSIDataset(csi, positions=pos, timestamps=cat("timestamps"), los=cat("los"), point_id=point_id,
                      tx_id=tx_id, rssi=cat("rssi"), source_file=source_file, packet_index=cat("packet_index"),
                      carrier_hz=None if np.all(carrier == carrier[0]) else carrier,
                      paths=_cat_paths(captures), meta=meta)


def _cat_paths(captures: list[Capture]) -> dict | None:
    if any(c.paths is None for c in captures):
        return None
    out = {}
    for k, v in captures[0].paths.items():
        out[k] = v if k in ("ap_positions", "element_positions") else np.concatenate([c.paths[k] for c in captures])
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


def mac_strings(mac_bytes: np.ndarray) -> np.ndarray:
    """MAC addresses as strings (formatted once per unique MAC).

    Parameters
    ----------
    mac_bytes : array_like, uint8 [N, 6]
        Any shape with 6 N entries is read as N MACs.

    Returns
    -------
    ndarray, str ``<U17`` [N]
        ``"aa:bb:cc:dd:ee:ff"``.
    """
    mac = np.ascontiguousarray(np.asarray(mac_bytes, dtype=np.uint8).reshape(-1, 6))
    if not len(mac):
        return np.zeros(0, dtype="<U17")
    keys = mac.view(np.dtype((np.void, 6))).ravel()
    uniq, inv = np.unique(keys, return_inverse=True)
    names = np.array([":".join(f"{b:02x}" for b in bytes(u)) for u in uniq])
    return names[inv]
