"""The coverage report as one self-contained HTML file: inline SVG charts and a little inline script,
no external file, font or CDN, so it opens offline and can be mailed or archived as it is.

Charts: the agency × year heat map, reports per year by template, failed identity checks by year,
field completeness; then the blocked and failing hosts. The script adds row filtering and marks the
page (`data-charts-rendered` on <body>) once it has counted the charts it finds drawn.
"""

from __future__ import annotations

from html import escape
from typing import Any

from storage.coverage import (
    STATUSES,
    Ledger,
    failed_checks_by_year,
    field_completeness,
    reports_by_year_template,
    summarise,
)

COLOURS = {"found": "#2e7d32", "late": "#f9a825", "unknown": "#90a4ae", "removed": "#c62828", "missing": "#eeeeee"}
TEMPLATE_COLOURS = {"pre2019": "#6d4c41", "2019": "#1565c0", "2021": "#00897b", "unknown": "#9e9e9e"}
_FONT = "font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif"


def _legend(items: dict[str, str], x: int, y: int) -> str:
    out = []
    for i, (label, colour) in enumerate(items.items()):
        out.append(f'<rect x="{x + i * 95}" y="{y}" width="12" height="12" fill="{colour}" stroke="#999"/>'
                   f'<text x="{x + i * 95 + 16}" y="{y + 11}" font-size="12">{escape(label)}</text>')
    return "".join(out)


def heatmap(ledger: Ledger) -> str:
    cell, left, top = 22, 240, 44
    width = max(left + cell * len(ledger.years) + 40, left + 95 * len(COLOURS))
    height = top + cell * len(ledger.agencies) + 40
    parts = [f'<svg class="chart" id="heatmap" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" style="{_FONT}" role="img" aria-label="coverage heat map">']
    for j, year in enumerate(ledger.years):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x}" y="{top - 4}" font-size="10" text-anchor="start" '
                     f'transform="rotate(-60 {x} {top - 4})">{year}</text>')
    index = {(c.agency, c.year): c for c in ledger.cells}
    for i, agency in enumerate(ledger.agencies):
        y = top + i * cell
        parts.append(f'<g class="agency-row" data-agency="{escape(agency)}">'
                     f'<text x="{left - 6}" y="{y + cell * 0.7}" font-size="12" text-anchor="end">{escape(agency)}</text>')
        for j, year in enumerate(ledger.years):
            c = index[(agency, year)]
            tip = f"{agency} {year}: {c.status}"
            if c.report_key:
                tip += f" · {c.report_key}"
            if c.published:
                tip += f" · published {c.published} (deadline {c.deadline})"
            if c.removed_at:
                tip += f" · removed {c.removed_at[:10]}"
            parts.append(f'<rect class="cell {c.status}" x="{left + j * cell}" y="{y}" width="{cell - 2}" '
                         f'height="{cell - 2}" fill="{COLOURS[c.status]}"><title>{escape(tip)}</title></rect>')
        parts.append("</g>")
    parts.append(_legend(COLOURS, left, height - 24))
    parts.append("</svg>")
    return "".join(parts)


