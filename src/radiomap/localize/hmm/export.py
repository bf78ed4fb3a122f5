"""Export a fitted radio map for other tools: one HDF5 file (cells and gridded images) and PNG heatmaps.

The HDF5 layout (``schema = "radiomap-radiomap"``, version 1), readable with h5py or MATLAB::

    /xy      [G, 2]  float64  cell centres (m)
    /los     [G, B]  uint8    1 = LOS from AP b at the cell
    /power   [G, B]  float64  expected received power (dB)
    /angle   [G, B]  float64  expected cone angle of arrival (rad)
    /delay   [G, B]  float64  expected delay feature (log10 selectivity)
    /image/<quantity> [B, NY, NX] float64  the same maps on the regular grid (NaN: no cell), row j at
             y = y0 + j * delta, column i at x = x0 + i * delta
    attrs: schema, schema_version, info (JSON: delta, x0, y0, method, propagation parameters, mobility)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from radiomap.atomic import atomic_dir, save_figure
from radiomap.hdf5 import create_file, write_array, write_json_attr
from radiomap.localize.hmm.radiomap import RadioMap

SCHEMA_NAME = "radiomap-radiomap"
SCHEMA_VERSION = 1
QUANTITIES = ("los", "power", "angle", "delay")
"""The per-AP maps of a ``RadioMap``, in export order."""


def gridded(rmap: RadioMap, quantity: str) -> tuple[np.ndarray, float, float]:
    """One quantity on the regular grid.

    Parameters
    ----------
    rmap : the radio map (``G`` cells, ``B`` APs)
    quantity : one of :data:`QUANTITIES`

    Returns
    -------
    image : [B, NY, NX] float64, NaN where the grid has no cell (walls, outside the walkable area)
    x0, y0 : float, centre (m) of column 0 / row 0
    """
    values = getattr(rmap, quantity).astype(np.float64)
    x0, y0 = rmap.xy.min(axis=0)
    ij = np.round((rmap.xy - [x0, y0]) / rmap.delta).astype(np.int64)
    nx, ny = ij.max(axis=0) + 1
    image = np.full((values.shape[1], ny, nx), np.nan)
    image[:, ij[:, 1], ij[:, 0]] = values.T
    return image, float(x0), float(y0)


def write_radio_map_h5(rmap: RadioMap, path: str | os.PathLike) -> Path:
    """Write ``rmap`` as a sealed HDF5 file at ``path`` (a new file; callers make it atomic)."""
    path = Path(path)
    with create_file(path) as f:
        f.attrs["schema"] = SCHEMA_NAME
        f.attrs["schema_version"] = SCHEMA_VERSION
        for name in QUANTITIES:
            data = getattr(rmap, name)
            write_array(f, name, data.astype(np.uint8) if name == "los" else data)
        write_array(f, "xy", rmap.xy)
        x0 = y0 = 0.0
        for name in QUANTITIES:
            image, x0, y0 = gridded(rmap, name)
            write_array(f, f"image/{name}", image)
        write_json_attr(f, "info", {"delta": rmap.delta, "x0": x0, "y0": y0, "n_cells": len(rmap.xy),
                                    "n_aps": rmap.los.shape[1], "params": rmap.params.to_dict(), **rmap.meta})
    return path


def export_radio_map(rmap: RadioMap, directory: str | os.PathLike, *, scene=None, overwrite: bool = False) -> list[str]:
    """Write ``radiomap.h5`` and one PNG per quantity (``los.png``, ...) into a new folder, atomically.

    ``scene`` (optional) draws walls and APs over the heatmaps. Returns the names of the files written.
    """
    with atomic_dir(directory, kind="radio map", overwrite=overwrite, what="radio map folder") as tmp:
        write_radio_map_h5(rmap, tmp / "radiomap.h5")
        for name in QUANTITIES:
            save_figure(rmap.plot(scene, quantity=name), tmp / f"{name}.png", dpi=110)
        return sorted(p.name for p in tmp.iterdir())
