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
    csi : complex64 [N, B, N_a, K], natural subcarrier order (increasing index)
    carrier_hz : float64 [N] (Hz); bandwidth_hz : channel bandwidth (Hz)
    subcarriers : int [K] signed subcarrier indices (``f = carrier + k * spacing_hz``), or None for a
        uniform grid centred on the carrier; spacing_hz : subcarrier spacing (Hz); standard : map name
    timestamps : [N] s or None; rssi : [N, B] (dBm or dB, as reported) or None
    transmitter : [N] str (e.g. MAC) or None; packet_index : [N] int; source_file : str (base name)
    positions : [N, 3] m or None (formats that record them); los : [N, B] bool or None
    ap_names, ap_positions [B, 3] (NaN unknown), arrays, orientations : the receiving APs, or None
    meta : format-specific extra metadata (JSON-serialisable)
    notes : one-line remarks for the user (assumed carrier, dropped packets, ...)
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
        return self.csi.shape[0]

    def subset(self, idx: np.ndarray) -> Capture:
        """Samples ``idx`` (int indices or bool mask); receiver description shared."""
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

    ``read(path, **options) -> Capture``; ``extensions`` select files inside a SRC folder;
    ``options`` names the keyword options the reader accepts (anything else is refused in one line);
    ``requires`` is the optional package it needs (import name, pip extra).
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
        unknown = sorted(k for k, v in options.items() if v is not None and k not in self.options)
        if unknown:
            known = ", ".join(self.options) or "none"
            raise ParameterError(f"format {self.name!r} does not take option(s) {', '.join(unknown)}; "
                                 f"it takes: {known}")


def require_package(module: str, extra: str, fmt: str):
    """Import an optional dependency or fail in one line naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DataError(f"format {fmt!r} needs the {module!r} package: pip install 'radiomap[{extra}]'") from exc


def expand_sources(sources: list[str | os.PathLike], fmt: Format) -> list[Path]:
    """Files to read: SRC files as given, SRC folders expanded to their files with the format's extensions."""
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

    Input
    -----
    captures : non-empty list, all with the same [B, N_a, K] and subcarrier grid
    fmt : format name (recorded in ``meta["source"]``)
    positions : [N, 3] m overriding the captures' own positions (from a positions file), or None
    point_id : [N] int (measurement point of each sample) or None

    Output
    ------
    CSIDataset: csi, timestamps, rssi, tx_id (+ ``meta["transmitters"]``), carrier_hz (only where it
    varies), source_file, packet_index, positions, point_id, los; ``meta["scene"]`` measured.
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
    """``[N, 6]`` uint8 MAC bytes -> ``[N]`` str ``"aa:bb:cc:dd:ee:ff"`` (vectorised over unique MACs)."""
    mac = np.ascontiguousarray(np.asarray(mac_bytes, dtype=np.uint8).reshape(-1, 6))
    if not len(mac):
        return np.zeros(0, dtype="<U17")
    keys = mac.view(np.dtype((np.void, 6))).ravel()
    uniq, inv = np.unique(keys, return_inverse=True)
    names = np.array([":".join(f"{b:02x}" for b in bytes(u)) for u in uniq])
    return names[inv]
