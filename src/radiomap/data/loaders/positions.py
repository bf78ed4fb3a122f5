"""Positions for captures: one row per capture file, or a position log joined on timestamps.

Two CSV layouts (header row required, comma separated, metres and seconds):

- ``file,x,y[,z]``: the measurement point of each capture file (``file`` = base name, with or
  without extension). Every sample of the file gets that position and the file's ``point_id``;
  capture files without a row are skipped and counted.
- ``t,x,y[,z]``: a position log (e.g. a tachymeter or a robot). Sample positions are linearly
  interpolated at the sample timestamps; samples farther than ``max_gap`` seconds from the nearest
  log entry (or outside the log) are dropped and counted.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiomap.errors import DataError, ParameterError


@dataclass(frozen=True)
class PointTable:
    """A ``file,x,y[,z]`` table: the measurement point of each capture file.

    Parameters
    ----------
    files : tuple of str [P]
        Base names (with or without extension).
    xyz : ndarray, float64 [P, 3]
        Positions (m); z = 0 when the table has no z column.
    """

    files: tuple[str, ...]
    xyz: np.ndarray

    def lookup(self, source_file: str) -> int | None:
        """Row of a capture file.

        Parameters
        ----------
        source_file : str
            Path or base name; matched by base name, with or without its extension.

        Returns
        -------
        int or None
            Row index into ``files``, None when the file has no row.
        """
        base = Path(source_file).name
        for i, f in enumerate(self.files):
            if f in (base, Path(base).stem):
                return i
        return None


@dataclass(frozen=True)
class PositionLog:
    """A ``t,x,y[,z]`` position log.

    Parameters
    ----------
    t : ndarray, float64 [M]
        Times (s), strictly increasing.
    xyz : ndarray, float64 [M, 3]
        Positions (m).
    """

    t: np.ndarray
    xyz: np.ndarray

    def interpolate(self, t: np.ndarray, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions at sample times, by linear interpolation of the log.

        Parameters
        ----------
        t : array_like, float [N]
            Sample times (s).
        max_gap : float
            Largest distance (s, > 0) of a kept sample from its nearest log entry.

        Returns
        -------
        xyz : ndarray, float64 [N, 3]
            Interpolated positions (m); clamped to the log's ends outside it.
        keep : ndarray, bool [N]
            Inside the log and within ``max_gap`` of a log entry.
        """
        if not max_gap > 0:
            raise ParameterError(f"max_gap={max_gap}; expected > 0 s")
        t = np.asarray(t, dtype=np.float64)
        j = np.clip(np.searchsorted(self.t, t), 1, len(self.t) - 1)
        gap = np.minimum(np.abs(t - self.t[j - 1]), np.abs(self.t[j] - t))
        keep = (t >= self.t[0]) & (t <= self.t[-1]) & (gap <= max_gap)
        xyz = np.column_stack([np.interp(t, self.t, self.xyz[:, c]) for c in range(3)])
        return xyz, keep


def read_positions(path: str | os.PathLike) -> PointTable | PositionLog:
    """Read a ``file,x,y[,z]`` table or a ``t,x,y[,z]`` log (CSV with a header, m and s).

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    PointTable or PositionLog
        By the key column of the header (``file`` or ``t``).

    Raises
    ------
    DataError
        One line: missing file or columns, bad numbers, duplicate files, a non-increasing log.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such positions file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable CSV file: {exc}") from exc
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{path}: empty positions file; expected a header 'file,x,y[,z]' or 't,x,y[,z]'")
    header = [c.strip().lower() for c in rows[0]]
    key = "file" if "file" in header else "t" if "t" in header else None
    missing = [c for c in ("x", "y") if c not in header]
    if key is None or missing:
        need = ["file or t"] * (key is None) + missing
        raise DataError(f"{path}: positions file misses column(s) {', '.join(need)}; "
                        f"expected a header 'file,x,y[,z]' or 't,x,y[,z]', got {','.join(header)}")
    cols = [header.index(c) for c in ("x", "y")] + ([header.index("z")] if "z" in header else [])
    body = rows[1:]
    if not body:
        raise DataError(f"{path}: positions file has a header but no rows")
    try:
        xyz = np.array([[float(r[c]) for c in cols] for r in body], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path}: bad number in positions file ({exc})") from exc
    if xyz.shape[1] == 2:
        xyz = np.column_stack([xyz, np.zeros(len(xyz))])
    if not np.isfinite(xyz).all():
        raise DataError(f"{path}: positions contain NaN or Inf")
    ki = header.index(key)
    if key == "file":
        files = tuple(Path(r[ki].strip()).name for r in body)
        dup = sorted({f for f in files if files.count(f) > 1})
        if dup:
            raise DataError(f"{path}: capture file(s) listed twice: {', '.join(dup[:3])}")
        return PointTable(files, xyz)
    try:
        t = np.array([float(r[ki]) for r in body])
    except ValueError as exc:
        raise DataError(f"{path}: bad timestamp in position log ({exc})") from exc
    if len(t) < 2 or not (np.diff(t) > 0).all():
        raise DataError(f"{path}: position log needs >= 2 rows with strictly increasing 't'")
    return PositionLog(t, xyz)



def read_ap_table(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, float | None]]:
    """Read a ``name,x,y,z[,orientation_deg]`` CSV of known AP/array positions and orientations.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    dict[str, tuple[ndarray, float or None]]
        AP name -> (xyz float64 [3] (m), orientation (rad) or None when not given).

    Raises
    ------
    DataError
        Missing file or columns, or a bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such AP file")
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    header = [c.strip().lower() for c in rows[0]] if rows else []
    missing = [c for c in ("name", "x", "y", "z") if c not in header]
    if missing:
        raise DataError(f"{path}: AP file misses column(s) {', '.join(missing)}; "
                        "expected 'name,x,y,z[,orientation_deg]'")
    out = {}
    try:
        for r in rows[1:]:
            xyz = np.array([float(r[header.index(c)]) for c in ("x", "y", "z")])
            o = r[header.index("orientation_deg")] if "orientation_deg" in header else ""
            out[r[header.index("name")].strip()] = (xyz, np.deg2rad(float(o)) if o.strip() else None)
    except (ValueError, IndexError) as exc:
        raise DataError(f"{path}: bad row in AP file ({exc})") from exc
    return out
