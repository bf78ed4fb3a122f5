"""The CLI's one console and table output: ``--format table|csv|json`` for every command that prints rows.

``table`` is a rich table on a terminal and plain aligned text (never truncated) when stdout is a
pipe or a file; ``csv`` writes each table as CSV (tables separated by a ``# title`` line); ``json``
writes one object ``{title: [rows]}`` that scripts can parse.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radiomap.errors import ParameterError
from radiomap.jsonable import jsonable

console = Console(stderr=True, width=None if sys.stderr.isatty() else 10_000, soft_wrap=not sys.stderr.isatty())
"""Where every command prints its messages ("wrote ...", notes): stderr, so that stdout holds only the
tables (``--format json`` output parses as JSON)."""
_TABLES = Console()

FORMATS = ("table", "csv", "json")
OutputFormat = Annotated[str, typer.Option("--format", help="output of the tables: table | csv | json")]
"""The ``--format`` option of every command that prints tables."""


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS` (checked before any work), else a ``ParameterError``."""
    if fmt not in FORMATS:
        raise ParameterError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def emit(tables: dict[str, list[dict]], fmt: str = "table") -> None:
    """Print ``{title: rows}`` in ``fmt``; rows are dicts (columns = union of keys in first-seen order)."""
    check_format(fmt)
    if fmt == "json":
        sys.stdout.write(json.dumps(jsonable(tables), indent=2, allow_nan=False) + "\n")
        return
    for i, (title, rows) in enumerate(tables.items()):
        if fmt == "csv":
            if len(tables) > 1:
                sys.stdout.write(("\n" if i else "") + f"# {title}\n")
            sys.stdout.write(_csv(rows))
        elif sys.stdout.isatty():
            _TABLES.print(_rich(rows, title))
        else:
            sys.stdout.write(("\n" if i else "") + _plain(rows, title))


def print_rows(rows: list[dict], title: str = "", fmt: str = "table") -> None:
    """Print one table (see :func:`emit`)."""
    emit({title or "rows": rows}, fmt)


def _columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def _cells(rows: list[dict], cols: list[str]) -> list[list[str]]:
    return [[_cell(r.get(c)) for c in cols] for r in rows]


def _cell(v) -> str:
    """A table cell; long lists are summarised (first, last, length) and long texts cut (JSON keeps all)."""
    from radiomap.eval.report import fmt_value

    if isinstance(v, list | tuple) and len(v) > 12:
        return f"[{fmt_value(v[0])}, ..., {fmt_value(v[-1])}] ({len(v)} values)"
    text = fmt_value(v).replace("\\|", "|")
    return text if len(text) <= 300 else text[:297] + "..."


def _rich(rows: list[dict], title: str) -> Table | str:
    if not rows:
        return f"{title}: (no rows)"
    cols = _columns(rows)
    table = Table(*cols, title=title or None)
    for cells in _cells(rows, cols):
        table.add_row(*cells)
    return table


def _plain(rows: list[dict], title: str) -> str:
    """Aligned plain text: every cell in full, whatever the width."""
    if not rows:
        return f"{title}: (no rows)\n"
    cols = _columns(rows)
    body = _cells(rows, cols)
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [title] if title else []
    out += [line(cols), line(["-" * w for w in widths]), *(line(r) for r in body)]
    return "\n".join(out) + "\n"


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    cols = _columns(rows)
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    return buf.getvalue()
