"""A Scrapy extension for the crawl benchmark: one JSON line per request the spider sent to the network.

Enabled by `bench_crawl.py` in the nianbao run (`-s EXTENSIONS=...`, `-s BENCH_REQUEST_LOG=path`). The
log is the crawl's tree (every request with its method, body, headers, priority and referrer), which the
baseline spider replays without parsing anything, so both runs fetch exactly the same pages.
"""

from __future__ import annotations

import base64
import json
from typing import IO, Any, Self

from bench._extension import connect_signals, log_path


class RequestLog:
    def __init__(self, path: str) -> None:
        self.out: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed on spider_closed

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        ext = cls(log_path(crawler, "BENCH_REQUEST_LOG"))
        connect_signals(crawler, ext, "request_reached_downloader", "spider_closed")
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
