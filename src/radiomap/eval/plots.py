"""Evaluation figures: error CDFs of several methods, predictions over the floor plan.

Figures are built with ``matplotlib.figure.Figure`` (no GUI backend needed); pass ``ax`` to
draw into an existing axes instead.
"""

from __future__ import annotations

import numpy as np

from radiomap.eval.metrics import empirical_cdf


def _new_axes(ax, size=(6.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.add_subplot(1, 1, 1)


def error_cdf(errors: dict[str, np.ndarray], ax=None, unit: str = "m", title: str | None = None):
    """Empirical CDFs of position errors for several methods in one axes.

    Parameters
    ----------
    errors : dict[str, ndarray]
        Method name -> errors float [N_m] (in ``unit``).
    ax : matplotlib Axes or None
        Draw into it; None: a new figure.
    unit : str
        Axis label unit.
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _new_axes(ax)
    for name, e in errors.items():
        x, f = empirical_cdf(e)
        if x.size:
            ax.step(np.concatenate([[0.0], x]), np.concatenate([[0.0], f]), where="post",
                    label=f"{name} (median {np.median(x):.3g} {unit})")
    ax.set_xlabel(f"position error ({unit})")
    ax.set_ylabel("CDF")
    ax.set_ylim(0, 1.0)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    return fig


def predictions_over_floorplan(scene, pred: np.ndarray, true: np.ndarray, ax=None, title: str | None = None,
                               max_vectors: int = 120, cells: int = 32):
    """Mean error over the floor as a heatmap, with a few error vectors, over the scene's floor plan.

    Parameters
    ----------
    scene : Scene
        Drawn with ``radiomap.plotting.draw_floorplan``.
    pred, true : ndarray, float [N, 2|3]
        Estimated and true positions (m).
    ax : matplotlib Axes or None
        Draw into it; None: a new figure sized to the floor.
    title : str or None
        Shown with the mean error.
    max_vectors : int
        Error vectors drawn (evenly spaced samples).
    cells : int
        Heatmap cells along the longer side.

    Returns
    -------
    matplotlib.figure.Figure
        The mean 2-D error (m) of the samples whose true position falls in each cell (colour bar),
        the true positions (grey), ``max_vectors`` error vectors; legend below the floor.
    """
    from radiomap.plotting import draw_floorplan, floor_extent

    x0, x1, y0, y1 = scene.bounds
    aspect = (y1 - y0 + 1) / max(x1 - x0 + 1, 1e-9)
    fig, ax = _new_axes(ax, size=(8.0, max(3.4, 8.0 * aspect + 1.2)))
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    err = np.linalg.norm(p[:, :2] - t[:, :2], axis=1)
    step = max(x1 - x0, y1 - y0) / cells
    nx, ny = max(int(np.ceil((x1 - x0) / step)), 1), max(int(np.ceil((y1 - y0) / step)), 1)
    ix = np.clip(((t[:, 0] - x0) / step).astype(int), 0, nx - 1)
    iy = np.clip(((t[:, 1] - y0) / step).astype(int), 0, ny - 1)
    total, count = np.zeros((ny, nx)), np.zeros((ny, nx))
    np.add.at(total, (iy, ix), err)
    np.add.at(count, (iy, ix), 1)
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    im = ax.imshow(mean, origin="lower", extent=(x0, x0 + nx * step, y0, y0 + ny * step), cmap="magma_r",
                   alpha=0.85, vmin=0, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="mean 2-D error (m)", shrink=0.8, pad=0.02)
    draw_floorplan(ax, scene)
    ax.scatter(t[:, 0], t[:, 1], s=1.5, c="0.45", label="true positions", zorder=3)
    idx = np.unique(np.linspace(0, len(p) - 1, min(len(p), max_vectors)).astype(int)) if len(p) else []
    if len(idx):
        ax.quiver(t[idx, 0], t[idx, 1], p[idx, 0] - t[idx, 0], p[idx, 1] - t[idx, 1], angles="xy",
                  scale_units="xy", scale=1.0, width=0.0025, color="tab:cyan", zorder=4,
                  label=f"error vector ({len(idx)} of {len(p)})")
    fx0, fx1, fy0, fy1 = floor_extent(scene)
    pad = 0.03 * max(fx1 - fx0, fy1 - fy0)
    ax.set_xlim(fx0 - pad, fx1 + pad)
    ax.set_ylim(fy0 - pad, fy1 + pad)
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    if title:
        ax.set_title(f"{title}: mean error {err.mean():.2f} m" if len(err) else title)
    return fig


def confusion_figure(confusion: np.ndarray, names, ax=None, title: str | None = None):
    """Confusion matrix as an annotated image.

    Parameters
    ----------
    confusion : array_like, int [C, C]
        Counts, rows true, columns predicted (``metrics.confusion_matrix``).
    names : sequence of str [C]
        Class names (tick labels).
    ax : matplotlib Axes or None
        Draw into it; None: a new 3.5 x 3 inch figure.
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes.
    """
    cm = np.asarray(confusion)
    fig, ax = _new_axes(ax, size=(3.5, 3.0))
    ax.imshow(cm, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(names)), names, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return fig
