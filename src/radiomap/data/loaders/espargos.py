"""ESPARGOS datasets (tfrecords), without TensorFlow.

Each record holds ``csi``: serialized complex64 ``[arrays, rows, cols, subcarriers]``, ``rssi``
float32 ``[arrays, rows, cols]`` (dB), ``pos`` float64 ``[3]`` (m), ``time`` float64 (Unix s) and
``mac`` (the transmitter, raw bytes). The K subcarriers are centred on the carrier
(``f_k = f_c + (k - (K-1)/2) * 312.5 kHz``; 117 for HT40). The records do not carry the carrier or
the array geometry: pass ``carrier`` (Hz, default 2.472 GHz, channel 13) and optionally ``arrays``,
a JSON list of ``{"name", "origin": [x, y, z] (element row 0 / col 0), "right": [x, y, z]}`` with
rows stacked downward at half a wavelength; without it the array positions are unknown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.data.loaders.base import Capture, Format
from radiomap.data.loaders.dichasus import array_geometry, read_json
from radiomap.data.loaders.subcarriers import SUBCARRIER_SPACING_HZ
from radiomap.data.loaders.tfrecord import feature, parse_example, parse_tensor, read_records
from radiomap.errors import DataError
from radiomap.scene import UPA

DEFAULT_CARRIER_HZ = 2.472e9


def read_espargos_capture(path: Path, *, carrier: float | None = None, arrays: Path | None = None) -> Capture:
    """One ESPARGOS ``.tfrecords`` file as a Capture.

    Parameters
    ----------
    path : Path
    carrier : float or None
        Carrier (Hz); default 2.472 GHz (noted).
    arrays : Path or None
        JSON array geometry (module docstring); None: array positions unknown.

    Returns
    -------
    Capture
        csi complex64 ``[N, B arrays, rows * cols, K]`` in UPA element order (column-major, rows
        counted upward), rssi float32 ``[N, B]`` (dB, mean power over the elements), positions
        ``[N, 3]`` (m), timestamps ``[N]`` (Unix s), transmitter MACs ``[N]``, subcarriers
        ``[K]`` centred on the carrier.
    """
    raw, spans = read_records(path)
    if not spans:
        raise DataError(f"{path.name}: no records")
    csi, rssi, pos, t, mac = [], [], [], [], []
    for i, (o, n) in enumerate(spans):
        ex = parse_example(raw, o, o + n)
        where = f"{path.name} record {i}"
        c = parse_tensor(feature(ex, "csi", "bytes", where)[0])
        if c.ndim != 4 or c.dtype.kind != "c":
            raise DataError(f"{where}: 'csi' is {c.dtype} {list(c.shape)}; expected complex [arrays, rows, cols, K]")
        csi.append(c)
        rssi.append(parse_tensor(feature(ex, "rssi", "bytes", where)[0]))
        pos.append(parse_tensor(feature(ex, "pos", "bytes", where)[0]).astype(np.float64).reshape(3))
        t.append(float(parse_tensor(feature(ex, "time", "bytes", where)[0])))
        mac.append(bytes(feature(ex, "mac", "bytes", where)[0]).decode("ascii", "replace").lower())
    c = np.stack(csi)                                                     # [N, A, R, C, K]
    n_s, n_a, rows, cols, k = c.shape
    fc = DEFAULT_CARRIER_HZ if carrier is None else float(carrier)
    notes = [] if carrier is not None else [
        f"{path.name}: carrier not in ESPARGOS records; assumed {fc / 1e9:g} GHz (pass --carrier)"]
    names, centres, orient, order = [f"array{a}" for a in range(n_a)], None, [0.0] * n_a, None
    if arrays is not None:
        geo = _geometry(read_json(Path(arrays), "arrays"), rows, cols, fc, n_a, Path(arrays).name)
        order, centres = geo[0][0], np.stack([g[1] for g in geo])
        orient, names = [g[3] for g in geo], [g[4] for g in geo]
    # element (row, col) -> UPA index m * rows + n with m the column and n counted upward
    grid = np.arange(rows * cols).reshape(rows, cols)
    if order is None:
        order = grid[::-1, :].T.reshape(-1)
    flat = c.reshape(n_s, n_a, rows * cols, k)[:, :, order, :]
    r = np.stack(rssi).reshape(n_s, n_a, rows * cols)
    rssi_ap = 10 * np.log10(np.mean(10 ** (r / 10), axis=2))             # per-array power mean (dB)
    return Capture(csi=flat.astype(np.complex64), carrier_hz=np.full(n_s, fc), bandwidth_hz=k * SUBCARRIER_SPACING_HZ,
                   spacing_hz=SUBCARRIER_SPACING_HZ, subcarriers=np.arange(k) - (k - 1) // 2, standard="espargos",
                   packet_index=np.arange(n_s, dtype=np.int64), source_file=path.name, timestamps=np.asarray(t),
                   rssi=rssi_ap.astype(np.float32), transmitter=np.array(mac), positions=np.stack(pos),
                   ap_names=names, ap_positions=centres, arrays=[UPA(cols, rows)] * n_a, orientations=orient,
                   meta={"rows": rows, "cols": cols}, notes=notes)


def _geometry(spec, rows: int, cols: int, fc: float, n_a: int, name: str):
    if not isinstance(spec, list) or len(spec) != n_a:
        raise DataError(f"{name}: expected a JSON list of {n_a} arrays")
    lam = SPEED_OF_LIGHT / fc
    grid = np.arange(rows * cols).reshape(rows, cols).tolist()
    antennas = []
    for a, s in enumerate(spec):
        if "origin" not in s or "right" not in s:
            raise DataError(f"{name}: array {a} needs 'origin' and 'right'")
        antennas.append({"name": s.get("name", f"array{a}"), "location": s["origin"], "right": s["right"],
                         "spacing": lam / 2, "assignments": grid})
    return array_geometry({"frequency": fc, "antennas": antennas}, name)


ESPARGOS = Format("espargos", "espargos", "ESPARGOS tfrecords (csi [arrays, rows, cols, K], rssi, pos, time, mac); "
                  "no TensorFlow needed", read_espargos_capture, (".tfrecords", ".tfrecord"), ("carrier", "arrays"))
