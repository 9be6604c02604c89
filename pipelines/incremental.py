"""History, not overwrites: what each visit of a nightly, incremental crawl leaves in the corpus.

`IncrementalPipeline` (after ReportPipeline): a changed report page becomes a new Document and a new
Report whose `version` follows the URL's earlier reports (the old raw body stays in the store); a
404/410 where a report used to be marks that Report `removed_at`, never deletes it; `url_states`
remembers when each URL was last checked (`storage.url_states`). Run counters: `nianbao/incremental/*`.
The marks below are set by the replay middleware (`crawler.replay`) on answers from the raw store.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from pipelines.corpus import CorpusStorage
from pipelines.items import FetchedResponse
from storage.models import utcnow
from storage.url_states import mark_checked, mark_gone, mark_stored

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

    from storage.db import Storage

logger = logging.getLogger(__name__)

NOT_MODIFIED = "not_modified"  # the server answered 304: the stored body stands
NOT_DUE = "not_due"  # a stored report or attachment not yet due for revalidation: not asked for
GONE_STATUSES = frozenset({404, 410})


class IncrementalPipeline:
    """url_states, report versions by URL, removal marks; run counters."""

    def __init__(self, storage: Storage, stats: Any) -> None:
        self.storage = storage
        self.stats = stats
        self.opened_at = utcnow()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NIANBAO_INCREMENTAL", True):
            raise NotConfigured("NIANBAO_INCREMENTAL is off")
        return cls(CorpusStorage.of(crawler), crawler.stats)

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
            self.storage.run(lambda s: mark_checked(s, item.url, item.status, item.stored_fetch_id, now))
        elif item.status in GONE_STATUSES and not item.from_store:
            removed = self.storage.run(lambda s: self._gone(s, item, now))
            if removed:
                self.stats.inc_value("nianbao/incremental/removed", removed)
        elif item.ok and item.fetch_id is not None:
            fetch_id = item.fetch_id
            outcome = self.storage.run(
                lambda s: mark_stored(s, item.url, fetch_id, item.status, item.report_id, now, self.opened_at)
            )
            for name in outcome:
                self.stats.inc_value(f"nianbao/incremental/{name}")
        return item

    def _gone(self, session: Session, item: FetchedResponse, now: Any) -> int:
        assert item.status is not None
        reports = mark_gone(session, item.url, item.status, now)
        for report in reports:
            logger.info(
                "%s: report %s (%s %s) removed (HTTP %s)",
                item.url,
                report.id,
                report.agency,
                report.year,
                item.status,
            )
        return len(reports)
