"""Which public functions and classes of the core packages document their inputs and outputs.

The rule (numpydoc, with named dimensions, dtype and unit in the blocks):

- a class counts when its docstring has a ``Parameters`` or ``Attributes`` block;
- a function or method counts when its docstring has a ``Parameters``/``Returns`` block
  (or ``Yields``, ``Raises``, Sionna-style ``Input``/``Output``, ``Forward`` for a module);
- a property counts with a one-line docstring that starts with its type, e.g.
  ``"float: wavelength at the carrier (m)."``;
- a trivial serialiser (``to_dict``, ``from_dict``) counts with any docstring.

``undocumented_params`` is the stricter check that ``tests/test_docstrings.py`` applies to the
modules it lists: the ``Parameters`` block names every argument (``self``/``cls`` aside).

Public means: not starting with ``_``, in a module whose name does not start with ``_``
(``__init__.py`` included). Prints the coverage per package and, with ``--missing``, every
undocumented name; optional paths (relative to ``src/radiomap``) restrict the count::

    python scripts/docstring_coverage.py [--missing] [scene channel/noise.py ...]
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "radiomap"
PACKAGES = ("scene", "channel", "data", "features", "localize", "limits", "eval")
BLOCK = re.compile(r"^\s*(Input|Output|Parameters|Returns|Yields|Raises|Forward)\s*\n\s*-{3,}", re.M)
CLASS_BLOCK = re.compile(r"^\s*(Parameters|Attributes)\s*\n\s*-{3,}", re.M)
TYPED_LINE = re.compile(r"^[A-Za-z][\w.]*(\[[^\]]*\])?(\s*(,|\|)\s*[\w.]+)*(\s*\[[^\]]*\])?\s*:\s+\S")
TRIVIAL = {"to_dict", "from_dict"}
PROPERTY = {"property", "cached_property"}


def module_is_public(path: Path) -> bool:
    return path.name == "__init__.py" or not path.name.startswith("_")


def public_defs(path: Path):
    """Yield every public top-level function and class of ``path``, and the public methods of its classes."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            yield node
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, ast.FunctionDef) and not sub.name.startswith("_"):
                        yield sub


def _decorators(node) -> set[str]:
    names = set()
    for d in node.decorator_list:
        if isinstance(d, ast.Name):
            names.add(d.id)
        elif isinstance(d, ast.Attribute):
            names.add(d.attr)
    return names


def documented(node) -> bool:
    doc = ast.get_docstring(node) or ""
    if isinstance(node, ast.ClassDef):
        return bool(CLASS_BLOCK.search(doc))
    if BLOCK.search(doc):
        return True
    if _decorators(node) & PROPERTY:
        return bool(TYPED_LINE.match(doc))
    return node.name in TRIVIAL and bool(doc.strip())


def _section(doc: str, title: str) -> str | None:
    m = re.search(rf"^[ \t]*{title}[ \t]*\n[ \t]*-{{3,}}[ \t]*\n(.*?)(?=^[ \t]*\w[\w ]*\n[ \t]*-{{3,}}|\Z)",
                  doc, re.M | re.S)
    return m.group(1) if m else None


def undocumented_params(node) -> list[str]:
    """Arguments of a function that its ``Parameters`` block does not name (all of them without a block)."""
    if isinstance(node, ast.ClassDef) or _decorators(node) & PROPERTY or node.name in TRIVIAL:
        return []
    a = node.args
    args = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg not in ("self", "cls")]
    args += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    text = _section(ast.get_docstring(node) or "", "Parameters") or ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines), default=0)
    named = {n.strip().lstrip("*") for ln in lines if len(ln) - len(ln.lstrip()) == indent
             for n in ln.strip().split(" : ")[0].split(",")}
    return [x for x in args if x not in named]


def coverage(paths) -> tuple[list, list]:
    """All public definitions of ``paths`` and the undocumented ones, as ``(path, node)`` pairs."""
    defs = [(f, n) for f in paths if module_is_public(f) for n in public_defs(f)]
    return defs, [(f, n) for f, n in defs if not documented(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--missing", action="store_true")
    ap.add_argument("paths", nargs="*", help="files or folders under src/radiomap (default: the core packages)")
    args = ap.parse_args()
    total = bad = 0
    names = args.paths or PACKAGES
    width = max(10, *(len(n) + 1 for n in names))
    for pkg in names:
        root = SRC / pkg
        defs, missing = coverage(sorted(root.rglob("*.py")) if root.is_dir() else [root])
        total, bad = total + len(defs), bad + len(missing)
        print(f"{pkg:{width}s} {len(defs) - len(missing):4d} / {len(defs):4d}")
        if args.missing:
            for f, n in missing:
                print(f"    {f.relative_to(SRC)}:{n.lineno} {n.name}")
    print(f"{'all':{width}s} {total - bad:4d} / {total:4d}")


if __name__ == "__main__":
    main()
