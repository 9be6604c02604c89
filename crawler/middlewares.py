"""Downloader middlewares: resume from the raw store, and retries that back off per host."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from pipelines.items import exchange_url
from storage.db import open_storage
from storage.models import Fetch, url_key
from storage.records import visited_fetches

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class StoredResponseMiddleware:
    """On a resumed run, answer every URL the run already stored from the raw store.

    The spider still walks those pages (so the frontier they lead to is rebuilt), but nothing is
    fetched twice. Failed URLs already recorded are not retried within the same run.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.run_id = settings.getint("NIANBAO_RUN_ID") or None
        if self.run_id is None or not settings.get("NIANBAO_DATABASE_URL"):
            raise NotConfigured("no run to resume")
        self.storage = open_storage(settings["NIANBAO_DATABASE_URL"], settings["NIANBAO_DATA_DIR"])
        self.visited: dict[str, int] = {}
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredResponseMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Any = None) -> None:
        with self.storage.session() as session:
            self.visited = visited_fetches(session, self.run_id)
        if self.visited:
            logger.info("resuming run %s: %d URLs already stored", self.run_id, len(self.visited))

    def process_request(self, request: Request, spider: Any = None) -> Response | None:
        if request.meta.get("playwright"):  # a rendering of a stored page: the browser must load it
            return None
        fetch_id = self.visited.get(url_key(exchange_url(request)))
        if fetch_id is None:
            return None
        with self.storage.session() as session:
            fetch = session.get(Fetch, fetch_id)
            if fetch is None:
                return None
            status, sha, headers, final_url = fetch.status, fetch.sha256, fetch.headers, fetch.final_url
        if sha is None or status is None or not 200 <= status < 300:
            self.stats.inc_value("nianbao/resume/skipped_failed")
            raise IgnoreRequest(f"{request.url}: already recorded in this run ({status})")
        body = self.storage.raw.get(sha)
        scrapy_headers = Headers({k: v for k, v in (headers or {}).items()})
        cls = responsetypes.from_args(headers=scrapy_headers, url=final_url or request.url, body=body)
        request.meta["from_store"] = True
        request.meta["stored_fetch_id"] = fetch_id
        self.stats.inc_value("nianbao/resume/served_from_store")
        return cls(url=final_url or request.url, status=status, headers=scrapy_headers, body=body,
                   request=request, flags=["stored"])


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus exponential back-off: each retry slows down the whole host."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NIANBAO_BACKOFF_BASE", 2.0)
        self.ceiling = settings.getfloat("NIANBAO_BACKOFF_MAX", 120.0)

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None and self.base > 0:
            self._back_off(request, retry.meta.get("retry_times", 1))
        return retry

    def _back_off(self, request: Request, attempt: int) -> None:
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        slot.delay = min(self.ceiling, max(slot.delay, self.base * 2 ** (attempt - 1)))
        self.crawler.stats.inc_value("nianbao/backoff")
        logger.info("backing off %s: delay now %.1fs after retry %d", key, slot.delay, attempt)
