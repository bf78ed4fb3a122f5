"""``report.html``: one self-contained page per report (figures embedded, sortable tables, no server).

Settings and machine come first; measured tables follow in the report's order, with the seed
papers' published numbers in visibly separate, labelled columns (and sections); figures are PNGs
embedded as data URIs; free text is Markdown. The page loads nothing from the network.
"""

from __future__ import annotations

import base64
import html
import json
from typing import TYPE_CHECKING

from radiomap.jsonable import jsonable

if TYPE_CHECKING:
    from radiomap.eval.report import Report

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px;
       color: #1d2433; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #d8dde6; padding-bottom: .2rem; }
.meta { color: #5b6477; font-size: .9rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
th, td { border: 1px solid #d8dde6; padding: .25rem .55rem; text-align: right; }
th { background: #eef1f6; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th:after { content: " \\2195"; color: #9aa3b5; font-size: .75em; }
.scroll { overflow-x: auto; }
td:first-child, th:first-child { text-align: left; }
th.published { background: #fff1d6; } td.published { background: #fff9ec; color: #6b4e16; font-style: italic; }
.caption, .source { color: #5b6477; font-size: .85rem; }
.badge { display: inline-block; background: #f0b429; color: #3d2c00; border-radius: 3px; padding: 0 .35rem;
         font-size: .75rem; margin-left: .4rem; vertical-align: middle; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #e3e7ee; }
details { margin: .4rem 0; } summary { cursor: pointer; color: #33415c; }
code, pre { background: #f4f6fa; padding: .05rem .25rem; border-radius: 3px; font-size: .85rem; }
pre { padding: .5rem; overflow-x: auto; }
"""

_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute("data-order") !== "asc";
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? cmp : -cmp;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-order"); });
      th.setAttribute("data-order", asc ? "asc" : "desc");
    });
  });
});
"""


def render(report: Report, png: dict[str, bytes], generated: str) -> str:
    """The self-contained HTML page of a report.

    Parameters
    ----------
    report : Report
        Settings, tables, published numbers, figures and text, in its block order.
    png : dict[str, bytes]
        PNG bytes of each figure, by figure name (embedded as data URIs).
    generated : str
        Generation time (UTC), shown in the header.

    Returns
    -------
    str
        The HTML document.
    """
    import markdown

    from radiomap import __version__
    from radiomap.eval.report import machine_info

    parts = [f"<h1>{_e(report.title)}</h1>",
             f'<p class="meta">radiomap {_e(__version__)}; generated {_e(generated)}</p>',
             "<h2>Settings</h2>", _key_values(report.settings),
             "<details><summary>Machine</summary>" + _key_values(machine_info()) + "</details>"]
    for kind, name in report.blocks():
        if kind == "table":
            rows, cols, source = report.merged_table(name)
            pub_cols = {c for c in cols if c.startswith("published: ")}
            parts.append(f"<h2>{_e(name)}</h2>")
            if report.tables[name]["caption"]:
                parts.append(f'<p class="caption">{_e(report.tables[name]["caption"])}</p>')
            parts.append(_table(rows, cols, pub_cols))
            if source:
                parts.append(f'<p class="source"><span class="badge">published</span> columns are the paper\'s '
                             f"numbers, not measured here (source: {_e(source)}).</p>")
        elif kind == "published":
            if name in report.tables and report.published[name]["key"] in report.merged_table(name)[1]:
                continue  # shown beside the measured table
            p = report.published[name]
            parts.append(f'<h2>{_e(name)}<span class="badge">published, not measured here</span></h2>')
            parts.append(f'<p class="source">Source: {_e(p["source"])}</p>')
            cols = _columns(p["rows"])
            parts.append(_table(p["rows"], cols, set(cols)))
        elif kind == "figure":
            data = base64.b64encode(png[name]).decode("ascii")
            parts.append(f"<h2>{_e(name)}</h2><figure><img alt=\"{_e(name)}\" "
                         f'src="data:image/png;base64,{data}"></figure>')
        else:
            parts.append(markdown.markdown(name, extensions=["tables"]))
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n<script>{_SORT_JS}</script></body></html>\n")


def _e(text) -> str:
    return html.escape(str(text))


def _columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def _table(rows: list[dict], cols: list[str], published: set[str]) -> str:
    from radiomap.eval.report import fmt_value

    if not rows:
        return "<p><em>(no rows)</em></p>"
    head = "".join(f'<th{" class=published" if c in published else ""}>{_e(c)}</th>' for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            key = "" if v is None else (v if isinstance(v, int | float) else str(v))
            cls = ' class="published"' if c in published else ""
            cells.append(f'<td{cls} data-v="{_e(key)}">{_e(fmt_value(v).replace(chr(92) + "|", "|"))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead><tbody>' + "".join(body)
            + "</tbody></table></div>")


def _key_values(d: dict) -> str:
    rows = []
    for k, v in d.items():
        text = json.dumps(jsonable(v)) if not isinstance(v, str) else v
        cell = (f"<details><summary>{_e(text[:80])}...</summary><pre>{_e(json.dumps(jsonable(v), indent=1))}</pre>"
                f"</details>") if len(text) > 120 else f"<code>{_e(text)}</code>"
        rows.append(f"<tr><th>{_e(k)}</th><td style=\"text-align:left\">{cell}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"
