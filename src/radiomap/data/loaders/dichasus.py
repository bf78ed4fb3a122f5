"""DICHASUS datasets (tfrecords + ``spec.json`` + ``reftx-offsets-*.json``), without TensorFlow.

Each record holds ``csi``: serialized float32 ``[M, K, 2]`` (antenna channel, subcarrier in FFT
order, re/im), ``pos-tachy`` float64 ``[3]`` (m), ``time`` (s), and optionally ``snr``, ``cfo``,
``gt-interp-age-tachy``. The reader applies what the public tutorials apply:

1. ``fftshift`` along the subcarriers (natural, centred order, ``f_k = f_c + (k - K/2) B/K``);
2. calibration with ``reftx-offsets``: ``csi[m, k] *= exp(1j (sto[m] 2 pi k / K + cpo[m]))``;
3. ``spec.json`` ``antennas[a].assignments`` (rows x columns of hardware channel indices): one
   array per AP, its elements in radiomap's UPA order.

Array geometry: ``location`` is element (row 0, col 0); columns run along ``right``, rows downward
(-z), at ``spacing`` (default half a wavelength); ``direction`` is the array normal. radiomap's UPA
axis is ``(-sin phi, cos phi, 0)`` for orientation ``phi`` = azimuth of the normal, so a column
index maps to the UPA horizontal index directly or reversed, whichever makes them agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.data.loaders.base import Capture, Format
from radiomap.data.loaders.tfrecord import feature, parse_example, parse_tensor, read_records
from radiomap.errors import DataError
from radiomap.scene import ULA, UPA


def read_json(path: Path, what: str) -> dict:
    """Parse a JSON side file.

    Parameters
    ----------
    path : Path
    what : str
        What the file is (``spec``, ``offsets``, ...), for the message.

    Returns
    -------
    dict
        The parsed JSON (any JSON value, in practice an object or a list).

    Raises
    ------
    DataError
        Missing or unparsable file.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such {what} file")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable {what} JSON file ({exc})") from exc


def find_beside(records: Path, given: Path | None, pattern: str, what: str) -> Path | None:
    """The given side file, or the one matching ``pattern`` beside the records.

    Parameters
    ----------
    records : Path
        The ``.tfrecords`` file.
    given : Path or None
        A file the user named; returned as is.
    pattern : str
        Glob in the records' folder; a match containing the records' stem wins.
    what : str
        Option name for the message (``--spec``, ``--offsets``).

    Returns
    -------
    Path or None
        None when nothing matches.

    Raises
    ------
    DataError
        Several matches and none names the records.
    """
    if given is not None:
        return Path(given)
    found = sorted(records.parent.glob(pattern))
    exact = [f for f in found if records.stem in f.name]
    if exact or len(found) == 1:
        return (exact or found)[0]
    if len(found) > 1:
        raise DataError(f"{records.parent}: several {what} files ({', '.join(f.name for f in found[:3])}); "
                        f"pass one with --{what}")
    return None


def array_geometry(spec: dict, name: str):
    """The arrays of a DICHASUS ``spec.json`` in radiomap's conventions (module docstring).

    Parameters
    ----------
    spec : dict
        ``frequency`` (Hz) and ``antennas`` (``assignments`` rows x columns, ``location``, optional
        ``right``, ``direction``, ``spacing`` (m), ``name``).
    name : str
        File name, for messages.

    Returns
    -------
    list of tuple, one per array
        ``(order, centre, array, orientation, name)``: hardware channel index of each element in
        UPA order (int64 [N_a]), array centre (float64 [3], m), ``ULA`` (one row) or ``UPA``,
        orientation (rad), name (str).

    Raises
    ------
    DataError
        Missing keys, non-2-D assignments, or a ``right`` not perpendicular to ``direction``.
    """
    fc = float(_require(spec, "frequency", name))
    lam = SPEED_OF_LIGHT / fc
    out = []
    for a, ant in enumerate(_require(spec, "antennas", name)):
        assign = np.asarray(_require(ant, "assignments", f"{name} antennas[{a}]"), dtype=np.int64)
        if assign.ndim != 2:
            raise DataError(f"{name}: antennas[{a}].assignments must be rows x columns, got shape {assign.shape}")
        rows, cols = assign.shape
        loc = np.asarray(_require(ant, "location", f"{name} antennas[{a}]"), dtype=np.float64)
        spacing = float(ant.get("spacing", lam / 2))
        right = np.asarray(ant.get("right", [1.0, 0.0, 0.0]), dtype=np.float64)
        normal = np.asarray(ant.get("direction", [-right[1], right[0], 0.0]), dtype=np.float64)
        phi = float(np.arctan2(normal[1], normal[0]))
        axis = np.array([-np.sin(phi), np.cos(phi), 0.0])
        reverse = float(axis @ right) < 0
        if abs(abs(float(axis @ right)) - 1) > 1e-6:
            raise DataError(f"{name}: antennas[{a}]: 'right' {right.tolist()} is not horizontal and perpendicular "
                            f"to 'direction' {normal.tolist()}")
        centre = loc + (cols - 1) / 2 * spacing * right - (rows - 1) / 2 * spacing * np.array([0.0, 0.0, 1.0])
        m = np.arange(cols)[::-1] if reverse else np.arange(cols)       # UPA horizontal index m -> column
        n = np.arange(rows)[::-1]                                        # UPA vertical index n (up) -> row
        order = assign[n[None, :], m[:, None]].reshape(-1)               # element m * n_v + n
        array = ULA(cols, spacing) if rows == 1 else UPA(cols, rows, spacing, spacing)
        out.append((order, centre, array, phi, str(ant.get("name", f"array{a}"))))
    return out


