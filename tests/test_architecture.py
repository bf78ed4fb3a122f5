"""The package's seams: no upward imports, experiments and the CLI use only public names, no global seeding.

These are source scans (``ast``), so they fail on the line that breaks a rule, whatever the test data.
"""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "radiomap"
CONSUMERS = ("experiments", "cli")
"""Stages that may use every other stage, but only through its public names."""


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def seam_violations(path: Path) -> list[str]:
    """Private attributes (``obj._x``, not ``self``/``cls``), private names or modules imported, and
    imports deeper than ``radiomap.<stage>.<module>`` (a sub-package's internals) in one file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner not in ("self", "cls"):
                out.append(f"{where} reads the private attribute .{node.attr}")
        modules, names = [], []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules, names = [node.module], [a.name for a in node.names]
        for module in modules:
            parts = module.split(".")
            if parts[0] != "radiomap":
                continue
            if any(_private(p) for p in parts):
                out.append(f"{where} imports the private module {module}")
            if len(parts) > 3:
                out.append(f"{where} imports {module}, an internal module of {'.'.join(parts[:3])}")
            out += [f"{where} imports the private name {n} from {module}" for n in names if _private(n)]
    return out


def test_no_stage_imports_a_higher_stage():
    assert _load_script("import_graph").check() == []


@pytest.mark.parametrize("stage", CONSUMERS)
def test_experiments_and_cli_use_only_public_names(stage):
    problems = [p for path in sorted((SRC / stage).rglob("*.py")) for p in seam_violations(path)]
    assert problems == []


def test_the_seam_scan_catches_each_kind_of_leak(tmp_path):
    leaky = SRC / "experiments" / "_probe_for_test.py"
    leaky.write_text("from radiomap.localize.hmm.model import HMMRadioMap\nfrom radiomap.x import _y\n"
                     "import radiomap._z\nm.model_._graph\nself._ok\n")
    try:
        found = seam_violations(leaky)
    finally:
        leaky.unlink()
    assert len(found) == 4
    assert any("internal module of radiomap.localize.hmm" in p for p in found)
    assert any("private name _y" in p for p in found)
    assert any("private module radiomap._z" in p for p in found)
    assert any("private attribute ._graph" in p for p in found)


def test_torch_is_seeded_in_one_scoped_place():
    """The only ``torch.manual_seed`` is inside ``training.seeded_init`` (under ``fork_rng``, restored)."""
    calls = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("manual_seed", "seed") and \
                    isinstance(node.value, ast.Name) and node.value.id == "torch":
                calls.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert len(calls) == 1 and calls[0].startswith("localize/training.py")
