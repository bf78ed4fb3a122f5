"""Report writer: one folder with ``report.md``, ``report.json`` and PNG figures.

Measured tables and the seed papers' published numbers are kept apart: ``add_published``
stores the paper's rows with their source; when a measured table of the same name shares a
key column (e.g. "method"), the published values are rendered beside it in separate columns
headed ``published: <column>`` with a footnote naming the source, never merged into the
measured columns. ``report.json`` records machine info, seed, settings and package version.

Example
-------
>>> rep = Report("demo", out_dir, {"seed": 0})  # doctest: +SKIP
>>> rep.add_table("errors", [{"method": "knn", "mean": 0.9}])  # doctest: +SKIP
>>> rep.add_published("errors", [{"method": "knn", "mean": 0.81}], "seed 000, Table II")  # doctest: +SKIP
>>> rep.write()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from radiomap import __version__
from radiomap.atomic import atomic_dir, png_metadata
from radiomap.errors import ParameterError
from radiomap.eval.html import render
from radiomap.jsonable import jsonable


def machine_info() -> dict[str, Any]:
    """Platform, CPU count, Python / NumPy / torch versions and thread count."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover - torch is a dependency
        info["torch"] = None
    return info


def fmt_value(v: Any) -> str:
    """A table cell: 3 decimals for floats, '—' for None/NaN."""
    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if math.isnan(v):
            return "—"
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3g}"
        return f"{v:.3f}"
    return str(v).replace("|", "\\|")


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Rows (dicts) as a GitHub Markdown table; columns default to the union in first-seen order."""
    if not rows:
        return "_(no rows)_\n"
    if columns is None:
        columns = []
        for r in rows:
            columns += [k for k in r if k not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(fmt_value(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    if not s:
        raise ParameterError(f"name {name!r} gives an empty file name")
    return s


class Report:
    """A report folder: tables, published numbers, figures and text, in insertion order.

    Parameters
    ----------
    title : str
    out_dir : folder to write (``write`` creates it atomically, as ``radiomap.atomic.atomic_dir``)
    settings : JSON-serialisable dict (scene, seed, sizes, method parameters, ...)
    overwrite : replace an existing report folder (only one radiomap wrote, see ``radiomap.atomic``)
    started : ``time.perf_counter()`` when the run began (default: now), for ``elapsed_s``

    Figures are rendered to PNG when added (so the figure can be closed at once) and kept in memory
    with the other content until ``write``; nothing reaches ``out_dir`` before the report is complete.
    """

    def __init__(self, title: str, out_dir: str | os.PathLike, settings: dict | None = None, *,
                 overwrite: bool = False, started: float | None = None):
        self.title = title
        self.out_dir = Path(out_dir)
        self.settings = dict(settings or {})
        self.overwrite = overwrite
        self.tables: dict[str, dict] = {}
        self.published: dict[str, dict] = {}
        self.figures: dict[str, str] = {}  # name -> file name in out_dir
        self.data: dict[str, Any] = {}
        self._png: dict[str, bytes] = {}
        self._artifacts: dict[str, Callable[[Path], Any]] = {}
        self._blocks: list[tuple[str, str]] = []  # (kind, name or markdown)
        self._started = time.perf_counter() if started is None else started

    @property
    def elapsed_s(self) -> float:
        """Wall time (s) since the report was created: the run's duration when read at ``write``."""
        return time.perf_counter() - self._started

    def add_table(self, name: str, rows: list[dict], caption: str = "") -> None:
        """Add a measured table (list of row dicts)."""
        if name not in self.tables:
            self._blocks.append(("table", name))
        self.tables[name] = {"rows": jsonable(list(rows)), "caption": caption}

    def add_published(self, name: str, rows: list[dict], source: str, key: str | None = None) -> None:
        """Add a seed paper's published numbers with their ``source``.

        If a measured table ``name`` has a column ``key`` (default: the first column of the
        published rows) the values appear beside it as ``published: <column>``; otherwise as a
        separate section.
        """
        if not source:
            raise ParameterError("published numbers need a source (paper, table)")
        if key is None and rows:
            key = next(iter(rows[0]))
        if name not in self.published:
            self._blocks.append(("published", name))
        self.published[name] = {"rows": jsonable(list(rows)), "source": source, "key": key}

    def add_figure(self, name: str, fig) -> str:
        """Render a Matplotlib figure to ``<name>.png`` (written with the report); close it; return the file name."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, bbox_inches="tight", metadata=png_metadata())
        if "matplotlib.pyplot" in sys.modules:  # release figures created through pyplot
            sys.modules["matplotlib.pyplot"].close(fig)
        if name not in self.figures:
            self._blocks.append(("figure", name))
        self.figures[name] = f"{_slug(name)}.png"
        self._png[name] = buf.getvalue()
        return self.figures[name]

    def add_artifact(self, name: str, write: Callable[[Path], Any]) -> None:
        """Write more output with the report: ``write(out_dir / name)`` runs inside the staged folder."""
        self._artifacts[_slug(name)] = write

    def add_data(self, name: str, obj: Any) -> None:
        """Attach JSON-serialisable data (e.g. confusion matrices) to ``report.json`` only."""
        self.data[name] = jsonable(obj)

    def add_text(self, markdown: str) -> None:
        """Add a free Markdown paragraph (notes, explanations)."""
        self._blocks.append(("text", markdown))

    # -- rendering -------------------------------------------------------------------------
    def blocks(self) -> list[tuple[str, str]]:
        """The report's content in order: ``(kind, name or Markdown)``, kind in table / published / figure / text."""
        return list(self._blocks)

    def merged_table(self, name: str) -> tuple[list[dict], list[str], str | None]:
        """Measured rows with published columns appended (when a key column is shared)."""
        rows = self.tables[name]["rows"]
        pub = self.published.get(name)
        cols: list[str] = []
        for r in rows:
            cols += [k for k in r if k not in cols]
        if pub is None or pub["key"] not in cols:
            return rows, cols, None
        key = pub["key"]
        by_key = {_match_key(r.get(key)): r for r in pub["rows"]}
        pcols = []
        for r in pub["rows"]:
            pcols += [f"published: {k}" for k in r if k != key and f"published: {k}" not in pcols]
        merged = []
        for r in rows:
            p = by_key.get(_match_key(r.get(key)), {})
            merged.append({**r, **{f"published: {k}": v for k, v in p.items() if k != key}})
        return merged, cols + pcols, pub["source"]

    def to_markdown(self) -> str:
        """The report as Markdown text."""
        machine = machine_info()
        out = [f"# {self.title}\n", f"radiomap {__version__}; generated {_now()} in {self.elapsed_s:.0f} s on "
                                    f"{machine['cpu_count']} CPUs\n"]
        if self.settings:
            out.append("## Settings\n")
            out += [f"- **{k}**: `{json.dumps(jsonable(v))}`" for k, v in self.settings.items()]
            out.append("")
        for kind, name in self._blocks:
            if kind == "table":
                t = self.tables[name]
                rows, cols, source = self.merged_table(name)
                out.append(f"## {name}\n")
                if t["caption"]:
                    out.append(t["caption"] + "\n")
                out.append(markdown_table(rows, cols))
                if source:
                    out.append(f"Columns `published: ...` are the paper's numbers, not measured here "
                               f"(source: {source}).\n")
            elif kind == "published":
                if name in self.tables and self.published[name]["key"] in self.merged_table(name)[1]:
                    continue  # already beside the measured table
                p = self.published[name]
                out.append(f"## {name}: published values (not measured here)\n")
                out.append(f"Source: {p['source']}\n")
                out.append(markdown_table(p["rows"]))
            elif kind == "figure":
                out.append(f"## {name}\n\n![{name}]({self.figures[name]})\n")
            else:
                out.append(name + "\n")
        return "\n".join(out)

    def to_dict(self) -> dict:
        """JSON content: title, version, machine, seed, settings, tables, published, figures, texts."""
        return jsonable({
            "title": self.title,
            "radiomap_version": __version__,
            "created": _now(),
            "elapsed_s": self.elapsed_s,
            "machine": machine_info(),
            "seed": self.settings.get("seed"),
            "settings": self.settings,
            "tables": self.tables,
            "published": self.published,
            "figures": dict(self.figures),
            "texts": [b for k, b in self._blocks if k == "text"],
            "data": self.data,
        })

    def write(self) -> Path:
        """Write ``out_dir`` (report.md, report.json, report.html, figures, artifacts) as one atomic folder; return
        the Markdown path. A second ``write`` replaces the folder the first one wrote."""
        with atomic_dir(self.out_dir, kind="report", overwrite=self.overwrite, what="report folder") as tmp:
            (tmp / "report.json").write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False))
            (tmp / "report.md").write_text(self.to_markdown())
            (tmp / "report.html").write_text(render(self, self._png, _now()))
            for name, png in self._png.items():
                (tmp / self.figures[name]).write_bytes(png)
            for name, write in self._artifacts.items():
                write(tmp / name)
        self.overwrite = True  # this report's own folder from now on
        return self.out_dir / "report.md"


def _match_key(v: Any) -> str:
    """Key used to pair measured and published rows: numbers compare by value (5 == 5.0)."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
        return repr(float(v))
    return str(v)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
