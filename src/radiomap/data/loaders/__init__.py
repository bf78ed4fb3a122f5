"""Loaders for measured and externally simulated data: one module per format family, one registry.

``FORMATS`` maps a format name to its ``Format`` (reader of one file + options);
``load_capture(format, sources, positions=None, ...)`` reads files or folders into one
``CSIDataset`` (schema version 2, measured scene). The CLI verb is
``radiomap import FORMAT SRC... [--positions FILE] -o ds.h5``; ``radiomap formats`` lists them.

Families: ``wifi`` (nexmon, intel5300, atheros, esp32, picoscenes), ``dichasus``, ``espargos``
(TensorFlow-free TFRecord reader), ``deepmimo`` (v4 scenario folders), ``quadriga`` (.mat v5 / v7.3).
"""

from __future__ import annotations

import os

import numpy as np

from radiomap.data.dataset import CSIDataset
from radiomap.data.loaders.base import Capture, Format, expand_sources, to_dataset
from radiomap.data.loaders.positions import PointTable, PositionLog, read_ap_table, read_positions
from radiomap.errors import DataError
from radiomap.registry import Registry

FORMATS = Registry("import format", {
    "nexmon": "radiomap.data.loaders.wifi:NEXMON",
    "intel5300": "radiomap.data.loaders.wifi:INTEL5300",
    "atheros": "radiomap.data.loaders.wifi:ATHEROS",
    "esp32": "radiomap.data.loaders.wifi:ESP32",
    "picoscenes": "radiomap.data.loaders.wifi:PICOSCENES",
    "dichasus": "radiomap.data.loaders.dichasus:DICHASUS",
    "espargos": "radiomap.data.loaders.espargos:ESPARGOS",
    "deepmimo": "radiomap.data.loaders.deepmimo:DEEPMIMO",
    "quadriga": "radiomap.data.loaders.quadriga_mat:QUADRIGA",
})


def load_capture(format: str, sources, positions: str | os.PathLike | None = None, *, max_gap: float = 0.5,
                 aps: str | os.PathLike | None = None, name: str | None = None, **options) -> CSIDataset:
    """Read capture files of one format into a ``CSIDataset``.

    Parameters
    ----------
    format : str
        A ``FORMATS`` name ("nexmon", "intel5300", "dichasus", ...).
    sources : str, PathLike or list of them
        Files or folders (folders are expanded to the format's files).
    positions : str, PathLike or None
        CSV ``file,x,y[,z]`` (one measurement point per capture file; files without a row are
        skipped and counted) or ``t,x,y[,z]`` (position log joined on timestamps by linear
        interpolation; samples more than ``max_gap`` s from the log are dropped and counted).
    max_gap : float
        Largest distance (s) of a sample from the position log.
    aps : str, PathLike or None
        CSV ``name,x,y,z[,orientation_deg]`` with known receiver (AP / array) positions (m).
    name : str or None
        Scene name.
    **options
        Format options (``radiomap formats`` lists them); None = default.

    Returns
    -------
    CSIDataset
        csi ``[N, B, N_a, K]``; one-line remarks (assumed carrier, dropped samples) in
        ``meta["import_notes"]``.
    """
    fmt: Format = FORMATS.get(format)
    options = {k: v for k, v in options.items() if v is not None}
    fmt.check_options(options)
    srcs = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    files = expand_sources(srcs, fmt)
    table = read_positions(positions) if positions is not None else None
    captures: list[Capture] = []
    point_ids: list[np.ndarray] = []
    skipped: list[str] = []
    notes: list[str] = []
    for f in files:
        row = table.lookup(f.name) if isinstance(table, PointTable) else None
        if isinstance(table, PointTable) and row is None:
            skipped.append(f.name)
            continue
        cap = fmt.read(f, **options)
        if isinstance(table, PointTable):
            cap.positions = np.repeat(table.xyz[row][None], cap.n, axis=0)
            point_ids.append(np.full(cap.n, row, np.int32))
        elif isinstance(table, PositionLog):
            cap = _join_log(cap, table, max_gap, notes)
        if cap.n:
            captures.append(cap)
    if skipped:
        notes.append(f"{len(skipped)} capture file(s) without a row in {os.fspath(positions)} skipped: "
                     + ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else ""))
    if not captures:
        raise DataError(f"{format}: no samples left to import" + (f" ({notes[-1]})" if notes else ""))
    if aps is not None:
        _set_aps(captures, read_ap_table(aps), os.fspath(aps))
    ds = to_dataset(captures, fmt.name, name=name,
                    point_id=np.concatenate(point_ids) if point_ids else None)
    if notes:
        ds.meta["import_notes"] = ds.meta.get("import_notes", []) + notes
    return ds


def _join_log(cap: Capture, log: PositionLog, max_gap: float, notes: list[str]) -> Capture:
    if cap.timestamps is None:
        raise DataError(f"{cap.source_file}: no timestamps to join with the position log")
    xyz, keep = log.interpolate(cap.timestamps, max_gap)
    cap.positions = xyz
    if (~keep).any():
        notes.append(f"{cap.source_file}: {int((~keep).sum())} of {cap.n} sample(s) more than {max_gap:g} s "
                     "from the position log dropped")
    return cap.subset(keep)


def _set_aps(captures: list[Capture], table: dict, path: str) -> None:
    first = captures[0]
    names = first.ap_names or [f"RX{b}" for b in range(first.csi.shape[1])]
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise DataError(f"{path}: AP name(s) {', '.join(unknown)} not in the capture; its APs are {', '.join(names)}")
    pos = np.full((len(names), 3), np.nan) if first.ap_positions is None else first.ap_positions.copy()
    orient = list(first.orientations or [0.0] * len(names))
    for b, nm in enumerate(names):
        if nm in table:
            pos[b] = table[nm][0]
            if table[nm][1] is not None:
                orient[b] = table[nm][1]
    first.ap_names, first.ap_positions, first.orientations = names, pos, orient


def list_formats() -> list[Format]:
    """Every registered format (imports each family module).

    Returns
    -------
    list of Format
        Sorted by name.
    """
    return [FORMATS.get(n) for n in FORMATS.names()]


__all__ = ["FORMATS", "Capture", "Format", "list_formats", "load_capture"]
