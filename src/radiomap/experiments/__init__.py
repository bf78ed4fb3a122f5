"""Reproductions of the seed papers, one module per paper, each exposing ``run``.

``run(out_dir, *, full=False, seed=0, progress=True, overwrite=False) -> Report`` builds the scene
and data, runs the methods and writes a report (Markdown + JSON + PNGs) as the folder ``out_dir``
(replacing an earlier report there only with ``overwrite``, see ``radiomap.atomic``).
"""

from radiomap.registry import Registry

EXPERIMENTS = Registry("experiment", {
    "xing2025": "radiomap.experiments.xing2025:run",
    "chatelier2025": "radiomap.experiments.chatelier2025:run",
    "zhao2026": "radiomap.experiments.zhao2026:run",
    "crowd": "radiomap.experiments.crowd:run",
})

__all__ = ["EXPERIMENTS"]
