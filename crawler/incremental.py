"""Nightly, incremental crawls: fetch only what may have changed, and keep changes as history.

* `ConditionalRequestMiddleware` (downloader): a URL already stored is asked for with its stored
  ETag / Last-Modified (`If-None-Match`, `If-Modified-Since`). A 304 is answered with the stored body
  (so list pages still yield their links) marked `nb_incremental="not_modified"`: the pipelines store
  nothing and parse nothing. List pages (HTML without a Report) are always revisited; report pages and
  attachments (a Report, or a non-HTML body) only when due (`revalidation_days`); until then they are
  answered from the store without touching the network (`nb_incremental="not_due"`).
* `IncrementalSpiderMiddleware`: copies that mark onto the spider's items, and adds the stored reports
  and attachments that are due to the start requests (so a report no longer linked is still checked).
* `IncrementalPipeline` (after ReportPipeline): a changed report page becomes a new Document and a new
  Report whose `version` follows the URL's earlier reports (the old raw body stays in the store); a
  404/410 where a report used to be marks that Report `removed_at`, never deletes it; `url_states`
  remembers when each URL was last checked. Run counters: `nianbao/incremental/*`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.items import FetchedResponse
from storage.db import Storage, open_storage
from storage.models import DocumentFetch, Fetch, Report, Site, UrlState, url_key, utcnow

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

NOT_MODIFIED = "not_modified"
NOT_DUE = "not_due"
GONE_STATUSES = frozenset({404, 410})


# -- schedule ---------------------------------------------------------------------------------------


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
        return cls(peak_days=settings.getfloat("NIANBAO_REVALIDATE_DAYS_PEAK", 1.0),
                   offpeak_days=settings.getfloat("NIANBAO_REVALIDATE_DAYS_OFFPEAK", 30.0),
                   peak_months=frozenset(int(m) for m in months))

    def interval(self, now: datetime) -> timedelta:
        return timedelta(days=self.peak_days if now.month in self.peak_months else self.offpeak_days)

    def is_due(self, checked_at: datetime | None, now: datetime) -> bool:
        """True when a page last checked at `checked_at` should be asked for again at `now`."""
        if checked_at is None:
            return True
        if checked_at.tzinfo is None:  # SQLite hands back naive UTC datetimes
            checked_at = checked_at.replace(tzinfo=UTC)
        return now - checked_at >= self.interval(now)


# -- what the store knows about a URL ---------------------------------------------------------------


@dataclass(frozen=True)
class KnownUrl:
    """The stored answer for a URL: its current fetch and what kind of page it is."""

    fetch_id: int
    status: int
    sha256: str
    headers: dict[str, str]
    final_url: str | None
    etag: str | None
    last_modified: str | None
    role: str  # "list" (always revisited) | "report" | "attachment" (revisited on schedule)
    checked_at: datetime | None
    removed_at: datetime | None


def current_fetch(session: Session, url: str) -> tuple[Fetch | None, UrlState | None]:
    """The fetch holding the URL's current body (url_states first, else its latest 2xx fetch)."""
    key = url_key(url)
    state = session.get(UrlState, key)
    fetch = session.get(Fetch, state.fetch_id) if state is not None and state.fetch_id else None
    if fetch is None:
        fetch = session.scalars(
            select(Fetch).where(Fetch.url_key == key, Fetch.url == url, Fetch.status >= 200, Fetch.status < 300,
                                Fetch.sha256.is_not(None)).order_by(Fetch.id.desc())
        ).first()
    return fetch, state


def fetch_role(session: Session, fetch: Fetch) -> str:
    """"report" when a Report was parsed from the fetch's body, "attachment" for a non-HTML body,
    else "list" (navigation and list pages, always revisited)."""
    has_report = session.scalar(
        select(func.count()).select_from(Report).join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
        .where(DocumentFetch.fetch_id == fetch.id)
    )
    if has_report:
        return "report"
    return "list" if (fetch.kind or "html") == "html" else "attachment"


def known_url(session: Session, url: str) -> KnownUrl | None:
    fetch, state = current_fetch(session, url)
    if fetch is None or fetch.sha256 is None or fetch.status is None:
        return None
    return KnownUrl(
        fetch_id=fetch.id, status=fetch.status, sha256=fetch.sha256, headers=dict(fetch.headers or {}),
        final_url=fetch.final_url, etag=fetch.etag, last_modified=fetch.last_modified,
        role=fetch_role(session, fetch), checked_at=state.checked_at if state is not None else fetch.fetched_at,
        removed_at=state.removed_at if state is not None else None,
    )


def stored_response(storage: Storage, known: KnownUrl, request: Request, mark: str) -> Response:
    """The stored body as a response to `request`, marked so the pipelines store and parse nothing."""
    body = storage.raw.get(known.sha256)
    headers = Headers(dict(known.headers))
    url = known.final_url or request.url
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    request.meta["from_store"] = True
    request.meta["stored_fetch_id"] = known.fetch_id
    request.meta["nb_incremental"] = mark
    return cls(url=url, status=known.status, headers=headers, body=body, request=request, flags=[mark])


