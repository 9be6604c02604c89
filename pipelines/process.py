"""One path from a document's bodies to its rows, for the crawl and for `nianbao reprocess` alike.

    pages (one body, or a split article's) -> textify -> the extractor's record    (`parse_document`, a worker)
    -> the crawl's verdict (extractor.classify) -> Document, its fetch links, Report  (`store_document`)

`DocumentPipeline` builds a `DocumentSource` from a crawled item, `pipelines.reprocess` from the stored
fetches of a Document; both run `parse_document` in the parse pool and hand what it gives to
`store_document`, which writes every row in one transaction. Idempotent: a row is written only when a
value changed, and a failed parse never replaces text stored by an earlier one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractor import EXTRACTOR_VERSION
from extractor.classify import Decision, classify
from pipelines.parse import PageBody, ParsedBody, WorkerDied, parse_pages
from pipelines.reports import disposition_name, report_values
from pipelines.textify import DocumentText
from storage.db import Storage
from storage.models import Document, Report
from storage.records import link_document_fetch, upsert_document, upsert_report


@dataclass
class DocumentSource:
    """One document to process: its pages' bodies and what is known around them."""

    content_key: str  # the Document's key: the body's hash, or a split article's `joined_content_key`
    raw_sha256: str  # page 1's body
    url: str  # where page 1 was fetched from (the final URL)
    kind: str  # what page 1 was sniffed as
    pages: list[PageBody]
    fetch_links: list[tuple[int, int]] = field(default_factory=list)  # (fetch id, page number) to link
    missing: list[dict[str, Any]] | None = None  # pages of a split article that could not be fetched
    seed_agency: str | None = None
    context: dict[str, Any] | None = None  # the page around it (crawler.discovery.context)


@dataclass
class Processed:
    """What `store_document` did with one parsed document."""

    document_id: int
    text: DocumentText
    record: dict[str, Any] | None  # the extractor's record (None: not parsed, or the extractor failed)
    failed: bool = False  # the parse failed: the stored Document (if any) was kept as it was
    document_changed: bool = False
    report_id: int | None = None  # the Report written, when the crawl's verdict is "a report"
    report_record: dict[str, Any] | None = None  # the record with the crawl's agency and year
    report_new: bool = False
    report_changed: bool = False
    rejected: str | None = None  # why the crawl judged a parsed report to be none
    report_kept: bool = False  # a stored Report the new parse does not recognise (never deleted)


def parse_document(source: DocumentSource) -> ParsedBody:
    """In a parse worker: textify the pages, join them in order and run the report extractor."""
    return parse_pages(source.pages, missing=source.missing, context={"seed_agency": source.seed_agency})


def failed_parse(source: DocumentSource, exc: BaseException) -> ParsedBody:
    """What a parse that raised (or killed its worker twice) leaves: no text, the reason as the error."""
    reason = str(exc) if isinstance(exc, WorkerDied) else f"parsing failed ({type(exc).__name__}: {exc})"
    text = DocumentText(
        source.kind or "other", "", extractor="none", error=reason, quality={"parse_failed": True}
    )
    return ParsedBody(text, None)


def textify_version() -> str:
    from pipelines import textify as module

    return str(getattr(module, "TEXTIFY_VERSION", "1"))


def document_values(text: DocumentText, *, raw_sha256: str, url: str) -> dict[str, Any]:
    """The Document columns for one textify result."""
    body = text.text or ""
    return {
        "raw_sha256": raw_sha256,
        "kind": text.kind,
        "url": url,
        "title": text.title,
        "published": text.published,
        "encoding": text.encoding,
        "encoding_evidence": text.encoding_evidence,
        "text": body,
        "text_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "extractor": text.extractor,
        "extractor_version": textify_version(),
        "quality": text.quality or {},
        "error": text.error,
    }


def crawl_verdict(source: DocumentSource, parsed: ParsedBody) -> Decision | None:
    """The crawl's verdict on a record the extractor calls a report (news items, list pages mentioning
    reports and distractors are none), judged with the title the parse produced; None for no report."""
    record = parsed.record
    if not record or not record.get("is_report"):
        return None
    first = source.pages[0]
    context = source.context or {}
    titles = [
        parsed.text.title,
        first.anchor_text,
        disposition_name(first.content_disposition),
        context.get("h1") if source.kind == "html" else None,
    ]
    return classify(record, titles=titles, url=source.url, context=context, seed_agency=source.seed_agency)


def settled_document(storage: Storage, source: DocumentSource) -> int | None:
    """The Document already made from these bodies by this textify and this extractor (its fetches
    linked), so nothing needs parsing; None when it is to be made or made again."""
    version = textify_version()

    def find(session: Session) -> int | None:
        row = session.execute(  # the versions only: not the stored text
            select(Document.id, Document.extractor_version, Document.parsed_with).where(
                Document.content_key == source.content_key
            )
        ).one_or_none()
        if row is None or row.extractor_version != version or row.parsed_with != EXTRACTOR_VERSION:
            return None
        _link(session, row.id, source.fetch_links)
        return row.id

    return storage.run(find)


def store_document(storage: Storage, source: DocumentSource, parsed: ParsedBody) -> Processed:
    """Write the Document, its fetch links and (when the verdict is "a report") its Report in one
    transaction. A failed parse only links the fetches of a stored Document; stored Reports are never
    deleted."""
    text, record = parsed.text, parsed.record
    failed = bool(text.quality.get("parse_failed"))
    values = document_values(text, raw_sha256=source.raw_sha256, url=source.url)
    values["parsed_with"] = EXTRACTOR_VERSION if record is not None else None
    verdict = crawl_verdict(source, parsed)
    report_record = (
        {**record, "agency": verdict.agency, "year": verdict.year}
        if record and verdict and verdict.is_report
        else None
    )

    def write(session: Session) -> Processed:
        if failed and (row := _stored(session, source.content_key)) is not None:
            _link(session, row.id, source.fetch_links)
            return Processed(row.id, text, None, failed=True)
        document, changed = upsert_document(session, content_key=source.content_key, values=values)
        _link(session, document.id, source.fetch_links)
        done = Processed(
            document.id,
            text,
            record,
            failed=failed,
            document_changed=changed,
            rejected=verdict.reason if verdict is not None and not verdict.is_report else None,
        )
        had = session.scalar(select(Report.id).where(Report.document_id == document.id)) is not None
        if report_record is None:
            done.report_kept = had
            return done
        report, report_changed = upsert_report(
            session,
            document_id=document.id,
            values=report_values(report_record, agency_hint=source.seed_agency),
        )
        done.report_id, done.report_record = report.id, report_record
        done.report_new, done.report_changed = not had, report_changed and had
        return done

    return storage.run(write)


def _stored(session: Session, content_key: str) -> Document | None:
    return session.scalars(select(Document).where(Document.content_key == content_key)).one_or_none()


def _link(session: Session, document_id: int, links: list[tuple[int, int]]) -> None:
    for fetch_id, page in links:
        link_document_fetch(session, document_id, fetch_id, page=page)
