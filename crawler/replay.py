"""Answers from the raw store: one downloader middleware, shaped like Scrapy's HttpCacheMiddleware.

`ReplayMiddleware` asks its policies in order; the first that knows a stored answer for a request
decides, as HttpCacheMiddleware's policy does, whether it is fresh (answered from the raw store without
touching the network) or must be revalidated (asked for with its validators; a 304 is answered from
the store). The store is the corpus (`storage.url_states`, the raw blobs); `replay_response` is the one
place a Response is built from it.

* `ResumePolicy` (a named job run again): every URL the run already stored is answered from the store,
  so the spider still walks those pages (the frontier they lead to is rebuilt) but nothing is fetched
  twice; failed URLs already recorded are not retried within the same run.
* `RevalidationPolicy` (nightly, incremental crawls): a URL already stored is asked for with its stored
  ETag / Last-Modified (`If-None-Match`, `If-Modified-Since`); a 304 is answered with the stored body (so
  list pages still yield their links) marked `nb_incremental="not_modified"`, and the pipelines store
  and parse nothing. List pages (HTML without a Report) are always revisited; report pages and
  attachments only when due (`RevalidationSchedule`); until then they are answered from the store
  without touching the network (`nb_incremental="not_due"`).

`IncrementalSpiderMiddleware` copies the mark onto the spider's items, and adds the stored reports and
attachments that are due to the start requests (so a report no longer linked is still checked). What
the visits leave in the corpus is `pipelines.incremental.IncrementalPipeline`'s job.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from pipelines.corpus import CorpusStorage
from pipelines.incremental import NOT_DUE, NOT_MODIFIED
from pipelines.items import FetchedResponse, exchange_url
from storage.models import url_key
from storage.records import visited_fetches
from storage.url_states import KnownUrl, StoredFetch, due_stored_urls, ever_fetched, known_url, stored_fetch

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from storage.blobs import RawStore
    from storage.db import Storage

logger = logging.getLogger(__name__)

STORED_META = "nb_known"  # the stored answer a request revalidates (a 304 is answered with it)
MARK_META = "nb_incremental"  # not_due / not_modified: the pipelines store and parse nothing
VALIDATORS = ("If-None-Match", "If-Modified-Since")


def replay_response(raw: RawStore, stored: StoredFetch, request: Request, flag: str) -> Response:
    """The stored exchange as the response to `request`, byte for byte, flagged `flag` and marked
    `from_store` (with its fetch id) so the pipelines store nothing twice."""
    assert stored.sha256 is not None and stored.status is not None
    body = raw.get(stored.sha256)
    headers = Headers(dict(stored.headers))
    url = stored.final_url or request.url
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    request.meta["from_store"] = True
    request.meta["stored_fetch_id"] = stored.fetch_id
    return cls(url=url, status=stored.status, headers=headers, body=body, request=request, flags=[flag])


# -- policies ---------------------------------------------------------------------------------------


class ReplayPolicy:
    """Which stored answer a request has, when it stands without asking, and when a response confirms it."""

    def open(self, storage: Storage) -> None:
        """The spider opened (load what the policy needs once)."""

    def lookup(self, storage: Storage, request: Request) -> StoredFetch | None:
        """The stored answer this policy may give to `request`, or None (not this policy's request)."""
        raise NotImplementedError

    def fresh(self, storage: Storage, stored: StoredFetch, request: Request) -> str | None:
        """The mark to answer `request` from the store with, now; None: ask the server."""
        raise NotImplementedError

    def validate(self, stored: StoredFetch, request: Request) -> None:
        """`request` goes to the server: add the validators that let it confirm `stored` (a 304)."""

    def confirmed(self, stored: StoredFetch, response: Response) -> str | None:
        """The mark to answer from the store with when `response` confirms `stored`, or None."""
        return None

    def replayed(self, request: Request, mark: str) -> None:
        """An answer from the store with `mark` was given to `request` (count it)."""


class ResumePolicy(ReplayPolicy):
    """A resumed run: the URLs it already stored are answered from the store, its failures not retried."""

    def __init__(self, run_id: int, stats: StatsCollector) -> None:
        self.run_id = run_id
        self.stats = stats
        self.visited: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: BaseSettings, stats: StatsCollector) -> ResumePolicy | None:
        run_id = settings.getint("NIANBAO_RUN_ID") or None
        return cls(run_id, stats) if run_id is not None else None

    def open(self, storage: Storage) -> None:
        with storage.session() as session:
            self.visited = visited_fetches(session, self.run_id)
        if self.visited:
            logger.info("resuming run %s: %d URLs already stored", self.run_id, len(self.visited))

    def lookup(self, storage: Storage, request: Request) -> StoredFetch | None:
        if request.meta.get("playwright"):  # a rendering of a stored page: the browser must load it
            return None
        fetch_id = self.visited.get(url_key(exchange_url(request)))
        if fetch_id is None:
            return None
        with storage.session() as session:
            return stored_fetch(session, fetch_id)

    def fresh(self, storage: Storage, stored: StoredFetch, request: Request) -> str | None:
        if not stored.ok:
            self.stats.inc_value("nianbao/resume/skipped_failed")
            raise IgnoreRequest(f"{request.url}: already recorded in this run ({stored.status})")
        return "stored"

    def replayed(self, request: Request, mark: str) -> None:
        self.stats.inc_value("nianbao/resume/served_from_store")


