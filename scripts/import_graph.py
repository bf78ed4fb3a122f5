"""The package's import graph between stages: cycles checked, drawn as docs/img/import-graph.png.

A stage is a sub-package or top-level module of ``radiomap`` (``scene``, ``channel``, ``localize``,
``atomic``, ...). Every ``import`` and ``from ... import`` (module-level and inside functions) counts.
``LAYERS`` lists the stages bottom-up; an import may only point to the same or a lower layer. The test
``tests/test_architecture.py`` runs :func:`check`; this script also draws the picture::

    python scripts/import_graph.py [--out docs/img/import-graph.png]
"""

from __future__ import annotations

import argparse
import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "radiomap"
LAYERS = (
    ("errors", "jsonable", "memory", "registry", "params", "parallel", "threads"),
    ("atomic", "hdf5", "shards"),
    ("scene",),
    ("channel", "mobility"),
    ("data", "simulate", "plotting", "limits"),
    ("features",),
    ("localize",),
    ("eval",),
    ("experiments",),
    ("cli",),
)
"""Stages bottom-up; ``radiomap`` itself (``__init__``: version, constants) is below everything."""


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "radiomap":
        return None
    return parts[1] if len(parts) > 1 else "radiomap"


def edges() -> dict[tuple[str, str], set[str]]:
    """``{(from stage, to stage): {example module pairs}}`` over every import of the package."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        src = stage_of(module)
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            for t in targets:
                dst = stage_of(t)
                if dst is not None and dst != src:
                    out[(src, dst)].add(f"{module} -> {t}")
    return out


def layer_of(stage: str) -> int:
    if stage == "radiomap":
        return -1
    for i, layer in enumerate(LAYERS):
        if stage in layer:
            return i
    raise KeyError(f"stage {stage!r} is not in LAYERS: add it")


def check() -> list[str]:
    """Problems: imports pointing upward (a cycle needs one) and stages missing from ``LAYERS``."""
    problems = []
    for (a, b), where in sorted(edges().items()):
        try:
            if layer_of(b) > layer_of(a):
                problems.append(f"{a} imports the higher stage {b}: {sorted(where)[0]}")
        except KeyError as exc:
            problems.append(str(exc))
    return problems


def draw(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = {"radiomap": (0.0, -1.0)}
    for y, layer in enumerate(LAYERS):
        for x, stage in enumerate(layer):
            pos[stage] = (x - (len(layer) - 1) / 2, float(y))
    fig, ax = plt.subplots(figsize=(10, 9))
    colours = plt.get_cmap("tab10")
    for (a, b), where in edges().items():
        (x0, y0), (x1, y1) = pos[a], pos[b]
        width = 0.6 + 0.15 * min(len(where), 10)
        ax.annotate("", xy=(x1, y1 + 0.12), xytext=(x0, y0 - 0.12),
                    arrowprops={"arrowstyle": "->", "color": colours(max(layer_of(a), 0) % 10), "alpha": 0.7,
                                "lw": width,
                                "shrinkA": 8, "shrinkB": 8})
    for stage, (x, y) in pos.items():
        ax.text(x, y, stage, ha="center", va="center", fontsize=10, zorder=3,
                bbox={"boxstyle": "round,pad=0.35", "fc": "#e8eef8", "ec": "#33415c"})
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-1.7, len(LAYERS) - 0.3)
    ax.axis("off")
    ax.set_title("radiomap: imports between stages (arrows point to the imported stage;\n"
                 "colour = importing layer, width = number of module pairs)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=SRC.parents[1] / "docs" / "img" / "import-graph.png")
    args = ap.parse_args()
    problems = check()
    for p in problems:
        print("problem:", p)
    draw(args.out)
    print(f"{len(edges())} stage edges, {len(problems)} problems; wrote {args.out}")


if __name__ == "__main__":
    main()
