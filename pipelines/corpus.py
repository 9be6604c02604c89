"""The crawl's one Storage: a Scrapy extension every component asks for it (`CorpusStorage.of(crawler)`).

Built once per crawler from the settings (`NIANBAO_DATABASE_URL`, `NIANBAO_DATA_DIR`, resolved like the
CLI's --db / --data-dir by `storage.config.settings_storage`), or handed the Storage that `nianbao crawl`
already opened (`hand_over`), so one process has one engine and runs the migrations once. A Storage the
extension built is disposed when the engine stops; a handed one stays its opener's to dispose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy import signals

from storage.config import settings_storage
from storage.db import Storage

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_HANDED = "_nianbao_storage"  # the crawler attribute `hand_over` sets, read once by `from_crawler`
_UNLISTED = "_nianbao_corpus"  # the extension made by `of` when EXTENSIONS does not list it


class CorpusStorage:
    """Scrapy extension (EXTENSIONS): owns the crawl's Storage; components get it through `of`."""

    def __init__(self, storage: Storage, *, owned: bool) -> None:
        self.storage = storage
        self.owned = owned

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        handed: Storage | None = getattr(crawler, _HANDED, None)
        extension = (
            cls(handed, owned=False)
            if handed is not None
            else cls(Storage(settings_storage(crawler.settings)), owned=True)
        )
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    @staticmethod
    def hand_over(crawler: Crawler, storage: Storage) -> None:
        """Give `crawler` (before it crawls) a Storage its opener already has: no second engine, no
        second migration. The opener disposes of it."""
        setattr(crawler, _HANDED, storage)

    @classmethod
    def of(cls, crawler: Crawler) -> Storage:
        """The crawl's Storage (from a component's `from_crawler`, or later). A crawler whose settings
        leave the extension out (a test's `get_crawler`) gets one made for it on the first ask."""
        extension = crawler.get_extension(cls) or getattr(crawler, _UNLISTED, None)
        if extension is None:
            extension = cls.from_crawler(crawler)
            setattr(crawler, _UNLISTED, extension)
        return extension.storage

    def engine_stopped(self) -> None:
        if self.owned:
            self.storage.dispose()
