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
    """``file,x,y[,z]``: ``files [P]`` base names (with or without extension), ``xyz [P, 3]`` (m)."""

    files: tuple[str, ...]
    xyz: np.ndarray

    def lookup(self, source_file: str) -> int | None:
        """Row index of a capture file (matched by base name, extension ignored), or None."""
        base = Path(source_file).name
        for i, f in enumerate(self.files):
            if f in (base, Path(base).stem):
                return i
        return None


@dataclass(frozen=True)
class PositionLog:
    """``t,x,y[,z]``: ``t [M]`` s increasing, ``xyz [M, 3]`` (m)."""

    t: np.ndarray
    xyz: np.ndarray

    def interpolate(self, t: np.ndarray, max_gap: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions ``[N, 3]`` at times ``t [N]`` and the mask ``[N]`` of samples kept.

        A sample is kept when it lies inside the log and within ``max_gap`` s of a log entry.
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
    """Read a ``file,x,y[,z]`` table or a ``t,x,y[,z]`` log; bad files give one-line ``DataError``."""
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
    """``name,x,y,z[,orientation_deg]``: known AP/array positions (m) and orientations (degrees).

    Output: dict AP name -> (xyz [3], orientation in radians or None).
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
