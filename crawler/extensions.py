"""Scrapy extensions: the live crawl progress display."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger("nianbao.progress")


class CrawlProgress:
    """Pages fetched, reports found, errors, pages per minute: a live line on a terminal, log lines otherwise."""

    def __init__(self, crawler: Crawler) -> None:
        mode = crawler.settings.get("NIANBAO_PROGRESS", "auto")
        if mode == "off":
            raise NotConfigured
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 10.0)
        self.live_mode = mode == "live" or (mode == "auto" and sys.stderr.isatty())
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.live: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        return cls(crawler)

    def figures(self) -> dict[str, float]:
        get = self.stats.get_value
        pages = (get("nianbao/fetches/stored", 0) or 0) + (get("nianbao/fetches/from_store", 0) or 0)
        minutes = max((time.monotonic() - self.started) / 60.0, 1e-9)
        return {
            "pages": pages,
            "reports": get("nianbao/reports/found", 0) or 0,
            "errors": get("nianbao/fetches/errors", 0) or 0,
            "pages_per_minute": (get("nianbao/fetches/stored", 0) or 0) / minutes,
            "in_store": get("nianbao/fetches/from_store", 0) or 0,
        }

    def line(self) -> str:
        f = self.figures()
        resumed = f" ({f['in_store']:.0f} from store)" if f["in_store"] else ""
        return (f"pages {f['pages']:.0f}{resumed} | reports {f['reports']:.0f} | errors {f['errors']:.0f}"
                f" | {f['pages_per_minute']:.1f} pages/min")

    def opened(self, spider: Any = None) -> None:
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self.line(), console=Console(stderr=True), refresh_per_second=4, transient=False)
            self.live.start()
            interval = 0.5
        else:
            interval = self.interval
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(interval, now=False)

    def tick(self) -> None:
        if self.live is not None:
            self.live.update(self.line())
        else:
            logger.info("progress: %s", self.line())

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.line())
            self.live.stop()
        logger.info("final: %s (%s)", self.line(), reason)