@dataclass(frozen=True)
class RevalidationSchedule:
    """How often stored report pages and attachments are asked for again: densely in the months when
    reports are due (January to March by default), sparsely otherwise."""

    peak_days: float = 1.0
    offpeak_days: float = 30.0
    peak_months: frozenset[int] = frozenset({1, 2, 3})

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RevalidationSchedule:
        months = settings.getlist("NIANBAO_REVALIDATE_PEAK_MONTHS") or [1, 2, 3]
        return cls(
            peak_days=settings.getfloat("NIANBAO_REVALIDATE_DAYS_PEAK", 1.0),
            offpeak_days=settings.getfloat("NIANBAO_REVALIDATE_DAYS_OFFPEAK", 30.0),
            peak_months=frozenset(int(m) for m in months),
        )

    def interval(self, now: datetime) -> timedelta:
        return timedelta(days=self.peak_days if now.month in self.peak_months else self.offpeak_days)

    def is_due(self, checked_at: datetime | None, now: datetime) -> bool:
        """True when a page last checked at `checked_at` should be asked for again at `now`."""
        if checked_at is None:
            return True
        if checked_at.tzinfo is None:  # SQLite hands back naive UTC datetimes
            checked_at = checked_at.replace(tzinfo=UTC)
        return now - checked_at >= self.interval(now)


class RevalidationPolicy(ReplayPolicy):
    """Conditional GETs for stored URLs; 304 and not-yet-due pages answered from the store."""

    def __init__(self, schedule: RevalidationSchedule, stats: StatsCollector) -> None:
        self.schedule = schedule
        self.stats = stats

    @classmethod
    def from_settings(cls, settings: BaseSettings, stats: StatsCollector) -> RevalidationPolicy | None:
        if not settings.getbool("NIANBAO_INCREMENTAL", True):
            return None
        return cls(RevalidationSchedule.from_settings(settings), stats)

    def lookup(self, storage: Storage, request: Request) -> StoredFetch | None:
        if (
            request.method != "GET"
            or request.meta.get("from_store")
            or urlsplit(request.url).path == "/robots.txt"
        ):
            return None
        if request.meta.get("playwright"):  # a browser rendering wants the page itself, never a 304
            return None
        with storage.session() as session:
            known = known_url(session, request.url) if ever_fetched(session, request.url) else None
        return known if known is not None and known.ok else None

    def fresh(self, storage: Storage, stored: StoredFetch, request: Request) -> str | None:
        assert isinstance(stored, KnownUrl)
        due = stored.role == "list" or self.schedule.is_due(stored.checked_at, datetime.now(UTC))
        return NOT_DUE if not due and stored.sha256 in storage.raw else None

    def validate(self, stored: StoredFetch, request: Request) -> None:
        if stored.etag:
            request.headers["If-None-Match"] = stored.etag
        if stored.last_modified:
            request.headers["If-Modified-Since"] = stored.last_modified
        if stored.etag or stored.last_modified:
            self.stats.inc_value("nianbao/incremental/conditional")

    def confirmed(self, stored: StoredFetch, response: Response) -> str | None:
        return NOT_MODIFIED if response.status == 304 else None

    def replayed(self, request: Request, mark: str) -> None:
        request.meta[MARK_META] = mark
        self.stats.inc_value(f"nianbao/incremental/{mark}")


