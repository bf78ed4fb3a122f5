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

    Input
    -----
    errors : {method name: float [N_m] errors}
    ax : optional Matplotlib axes; unit : axis label unit

    Output
    ------
    matplotlib Figure
    """
    fig, ax = _new_axes(ax)
    for name, e in errors.items():
        x, f = empirical_cdf(e)
        if x.size:
            ax.step(np.concatenate([[0.0], x]), np.concatenate([[0.0], f]), where="post",
                    label=f"{name} (median {np.median(x):.2f} {unit})")
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
                               max_vectors: int = 2000):
    """Estimated vs true positions with error vectors over the scene's floor plan.

    Input
    -----
    scene : radiomap.scene.Scene (drawn with ``radiomap.plotting.draw_floorplan``)
    pred, true : float [N, 2|3] positions (m); at most ``max_vectors`` evenly spaced samples drawn

    Output
    ------
    matplotlib Figure
    """
    from radiomap.plotting import draw_floorplan

    x0, x1, y0, y1 = scene.bounds
    aspect = (y1 - y0 + 1) / max(x1 - x0 + 1, 1e-9)
    fig, ax = _new_axes(ax, size=(8.0, max(3.0, 8.0 * aspect)))
    draw_floorplan(ax, scene)
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    idx = np.unique(np.linspace(0, len(p) - 1, min(len(p), max_vectors)).astype(int)) if len(p) else []
    p, t = p[idx], t[idx]
    ax.quiver(t[:, 0], t[:, 1], p[:, 0] - t[:, 0], p[:, 1] - t[:, 1], angles="xy", scale_units="xy",
              scale=1.0, width=0.002, color="tab:red", alpha=0.5, label="error vector")
    ax.scatter(t[:, 0], t[:, 1], s=4, c="k", label="true")
    ax.scatter(p[:, 0], p[:, 1], s=4, c="tab:blue", label="estimate")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def confusion_figure(confusion: np.ndarray, names, ax=None, title: str | None = None):
    """Confusion matrix ``[C, C]`` (rows true, columns predicted) as an annotated image."""
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
