"""`nianbao runs`: the history of crawl runs (nightly or not): what each fetched, found, changed, lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from crawler.cli.state import RUN_COUNTERS, run_row
from storage.models import CrawlRun

COLUMNS = ["id", "job", "status", "started_at", "finished_at", "sites", "workers", *RUN_COUNTERS]


def run_discovery(run: CrawlRun) -> dict[str, Any]:
    """Per-host discovery health of a run (crawler.health), for `runs --json`."""
    from crawler.health import discovery_health

    return discovery_health(run.stats or {})


@app.command("runs")
def runs(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(None, "--job", help="Only runs of this job (e.g. nightly)."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many recent runs."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines (snake_case keys, ISO times with zone)."),
) -> None:
    """List crawl runs: start, end, sites, pages fetched, 304s, new / changed / removed reports, errors."""
    storage = open_corpus(db, data_dir)
    try:
        with storage.session() as session:
            query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
            if job:
                query = query.where(CrawlRun.job == job)
            runs_found = list(session.scalars(query))
            rows = [run_row(run) for run in runs_found]
            discovery = [run_discovery(run) for run in runs_found]
    finally:
        storage.dispose()
    if as_json:
        for row, hosts in zip(rows, discovery, strict=True):
            row["discovery"] = hosts
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        row.pop("discovery", None)
    table = Table(title="Crawl runs", title_justify="left")
    for column in COLUMNS:
        table.add_column(column.replace("_", " "),
                         justify="left" if column in ("job", "status", "started_at", "finished_at") else "right")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in COLUMNS))
    Console(width=220).print(table)