def _storage(settings: BaseSettings) -> Storage:
    if not settings.get("NIANBAO_DATABASE_URL"):
        raise NotConfigured("no corpus database configured")
    return open_storage(settings["NIANBAO_DATABASE_URL"], settings.get("NIANBAO_DATA_DIR") or "data")


# -- downloader middleware --------------------------------------------------------------------------


class ConditionalRequestMiddleware:
    """Conditional GETs for stored URLs; 304 and not-yet-due pages answered from the raw store."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured("NIANBAO_INCREMENTAL is off")
        self.storage = _storage(settings)
        self.schedule = RevalidationSchedule.from_settings(settings)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> Response | None:
        if request.method != "GET" or request.meta.get("from_store") or urlsplit(request.url).path == "/robots.txt":
            return None
        if request.meta.get("playwright"):  # a browser rendering wants the page itself, never a 304
            return None
        with self.storage.session() as session:
            known = known_url(session, request.url)
        if known is None or not 200 <= known.status < 300:
            return None
        due = known.role == "list" or self.schedule.is_due(known.checked_at, datetime.now(UTC))
        if not due and known.sha256 in self.storage.raw:
            self.stats.inc_value("nianbao/incremental/not_due")
            return stored_response(self.storage, known, request, NOT_DUE)
        request.meta["nb_known"] = known
        if known.etag:
            request.headers["If-None-Match"] = known.etag
        if known.last_modified:
            request.headers["If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            self.stats.inc_value("nianbao/incremental/conditional")
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        known: KnownUrl | None = request.meta.get("nb_known")
        if response.status != 304 or known is None:
            return response
        if known.sha256 not in self.storage.raw:  # the store lost it: ask again without validators
            self.stats.inc_value("nianbao/incremental/refetch_missing_body")
            retry = request.replace(dont_filter=True)
            for name in ("If-None-Match", "If-Modified-Since"):
                retry.headers.pop(name, None)
            retry.meta.pop("nb_known", None)
            return retry  # type: ignore[return-value]
        self.stats.inc_value("nianbao/incremental/not_modified")
        return stored_response(self.storage, known, request, NOT_MODIFIED)


# -- spider middleware ------------------------------------------------------------------------------


class IncrementalSpiderMiddleware:
    """Marks items answered from the store by the incremental middleware, and adds the due stored
    reports and attachments of the crawl's hosts to the start requests."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured("NIANBAO_INCREMENTAL is off")
        self.crawler = crawler
        self.storage = _storage(settings)
        self.schedule = RevalidationSchedule.from_settings(settings)
        self.revalidate_stored = settings.getbool("NIANBAO_REVALIDATE_STORED", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalSpiderMiddleware:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            yield item_or_request
        if not self.revalidate_stored:
            return
        spider = self.crawler.spider
        seeds = getattr(spider, "seed_by_host", None) or {}
        if not seeds or not hasattr(spider, "parse"):
            return
        with self.storage.session() as session:
            due = due_stored_urls(session, seeds.keys(), self.schedule, datetime.now(UTC))
        for url in due:
            seed = seeds.get(urlsplit(url).netloc.lower())
            self.crawler.stats.inc_value("nianbao/incremental/revalidate_scheduled")
            yield Request(url, callback=spider.parse, errback=getattr(spider, "on_error", None), priority=-50,
                          meta={"seed": seed, "anchor_text": None, "referrer": None, "nb_score": 0.0,
                                "nb_cold": 0, "nb_column": False})

    def process_spider_output(self, response: Response, result: Iterable[Any], spider: Any = None) -> Iterable[Any]:
        mark = response.meta.get("nb_incremental") if response.request is not None else None
        for element in result:
            if mark and isinstance(element, FetchedResponse):
                element.revalidation = element.revalidation or mark  # a split article keeps page 1's mark
            yield element

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        mark = response.meta.get("nb_incremental") if response.request is not None else None
        async for element in result:
            if mark and isinstance(element, FetchedResponse):
                element.revalidation = element.revalidation or mark  # a split article keeps page 1's mark
            yield element


def due_stored_urls(session: Session, hosts: Iterable[str], schedule: RevalidationSchedule,
                    now: datetime) -> list[str]:
    """Stored report pages and attachments of `hosts` (not removed) that are due for revalidation."""
    hosts = list(hosts)
    rows = session.execute(
        select(Fetch.url, Fetch.kind, Report.id, UrlState.checked_at, UrlState.removed_at, Fetch.fetched_at,
               DocumentFetch.page)
        .join(Site, Site.id == Fetch.site_id)
        .join(DocumentFetch, DocumentFetch.fetch_id == Fetch.id, isouter=True)
        .join(Report, Report.document_id == DocumentFetch.document_id, isouter=True)
        .join(UrlState, UrlState.url_key == Fetch.url_key, isouter=True)
        .where(Site.host.in_(hosts), Fetch.status >= 200, Fetch.status < 300, Fetch.sha256.is_not(None))
    )
    urls: dict[str, None] = {}
    for url, kind, report_id, checked_at, removed_at, fetched_at, page in rows:
        if removed_at is not None or (report_id is None and (kind or "html") == "html"):
            continue
        if page is not None and page > 1:
            continue  # a later page of a split article: its page 1 asks for it again
        if schedule.is_due(checked_at or fetched_at, now):
            urls[url] = None
    return list(urls)


# -- pipeline ---------------------------------------------------------------------------------------


class IncrementalPipeline:
    """History, not overwrites: url_states, report versions by URL, removal marks; run counters."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured("NIANBAO_INCREMENTAL is off")
        self.storage = _storage(settings)
        self.stats = crawler.stats
        self.opened_at = utcnow()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalPipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.opened_at = utcnow()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse):
            return item
        mark = item.revalidation
        if mark == NOT_DUE or (item.from_store and mark is None):  # not_due, or a resumed run's replay
            return item
        now = utcnow()
        # a split article whose page 1 answered 304 is still new when a later page came back changed
        refetched_part = any(part.ok and not part.from_store for part in item.parts)
        if mark == NOT_MODIFIED and not refetched_part:
            self.storage.run(lambda s: self._checked(s, item, now))
        elif item.status in GONE_STATUSES and not item.from_store:
            removed = self.storage.run(lambda s: self._gone(s, item, now))
            if removed:
                self.stats.inc_value("nianbao/incremental/removed", removed)
        elif item.ok and item.fetch_id is not None:
            outcome = self.storage.run(lambda s: self._stored(s, item, now))
            for name in outcome:
                self.stats.inc_value(f"nianbao/incremental/{name}")
        return item

    # each runs in one transaction

    def _checked(self, session: Session, item: FetchedResponse, now: datetime) -> None:
        state = _state(session, item.url)
        state.checked_at = now
        state.status = item.status
        if state.fetch_id is None:
            state.fetch_id = item.stored_fetch_id
        if state.removed_at is not None:
            state.removed_at = None
            _restore_reports(session, state.fetch_id)

    def _gone(self, session: Session, item: FetchedResponse, now: datetime) -> int:
        previous, state = current_fetch(session, item.url)
        state = state or _state(session, item.url)
        state.checked_at = now
        state.status = item.status
        if previous is None:
            return 0
        if state.fetch_id is None:
            state.fetch_id = previous.id
        state.removed_at = state.removed_at or now
        reports = session.scalars(
            select(Report).join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
            .where(DocumentFetch.fetch_id == previous.id, Report.removed_at.is_(None))
        ).all()
        for report in reports:
            report.removed_at = now
            report.updated_at = now
            logger.info("%s: report %s (%s %s) removed (HTTP %s)", item.url, report.id, report.agency,
                        report.year, item.status)
        return len(reports)

    def _stored(self, session: Session, item: FetchedResponse, now: datetime) -> list[str]:
        outcome: list[str] = []
        state = session.get(UrlState, url_key(item.url))
        if state is None:
            state = _state(session, item.url)
        elif state.fetch_id is not None and state.fetch_id != item.fetch_id:
            state.changed_at = now
            outcome.append("changed_pages")
        if state.removed_at is not None:
            state.removed_at = None
            _restore_reports(session, item.fetch_id)
        state.fetch_id = item.fetch_id
        state.status = item.status
        state.checked_at = now
        if item.report_id is None:
            return outcome
        report = session.get(Report, item.report_id)
        if report is None:
            return outcome
        earlier = session.scalars(
            select(Report).join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
            .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
            .where(Fetch.url_key == url_key(item.url), Fetch.url == item.url, Report.id != report.id)
            .order_by(Report.created_at, Report.id)
        ).unique().all()
        created = report.created_at.replace(tzinfo=report.created_at.tzinfo or UTC)
        if earlier and report.version is None:
            # dedup (nianbao dedup) assigns cluster and version across copies later; until then the
            # versions of one URL follow its history
            for number, old in enumerate(earlier, start=1):
                if old.version is None:
                    old.version = number
            report.version = max(old.version or 1 for old in earlier) + 1
            outcome.append("changed_reports")
        elif not earlier and created >= self.opened_at:
            outcome.append("new_reports")
        return outcome


def _state(session: Session, url: str) -> UrlState:
    key = url_key(url)
    state = session.get(UrlState, key)
    if state is None:
        from storage.records import insert_ignore

        insert_ignore(session, UrlState.__table__, {"url_key": key, "url": url, "checked_at": utcnow()}, ["url_key"])
        state = session.get(UrlState, key)
        assert state is not None
    return state


def _restore_reports(session: Session, fetch_id: int | None) -> None:
    """A URL that answers again: its reports are no longer removed."""
    if fetch_id is None:
        return
    for report in session.scalars(
        select(Report).join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
        .where(DocumentFetch.fetch_id == fetch_id, Report.removed_at.is_not(None))
    ):
        report.removed_at = None
