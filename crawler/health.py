"""Per-host discovery health: where discovery worked, and where a site needs a look.

The spider and pipelines count per host in the crawl stats, under `nianbao/hosts/<host>/<figure>`
(so they are summed over workers and kept in the run record like every other counter):

* `pages`: responses the spider parsed; `reports`: report documents stored;
* `columns`: report columns (年报 lists) seen; `suspects`: report columns that led to no report link
  by any means (links, adapters, browser): the first place to look when a site's reports are missing;
* `adapter/<name>`: requests each CMS adapter made; `rendered`: pages rendered by the browser,
  `browser_ms`: milliseconds they took.

`discovery_health(stats)` turns those counters into one record per host; `attention(health)` names
the hosts an operator should look at. The CLI shows both (status, runs --json, the crawl's summary).
"""

from __future__ import annotations

from typing import Any

from pipelines.stats import PREFIX


def discovery_health(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{host: {pages, reports, columns, suspects, adapters: {name: requests}, rendered, browser_seconds,
    pages_per_report}} from crawl stats (keys with or without the `nianbao/` prefix)."""
    hosts: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        name = key if key.startswith(PREFIX) else "nianbao/" + key
        if not name.startswith(PREFIX) or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        host, _, figure = name[len(PREFIX):].partition("/")
        if not host or not figure:
            continue
        row = hosts.setdefault(host, {"pages": 0, "reports": 0, "columns": 0, "suspects": 0, "adapters": {},
                                      "rendered": 0, "browser_seconds": 0.0})
        if figure.startswith("adapter/"):
            row["adapters"][figure.removeprefix("adapter/")] = row["adapters"].get(figure.removeprefix("adapter/"), 0) + value
        elif figure == "browser_ms":
            row["browser_seconds"] = round(row["browser_seconds"] + value / 1000.0, 2)
        elif figure in row:
            row[figure] += value
    for row in hosts.values():
        row["suspects"] = min(row["suspects"], row["columns"]) if row["columns"] else row["suspects"]
        row["pages_per_report"] = round(row["pages"] / row["reports"], 2) if row["reports"] else None
        row["seconds_per_render"] = round(row["browser_seconds"] / row["rendered"], 2) if row["rendered"] else None
    return dict(sorted(hosts.items()))


def attention(health: dict[str, dict[str, Any]]) -> list[str]:
    """One line per host that needs a look: no report found, or report columns that gave none."""
    lines = []
    for host, row in health.items():
        if row["reports"] == 0:
            lines.append(f"{host}: no report found in {row['pages']} pages"
                         + (f" ({row['suspects']} report column(s) gave no report link)" if row["suspects"] else ""))
        elif row["suspects"]:
            lines.append(f"{host}: {row['suspects']} of {row['columns']} report column(s) gave no report link")
    return lines


def health_rows(health: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Table rows: host, pages, reports, pages/report, columns, suspects, rendered, browser s, adapters."""
    return [(host, r["pages"], r["reports"], r["pages_per_report"] or "", r["columns"], r["suspects"], r["rendered"],
             r["browser_seconds"], ", ".join(f"{k}:{v}" for k, v in sorted(r["adapters"].items())))
            for host, r in health.items()]


HEALTH_COLUMNS = ["host", "pages", "reports", "pages/report", "report columns", "suspects", "rendered",
                  "browser s", "adapters"]
