"""The CLI's one console and table printer (full width when stdout is not a terminal)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 200)
"""Where every command prints; tables are not cut to 80 columns when piped to a file."""


def print_rows(rows: list[dict], title: str = "") -> None:
    """Print report rows (dicts) as a rich table."""
    from radiomap.eval.report import fmt_value

    if not rows:
        console.print(f"{title}: (no rows)")
        return
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    table = Table(*cols, title=title or None)
    for r in rows:
        table.add_row(*(fmt_value(r.get(c)) for c in cols))
    console.print(table)
