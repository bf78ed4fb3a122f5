"""Which public functions and classes of the core packages document their inputs and outputs.

A docstring counts when it has a numpydoc-style block (``Input``/``Output``, ``Parameters``/``Returns``)
or, for one-liners, names the shapes (``[N, ...]``). Prints the coverage per package and, with
``--missing``, every undocumented name::

    python scripts/docstring_coverage.py [--missing]
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "radiomap"
PACKAGES = ("scene", "channel", "data", "features", "localize", "limits", "eval")
BLOCK = re.compile(r"^\s*(Input|Output|Parameters|Returns|Forward)\s*\n\s*-{3,}", re.M)
SHAPE = re.compile(r"\[[A-Za-z0-9_ ,+*]+\]")


def public_defs(path: Path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            yield node
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef) and not sub.name.startswith("_"):
                        yield sub


def documented(node) -> bool:
    doc = ast.get_docstring(node) or ""
    return bool(BLOCK.search(doc)) or (bool(SHAPE.search(doc)) and len(doc) > 20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--missing", action="store_true")
    args = ap.parse_args()
    total = ok = 0
    for pkg in PACKAGES:
        files = sorted((SRC / pkg).rglob("*.py"))
        defs = [(f, n) for f in files if not f.name.startswith("_") for n in public_defs(f)]
        good = [d for d in defs if documented(d[1])]
        total, ok = total + len(defs), ok + len(good)
        print(f"{pkg:10s} {len(good):4d} / {len(defs):4d}")
        if args.missing:
            for f, n in defs:
                if not documented(n):
                    print(f"    {f.relative_to(SRC)}:{n.lineno} {n.name}")
    print(f"{'all':10s} {ok:4d} / {total:4d}")


if __name__ == "__main__":
    main()
