"""Regenerate the README's reproduction table from the committed report snapshots (``docs/reports/*/report.json``).

Numbers typed by hand drift; this script writes every number of the table from the report JSON, between
the markers ``<!-- reproductions:begin -->`` and ``<!-- reproductions:end -->``. ``tests/test_readme.py``
fails when the README differs from what this script writes::

    python scripts/readme_tables.py          # rewrite README.md
    python scripts/readme_tables.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN, END = "<!-- reproductions:begin -->", "<!-- reproductions:end -->"


@dataclass(frozen=True)
class Headline:
    """One README row: ``table``'s rows of report ``snapshot`` (those matching ``where``), each written as
    ``key v1 / v2 ...`` over ``columns``."""

    snapshot: str
    command: str
    reproduces: str
    table: str
    key: str
    columns: tuple[str, ...]
    unit: str = "m"
    where: tuple[tuple[str, object], ...] = ()
    paper_table: str | None = None
    """The published table to quote (default: the one beside ``table``), over ``paper_columns``."""
    paper_columns: tuple[str, ...] | None = None


HEADLINES = (
    Headline("demo", "radiomap demo", "seed 000 Table II on `xing-indoor`, tests I / II (noise variance 0.2 / 0.4), "
             "per sample", "localization error (m)", "method", ("test1 mean", "test2 mean")),
    Headline("xing2025", "radiomap bench xing2025 --full", "seed 000 Table I: trajectory error on the training walk, "
             "mean over 5 seeds", "Robustness over 5 seeds: Table I overall (m)", "method", ("overall mean",),
             paper_table="Table I: trajectory error on the training walk (m)", paper_columns=("overall",)),
    Headline("chatelier2025", "radiomap bench chatelier2025", "seeds 001/003: neural location-to-channel map, median "
             "localization error at 20 dB", "localization", "method", ("median (m)",),
             where=(("SNR (dB)", 20.0),)),
    Headline("zhao2026", "radiomap bench zhao2026", "seed 002: triple-beam fingerprints + LOA-Net, mean 3-D error",
             "localization", "method", ("mean",)),
)


def _number(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 0.01 else f"{v:.2f}"
    return str(v)


def _rows_text(rows: list[dict], key: str, columns: tuple[str, ...], where=()) -> str:
    parts = []
    for row in rows:
        if any(row.get(c) != v for c, v in where):
            continue
        values = [row.get(c) for c in columns]
        if all(v is None for v in values):
            continue
        parts.append(f"{row[key]} " + " / ".join(_number(v) for v in values))
    return ", ".join(parts)


def _machine(report: dict) -> str:
    m = report.get("machine", {})
    took = report.get("elapsed_s")
    when = report.get("created", "?")[:10]
    duration = f"{took:.0f} s" if took is not None else "time not recorded"
    return f"{duration}, {m.get('cpu_count', '?')} CPUs, {when}"


def row(h: Headline, reports: Path) -> str:
    """The Markdown row of one headline (``| command | reproduces | ours | paper | run |``)."""
    path = reports / h.snapshot / "report.json"
    if not path.is_file():
        return f"| `{h.command}` | {h.reproduces} | no snapshot in docs/reports/{h.snapshot} | | |"
    report = json.loads(path.read_text())
    ours = _rows_text(report["tables"][h.table]["rows"], h.key, h.columns, h.where)
    published = report.get("published", {}).get(h.paper_table or h.table)
    paper = _rows_text(published["rows"], published.get("key") or h.key, h.paper_columns or h.columns) \
        if published else ""
    return f"| `{h.command}` | {h.reproduces} ({h.unit}) | {ours} | {paper or 'see report'} | {_machine(report)} |"


def table(reports: Path = ROOT / "docs" / "reports") -> str:
    """The whole generated block, markers included."""
    lines = [BEGIN, "| command | what it reproduces | ours (snapshot) | paper | run |", "|---|---|---|---|---|"]
    lines += [row(h, reports) for h in HEADLINES]
    return "\n".join([*lines, END])


def updated(text: str, block: str) -> str:
    """``text`` with the block between the markers replaced (the markers must be there once)."""
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        raise SystemExit(f"README.md lacks the markers {BEGIN} ... {END}")
    return text[:start] + block + text[stop + len(END):]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = ap.parse_args()
    text = README.read_text()
    new = updated(text, table())
    if args.check:
        sys.exit(0 if new == text else 1)
    README.write_text(new)
    print("README.md reproduction table regenerated" if new != text else "README.md already up to date")


if __name__ == "__main__":
    main()