def read_dichasus_capture(path: Path, *, spec: Path | None = None, offsets: Path | None = None) -> Capture:
    """One DICHASUS ``.tfrecords`` file as a Capture (fftshift, calibration, arrays as APs).

    Parameters
    ----------
    path : Path
    spec : Path or None
        ``spec.json``; None: the one beside the records.
    offsets : Path or None
        ``reftx-offsets-*.json``; None: the one beside the records, else uncalibrated (noted).

    Returns
    -------
    Capture
        csi complex64 ``[N, B arrays, N_a, K]`` natural subcarrier order, positions ``[N, 3]``
        (m, tachymeter), timestamps ``[N]`` (s), the arrays' centres and orientations.
    """
    spec_path = find_beside(path, spec, "spec*.json", "spec")
    if spec_path is None:
        raise DataError(f"{path.name}: no spec.json beside the records; pass it with --spec")
    sp = read_json(spec_path, "spec")
    geometry = array_geometry(sp, spec_path.name)
    off_path = find_beside(path, offsets, "reftx-offsets-*.json", "offsets")
    raw, spans = read_records(path)
    if not spans:
        raise DataError(f"{path.name}: no records")
    csi, pos, t = [], [], []
    for i, (o, n) in enumerate(spans):
        ex = parse_example(raw, o, o + n)
        where = f"{path.name} record {i}"
        c = parse_tensor(feature(ex, "csi", "bytes", where)[0])
        if c.ndim != 3 or c.shape[2] != 2:
            raise DataError(f"{where}: 'csi' has shape {list(c.shape)}; expected [antennas, subcarriers, 2]")
        csi.append(c)
        pos.append(parse_tensor(feature(ex, "pos-tachy", "bytes", where)[0]).astype(np.float64).reshape(3))
        tv = feature(ex, "time", None, where)
        t.append(float(tv[0]) if not isinstance(tv, list) else float(parse_tensor(tv[0])))
    stack = np.ascontiguousarray(np.stack(csi), dtype=np.float32)          # [N, M, K, 2]
    h = np.fft.fftshift(stack.view(np.complex64)[..., 0], axes=2)          # [N, M, K] complex64, one copy
    n_ch, k = h.shape[1], h.shape[2]
    notes = []
    if off_path is not None:
        cal = read_json(off_path, "offsets")
        sto, cpo = (np.asarray(_require(cal, key, off_path.name), dtype=np.float64) for key in ("sto", "cpo"))
        if sto.shape != (n_ch,) or cpo.shape != (n_ch,):
            raise DataError(f"{off_path.name}: 'sto'/'cpo' have {sto.shape}/{cpo.shape} entries; "
                            f"CSI has {n_ch} channels")
        kk = np.arange(k)
        h *= np.exp(1j * (sto[:, None] * 2 * np.pi * kk[None, :] / k + cpo[:, None])).astype(np.complex64)
    else:
        notes.append(f"{path.name}: no reftx-offsets-*.json found: CSI left uncalibrated (pass --offsets)")
    orders = [g[0] for g in geometry]
    if len({len(o) for o in orders}) != 1 or max(int(o.max()) for o in orders) >= n_ch:
        raise DataError(f"{spec_path.name}: assignments do not fit {n_ch} CSI channels in equal-size arrays")
    per_ap = np.stack([h[:, o, :] for o in orders], axis=1).astype(np.complex64)   # [N, B, N_a, K]
    fc = float(sp["frequency"])
    bw = float(_require(sp, "bandwidth", spec_path.name))
    return Capture(csi=per_ap, carrier_hz=np.full(len(per_ap), fc), bandwidth_hz=bw, spacing_hz=bw / k,
                   packet_index=np.arange(len(per_ap), dtype=np.int64), source_file=path.name,
                   timestamps=np.asarray(t), positions=np.stack(pos), ap_names=[g[4] for g in geometry],
                   ap_positions=np.stack([g[1] for g in geometry]), arrays=[g[2] for g in geometry],
                   orientations=[g[3] for g in geometry],
                   meta={"spec": spec_path.name, "offsets": off_path.name if off_path else None,
                         "calibrated": off_path is not None}, notes=notes)


def _require(d: dict, key: str, where: str):
    if not isinstance(d, dict) or key not in d:
        raise DataError(f"{where}: required key {key!r} missing")
    return d[key]


DICHASUS = Format("dichasus", "dichasus", "DICHASUS tfrecords + spec.json + reftx-offsets (fftshift, STO/CPO "
                  "calibration, one array per AP); no TensorFlow needed", read_dichasus_capture,
                  (".tfrecords", ".tfrecord"), ("spec", "offsets"))
