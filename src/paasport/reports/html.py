"""`paasport costs --html FILE`: one self-contained HTML page of charts, a summary and the records.

Self-contained means viewable offline and safe to mail around: charts are inline SVG, the style
and the sorting script are inline, and a Content-Security-Policy forbids any fetch. Every piece of
record text (asset names are user input) goes through html.escape.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from matplotlib.figure import Figure

from paasport.files import write_atomically
from paasport.reports.charts import (
    Record,
    build_charts,
    cheapest_platform_per_asset,
    format_usd,
    median_cost_per_asset_platform,
    number,
    started_at,
)

NO_RECORDS = "There are no materializations with cost to report."
COST_KEYS = ("cost_usd_compute", "cost_usd_storage", "cost_usd_platform", "cost_usd_total")
COST_HEADERS = ("compute (USD)", "storage (USD)", "platform surcharge (USD)", "total (USD)")

_STYLE = """
body { font-family: system-ui, "DejaVu Sans", sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #222; }
h1 { margin-bottom: .25rem; }
.summary { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; list-style: none; }
.summary li { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .9rem; }
.summary b { display: block; font-size: 1.3rem; }
figure.chart { margin: 1.5rem 0; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .3rem .5rem; text-align: left; }
td { white-space: nowrap; }
td.text { white-space: normal; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f4f4f4; position: sticky; top: 0; }
th button { all: unset; cursor: pointer; }
th button:focus-visible { outline: 2px solid #36c; }
th[aria-sort=ascending] button::after { content: " ▲"; }
th[aria-sort=descending] button::after { content: " ▼"; }
tfoot td { font-weight: 600; border-top: 2px solid #999; }
.muted { color: #888; }
"""
# Click a column header to sort its table; numbers sort by the raw value in data-sort.
_SCRIPT = """
document.querySelectorAll("table.sortable").forEach((table) => {
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((th, column) => {
    th.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const key = (row) => row.cells[column].dataset.sort ?? row.cells[column].textContent;
      const numeric = th.classList.contains("num");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows).sort((a, b) => {
        const order = numeric ? parseFloat(key(a)) - parseFloat(key(b))
                              : key(a).localeCompare(key(b));
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
});
"""
# Only this exact script may run, and nothing may be fetched. Styles stay 'unsafe-inline' for
# the style attributes of matplotlib's SVG.
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'"
)


def write_html_report(
    records: Sequence[Record], path: Path, *, title: str = "paasport cost report"
) -> Path:
    """Render the report and write it to `path` atomically; returns `path`."""
    write_atomically(path, render_html(records, title=title).encode("utf-8"))
    return path


def render_html(records: Sequence[Record], *, title: str = "paasport cost report") -> str:
    """The whole report as one HTML document."""
    if records:
        body = "\n".join([_summary(records), _charts(records), _runs_table(records)])
        body += "\n" + _records_table(records)
    else:
        body = f'<p class="empty">{escape(NO_RECORDS)}</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{escape(title)}</h1>
{body}
<script>{_SCRIPT}</script>
</body>
</html>
"""


def svg_markup(figure: Figure, id_prefix: str, label: str) -> str:
    """A figure as inline <svg>, its ids prefixed so several charts share one page's id space."""
    buffer = io.StringIO()
    metadata = {"Date": None, "Creator": None, "Format": None, "Type": None}
    figure.savefig(buffer, format="svg", metadata=metadata)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE
    svg = re.sub(r'(\bid="|href="#|url\(#)', lambda m: m.group(1) + id_prefix, svg)
    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(label)}"', 1)


def _cell(text: object, *, sort: object = None, css: str = "", title: str = "") -> str:
    attrs = f' class="{css}"' if css else ""
    if sort is not None:
        attrs += f' data-sort="{escape(str(sort))}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{escape(str(text))}</td>"


def _usd_cell(value: float) -> str:
    return _cell(format_usd(value), sort=f"{value:.10g}", css="num")


def _seconds_cell(value: float) -> str:
    return _cell(f"{value:,.1f}", sort=f"{value:.10g}", css="num")


def _table(table_id: str, headers: Iterable[str], rows: Iterable[str], foot: str = "") -> str:
    # Columns whose unit is USD, seconds or a count sort as numbers and align right.
    numeric = ("(USD)", "(s)", "(n)")
    num = ' class="num"'
    head = "".join(
        f'<th{num if h.endswith(numeric) else ""}><button type="button">{escape(h)}</button></th>'
        for h in headers
    )
    body = "\n".join(f"<tr>{row}</tr>" for row in rows)
    tfoot = f"<tfoot><tr>{foot}</tr></tfoot>" if foot else ""
    return (
        f'<table id="{table_id}" class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody>{tfoot}</table>"
    )


def _when(record: Record) -> str:
    return started_at(record).strftime("%Y-%m-%d %H:%M:%S")


def _summary(records: Sequence[Record]) -> str:
    total = sum(number(r, "cost_usd_total") for r in records)
    starts = sorted(_when(r) for r in records)
    bases = ", ".join(sorted({str(r.get("basis")) for r in records}))
    facts = [
        ("total cost", format_usd(total)),
        ("runs", str(len({str(r["run_id"]) for r in records}))),
        ("materializations", str(len(records))),
        ("platforms", ", ".join(sorted({str(r["platform"]) for r in records}))),
        ("period (UTC)", f"{starts[0][:10]} – {starts[-1][:10]}"),
        ("cost basis", bases),
    ]
    items = "".join(f"<li>{escape(k)}<b>{escape(v)}</b></li>" for k, v in facts)
    medians = median_cost_per_asset_platform(records)
    rows = [
        _cell(asset, css="text")
        + _cell(platform)
        + _usd_cell(cost)
        + _cell(len(medians[asset]), sort=len(medians[asset]), css="num")
        for asset, (platform, cost) in cheapest_platform_per_asset(records).items()
    ]
    headers = ("asset", "cheapest platform", "median cost (USD)", "platforms compared (n)")
    return (
        f'<section id="summary"><h2>Summary</h2><ul class="summary">{items}</ul>'
        "<h3>Cheapest platform per asset</h3>"
        '<p class="muted">By the median total cost of one materialization on each platform.</p>'
        f"{_table('cheapest', headers, rows)}</section>"
    )


def _charts(records: Sequence[Record]) -> str:
    figures = [
        # No caption: each chart carries its own title.
        f'<figure class="chart" id="chart-{chart.name}">'
        f"{svg_markup(chart.figure, f'{chart.name}-', chart.title)}</figure>"
        for chart in build_charts(records)
    ]
    return '<section id="charts"><h2>Charts</h2>' + "\n".join(figures) + "</section>"


def _money_cells(values: Sequence[float]) -> str:
    return "".join(_usd_cell(v) for v in values)


def _runs_table(records: Sequence[Record]) -> str:
    runs: dict[str, list[Record]] = {}
    for record in sorted(records, key=started_at):
        runs.setdefault(str(record["run_id"]), []).append(record)
    rows = []
    for run_id, members in runs.items():
        rows.append(
            _cell(run_id[:8], sort=run_id, title=run_id)
            + _cell(", ".join(sorted({str(r["platform"]) for r in members})))
            + _cell(", ".join(sorted({str(r["profile"]) for r in members})))
            + _cell(_when(members[0]))
            + _cell(len(members), sort=len(members), css="num")
            + _seconds_cell(sum(number(r, "duration_s") for r in members))
            + _money_cells([sum(number(r, key) for r in members) for key in COST_KEYS])
        )
    headers = (
        *("run", "platform", "profile", "started (UTC)", "materializations (n)", "duration (s)"),
        *COST_HEADERS,
    )
    return f"<section><h2>Run totals</h2>{_table('runs', headers, rows)}</section>"


def _records_table(records: Sequence[Record]) -> str:
    ordered = sorted(records, key=lambda r: (started_at(r), str(r["run_id"]), str(r["asset"])))
    rows = []
    for r in ordered:
        run_id, partition = str(r["run_id"]), r.get("partition")
        rows.append(
            _cell(run_id[:8], sort=run_id, title=run_id)
            + _cell(r["asset"], css="text")
            + (_cell(partition) if partition is not None else _cell("—", sort="", css="muted"))
            + _cell(r["platform"])
            + _cell(_when(r))
            + _seconds_cell(number(r, "duration_s"))
            + _money_cells([number(r, key) for key in COST_KEYS])
        )
    totals = [sum(number(r, key) for r in records) for key in COST_KEYS]
    duration = sum(number(r, "duration_s") for r in records)
    foot = '<td colspan="5">all materializations</td>'
    foot += _seconds_cell(duration) + _money_cells(totals)
    headers = (
        *("run", "asset", "partition", "platform", "started (UTC)", "duration (s)"),
        *COST_HEADERS,
    )
    return f"<section><h2>Materializations</h2>{_table('records', headers, rows, foot)}</section>"
