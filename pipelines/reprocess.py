"""Re-run textify and the report extractor over the raw bodies already stored, without fetching anything
(`nianbao reprocess`): each selected Document is rebuilt from its stored pages through the crawl's own
path (`pipelines.process`) and parse pool settings. Idempotent: a Document or Report is written only when
a value changed, so a second run changes nothing. A split article (SiteServer `_2 .. _n` pages) is
re-joined from its stored page bodies, in page order (`document_fetches.page`), like the crawl joined it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pipelines.parse import PageBody, ParsedBody, ParseSettings, make_pool
from pipelines.process import DocumentSource, Processed, parse_document, store_document
from storage.db import Storage
from storage.models import Document, DocumentFetch, Fetch, Site

BATCH = 32  # documents loaded (bodies in memory) and handed to the pool at a time


@dataclass
class Outcome:
    """What a reprocess run did; `messages` name the documents with problems."""

    scanned: int = 0
    documents_changed: int = 0
    reports_changed: int = 0
    reports_new: int = 0
    not_reports: int = 0
    errors: int = 0
    missing_raw: int = 0
    messages: list[str] = field(default_factory=list)

    def count(self, source: DocumentSource, done: Processed) -> None:
        """Add one stored document's result."""
        self.scanned += 1
        self.documents_changed += int(done.document_changed)
        if done.text.error:
            self.errors += 1
            self.messages.append(f"{source.url}: {done.text.error}")
        if done.record is None:
            self.messages.append(f"{source.url}: the report extractor failed on this document")
        self.reports_new += int(done.report_new)
        self.reports_changed += int(done.report_changed)
        self.not_reports += int(done.report_kept)  # kept: stored reports are never deleted by a re-run

    def parse_failed(self, source: DocumentSource, exc: Exception) -> None:
        """A document whose parse failed (its worker died twice, or an exception): its stored rows are kept."""
        self.scanned += 1
        self.errors += 1
        self.messages.append(f"{source.url}: parsing failed, stored text kept ({exc})")


def select_documents(
    storage: Storage, *, kind: str | None = None, since: datetime | None = None, limit: int | None = None
) -> list[int]:
    """Ids of the Documents to reprocess, in order: of `kind`, fetched on or after `since`, at most `limit`."""
    query = select(Document.id).order_by(Document.id)
    if kind:
        query = query.where(Document.kind == kind)
    if since is not None:
        query = query.where(
            exists(
                select(DocumentFetch.document_id)
                .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
                .where(DocumentFetch.document_id == Document.id, Fetch.fetched_at >= since)
            )
        )
    if limit:
        query = query.limit(limit)
    with storage.session() as session:
        return list(session.scalars(query))


def load_sources(storage: Storage, ids: list[int], outcome: Outcome) -> list[DocumentSource]:
    """The stored Documents `ids` as sources: each page's newest fetch and its raw body. A Document
    whose raw body is gone from the raw store is skipped and named in `outcome`."""
    sources: list[DocumentSource] = []
    with storage.session() as session:
        for document in session.scalars(select(Document).where(Document.id.in_(ids)).order_by(Document.id)):
            try:
                sources.append(_source(session, storage, document))
            except RawBodyMissing as exc:
                outcome.missing_raw += 1
                outcome.messages.append(f"{document.url}: raw body {exc} is not in the raw store; skipped")
    return sources


class RawBodyMissing(LookupError):
    """A page's raw body (this hash) is not in the raw store."""


def _source(session: Session, storage: Storage, document: Document) -> DocumentSource:
    """The source of one stored Document; raises RawBodyMissing."""
    links = session.execute(
        select(DocumentFetch.page, Fetch)
        .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
        .where(DocumentFetch.document_id == document.id)
        .order_by(DocumentFetch.page, Fetch.fetched_at)
    ).all()
    by_page: dict[int, Fetch] = {}
    for page, fetch in links:  # one fetch per page: the newest observation of it
        by_page[page] = fetch
    numbers = sorted(by_page)
    fetches = [by_page[p] for p in numbers]
    digests = [f.sha256 for f in fetches] if fetches else [document.raw_sha256]
    missing = [d for d in digests if not d or d not in storage.raw]
    if missing:
        raise RawBodyMissing(missing[0])
    if fetches:
        pages = [
            PageBody(
                storage.raw.get(f.sha256),
                f.final_url or f.url,
                _header(f.headers, "content-type") or f.content_type,
                _header(f.headers, "content-disposition"),
                f.anchor_text,
                number,
            )
            for number, f in zip(numbers, fetches, strict=True)
        ]
    else:
        pages = [PageBody(storage.raw.get(document.raw_sha256), document.url)]
    site = session.get(Site, fetches[0].site_id) if fetches and fetches[0].site_id is not None else None
    return DocumentSource(
        content_key=document.content_key,
        raw_sha256=document.raw_sha256,
        url=document.url,
        kind=document.kind,
        pages=pages,
        missing=(document.quality or {}).get("missing_pages"),
        seed_agency=site.agency if site else None,
    )


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def reprocess_corpus(
    storage: Storage,
    ids: list[int],
    *,
    parse_settings: ParseSettings | None = None,
    on_progress: Callable[[int, Outcome], None] | None = None,
) -> Outcome:
    """Re-run textify + extractor over the stored documents `ids` (`select_documents`), in a parse pool
    run like the crawl's (`parse_settings`); returns what changed. `on_progress(documents done, outcome)`
    follows the run."""
    outcome = Outcome()
    pool = make_pool(parse_settings or ParseSettings())
    try:
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            sources = load_sources(storage, batch, outcome)
            stored = 0
            for source, parsed in _parsed(pool.map(parse_document, sources), sources, outcome):
                outcome.count(source, store_document(storage, source, parsed))
                stored += 1
                if on_progress is not None:
                    on_progress(1, outcome)
            if on_progress is not None and len(batch) > stored:  # skipped (raw body missing) or failed
                on_progress(len(batch) - stored, outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcome


def _parsed(
    futures: list[Future], sources: list[DocumentSource], outcome: Outcome
) -> Iterator[tuple[DocumentSource, ParsedBody]]:
    """(source, parse) per source, in order; a parse that failed is counted and its source left out."""
    for source, future in zip(sources, futures, strict=True):
        try:
            yield source, future.result()
        except Exception as exc:  # noqa: BLE001 - counted and named; the stored Document is kept
            outcome.parse_failed(source, exc)
