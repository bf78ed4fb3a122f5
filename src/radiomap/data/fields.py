"""Validation of the per-sample fields added in schema version 2 (measured data).

``CSIDataset`` calls ``check_v2_fields`` on construction; every failure is a one-line
``DataError`` naming the field, what was expected and what was found.
"""

from __future__ import annotations

import numpy as np

from radiomap.data.schema import V2_FIELDS
from radiomap.errors import DataError

V2_NAMES = tuple(V2_FIELDS)


def check_v2_fields(values: dict, n: int, n_aps: int | None) -> dict[str, np.ndarray | None]:
    """Validate ``tx_id``, ``ap_mask``, ``rssi``, ``carrier_hz``, ``source_file``, ``packet_index``.

    Parameters
    ----------
    values : dict[str, array_like or None]
        By the names of ``V2_FIELDS`` (missing names count as None).
    n : int
        Number of samples N.
    n_aps : int or None
        Number of APs B (``csi.shape[1]``), or None when the dataset has no CSI.

    Returns
    -------
    dict[str, ndarray or None]
        Every ``V2_FIELDS`` name -> validated array in its stored dtype (``source_file`` as a
        NumPy str array), or None.

    Raises
    ------
    DataError
        One line naming the field, what was expected and what was found.
    """
    out: dict[str, np.ndarray | None] = {}
    for name in V2_NAMES:
        value = values.get(name)
        out[name] = None if value is None else _check(name, value, n, n_aps)
        if name == "ap_mask" and out[name] is not None and n_aps is None:
            n_aps = out[name].shape[1]
    rssi, mask = out["rssi"], out["ap_mask"]
    if rssi is not None:
        bad = ~np.isfinite(rssi)
        if bad.any() and (mask is None or (bad & mask).any()):
            raise DataError("field 'rssi' contains NaN or Inf where the AP heard the sample (ap_mask True or absent)")
    if out["tx_id"] is not None and (out["tx_id"] < 0).any():
        raise DataError(f"field 'tx_id': expected indices >= 0, got min {int(out['tx_id'].min())}")
    return out


def _check(name: str, value, n: int, n_aps: int | None) -> np.ndarray:
    kinds, trailing, dtype = V2_FIELDS[name]
    arr = np.asarray(value)
    if name == "source_file":
        return _as_str(arr, n)
    shape_ok = arr.ndim == 1 + len(trailing) and arr.shape[0] == n
    if trailing == ("B",) and shape_ok:
        shape_ok = n_aps is None or arr.shape[1] == n_aps
    if not shape_ok:
        want = f"[N={n}" + (f", B={n_aps}" if trailing else "") + "]"
        raise DataError(f"field {name!r}: expected shape {want}, got {arr.shape}")
    if arr.dtype.kind not in kinds:
        raise DataError(f"field {name!r}: expected dtype kind {kinds!r}, got {arr.dtype}")
    if name == "carrier_hz" and not (np.isfinite(arr).all() and (arr > 0).all()):
        raise DataError("field 'carrier_hz': expected finite carriers > 0 Hz")
    return arr.astype(dtype, copy=False)


def _as_str(arr: np.ndarray, n: int) -> np.ndarray:
    """[N] str array from str, bytes (UTF-8, as h5py reads variable-length strings) or objects of those."""
    if arr.shape != (n,):
        raise DataError(f"field 'source_file': expected shape [N={n}], got {arr.shape}")
    if arr.dtype.kind == "U":
        return arr
    try:
        if arr.dtype.kind == "O" and n and isinstance(arr[0], str):
            return arr.astype(str)
        return np.char.decode(arr.astype("S"), "utf-8")
    except (UnicodeError, TypeError, ValueError) as exc:
        raise DataError(f"field 'source_file': expected UTF-8 strings ({exc})") from exc
