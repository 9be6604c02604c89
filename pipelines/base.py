"""What every storing pipeline shares: the Storage named by the crawl's settings, and its stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from storage.db import Storage, open_storage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class StoragePipeline:
    """Base for pipelines that write to the corpus (`NIANBAO_DATABASE_URL`, `NIANBAO_DATA_DIR`)."""

    def __init__(self, storage: Storage, stats: StatsCollector, run_id: int | None = None) -> None:
        self.storage = storage
        self.stats = stats
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        url = settings.get("NIANBAO_DATABASE_URL")
        if not url:
            from storage.config import resolve_storage

            config = resolve_storage(None, settings.get("NIANBAO_DATA_DIR"))
            url, data_dir = config.database_url, str(config.data_dir)
        else:
            data_dir = settings.get("NIANBAO_DATA_DIR") or "data"
        return cls(open_storage(url, str(data_dir)), crawler.stats, settings.getint("NIANBAO_RUN_ID") or None)
