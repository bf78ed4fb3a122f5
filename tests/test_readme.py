"""The README's reproduction table is generated from the committed report snapshots, never typed."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_readme_table_matches_the_report_snapshots():
    script = _script()
    text = (ROOT / "README.md").read_text()
    assert script.updated(text, script.table()) == text, "run: python scripts/readme_tables.py"


def test_every_headline_reads_a_table_of_its_snapshot():
    script = _script()
    for h in script.HEADLINES:
        row = script.row(h, ROOT / "docs" / "reports")
        assert "no snapshot" not in row and h.command in row
