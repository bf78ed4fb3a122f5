"""Every public function and class of the listed modules has a numpydoc block (``scripts/docstring_coverage.py``).

Add a module (or folder) to ``DOCUMENTED`` once its docstrings are complete; the list grows until it
covers ``scene``, ``channel``, ``data``, ``features``, ``localize``, ``limits`` and ``eval``.
"""

import importlib.util
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "radiomap"

DOCUMENTED = (  # paths relative to src/radiomap: folders cover every module under them
    "scene",
    "channel/__init__.py", "channel/angular.py", "channel/beams.py", "channel/cfr.py", "channel/noise.py",
    "channel/sionna_rt.py", "channel/tracer.py", "channel/wallgrid.py",
    "data/fields.py", "data/schema.py", "data/loaders",
    "eval/breakdown.py", "eval/plots.py", "eval/predictions.py", "eval/html.py",
    "features/delay.py", "features/music.py", "features/power.py", "features/seed000.py", "features/beampower.py",
    "features/tbf.py",
    "localize/base.py", "localize/geometric.py", "localize/state.py", "localize/training.py", "localize/nets.py",
    "localize/charting", "localize/neuralmap", "limits", "localize/chunked.py",
    "parallel.py", "shards.py", "simulate.py", "data/writer.py", "experiments/sweep.py",
)


def _checker():
    spec = importlib.util.spec_from_file_location("docstring_coverage", ROOT / "scripts" / "docstring_coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


COV = _checker()


def _files(rel: str) -> list[Path]:
    p = SRC / rel
    assert p.exists(), f"src/radiomap/{rel} listed in DOCUMENTED does not exist"
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


@pytest.mark.parametrize("rel", DOCUMENTED)
def test_module_fully_documented(rel):
    defs, missing = COV.coverage(_files(rel))
    names = [f"{f.relative_to(SRC)}:{n.lineno} {n.name}" for f, n in missing]
    assert not names, f"{len(names)} of {len(defs)} public definitions lack a numpydoc block:\n" + "\n".join(names)


@pytest.mark.parametrize("rel", DOCUMENTED)
def test_parameters_block_names_every_argument(rel):
    defs, _ = COV.coverage(_files(rel))
    gaps = [f"{f.relative_to(SRC)}:{n.lineno} {n.name}: {', '.join(m)}"
            for f, n in defs if (m := COV.undocumented_params(n))]
    assert not gaps, "arguments missing from the Parameters block:\n" + "\n".join(gaps)


def test_checker_rejects_what_the_rule_excludes(tmp_path):
    """The rule can fail: one-liners, untyped properties and block-less classes are reported."""
    src = tmp_path / "mod.py"
    src.write_text(textwrap.dedent('''
        class Bare:
            """No block."""

            @property
            def size(self):
                """Number of things."""

            def to_dict(self):
                """JSON-able dict."""

        class Good:
            """Documented.

            Parameters
            ----------
            n : int
            """

            @property
            def size(self):
                """int: number of things."""

        def shapes_only(x):
            """Positions ``[N, 3]`` (m) of ``x [N, 3]``."""

        def documented(x):
            """Doubles.

            Parameters
            ----------
            x : ndarray, float64 [N, 3]
                Positions (m).

            Returns
            -------
            ndarray, float64 [N, 3]
            """

        def _private(x):
            pass
    '''))
    defs, missing = COV.coverage([src])
    assert sorted(n.name for _, n in defs) == sorted(
        ["Bare", "size", "to_dict", "Good", "size", "shapes_only", "documented"])
    assert sorted(n.name for _, n in missing) == ["Bare", "shapes_only", "size"]


def test_checker_finds_undocumented_arguments(tmp_path):
    src = tmp_path / "mod.py"
    src.write_text(textwrap.dedent('''
        def f(self, positions, ofdm, *, n_symbols=None, **options):
            """CFR.

            Parameters
            ----------
            positions, ofdm : ndarray, float64 [N, 3]
                Positions (m).
            **options
                Passed on.

            Returns
            -------
            ndarray, complex64 [N, K]
            """

        def g(x):
            """Shapes only [N, 3]."""
    '''))
    defs, _ = COV.coverage([src])
    assert {n.name: COV.undocumented_params(n) for _, n in defs} == {"f": ["n_symbols"], "g": ["x"]}


def test_private_modules_are_skipped_but_init_is_counted(tmp_path):
    (tmp_path / "_hidden.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "__init__.py").write_text("def g(x):\n    return x\n")
    defs, missing = COV.coverage(sorted(tmp_path.glob("*.py")))
    assert [n.name for _, n in defs] == ["g"] and [n.name for _, n in missing] == ["g"]
