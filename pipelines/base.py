"""What every storing pipeline shares: the crawl's Storage (`pipelines.corpus.CorpusStorage`), and its stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from pipelines.corpus import CorpusStorage
from storage.db import Storage

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
        return cls(
            CorpusStorage.of(crawler), crawler.stats, crawler.settings.getint("NIANBAO_RUN_ID") or None
        )
