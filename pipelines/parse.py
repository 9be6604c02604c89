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
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from pipelines.limits import limit_memory
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
                with_report: bool = True) -> ParsedBody:
    """Textify the pages of one split article, join them in order and run the report extractor on the
    whole. Page URLs and hashes go into the text's quality (audit); `missing` pages (page, url, error)
    that could not be fetched are recorded there and in its error. One page and nothing missing is
    what `parse_body` gives."""
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
    record = parse_text(text) if with_report else None
    return ParsedBody(text=text, record=record)


def parse_text(text: DocumentText) -> dict[str, Any] | None:
    """The extractor's record for a DocumentText; None when the extractor fails (logged)."""
    from extractor import extract_report

    html = text.html if text.kind == "html" else None
    try:
        return extract_report(text.text or None, html=html, title=text.title)
    except Exception:  # a parser bug must not stop a crawl; the URL is logged by the caller
        logger.exception("extractor failed")
        return None


def _lower_priority(niceness: int) -> None:
    """Parse with the CPU the crawl leaves over."""
    if niceness > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not permitted: parse at normal priority
            os.nice(niceness)


def init_worker(niceness: int = 0, memory_mb: int = 0) -> None:
    """Pool initializer: lower CPU priority, cap the address space (`NIANBAO_PARSE_MEMORY_MB`)."""
    _lower_priority(niceness)
    limit_memory(memory_mb)


class WorkerDied(RuntimeError):
    """The parse worker died on this document, in the pool and again when parsed alone."""


WORKER_DIED = ("the parse worker died on this document, in the pool and again alone (killed: out of memory "
               "or a crash in a native library); raise NIANBAO_PARSE_MEMORY_MB and run `nianbao reprocess`")


class ParsePool:
    """A process pool that outlives its workers.

    A worker that dies (the OOM killer, a segfault in a C library, `kill -9`) breaks a
    `ProcessPoolExecutor` for every later task. Here the broken pool is replaced at once, and every
    task it took down is parsed again, one at a time, in a one-worker pool of its own: an innocent
    document parses, the one that killed the worker kills only its own solo worker and fails with
    `WorkerDied` after `retries` attempts. `deaths`, `retried` and `failed` count what happened
    (also into Scrapy `stats` under `nianbao/parse/...`)."""

    def __init__(self, workers: int, *, niceness: int = 0, memory_mb: int = 0, retries: int = 1,
                 stats: Any = None) -> None:
        self.size, self.niceness, self.memory_mb, self.retries, self.stats = workers, niceness, memory_mb, retries, stats
        self.deaths = self.retried = self.failed = 0
        self._lock = threading.Lock()
        self._pool = self._spawn(workers)
        self._solo: ProcessPoolExecutor | None = None
        self._retrier: ThreadPoolExecutor | None = None

    def _spawn(self, size: int) -> ProcessPoolExecutor:
        # spawn: never fork a process that runs a Twisted reactor and holds database connections
        return ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=init_worker, initargs=(self.niceness, self.memory_mb))

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)
        if self.stats is not None:
            self.stats.inc_value(f"nianbao/parse/{'worker_deaths' if what == 'deaths' else what}")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        outer: Future = Future()
        with self._lock:
            pool = self._pool
        try:
            inner = pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # broken by an earlier task whose callback has not run yet
            self._replace(pool)
            with self._lock:
                pool = self._pool
            inner = pool.submit(fn, *args, **kwargs)
        inner.add_done_callback(lambda done: self._first_done(done, outer, pool, fn, args, kwargs))
        return outer

    def _first_done(self, inner: Future, outer: Future, pool: ProcessPoolExecutor, fn: Callable[..., Any],
                    args: tuple, kwargs: dict) -> None:
        if inner.cancelled():
            outer.cancel()
            return
        exc = inner.exception()
        if not isinstance(exc, BrokenProcessPool):
            _settle(outer, None if exc else inner.result(), exc)
            return
        self._replace(pool)
        if self.retries <= 0:
            self._count("failed")
            _settle(outer, None, WorkerDied(WORKER_DIED))
            return
        with self._lock:
            if self._retrier is None:
                self._retrier = ThreadPoolExecutor(1, thread_name_prefix="nianbao-parse-retry")
            retrier = self._retrier
        retrier.submit(self._retry_alone, outer, fn, args, kwargs)

    def _retry_alone(self, outer: Future, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        for _ in range(self.retries):
            if outer.cancelled():
                return
            self._count("retried")
            if self._solo is None:
                self._solo = self._spawn(1)
            try:
                _settle(outer, self._solo.submit(fn, *args, **kwargs).result(), None)
                return
            except BrokenProcessPool:
                self._solo.shutdown(wait=False)
                self._solo = None
                self._count("deaths")
            except BaseException as exc:  # noqa: BLE001 - the task's own exception goes to its caller
                _settle(outer, None, exc)
                return
        self._count("failed")
        _settle(outer, None, WorkerDied(WORKER_DIED))

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not pool:
                return  # already replaced by another task of the same broken pool
            self._pool = self._spawn(self.size)
        self._count("deaths")
        logger.error("a parse worker died; its pool was replaced and the documents it held are parsed again")
        pool.shutdown(wait=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._retrier is not None:
            self._retrier.shutdown(wait=wait, cancel_futures=cancel_futures)
        for pool in (self._pool, self._solo):
            if pool is not None:
                pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def map(self, fn: Callable[..., Any], items: list[Any]) -> list[Future]:
        """Futures of `fn(item)` for each item, in order."""
        return [self.submit(fn, item) for item in items]


def _settle(outer: Future, result: Any, exc: BaseException | None) -> None:
    if outer.done():  # cancelled by its caller meanwhile
        return
    if exc is not None:
        outer.set_exception(exc)
    else:
        outer.set_result(result)


def make_pool(workers: int | None, niceness: int = 0, *, memory_mb: int = 0, retries: int = 1,
              stats: Any = None) -> ParsePool | None:
    """A parse pool of `workers` (None: one per core); 0 or less means parse inline (no pool).

    `niceness` > 0 lowers the workers' CPU priority, so the crawl process (the Twisted reactor that
    keeps every host's downloads and timeouts going) is never starved by parsing; parsing catches up
    in the CPU it leaves over, and Scrapy's scraper back-pressure (SCRAPER_SLOT_MAX_ACTIVE_SIZE) pauses
    downloads when too many bodies wait. `memory_mb` caps each worker's address space."""
    size = (os.cpu_count() or 1) if workers is None else workers
    if size <= 0:
        return None
    return ParsePool(size, niceness=niceness, memory_mb=memory_mb, retries=retries, stats=stats)