def _bars(chart_id: str, label: str, series: dict[Any, dict[str, float]], colours: dict[str, str],
          unit: str = "") -> str:
    """Stacked vertical bars: one bar per key, one segment per series name."""
    keys = list(series)
    peak = max((sum(v.values()) for v in series.values()), default=0) or 1
    bar, gap, left, top, plot = 26, 6, 40, 20, 180
    width = max(left + (bar + gap) * max(len(keys), 1) + 20, left + 95 * len(colours))
    height = top + plot + 60
    parts = [f'<svg class="chart" id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" style="{_FONT}" role="img" aria-label="{escape(label)}">',
             f'<line x1="{left}" y1="{top + plot}" x2="{width - 10}" y2="{top + plot}" stroke="#555"/>',
             f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{peak:g}{unit}</text>']
    for i, key in enumerate(keys):
        x = left + i * (bar + gap)
        y = top + plot
        for name, value in series[key].items():
            if not value:
                continue
            h = plot * value / peak
            y -= h
            parts.append(f'<rect class="bar" x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" '
                         f'fill="{colours.get(name, "#777")}"><title>{escape(f"{key} {name}: {value:g}{unit}")}</title></rect>')
        parts.append(f'<text x="{x + bar / 2}" y="{top + plot + 14}" font-size="10" text-anchor="middle">{escape(str(key))}</text>')
    parts.append(_legend(colours, left, height - 22))
    parts.append("</svg>")
    return "".join(parts)


def completeness_chart(rows: list[tuple[str, str, int, int]]) -> str:
    bar_w, left, line = 300, 230, 20
    height = 20 + line * len(rows)
    parts = [f'<svg class="chart" id="completeness" xmlns="http://www.w3.org/2000/svg" width="{left + bar_w + 80}" '
             f'height="{height}" style="{_FONT}" role="img" aria-label="field completeness">']
    for i, (group, template, filled, cells) in enumerate(rows):
        y = 10 + i * line
        share = filled / cells if cells else 0
        parts.append(f'<text x="{left - 6}" y="{y + 13}" font-size="12" text-anchor="end">{escape(group)} ({escape(template)})</text>'
                     f'<rect x="{left}" y="{y}" width="{bar_w}" height="{line - 5}" fill="#eeeeee"/>'
                     f'<rect class="bar" x="{left}" y="{y}" width="{bar_w * share:.1f}" height="{line - 5}" fill="#1565c0">'
                     f'<title>{escape(f"{group} {template}: {filled} of {cells} cells")}</title></rect>'
                     f'<text x="{left + bar_w + 6}" y="{y + 13}" font-size="12">{share:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


_SCRIPT = """
(function () {
  var charts = document.querySelectorAll('svg.chart');
  var drawn = 0;
  charts.forEach(function (svg) { if (svg.querySelector('rect') && svg.getBBox().width > 0) { drawn += 1; } });
  document.body.setAttribute('data-charts-rendered', String(drawn));
  document.getElementById('render-status').textContent = drawn + ' of ' + charts.length + ' charts drawn';
  var filter = document.getElementById('agency-filter');
  filter.addEventListener('input', function () {
    var q = filter.value.trim();
    document.querySelectorAll('#heatmap .agency-row').forEach(function (g) {
      g.style.opacity = (!q || g.getAttribute('data-agency').indexOf(q) >= 0) ? '1' : '0.15';
    });
  });
})();
"""


def render_html(ledger: Ledger, *, title: str = "nianbao coverage") -> str:
    summary = summarise(ledger)
    counts = summary["counts"]
    by_template = reports_by_year_template(ledger)
    checks = failed_checks_by_year(ledger)
    completeness = field_completeness(ledger)
    templates = sorted({t for c in by_template.values() for t in c}, key=lambda t: list(TEMPLATE_COLOURS).index(t)
                       if t in TEMPLATE_COLOURS else 99)
    template_series = {y: {t: float(c.get(t, 0)) for t in templates} for y, c in by_template.items()}
    check_series = {y: {"failed": float(f), "passed": float(n - f)} for y, (f, n) in checks.items()}
    hosts = "".join(
        f"<tr><td>{escape(h['host'])}</td><td>{h['fetches']}</td><td>{h['failed']}</td>"
        f"<td>{escape(h['blocked_at'] or '')}</td><td>{escape(h['block_reason'] or '')}</td></tr>"
        for h in ledger.hosts) or '<tr><td colspan="5">none</td></tr>'
    listing = "".join(
        f"<tr class='{c.status}'><td>{escape(c.agency)}</td><td>{c.year}</td><td>{c.status}</td>"
        f"<td>{escape(c.report_key or '')}</td><td>{c.published or ''}</td><td>{c.deadline or ''}</td>"
        f"<td>{escape((c.removed_at or '')[:10])}</td></tr>"
        for c in ledger.cells if c.status != "found")
    count_text = " · ".join(f"<span class='count {s}'>{s}: {counts[s]}</span>" for s in STATUSES)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>
body {{ {_FONT}; margin: 24px; color: #222; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; font-size: 12px; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; }}
.count {{ margin-right: 8px; }} .late td {{ background: #fff8e1; }} .removed td {{ background: #ffebee; }}
.scroll {{ overflow-x: auto; }}
</style>
</head>
<body data-charts-rendered="0">
<h1>{escape(title)}</h1>
<p>{summary['agencies']} agencies × years {summary['first_year']}–{summary['last_year']}: {count_text}.
Reports without agency or year (not placed): {summary['unplaced_reports']}. <span id="render-status">charts not drawn (script off)</span></p>
<p>Deadlines: reports on years before 2019, 31 March of the next year; from 2019 on, 31 January for departments
and 31 March for governments (人民政府).</p>
<h2>Coverage: agency × year</h2>
<p><label>Filter agencies: <input id="agency-filter" type="search"></label></p>
<div class="scroll">{heatmap(ledger)}</div>
<h2>Reports per year by template</h2>
{_bars("by-template", "reports per year by template", template_series, TEMPLATE_COLOURS)}
<h2>Failed identity checks by year (reports with at least one failing identity)</h2>
{_bars("checks", "failed identity checks by year", check_series, {"failed": "#c62828", "passed": "#a5d6a7"})}
<h2>Field completeness (non-null cells of the cells each template has)</h2>
{completeness_chart(completeness)}
<h2>Blocked and failing hosts</h2>
<table id="hosts"><tr><th>host</th><th>fetches</th><th>failed</th><th>blocked at</th><th>reason</th></tr>{hosts}</table>
<h2>Cells not found on time</h2>
<table id="gaps"><tr><th>agency</th><th>year</th><th>status</th><th>report key</th><th>published</th><th>deadline</th><th>removed</th></tr>{listing}</table>
<script>{_SCRIPT}</script>
</body>
</html>
"""
