"""Traps by behaviour, not only by URL shape.

A generated site can mint endless URLs that look like reports ("2020年政府信息公开工作年度报告 N"), each page
linking dozens of new ones. Real report pages link a few other reports (other years, other formats);
list pages link many, but list pages are not themselves reached as reports. So, per host:

- a page reached as a report (its link looked like one) on a page that was itself reached as a report
  may add at most `NIANBAO_TRAP_LINKS_PER_REPORT` new report-looking URLs (the first report-looking
  page may be a report column listing many), and chains of report pages found on report pages stop
  after `NIANBAO_TRAP_REPORT_HOPS` such hops;
- one directory (URL path without its last segment) may hold at most `NIANBAO_TRAP_REPORTS_PER_DIR` new
  report-looking URLs in a crawl.

What is cut is counted (`nianbao/traps/...` in the run's stats) and logged once per page or directory.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def directory(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc.lower(), parts.path.rsplit("/", 1)[0] or "/"


class ReportLinkBudget:
    """Decides whether one more new report-looking URL may be followed."""

    def __init__(self, per_report: int = 20, hops: int = 8, per_dir: int = 200, crawler: Any = None) -> None:
        self.per_report, self.hops, self.per_dir, self.crawler = per_report, hops, per_dir, crawler
        self.from_page: Counter[str] = Counter()
        self.in_dir: Counter[tuple[str, str]] = Counter()
        self._warned: set[Any] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReportLinkBudget:
        settings = crawler.settings
        return cls(settings.getint("NIANBAO_TRAP_LINKS_PER_REPORT", 20), settings.getint("NIANBAO_TRAP_REPORT_HOPS", 8),
                   settings.getint("NIANBAO_TRAP_REPORTS_PER_DIR", 200), crawler)

    def _cut(self, kind: str, key: Any, message: str) -> None:
        stats = getattr(self.crawler, "stats", None) if self.crawler is not None else None
        if stats is not None:
            stats.inc_value(f"nianbao/traps/{kind}")
        if key not in self._warned:
            self._warned.add(key)
            logger.warning("possible crawler trap: %s", message)
            if stats is not None:
                stats.inc_value(f"nianbao/traps/{kind}_sources")

    def allow(self, url: str, page: str, page_is_report: bool, hops: int) -> bool:
        """Whether to follow `url`, a new report-looking link on `page` (reached as a report or not,
        `hops` report pages deep)."""
        if page_is_report:
            if hops >= self.hops:
                self._cut("report_hops", ("hops", page),
                          f"{page} is a report page found {hops} report pages deep; its report links not followed "
                          f"(NIANBAO_TRAP_REPORT_HOPS={self.hops})")
                return False
            if hops >= 1 and self.from_page[page] >= self.per_report:
                self._cut("links_per_report", ("page", page),
                          f"report page {page} links more than {self.per_report} new report-looking URLs; the rest "
                          f"not followed (NIANBAO_TRAP_LINKS_PER_REPORT)")
                return False
        where = directory(url)
        if self.in_dir[where] >= self.per_dir:
            self._cut("reports_per_dir", ("dir", where),
                      f"{where[0]}{where[1]}/ holds more than {self.per_dir} new report-looking URLs; the rest not "
                      f"followed (NIANBAO_TRAP_REPORTS_PER_DIR)")
            return False
        self.from_page[page] += 1
        self.in_dir[where] += 1
        return True
