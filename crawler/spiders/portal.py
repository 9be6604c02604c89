"""The portal spider: start from seed URLs, stay on their hosts, store every response."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.items import FetchedResponse
from crawler.seeds import Seed, read_seeds_csv

# Links worth nothing to a report corpus (images, media, styles, archives of code). Documents
# (pdf, doc, docx, wps, xls, xlsx, ofd) are deliberately followed.
SKIPPED_EXTENSIONS = [
    "jpg", "jpeg", "png", "gif", "bmp", "svg", "webp", "ico", "tif", "tiff",
    "mp3", "mp4", "avi", "wmv", "flv", "mov", "wav", "swf", "css", "js", "exe", "apk", "dmg", "iso",
]


class PortalSpider(scrapy.Spider):
    """Crawl government portals from their seeds and hand every exchange to the pipelines."""

    name = "portal"

    def __init__(self, seeds: Iterable[Seed] | None = None, urls: str | None = None,
                 seeds_file: str | None = None, max_pages: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        collected: list[Seed] = list(seeds or [])
        if urls:  # `scrapy crawl portal -a urls=http://a/,http://b/`
            collected += [Seed(u.strip()) for u in urls.split(",") if u.strip()]
        if seeds_file:
            collected += read_seeds_csv(seeds_file)
        if not collected:
            raise ValueError("the portal spider needs at least one seed URL")
        self.seeds = collected
        self.seed_by_host = {seed.host: seed for seed in reversed(collected)}
        self.max_pages = int(max_pages) if max_pages else None
        self.scheduled: Counter[str] = Counter()
        self.link_extractor = LinkExtractor(
            deny_extensions=SKIPPED_EXTENSIONS,
            tags=("a", "area", "iframe", "frame"),
            attrs=("href", "src"),
            unique=True,
            canonicalize=False,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for seed in self.seeds:
            request = self._request(seed.url, seed=seed, depth_hint=0, referrer=None, anchor=None)
            if request is not None:
                yield request

    # -- requests -------------------------------------------------------------------------------

    def _host_seed(self, url: str) -> Seed | None:
        host = urlsplit(url).netloc.lower()
        seed = self.seed_by_host.get(host)
        if seed is None and host.startswith("www."):
            seed = self.seed_by_host.get(host[4:])
        if seed is None:
            seed = self.seed_by_host.get("www." + host)
        return seed

    def _request(self, url: str, *, seed: Seed, depth_hint: int, referrer: str | None,
                 anchor: str | None) -> scrapy.Request | None:
        host = urlsplit(url).netloc.lower()
        if self.max_pages is not None and self.scheduled[host] >= self.max_pages:
            self.crawler.stats.inc_value("nianbao/budget_exhausted")
            return None
        self.scheduled[host] += 1
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            meta={"seed": seed, "anchor_text": anchor, "referrer": referrer},
        )

    # -- responses ------------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        yield self._item(response)
        if not is_html(response):
            return
        for link in self.link_extractor.extract_links(response):
            seed = self._host_seed(link.url)
            if seed is None:
                continue
            request = self._request(link.url, seed=seed, depth_hint=response.meta.get("depth", 0) + 1,
                                    referrer=response.url, anchor=(link.text or "").strip() or None)
            if request is not None:
                yield request

    def on_error(self, failure: Failure) -> Iterator[FetchedResponse]:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            item = self._item(response)
            item.error = f"HTTPError: HTTP {response.status}"
            yield item
            return
        seed = request.meta.get("seed") or self._host_seed(request.url)
        message = failure.getErrorMessage() or repr(failure.value)
        yield FetchedResponse(
            url=request.url, final_url=None, status=None, headers={}, body=b"",
            fetched_at=datetime.now(UTC), referrer=request.meta.get("referrer"),
            anchor_text=request.meta.get("anchor_text"), depth=request.meta.get("depth", 0),
            site_host=seed.host if seed else urlsplit(request.url).netloc.lower(),
            seed_url=seed.url if seed else None, agency_hint=seed.agency if seed else None,
            region_hint=seed.region if seed else None,
            error=f"{failure.type.__name__}: {message}",
        )

    def _item(self, response: Response) -> FetchedResponse:
        request = response.request
        meta = response.meta if request is not None else {}
        original_url = (meta.get("redirect_urls") or [response.url])[0]
        seed = meta.get("seed") or self._host_seed(original_url)
        return FetchedResponse(
            url=original_url,
            final_url=response.url,
            status=response.status,
            headers=selected_headers(response),
            body=response.body,
            fetched_at=datetime.now(UTC),
            referrer=meta.get("referrer"),
            anchor_text=meta.get("anchor_text"),
            depth=meta.get("depth", 0),
            site_host=seed.host if seed else urlsplit(original_url).netloc.lower(),
            seed_url=seed.url if seed else None,
            agency_hint=seed.agency if seed else None,
            region_hint=seed.region if seed else None,
            from_store=bool(meta.get("from_store")),
            stored_fetch_id=meta.get("stored_fetch_id"),
        )


KEPT_HEADERS = ("content-type", "content-length", "content-disposition", "etag", "last-modified",
                "date", "server", "location", "set-cookie", "x-powered-by", "cache-control")


def selected_headers(response: Response) -> dict[str, str]:
    """The response headers worth keeping, decoded leniently (Content-Disposition may be raw GBK)."""
    kept: dict[str, str] = {}
    for name in KEPT_HEADERS:
        values = response.headers.getlist(name)
        if not values:
            continue
        decoded = []
        for value in values:
            try:
                decoded.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append(value.decode("gb18030", errors="replace"))
        kept[name] = ", ".join(decoded) if name != "set-cookie" else "\n".join(decoded)
    return kept


def is_html(response: Response) -> bool:
    if not isinstance(response, TextResponse):
        head = response.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))
    content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    return "html" in content_type or response.body[:512].lstrip().lower().startswith((b"<!doctype", b"<html"))
