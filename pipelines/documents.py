"""Step 2: turn a stored body into a Document (decode, extract clean text) and link its fetch.

The CPU-bound work (textify, then the report extractor) runs in a process pool owned by this
pipeline; the record travels on the item to `ReportPipeline`, which stores it. A split article (an
item with `parts`, SiteServer `346.html`, `346_2.html` ...) becomes one Document: its pages textified,
joined in order and parsed as a whole, keyed by the ordered page hashes, linked to every page's fetch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from typing import Any, Self

from sqlalchemy import select

from extractor import EXTRACTOR_VERSION
from pipelines.base import StoragePipeline
from pipelines.items import FetchedResponse
from pipelines.limits import export_limits
from pipelines.parse import PageBody, ParsedBody, ParsePool, WorkerDied, make_pool, parse_pages
from pipelines.text.ocr import OCR_ENGINE_ENV
from pipelines.textify import DocumentText
from storage.models import Document
from storage.records import link_document_fetch, upsert_document

logger = logging.getLogger(__name__)

# Bodies that can carry a report's text.
TEXT_KINDS = frozenset({"html", "pdf", "docx", "doc", "wps", "txt", "xls", "xlsx"})
_DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd", ".txt", ".htm", ".html")


def claims_document(item: FetchedResponse) -> bool:
    """A body that is no readable kind (encrypted, corrupt) but was served as a document: it gets a Document
    recording why it could not be read, rather than no trace beside its fetch."""
    from urllib.parse import urlsplit

    path = urlsplit(item.final_url or item.url).path.lower()
    ctype = (item.headers.get("content-type") or "").lower()
    return path.endswith(_DOCUMENT_SUFFIXES) or any(
        t in ctype for t in ("pdf", "msword", "officedocument", "kswps", "ms-excel", "ofd"))


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


def joined_content_key(digests: list[str]) -> str:
    """The Document key of a split article: its page hashes, in order."""
    return hashlib.sha256(("siteserver:" + "\n".join(digests)).encode("ascii")).hexdigest()


def article_pages(item: FetchedResponse) -> tuple[list[FetchedResponse], list[dict[str, Any]]]:
    """The pages of `item` that carry text, in order (page 1 first), and the ones that are missing
    as {page, url, error}."""
    pages, missing = [item], []
    for part in item.parts:
        if part.ok and part.sha256 and part.kind in TEXT_KINDS:
            pages.append(part)
        else:
            missing.append({"page": part.page, "url": part.final_url or part.url,
                            "error": part.error or f"not a text page ({part.kind or 'empty'})"})
    return pages, missing


class DocumentPipeline(StoragePipeline):
    """One Document per distinct body; the same body from another URL only adds a link."""

    pool: ParsePool | None = None
    workers: int | None = None
    niceness: int = 0
    memory_mb: int = 0
    retries: int = 1

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        pipeline = super().from_crawler(crawler)
        value = crawler.settings.get("NIANBAO_PARSE_WORKERS")
        pipeline.workers = None if value in (None, "") else int(value)
        pipeline.niceness = crawler.settings.getint("NIANBAO_PARSE_NICENESS", 10)
        pipeline.memory_mb = crawler.settings.getint("NIANBAO_PARSE_MEMORY_MB", 0)
        pipeline.retries = crawler.settings.getint("NIANBAO_PARSE_RETRIES", 1)
        export_limits(crawler.settings)  # the workers read the caps from the environment
        engine = crawler.settings.get("NIANBAO_OCR_ENGINE")
        if engine:  # the parse workers (started in open_spider) take it from the environment
            os.environ[OCR_ENGINE_ENV] = str(engine)
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        self.pool = make_pool(self.workers, self.niceness, memory_mb=self.memory_mb, retries=self.retries,
                              stats=self.stats)

    def close_spider(self, spider: Any = None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse) or not item.ok:
            return item
        if item.kind not in TEXT_KINDS and not claims_document(item):
            return item
        assert item.sha256 is not None and item.fetch_id is not None
        version = textify_version()
        pages, missing = article_pages(item)
        links = [(page.fetch_id, page.page) for page in pages]
        content_key = joined_content_key([p.sha256 or "" for p in pages]) if item.parts else item.sha256

        def link_all(session: Any, document_id: int) -> None:
            for fetch_id, number in links:
                if fetch_id is not None:
                    link_document_fetch(session, document_id, fetch_id, page=number)

        def existing(session: Any) -> tuple[int | None, bool]:
            document = session.scalars(select(Document).where(Document.content_key == content_key)).one_or_none()
            if document is None or document.extractor_version != version:
                return None, False
            link_all(session, document.id)
            return document.id, document.parsed_with == EXTRACTOR_VERSION

        document_id, settled = self.storage.run(existing)
        if document_id is not None and settled:
            item.document_id = document_id
            return item

        url = item.final_url or item.url
        try:
            parsed = await self._parse(pages, missing)
        except Exception as exc:  # noqa: BLE001 - recorded on the Document, counted, never dropped
            logger.error("%s: parsing failed: %s", url, exc)
            self.stats.inc_value("nianbao/documents/parse_failed")
            reason = str(exc) if isinstance(exc, WorkerDied) else f"parsing failed ({type(exc).__name__}: {exc})"
            parsed = ParsedBody(DocumentText(item.kind or "other", "", extractor="none", error=reason,
                                             quality={"parse_failed": True}), None)
        text = parsed.text
        if text.error:
            logger.warning("%s: %s", url, text.error)
            self.stats.inc_value("nianbao/documents/errors")
        if parsed.record is None and not text.quality.get("parse_failed"):
            logger.error("%s: the report extractor failed on this document", url)
            self.stats.inc_value("nianbao/reports/extractor_errors")
        values = document_values(text, raw_sha256=item.sha256, url=url)
        values["parsed_with"] = EXTRACTOR_VERSION if parsed.record is not None else None

        failed = bool(text.quality.get("parse_failed"))

        def store(session: Any) -> int:
            if failed:  # a failed re-parse never replaces text stored by an earlier one
                row = session.scalars(select(Document).where(Document.content_key == content_key)).one_or_none()
                if row is not None:
                    link_all(session, row.id)
                    return row.id
            document, _changed = upsert_document(session, content_key=content_key, values=values)
            link_all(session, document.id)
            return document.id

        item.document_id = self.storage.run(store)
        item.record = parsed.record
        self.stats.inc_value(f"nianbao/documents/{text.kind}")
        if item.parts:
            self.stats.inc_value("nianbao/documents/joined_pages", len(pages))
        return item

    async def _parse(self, pages: list[FetchedResponse], missing: list[dict[str, Any]]) -> ParsedBody:
        """Textify and parse the document's pages (one, or a split article's) in the pool."""
        bodies = [PageBody(p.body, p.final_url or p.url, p.headers.get("content-type"),
                           p.headers.get("content-disposition"), p.anchor_text, p.page) for p in pages]
        first = pages[0]
        context = {"seed_agency": first.agency_hint}
        if self.pool is None:
            return parse_pages(bodies, missing=missing, context=context)
        return await asyncio.wrap_future(self.pool.submit(parse_pages, bodies, missing=missing, context=context))
