"""Step 2+3 as one pure function, run in worker processes: body -> clean text -> report record.

Text extraction (pdfminer, trafilatura, OCR) and report parsing are CPU-bound. The pipelines send
them to a small process pool (`NIANBAO_PARSE_WORKERS`, default: one per core) so the Twisted reactor
keeps downloading from many hosts while documents are parsed. `0` workers parses inline.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from pipelines.textify import DocumentText, join_pages, textify

logger = logging.getLogger(__name__)


@dataclass
class ParsedBody:
    """What one body yields: its text (always) and its report record (None when not parsed)."""

    text: DocumentText
    record: dict[str, Any] | None


def parse_body(body: bytes, *, url: str, content_type: str | None, content_disposition: str | None,
               title_hint: str | None = None, with_report: bool = True) -> ParsedBody:
    """Textify a body and, if asked, run the report extractor on its text (and HTML tables).
    `title_hint` (the link text) titles a body that has none of its own, as attachments often do."""
    return parse_pages([PageBody(body, url, content_type, content_disposition, title_hint)], with_report=with_report)


@dataclass
class PageBody:
    """One stored page of a document and what textify needs to read it."""

    body: bytes
    url: str
    content_type: str | None = None
    content_disposition: str | None = None
    anchor_text: str | None = None
    page: int = 1


def parse_pages(pages: list[PageBody], *, missing: list[dict[str, Any]] | None = None,
                with_report: bool = True, context: dict[str, Any] | None = None) -> ParsedBody:
    """Textify the pages of one split article, join them in order and run the report extractor on the
    whole. Page URLs and hashes go into the text's quality (audit); `missing` pages (page, url, error)
    that could not be fetched are recorded there and in its error. One page and nothing missing is
    what `parse_body` gives. `context` (`site_name`, `seed_agency`) is what the crawl knows around the
    document; the extractor uses it to complete short agency names, never to override the text."""
    texts = [textify(p.body, url=p.url, content_type=p.content_type, content_disposition=p.content_disposition)
             for p in pages]
    text = texts[0] if len(texts) == 1 else join_pages(texts)
    if not text.title and pages and pages[0].anchor_text:
        text.title = pages[0].anchor_text  # attachments: the link text is often the only title
    if len(pages) > 1 or missing:
        text.quality["page_urls"] = [p.url for p in pages]
        text.quality["page_sha256"] = [hashlib.sha256(p.body).hexdigest() for p in pages]
        text.quality["page_numbers"] = [p.page for p in pages]
        if missing:
            text.quality["missing_pages"] = missing
            notes = [f"page {m.get('page')} missing ({m.get('url')}: {m.get('error')})" for m in missing]
            text.error = "; ".join(filter(None, [text.error, *notes]))
    context = dict(context or {})
    if pages:
        context.setdefault("url", pages[0].url)
        if pages[0].anchor_text and pages[0].anchor_text != text.title:
            context.setdefault("anchor", pages[0].anchor_text)
    record = parse_text(text, **context) if with_report else None
    return ParsedBody(text=text, record=record)


def parse_text(text: DocumentText, *, url: str | None = None, anchor: str | None = None,
               site_name: str | None = None, seed_agency: str | None = None) -> dict[str, Any] | None:
    """The extractor's record for a DocumentText, with the crawl's context; None when the extractor
    fails (logged)."""
    from extractor import extract_report

    html = text.html if text.kind == "html" else None
    try:
        return extract_report(text.text or None, html=html, title=text.title, url=url, anchor=anchor,
                              site_name=site_name, seed_agency=seed_agency)
    except Exception:  # a parser bug must not stop a crawl; the URL is logged by the caller
        logger.exception("extractor failed")
        return None


def _lower_priority(niceness: int) -> None:
    """Pool initializer: parse with the CPU the crawl leaves over."""
    if niceness > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not permitted: parse at normal priority
            os.nice(niceness)


def make_pool(workers: int | None, niceness: int = 0) -> Executor | None:
    """A process pool of `workers` (None: one per core); 0 or less means parse inline (no pool).

    `niceness` > 0 lowers the workers' CPU priority, so the crawl process (the Twisted reactor that
    keeps every host's downloads and timeouts going) is never starved by parsing; parsing catches up
    in the CPU it leaves over, and Scrapy's scraper back-pressure (SCRAPER_SLOT_MAX_ACTIVE_SIZE) pauses
    downloads when too many bodies wait."""
    size = (os.cpu_count() or 1) if workers is None else workers
    if size <= 0:
        return None
    # spawn: never fork a process that runs a Twisted reactor and holds database connections
    return ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_lower_priority, initargs=(niceness,))
