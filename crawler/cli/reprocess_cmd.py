"""`nianbao reprocess [--kind pdf] [--since DATE]`: re-run textify and the report extractor over the
raw bodies already stored, without fetching anything. Idempotent: a Document or Report is written only
when a value changed, so a second run changes nothing. A split article (SiteServer `_2 .. _n` pages) is
re-joined from its stored page bodies, in page order, like the crawl joined it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import exists, select

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from pipelines.parse import PageBody as Page
from pipelines.parse import ParsePool, make_pool

BATCH = 32
DOCUMENT_KINDS = frozenset({"html", "pdf", "docx", "doc", "wps", "txt", "xls", "xlsx", "ofd", "image", "other"})


@dataclass
class Job:
    document_id: int
    content_key: str
    raw_sha256: str
    url: str
    pages: list[Page]
    seed_agency: str | None = None
    missing: list[dict[str, Any]] | None = None  # pages of a split article the crawl could not fetch


@dataclass
class Outcome:
    scanned: int = 0
    documents_changed: int = 0
    reports_changed: int = 0
    reports_new: int = 0
    not_reports: int = 0
    errors: int = 0
    missing_raw: int = 0
    messages: list[str] = field(default_factory=list)


def reparse(job: Job) -> tuple[int, Any, dict[str, Any] | None]:
    """Worker: textify every page of a document (joined in order) and run the report extractor."""
    from pipelines.parse import parse_pages

    parsed = parse_pages(job.pages, missing=job.missing, context={"seed_agency": job.seed_agency})
    return job.document_id, parsed.text, parsed.record


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--since wants a date like 2024-01-31, got {value!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _select_ids(storage: Any, kind: str | None, since: datetime | None, limit: int | None) -> list[int]:
    from storage.models import Document, DocumentFetch, Fetch

    query = select(Document.id).order_by(Document.id)
    if kind:
        query = query.where(Document.kind == kind)
    if since is not None:
        query = query.where(exists(
            select(DocumentFetch.document_id).join(Fetch, Fetch.id == DocumentFetch.fetch_id)
            .where(DocumentFetch.document_id == Document.id, Fetch.fetched_at >= since)
        ))
    if limit:
        query = query.limit(limit)
    with storage.session() as session:
        return list(session.scalars(query))


def _load_jobs(storage: Any, ids: list[int], outcome: Outcome) -> list[Job]:
    from storage.models import Document, DocumentFetch, Fetch, Site

    jobs: list[Job] = []
    with storage.session() as session:
        for document in session.scalars(select(Document).where(Document.id.in_(ids)).order_by(Document.id)):
            links = session.execute(
                select(DocumentFetch.page, Fetch).join(Fetch, Fetch.id == DocumentFetch.fetch_id)
                .where(DocumentFetch.document_id == document.id).order_by(DocumentFetch.page, Fetch.fetched_at)
            ).all()
            by_page: dict[int, Any] = {}
            for page, fetch in links:  # one fetch per page: the newest observation of it
                by_page[page] = fetch
            numbers = sorted(by_page)
            fetches = [by_page[p] for p in numbers]
            pages: list[Page] = []
            digests = [f.sha256 for f in fetches] if fetches else [document.raw_sha256]
            missing = [d for d in digests if not d or d not in storage.raw]
            if missing:
                outcome.missing_raw += 1
                outcome.messages.append(f"{document.url}: raw body {missing[0]} is not in the raw store; skipped")
                continue
            if fetches:
                for number, f in zip(numbers, fetches, strict=True):
                    pages.append(Page(storage.raw.get(f.sha256), f.final_url or f.url,
                                      _header(f.headers, "content-type") or f.content_type,
                                      _header(f.headers, "content-disposition"), f.anchor_text, number))
            else:
                pages.append(Page(storage.raw.get(document.raw_sha256), document.url, None, None, None))
            site_agency = None
            if fetches and fetches[0].site_id is not None:
                site = session.get(Site, fetches[0].site_id)
                site_agency = site.agency if site else None
            jobs.append(Job(document.id, document.content_key, document.raw_sha256, document.url, pages,
                            site_agency, (document.quality or {}).get("missing_pages")))
    return jobs


def _store(storage: Any, job: Job, text: Any, record: dict[str, Any] | None, outcome: Outcome) -> None:
    from extractor import EXTRACTOR_VERSION
    from extractor.classify import classify
    from pipelines.documents import document_values
    from pipelines.reports import disposition_name, report_values
    from storage.models import Report
    from storage.records import upsert_document, upsert_report

    values = document_values(text, raw_sha256=job.raw_sha256, url=job.url)
    values["parsed_with"] = EXTRACTOR_VERSION if record is not None else None
    if text.error:
        outcome.errors += 1
        outcome.messages.append(f"{job.url}: {text.error}")
    if record is None:
        outcome.messages.append(f"{job.url}: the report extractor failed on this document")
    verdict = None
    if record and record.get("is_report"):
        first = job.pages[0]
        titles = [text.title, first.anchor_text, disposition_name(first.content_disposition)]
        verdict = classify(record, titles=titles, url=job.url, context={}, seed_agency=job.seed_agency)

    def work(session: Any) -> None:
        _document, changed = upsert_document(session, content_key=job.content_key, values=values)
        outcome.documents_changed += int(changed)
        if verdict is not None and verdict.is_report:
            report_record = {**record, "agency": verdict.agency, "year": verdict.year}
            had = session.scalar(select(Report.id).where(Report.document_id == job.document_id)) is not None
            _report, r_changed = upsert_report(session, document_id=job.document_id,
                                               values=report_values(report_record, agency_hint=job.seed_agency))
            outcome.reports_changed += int(r_changed and had)
            outcome.reports_new += int(not had)
        elif session.scalar(select(Report.id).where(Report.document_id == job.document_id)) is not None:
            outcome.not_reports += 1  # kept: stored reports are never deleted by a re-run

    storage.run(work)


def _pool(workers: int | None) -> ParsePool | None:
    from pipelines.limits import limits

    return make_pool(workers, memory_mb=limits().memory_mb)


def _results(pool: ParsePool | None, jobs: list[Job], outcome: Outcome) -> Iterator[tuple[int, Any, dict[str, Any] | None]]:
    """(document_id, text, record) per job, in order. A job whose parse failed (its worker died twice,
    or an exception) is counted as an error and its stored Document left as it was."""
    futures = pool.map(reparse, jobs) if pool is not None else None
    for i, job in enumerate(jobs):
        try:
            yield futures[i].result() if futures is not None else reparse(job)
        except Exception as exc:  # noqa: BLE001 - counted and named; the stored Document is kept
            outcome.errors += 1
            outcome.scanned += 1
            outcome.messages.append(f"{job.url}: parsing failed, stored text kept ({exc})")


def reprocess_corpus(storage: Any, *, kind: str | None = None, since: datetime | None = None,
                     limit: int | None = None, workers: int | None = None, console: Console | None = None) -> Outcome:
    """Re-run textify + extractor over the stored documents selected; returns what changed."""
    outcome = Outcome()
    ids = _select_ids(storage, kind, since, limit)
    pool = _pool(workers)
    console = console or Console(stderr=True)
    columns = (TextColumn("[bold]reprocess"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
               TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("reprocess", total=len(ids), note="")
            for start in range(0, len(ids), BATCH):
                jobs = _load_jobs(storage, ids[start:start + BATCH], outcome)
                by_id = {job.document_id: job for job in jobs}
                for document_id, text, record in _results(pool, jobs, outcome):
                    _store(storage, by_id[document_id], text, record, outcome)
                    outcome.scanned += 1
                    progress.update(task, advance=1, note=f"{outcome.documents_changed} changed")
                skipped = len(ids[start:start + BATCH]) - len(jobs)
                if skipped:
                    progress.update(task, advance=skipped)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return outcome


@app.command("reprocess")
def reprocess(
    kind: str | None = typer.Option(None, "--kind", help="Only documents of this kind (pdf, html, docx, doc, wps ...)."),
    since: str | None = typer.Option(None, "--since", help="Only documents fetched on or after this date (YYYY-MM-DD)."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many documents."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: one per core; 0 inline)."),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Re-extract text and reports from stored raw bodies (no fetching); writes only what changed."""
    if kind is not None and kind not in DOCUMENT_KINDS:
        raise typer.BadParameter(f"unknown kind {kind!r}; choose from {', '.join(sorted(DOCUMENT_KINDS))}",
                                 param_hint="--kind")
    since_at = _parse_since(since)
    storage = open_corpus(db, data_dir)
    console = Console(stderr=True)
    try:
        outcome = reprocess_corpus(storage, kind=kind, since=since_at, limit=limit, workers=workers, console=console)
    finally:
        storage.dispose()
    for message in outcome.messages[:20]:
        console.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)
    if len(outcome.messages) > 20:
        console.print(f"... {len(outcome.messages) - 20} more warnings")
    typer.echo(
        f"documents: {outcome.scanned} reprocessed, {outcome.documents_changed} changed, "
        f"{outcome.missing_raw} skipped (raw body missing), {outcome.errors} with extraction errors; "
        f"reports: {outcome.reports_new} new, {outcome.reports_changed} changed, "
        f"{outcome.not_reports} no longer recognised (kept)"
    )
