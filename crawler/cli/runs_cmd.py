"""`nianbao runs`: the history of crawl runs (nightly or not): what each fetched, found, changed, lost."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from storage.models import CrawlRun

# column -> the run counter it shows (crawler stats under nianbao/, summed over the run's workers)
COLUMNS = {
    "fetched": "fetches/stored",
    "304": "incremental/not_modified",
    "not due": "incremental/not_due",
    "new reports": "incremental/new_reports",
    "changed": "incremental/changed_reports",
    "removed": "incremental/removed",
    "errors": "fetches/errors",
}


def run_row(run: CrawlRun) -> dict[str, Any]:
    """One run as a flat record (what `nianbao runs --json` prints)."""
    stats = run.stats or {}
    row: dict[str, Any] = {
        "id": run.id, "job": run.job, "status": run.status,
        "started": _iso(run.started_at), "ended": _iso(run.finished_at),
        "sites": stats.get("sites", len(run.seeds or [])),
        "workers": len(stats.get("workers") or {}) or None,
    }
    for column, counter in COLUMNS.items():
        row[column] = stats.get(counter, 0)
    return row


def run_discovery(run: CrawlRun) -> dict[str, Any]:
    """Per-host discovery health of a run (crawler.health), for `runs --json`."""
    from crawler.health import discovery_health

    return discovery_health(run.stats or {})


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else None


@app.command("runs")
def runs(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(None, "--job", help="Only runs of this job (e.g. nightly)."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many recent runs."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines instead of a table."),
) -> None:
    """List crawl runs: start, end, sites, pages fetched, 304s, new / changed / removed reports, errors."""
    storage = open_corpus(db, data_dir)
    with storage.session() as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if job:
            query = query.where(CrawlRun.job == job)
        runs_found = list(session.scalars(query))
        rows = [run_row(run) for run in runs_found]
        discovery = [run_discovery(run) for run in runs_found]
    if as_json:
        for row, hosts in zip(rows, discovery, strict=True):
            row["discovery"] = hosts
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        row.pop("discovery", None)
    table = Table(title="Crawl runs", title_justify="left")
    columns = list(rows[0]) if rows else ["id", "job", "status", "started", "ended", "sites", "workers", *COLUMNS]
    for column in columns:
        table.add_column(column, justify="right" if column not in ("job", "status", "started", "ended") else "left")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    Console(width=200).print(table)
