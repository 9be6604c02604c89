"""`nianbao reprocess [--kind pdf] [--since DATE]`: re-run textify and the report extractor over the raw
bodies already stored, without fetching anything (the work: `pipelines.reprocess`). The parse settings
(NIANBAO_PARSE_*, the caps of pipelines.limits) come from the environment, as a crawl's would."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from pipelines.parse import ParseSettings
from pipelines.reprocess import Outcome, reprocess_corpus, select_documents

DOCUMENT_KINDS = frozenset(
    {"html", "pdf", "docx", "doc", "wps", "txt", "xls", "xlsx", "ofd", "image", "other"}
)
SHOWN_WARNINGS = 20


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--since wants a date like 2024-01-31, got {value!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_settings(workers: int | None) -> ParseSettings:
    """The crawl's parse settings as the environment sets them; `--workers` over NIANBAO_PARSE_WORKERS."""
    parse = ParseSettings.from_settings(os.environ)
    return parse if workers is None else dataclasses.replace(parse, workers=workers)


@app.command("reprocess")
def reprocess(
    kind: str | None = typer.Option(
        None, "--kind", help="Only documents of this kind (pdf, html, docx, doc, wps ...)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only documents fetched on or after this date (YYYY-MM-DD)."
    ),
    limit: int | None = typer.Option(None, "--limit", help="At most this many documents."),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes (default: one per core; 0 inline)."
    ),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Re-extract text and reports from stored raw bodies (no fetching); writes only what changed."""
    if kind is not None and kind not in DOCUMENT_KINDS:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; choose from {', '.join(sorted(DOCUMENT_KINDS))}", param_hint="--kind"
        )
    since_at = _parse_since(since)
    storage = open_corpus(db, data_dir)
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]reprocess"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeRemainingColumn(),
    )
    try:
        ids = select_documents(storage, kind=kind, since=since_at, limit=limit)
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("reprocess", total=len(ids), note="")

            def advance(done: int, outcome: Outcome) -> None:
                progress.update(task, advance=done, note=f"{outcome.documents_changed} changed")

            outcome = reprocess_corpus(
                storage, ids, parse_settings=parse_settings(workers), on_progress=advance
            )
    finally:
        storage.dispose()
    for message in outcome.messages[:SHOWN_WARNINGS]:
        console.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)
    if len(outcome.messages) > SHOWN_WARNINGS:
        console.print(f"... {len(outcome.messages) - SHOWN_WARNINGS} more warnings")
    typer.echo(
        f"documents: {outcome.scanned} reprocessed, {outcome.documents_changed} changed, "
        f"{outcome.missing_raw} skipped (raw body missing), {outcome.errors} with extraction errors; "
        f"reports: {outcome.reports_new} new, {outcome.reports_changed} changed, "
        f"{outcome.not_reports} no longer recognised (kept)"
    )