# -- the middleware ---------------------------------------------------------------------------------


class ReplayMiddleware:
    """Downloader middleware: answers from the raw store, as its policies decide (first that knows wins)."""

    def __init__(self, storage: Storage, stats: StatsCollector, policies: list[ReplayPolicy]) -> None:
        self.storage = storage
        self.stats = stats
        self.policies = policies

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings, stats = crawler.settings, crawler.stats
        assert stats is not None
        policies = [
            policy
            for policy in (
                ResumePolicy.from_settings(settings, stats),
                RevalidationPolicy.from_settings(settings, stats),
            )
            if policy is not None
        ]
        if not policies:
            raise NotConfigured("no run to resume and NIANBAO_INCREMENTAL is off")
        middleware = cls(CorpusStorage.of(crawler), stats, policies)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Any = None) -> None:
        for policy in self.policies:
            policy.open(self.storage)

    def process_request(self, request: Request, spider: Any = None) -> Response | None:
        for policy in self.policies:
            stored = policy.lookup(self.storage, request)
            if stored is None:
                continue
            mark = policy.fresh(self.storage, stored, request)
            if mark is not None:
                return self._replay(policy, stored, request, mark)
            policy.validate(stored, request)
            request.meta[STORED_META] = stored
            return None
        return None

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response | Request:
        stored: StoredFetch | None = request.meta.get(STORED_META)
        if stored is None:
            return response
        for policy in self.policies:
            mark = policy.confirmed(stored, response)
            if mark is None:
                continue
            if stored.sha256 not in self.storage.raw:  # the store lost it: ask again without validators
                self.stats.inc_value("nianbao/incremental/refetch_missing_body")
                retry = request.replace(dont_filter=True)
                for name in VALIDATORS:
                    retry.headers.pop(name, None)
                retry.meta.pop(STORED_META, None)
                return retry
            return self._replay(policy, stored, request, mark)
        return response

    def _replay(self, policy: ReplayPolicy, stored: StoredFetch, request: Request, mark: str) -> Response:
        response = replay_response(self.storage.raw, stored, request, mark)
        policy.replayed(request, mark)
        return response


# -- spider middleware ------------------------------------------------------------------------------


class IncrementalSpiderMiddleware:
    """Marks items answered from the store by the replay middleware, and adds the due stored reports
    and attachments of the crawl's hosts to the start requests."""

    def __init__(self, crawler: Crawler, storage: Storage) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.storage = storage
        self.schedule = RevalidationSchedule.from_settings(settings)
        self.revalidate_stored = settings.getbool("NIANBAO_REVALIDATE_STORED", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured("NIANBAO_INCREMENTAL is off")
        return cls(crawler, CorpusStorage.of(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            yield item_or_request
        if not self.revalidate_stored:
            return
        spider = self.crawler.spider
        seeds = getattr(spider, "seed_by_host", None) or {}
        if not seeds or not hasattr(spider, "parse"):
            return
        now = datetime.now(UTC)
        with self.storage.session() as session:
            due = due_stored_urls(
                session, seeds.keys(), lambda checked_at: self.schedule.is_due(checked_at, now)
            )
        for url in due:
            seed = seeds.get(urlsplit(url).netloc.lower())
            self.crawler.stats.inc_value("nianbao/incremental/revalidate_scheduled")
            yield Request(
                url,
                callback=spider.parse,
                errback=getattr(spider, "on_error", None),
                priority=-50,
                meta={
                    "seed": seed,
                    "anchor_text": None,
                    "referrer": None,
                    "nb_score": 0.0,
                    "nb_cold": 0,
                    "nb_column": False,
                },
            )

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        mark = _mark(response)
        for element in result:
            yield _marked(element, mark)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        mark = _mark(response)
        async for element in result:
            yield _marked(element, mark)


def _mark(response: Response) -> str | None:
    return response.meta.get(MARK_META) if response.request is not None else None


def _marked(element: Any, mark: str | None) -> Any:
    if mark and isinstance(element, FetchedResponse):
        element.revalidation = element.revalidation or mark  # a split article keeps page 1's mark
    return element
