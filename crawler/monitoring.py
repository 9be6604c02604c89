"""Crawl monitoring: failures counted where Scrapy only logs them, and Prometheus metrics."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger("nianbao.monitoring")


class CrawlMonitor:
    """Counts items a pipeline failed on (`nianbao/items/errors`: not stored), which Scrapy only logs."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMonitor:
        return cls(crawler)

    def item_error(self, item: Any = None, response: Any = None, spider: Any = None, failure: Any = None) -> None:
        self.stats.inc_value("nianbao/items/errors")
