"""Shared floor-plan drawing (matplotlib, headless)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from radiomap.atomic import save_figure  # noqa: E402
from radiomap.scene.scene import REGION_NAMES, Scene  # noqa: E402

REGION_COLORS = ("tab:red", "tab:orange", "tab:green")
"""Colours of NLOS, single-LOS, double-LOS."""


def draw_floorplan(ax: plt.Axes, scene: Scene, *, show_aps: bool = True, show_scatterers: bool = False,
                   wall_color: str = "k") -> plt.Axes:
    """Draw walls (line width by material penetration loss), walkable outline, APs with array normals."""
    wa = scene.wall_arrays
    for a, b, pen in zip(wa["a"], wa["b"], wa["penetration_db"], strict=True):
        ax.plot([a[0], b[0]], [a[1], b[1]], color=wall_color, lw=1.0 + pen / 8, solid_capstyle="butt")
    outline = np.vstack([scene.walkable, scene.walkable[:1]])
    ax.plot(outline[:, 0], outline[:, 1], ls=":", color="0.5", lw=0.8)
    if show_aps:
        for ap in (ap for ap in scene.aps if ap.position_known):  # measured scenes may not know them
            x, y = ap.position[:2]
            ax.plot(x, y, marker="^", ms=10, color="tab:blue", mec="k")
            n = ap.normal[:2] * 0.8
            ax.annotate("", xy=(x + n[0], y + n[1]), xytext=(x, y),
                        arrowprops={"arrowstyle": "->", "color": "tab:blue"})
            ax.text(x, y, f" {ap.name}", fontsize=8, va="bottom")
    if show_scatterers and len(scene.scatterers):
        ax.plot(scene.scatterers[:, 0], scene.scatterers[:, 1], "x", color="0.4", ms=5, label="scatterers")
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    return ax


def plot_positions_by_region(scene: Scene, positions: np.ndarray, regions: np.ndarray | None, *, title: str = "",
                             path=None, overwrite: bool = False) -> plt.Figure:
    """Floor plan with ``positions [N, 3]`` coloured by region code ``[N]`` (None: one colour); saved to ``path``
    if given (atomically, ``radiomap.atomic.save_figure``)."""
    fig, ax = plt.subplots(figsize=(9, 9 * _aspect(scene) + 0.8))
    draw_floorplan(ax, scene, show_scatterers=True)
    if regions is None:  # e.g. a measured scene without AP positions: one colour
        ax.scatter(positions[:, 0], positions[:, 1], s=6, color="tab:blue", label=f"samples ({len(positions)})")
    for code, name in enumerate(REGION_NAMES if regions is not None else ()):
        m = regions == code
        if m.any():
            ax.scatter(positions[m, 0], positions[m, 1], s=6, color=REGION_COLORS[code],
                       label=f"{name} ({m.mean():.0%})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=8)
    ax.set_title(title or scene.name)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, overwrite=overwrite, dpi=120)
    return fig


def _aspect(scene: Scene) -> float:
    x0, x1, y0, y1 = scene.bounds
    return float(np.clip((y1 - y0) / max(x1 - x0, 1e-9), 0.3, 1.5))
