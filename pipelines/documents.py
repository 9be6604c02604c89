"""Step 2: turn a fetched body into a Document (decode, extract clean text, parse the report) and its
Report, through `pipelines.process` like `nianbao reprocess`.

The CPU-bound work (textify, then the report extractor) runs in a process pool owned by this pipeline,
under the crawl's parse settings (`pipelines.parse.ParseSettings`); the rows are written in one
transaction. A split article (an item with `parts`, SiteServer `346.html`, `346_2.html` ...) becomes one
Document: its pages textified, joined in order and parsed as a whole, keyed by the ordered page hashes,
linked to every page's fetch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Self

from pipelines.base import StoragePipeline
from pipelines.items import FetchedResponse
from pipelines.parse import InlinePool, PageBody, ParsePool, ParseSettings, make_pool
from pipelines.process import DocumentSource, failed_parse, parse_document, settled_document, store_document

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


def document_source(item: FetchedResponse) -> DocumentSource:
    """What `pipelines.process` needs of a crawled item: its pages' bodies, its fetches, its context."""
    assert item.sha256 is not None
    pages, missing = article_pages(item)
    bodies = [PageBody(p.body, p.final_url or p.url, p.headers.get("content-type"), p.headers.get("content-disposition"),
                       p.anchor_text, p.page) for p in pages]
    return DocumentSource(
        content_key=joined_content_key([p.sha256 or "" for p in pages]) if item.parts else item.sha256,
        raw_sha256=item.sha256, url=item.final_url or item.url, kind=item.kind or "other", pages=bodies,
        fetch_links=[(p.fetch_id, p.page) for p in pages if p.fetch_id is not None], missing=missing,
        seed_agency=item.agency_hint, context=item.context)


class DocumentPipeline(StoragePipeline):
    """One Document per distinct body (and its Report); the same body from another URL only adds a link."""

    parse_settings: ParseSettings = ParseSettings()
    pool: ParsePool | InlinePool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        pipeline = super().from_crawler(crawler)
        pipeline.parse_settings = ParseSettings.from_settings(crawler.settings)
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        self.pool = make_pool(self.parse_settings, stats=self.stats)

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
        source = document_source(item)
        item.document_id = settled_document(self.storage, source)
        if item.document_id is not None:
            return item
        try:
            parsed = await asyncio.wrap_future(self._pool().submit(parse_document, source))
        except Exception as exc:  # noqa: BLE001 - recorded on the Document, counted, never dropped
            logger.error("%s: parsing failed: %s", source.url, exc)
            self.stats.inc_value("nianbao/documents/parse_failed")
            parsed = failed_parse(source, exc)
        text = parsed.text
        if text.error:
            logger.warning("%s: %s", source.url, text.error)
            self.stats.inc_value("nianbao/documents/errors")
        if parsed.record is None and not text.quality.get("parse_failed"):
            logger.error("%s: the report extractor failed on this document", source.url)
            self.stats.inc_value("nianbao/reports/extractor_errors")
        done = store_document(self.storage, source, parsed)
        item.document_id, item.record = done.document_id, parsed.record
        item.report_id, item.report_record, item.rejected = done.report_id, done.report_record, done.rejected
        self.stats.inc_value(f"nianbao/documents/{text.kind}")
        if item.parts:
            self.stats.inc_value("nianbao/documents/joined_pages", len(source.pages))
        return item

    def _pool(self) -> ParsePool | InlinePool:
        """The pool opened with the spider (inline, under the same limits, for a pipeline never opened)."""
        return self.pool if self.pool is not None else InlinePool(self.parse_settings.limits)
