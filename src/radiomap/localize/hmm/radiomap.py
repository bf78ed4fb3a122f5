"""The radio map produced by the HMM: per-AP LOS/NLOS maps and expected feature maps on the grid.

``RadioMap`` holds, for ``G`` grid cells and ``B`` APs, the LOS indicator, the expected power (dB),
angle (rad) and delay feature, the fitted propagation and mobility parameters; it is saved as
``radiomap.safetensors`` + ``radiomap.json`` (never pickle) and plotted as heatmaps over the
floor plan.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from radiomap.atomic import atomic_dir
from radiomap.errors import DataError
from radiomap.jsonable import dumps
from radiomap.localize.hmm.propagation import PropagationParams, feature_means

_ARRAYS = "radiomap.safetensors"
_META = "radiomap.json"


@dataclass(eq=False)
class RadioMap:
    """Grid radio map.

    xy : [G, 2] cell centres (m); delta : pitch (m); los : bool [G, B]; power : [G, B] dB;
    angle : [G, B] rad (cone angle); delay : [G, B] delay feature (log10 selectivity);
    params : PropagationParams; meta : JSON-serialisable extras (mobility, AP names, ...).
    """

    xy: np.ndarray
    delta: float
    los: np.ndarray
    power: np.ndarray
    angle: np.ndarray
    delay: np.ndarray
    params: PropagationParams
    meta: dict = field(default_factory=dict)

    @staticmethod
    def from_model(xy: np.ndarray, delta: float, logd: np.ndarray, phi: np.ndarray, los: np.ndarray,
                   params: PropagationParams, meta: dict | None = None) -> RadioMap:
        """Evaluate the expected features of each cell under its region's model."""
        p, d = feature_means(logd, params)
        los = np.asarray(los, dtype=bool)
        return RadioMap(xy=np.asarray(xy, dtype=np.float64), delta=float(delta), los=los,
                        power=np.where(los, p[..., 1], p[..., 0]), angle=np.asarray(phi, dtype=np.float64),
                        delay=np.where(los, d[..., 1], d[..., 0]), params=params, meta=dict(meta or {}))

    def save(self, directory: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write ``radiomap.safetensors`` + ``radiomap.json`` as one atomic folder (``radiomap.atomic``)."""
        directory = Path(directory)
        arrays = {"xy": self.xy, "los": self.los.astype(np.uint8), "power": self.power, "angle": self.angle,
                  "delay": self.delay, **{f"param_{k}": v for k, v in self.params.arrays().items()}}
        meta = {"delta": self.delta, "params": self.params.to_dict(), **self.meta}
        with atomic_dir(directory, kind="radiomap", overwrite=overwrite, what="radio map folder") as tmp:
            save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp / _ARRAYS))
            (tmp / _META).write_text(dumps(meta, indent=2))
        return directory

    @staticmethod
    def load(directory: str | os.PathLike) -> RadioMap:
        directory = Path(directory)
        if not (directory / _ARRAYS).is_file() or not (directory / _META).is_file():
            raise DataError(f"{directory}: not a saved radio map (expected {_ARRAYS} and {_META})")
        a = load_file(str(directory / _ARRAYS))
        meta = json.loads((directory / _META).read_text())
        params = PropagationParams.from_arrays({k[6:]: v for k, v in a.items() if k.startswith("param_")})
        delta = float(meta.pop("delta"))
        meta.pop("params", None)
        return RadioMap(xy=a["xy"], delta=delta, los=a["los"].astype(bool), power=a["power"], angle=a["angle"],
                        delay=a["delay"], params=params, meta=meta)

    def plot(self, scene=None, quantity: str = "los"):
        """Figure with one heatmap per AP of ``quantity`` in {"los", "power", "angle", "delay"}."""
        from matplotlib.colors import ListedColormap
        from matplotlib.figure import Figure

        values = {"los": self.los.astype(float), "power": self.power, "angle": np.rad2deg(self.angle),
                  "delay": self.delay}[quantity]
        n_b = values.shape[1]
        x0, y0 = self.xy.min(0)
        ij = np.round((self.xy - [x0, y0]) / self.delta).astype(int)
        shape = ij.max(0) + 1
        extent = (x0 - self.delta / 2, x0 + (shape[0] - 0.5) * self.delta,
                  y0 - self.delta / 2, y0 + (shape[1] - 0.5) * self.delta)
        ncol = 2 if n_b > 1 else 1
        nrow = int(np.ceil(n_b / ncol))
        fig = Figure(figsize=(6.0 * ncol, 3.2 * nrow))
        axes = fig.subplots(nrow, ncol, squeeze=False)
        unit = {"los": "", "power": "dB", "angle": "deg", "delay": "log10 selectivity"}[quantity]
        for b in range(n_b):
            ax = axes.flat[b]
            img = np.full(shape, np.nan)
            img[ij[:, 0], ij[:, 1]] = values[:, b]
            if quantity == "los":
                im = ax.imshow(img.T, origin="lower", extent=extent, aspect="equal", vmin=-0.5, vmax=1.5,
                               cmap=ListedColormap(["#3b4cc0", "#f4d35e"]))
            else:
                im = ax.imshow(img.T, origin="lower", extent=extent, cmap="viridis", aspect="equal")
            if scene is not None:
                from radiomap.plotting import draw_floorplan

                draw_floorplan(ax, scene)
            ap = scene.aps[b].name if scene is not None and len(scene.aps) == n_b else f"AP {b}"
            ax.set_title(f"{ap}: {quantity}")
            bar = fig.colorbar(im, ax=ax, label=unit, shrink=0.8)
            if quantity == "los":
                bar.set_ticks([0, 1], labels=["NLOS", "LOS"])
        for ax in list(axes.flat)[n_b:]:
            ax.axis("off")
        fig.tight_layout()
        return fig
