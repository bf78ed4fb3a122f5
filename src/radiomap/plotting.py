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
        x0, x1, y0, y1 = scene.bounds
        span = max(x1 - x0, y1 - y0, 1e-9)
        for ap in (ap for ap in scene.aps if ap.position_known):  # measured scenes may not know them
            x, y = ap.position[:2]
            n = np.asarray(ap.normal[:2], dtype=float)
            n = n / max(np.linalg.norm(n), 1e-12)
            ax.plot(x, y, marker="^", ms=10, color="tab:blue", mec="k", zorder=5)
            ax.annotate("", xy=(x + 0.05 * span * n[0], y + 0.05 * span * n[1]), xytext=(x, y), zorder=5,
                        arrowprops={"arrowstyle": "->", "color": "tab:blue"})
            # label inside the room along the array normal, on a white box so that walls never hide it
            ax.text(x + 0.09 * span * n[0], y + 0.09 * span * n[1], ap.name, fontsize=8, ha="center", va="center",
                    zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "tab:blue", "lw": 0.6})
    if show_scatterers and len(scene.scatterers):
        ax.plot(scene.scatterers[:, 0], scene.scatterers[:, 1], "x", color="0.4", ms=5, label="scatterers")
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    return ax


def floor_extent(scene: Scene) -> tuple[float, float, float, float]:
    """``(x_min, x_max, y_min, y_max)`` (m) of everything drawn: walkable outline, walls, known APs."""
    pts = [scene.walkable[:, :2]]
    if len(scene.walls):
        pts += [scene.wall_arrays["a"], scene.wall_arrays["b"]]
    pts += [np.asarray(ap.position, dtype=float)[None, :2] for ap in scene.aps if ap.position_known]
    xy = np.concatenate(pts)
    return float(xy[:, 0].min()), float(xy[:, 0].max()), float(xy[:, 1].min()), float(xy[:, 1].max())


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
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8, frameon=False)
    ax.set_title(title or scene.name)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, overwrite=overwrite, dpi=120, bbox_inches="tight")
    return fig


def _aspect(scene: Scene) -> float:
    x0, x1, y0, y1 = scene.bounds
    return float(np.clip((y1 - y0) / max(x1 - x0, 1e-9), 0.3, 1.5))
