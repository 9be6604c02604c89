"""`nianbao status`: what the corpus holds: fetches, documents, reports, errors, runs, sites, blocked hosts."""

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
from crawler.cli.state import status_snapshot
from storage.models import CrawlRun


def _table(title: str, columns: list[str], rows: list[tuple]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def revalidation_interval() -> Any:
    """The incremental schedule's interval as a function of now (settings module and environment)."""
    from scrapy.settings import Settings

    from crawler.addon import apply_environment
    from crawler.replay import RevalidationSchedule

    settings = Settings()
    settings.setmodule("settings.default", priority="project")
    apply_environment(settings)
    return RevalidationSchedule.from_settings(settings).interval


@app.command("status")
def status(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(None, "--job", help="Only fetches and runs of this job."),
    errors: int = typer.Option(10, "--errors", min=0, help="How many recent errors to list."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object (snake_case keys, ISO times with zone)."),
) -> None:
    """Summarise what is stored: fetches by status, documents by kind, reports by year and template."""
    storage = open_corpus(db, data_dir)
    try:
        with storage.session() as session:
            state = status_snapshot(session, job=job, errors=errors, revalidate_after=revalidation_interval())
            state["discovery"] = latest_discovery(session, job)
    finally:
        storage.dispose()
    from sqlalchemy.engine import make_url

    database = make_url(storage.config.database_url).render_as_string(hide_password=True)
    state = {"database": database, "data_dir": str(storage.config.data_dir.resolve()), **state}
    if as_json:
        typer.echo(json.dumps(state, ensure_ascii=False, indent=2))
        return
    console = Console(width=160)
    console.print(_table("Fetches by status", ["status", "fetches"], list(state["fetches"]["by_status"].items())))
    console.print(_table("Documents by kind", ["kind", "documents", "characters"],
                         [(k, v["documents"], v["characters"]) for k, v in state["documents"]["by_kind"].items()]))
    console.print(_table("Reports by year and template", ["year", "template", "reports", "failed checks"],
                         [tuple(r.values()) for r in state["reports"]["by_year"]]))
    console.print(f"reports: {state['reports']['total']}; dedup clusters: {state['reports']['clusters']}")
    if state["recent_errors"]:
        console.print(_table("Recent errors", ["when", "url", "error"],
                             [tuple(r.values()) for r in state["recent_errors"]]))
    if state["document_errors"]:
        console.print(_table("Documents with extraction errors", ["url", "error"],
                             [tuple(r.values()) for r in state["document_errors"]]))
    if state["blocked_hosts"]:
        console.print(_table("Blocked hosts", ["host", "since", "reason"],
                             [(h, b["since"], b["reason"]) for h, b in state["blocked_hosts"].items()]))
    if state["runs"]:
        console.print(_table("Recent runs", ["run", "job", "status", "started", "finished", "failures"],
                             [(r["id"], r["job"], r["status"], r["started_at"], r["finished_at"], r["failures"])
                              for r in state["runs"]]))
    _print_discovery(console, state["discovery"])
    console.print("per site: `nianbao sites`")


def latest_discovery(session: object, job: str | None) -> dict[str, Any]:
    """Per-host discovery health of the latest run, the hosts needing attention, and whether the
    browser can run here (crawler.health, crawler.browser)."""
    import os

    from crawler.browser import browser_availability
    from crawler.health import attention, discovery_health
    from settings import default

    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)
    if job:
        query = query.where(CrawlRun.job == job)
    latest = session.scalars(query).first()  # type: ignore[attr-defined]
    health = discovery_health(latest.stats or {}) if latest is not None else {}
    settings = {name: os.environ.get(name) or getattr(default, name, None)
                for name in ("NIANBAO_BROWSER", "NIANBAO_BROWSER_EXECUTABLE")}
    available, message = browser_availability(settings)
    return {"run": latest.id if latest is not None else None, "hosts": health,
            "attention": list(attention(health)), "browser": {"executable": available, "message": message}}


def _print_discovery(console: Console, discovery: dict[str, Any]) -> None:
    from crawler.health import HEALTH_COLUMNS, health_rows

    if discovery["hosts"]:
        console.print(_table(f"Discovery by host (run {discovery['run']})", HEALTH_COLUMNS,
                             health_rows(discovery["hosts"])))
    for line in discovery["attention"]:
        console.print(f"attention: {line}")
    console.print(discovery["browser"]["message"])
