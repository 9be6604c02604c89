"""A Scrapy extension for the crawl benchmark: one JSON line per request the spider sent to the network.

Enabled by `bench_crawl.py` in the nianbao run (`-s EXTENSIONS=...`, `-s BENCH_REQUEST_LOG=path`). The
log is the crawl's tree (every request with its method, body, headers, priority and referrer), which the
baseline spider replays without parsing anything, so both runs fetch exactly the same pages.
"""

from __future__ import annotations

import base64
import json
from typing import IO, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured


class RequestLog:
    def __init__(self, path: str) -> None:
        self.out: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed on spider_closed

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        path = crawler.settings.get("BENCH_REQUEST_LOG")
        if not path:
            raise NotConfigured("BENCH_REQUEST_LOG is not set")
        ext = cls(path)
        crawler.signals.connect(ext.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def request_reached_downloader(self, request: Any, spider: Any) -> None:
        """Requests the spider made (a redirect hop is the baseline's own to follow; robots.txt too)."""
        if request.meta.get("redirect_urls") or request.url.endswith("/robots.txt"):
            return
        url = request.url
        headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in request.headers.items()
                   if k.lower() in (b"content-type", b"x-requested-with")}
        self.out.write(json.dumps({
            "url": url, "method": request.method, "body": base64.b64encode(request.body).decode("ascii"),
            "headers": headers, "priority": request.priority, "referrer": request.meta.get("referrer"),
        }) + "\n")

    def spider_closed(self, spider: Any) -> None:
        self.out.close()
