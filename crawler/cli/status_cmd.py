"""`nianbao status`: what the corpus holds: fetches, documents, reports, errors, runs, blocked hosts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from storage.models import CrawlRun, Document, Fetch, Report, Site


def _table(title: str, columns: list[str], rows: list[tuple]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


@app.command("status")
def status(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(None, "--job", help="Only fetches and runs of this job."),
    errors: int = typer.Option(10, "--errors", help="How many recent errors to list."),
) -> None:
    """Summarise what is stored: fetches by status, documents by kind, reports by year and template."""
    storage = open_corpus(db, data_dir)
    console = Console(width=160)
    with storage.session() as session:
        fetch_filter = [Fetch.job == job] if job else []
        by_status = session.execute(
            select(Fetch.status, func.count()).where(*fetch_filter).group_by(Fetch.status).order_by(Fetch.status)
        ).all()
        console.print(_table("Fetches by status", ["status", "fetches"],
                             [("error" if s is None else s, n) for s, n in by_status]))
        by_kind = session.execute(
            select(Document.kind, func.count(), func.sum(func.length(Document.text)))
            .group_by(Document.kind).order_by(Document.kind)
        ).all()
        console.print(_table("Documents by kind", ["kind", "documents", "characters"], by_kind))
        by_year = session.execute(
            select(Report.year, Report.template, func.count(), func.sum(Report.checks_failed))
            .group_by(Report.year, Report.template).order_by(Report.year, Report.template)
        ).all()
        console.print(_table("Reports by year and template", ["year", "template", "reports", "failed checks"],
                             by_year))
        clusters = session.scalar(select(func.count(func.distinct(Report.cluster_id))))
        total_reports = session.scalar(select(func.count()).select_from(Report))
        console.print(f"reports: {total_reports}; dedup clusters: {clusters or 0}")
        recent = session.execute(
            select(Fetch.fetched_at, Fetch.url, Fetch.error).where(Fetch.error.is_not(None), *fetch_filter)
            .order_by(Fetch.fetched_at.desc()).limit(errors)
        ).all()
        if recent:
            console.print(_table("Recent errors", ["when", "url", "error"],
                                 [(w.strftime("%Y-%m-%d %H:%M:%S") if w else "", u, e) for w, u, e in recent]))
        doc_errors = session.execute(
            select(Document.url, Document.error).where(Document.error.is_not(None)).limit(errors)
        ).all()
        if doc_errors:
            console.print(_table("Documents with extraction errors", ["url", "error"], doc_errors))
        blocked = session.execute(
            select(Site.host, Site.blocked_at, Site.block_reason).where(Site.blocked_at.is_not(None))
        ).all()
        if blocked:
            console.print(_table("Blocked hosts", ["host", "since", "reason"], blocked))
        run_filter = [CrawlRun.job == job] if job else []
        runs = session.execute(
            select(CrawlRun.id, CrawlRun.job, CrawlRun.status, CrawlRun.started_at, CrawlRun.finished_at)
            .where(*run_filter).order_by(CrawlRun.id.desc()).limit(10)
        ).all()
        if runs:
            console.print(_table("Recent runs", ["run", "job", "status", "started", "finished"], runs))
        _discovery(console, session, run_filter)


def _discovery(console: Console, session: object, run_filter: list) -> None:
    """Per-host discovery health of the latest run, the hosts needing attention, and the browser."""
    from crawler.browser import browser_availability
    from crawler.health import HEALTH_COLUMNS, attention, discovery_health, health_rows
    from settings import default

    latest = session.scalars(  # type: ignore[attr-defined]
        select(CrawlRun).where(*run_filter).order_by(CrawlRun.id.desc()).limit(1)).first()
    health = discovery_health(latest.stats or {}) if latest is not None else {}
    if health:
        console.print(_table(f"Discovery by host (run {latest.id})", HEALTH_COLUMNS, health_rows(health)))
        for line in attention(health):
            console.print(f"attention: {line}")
    import os

    settings = {name: os.environ.get(name) or getattr(default, name, None)
                for name in ("NIANBAO_BROWSER", "NIANBAO_BROWSER_EXECUTABLE")}
    console.print(browser_availability(settings)[1])
