"""QuaDRiGa-style ``.mat`` files as published with channel-charting code: ``H`` and ``location``.

``H``: complex ``[antennas, subcarriers (or samples), N]`` (also accepted: ``[antennas, K]`` for one
sample, or ``[N, antennas, K]`` when the last axis does not match ``location``); ``location``:
``[3, N]`` (or ``[N, 3]``, or 2-D positions) in metres. Both MATLAB v5 files (``scipy.io``) and
v7.3 files (HDF5, read with h5py: MATLAB stores arrays transposed and complex numbers as a compound
of ``real`` and ``imag``) are read. Carrier and bandwidth are not in these files: pass them
(defaults 2.4 GHz / 20 MHz, noted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from radiomap.data.loaders.base import Capture, Format
from radiomap.errors import DataError

DEFAULT_CARRIER_HZ, DEFAULT_BANDWIDTH_HZ = 2.4e9, 20e6


def read_mat(path: Path) -> dict[str, np.ndarray]:
    """Variables ``H`` and ``location`` of a v5 or v7.3 MAT file, in MATLAB's axis order.

    Parameters
    ----------
    path : Path

    Returns
    -------
    dict[str, ndarray]
        The variables found of ``H`` (complex, e.g. ``[antennas, K, N]``) and ``location``
        (``[3, N]``, m); v7.3 arrays are transposed back and complex compounds joined.

    Raises
    ------
    DataError
        Not a readable MATLAB file.
    """
    with path.open("rb") as f:
        head = f.read(128)
    if head[:8] == b"\x89HDF\r\n\x1a\n" or b"MATLAB 7.3" in head:
        return _read_v73(path)
    import scipy.io

    try:
        d = scipy.io.loadmat(path, variable_names=["H", "location"])
    except (ValueError, OSError, NotImplementedError, TypeError) as exc:
        raise DataError(f"{path.name}: not a readable MATLAB file ({exc})") from exc
    return {k: np.asarray(d[k]) for k in ("H", "location") if k in d}


def _read_v73(path: Path) -> dict[str, np.ndarray]:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"{path.name}: not a readable MATLAB v7.3 (HDF5) file ({exc})") from exc
    out = {}
    with f:
        for k in ("H", "location"):
            if k not in f:
                continue
            a = f[k][()]
            if a.dtype.names and {"real", "imag"} <= set(a.dtype.names):
                a = a["real"] + 1j * a["imag"]
            out[k] = np.asarray(a).transpose()  # h5py sees MATLAB arrays with their axes reversed
    return out


def read_quadriga_capture(path: Path, *, carrier: float | None = None, bandwidth: float | None = None) -> Capture:
    """One QuaDRiGa-style ``.mat`` file as a Capture.

    Parameters
    ----------
    path : Path
    carrier : float or None
        Carrier (Hz); default 2.4 GHz (noted).
    bandwidth : float or None
        Bandwidth (MHz); default 20 MHz (noted).

    Returns
    -------
    Capture
        csi complex64 ``[N, 1, N_a, K]``, positions float64 ``[N, 3]`` (m; z = 0 for 2-D locations).

    Raises
    ------
    DataError
        Missing ``H``/``location``, real ``H``, or shapes that disagree on N.
    """
    d = read_mat(path)
    missing = [k for k in ("H", "location") if k not in d]
    if missing:
        raise DataError(f"{path.name}: MATLAB file misses variable(s) {', '.join(missing)}; expected H and location")
    h, loc = d["H"], np.asarray(d["location"], dtype=np.float64)
    if h.dtype.kind != "c":
        raise DataError(f"{path.name}: 'H' is {h.dtype}; expected complex channel coefficients")
    loc = loc.T if loc.ndim == 2 and loc.shape[0] in (2, 3) and loc.shape[1] not in (2, 3) else loc
    if loc.ndim == 1:
        loc = loc[None]
    if loc.ndim != 2 or loc.shape[1] not in (2, 3):
        raise DataError(f"{path.name}: 'location' has shape {d['location'].shape}; expected [3, N]")
    n = len(loc)
    if h.ndim == 2 and n == 1:
        h = h[..., None]
    if h.ndim != 3:
        raise DataError(f"{path.name}: 'H' has shape {h.shape}; expected [antennas, subcarriers, N]")
    if h.shape[2] == n:
        csi = np.transpose(h, (2, 0, 1))                                  # [N, N_a, K]
    elif h.shape[0] == n:
        csi = h
    else:
        raise DataError(f"{path.name}: 'H' {h.shape} and 'location' ({n} positions) disagree on N")
    if loc.shape[1] == 2:
        loc = np.column_stack([loc, np.zeros(n)])
    notes = []
    if carrier is None or bandwidth is None:
        notes.append(f"{path.name}: carrier/bandwidth not in the file; assumed "
                     f"{(carrier or DEFAULT_CARRIER_HZ) / 1e9:g} GHz / "
                     f"{(bandwidth or DEFAULT_BANDWIDTH_HZ / 1e6):g} MHz")
    fc = float(carrier or DEFAULT_CARRIER_HZ)
    bw = float(bandwidth) * 1e6 if bandwidth else DEFAULT_BANDWIDTH_HZ
    k = csi.shape[2]
    return Capture(csi=csi[:, None].astype(np.complex64), carrier_hz=np.full(n, fc), bandwidth_hz=bw,
                   spacing_hz=bw / k, packet_index=np.arange(n, dtype=np.int64), source_file=path.name,
                   positions=loc, notes=notes)


QUADRIGA = Format("quadriga", "quadriga", "QuaDRiGa-style .mat (H [antennas, subcarriers, N], location [3, N]); "
                  "MATLAB v5 and v7.3", read_quadriga_capture, (".mat",), ("carrier", "bandwidth"))
