"""Step 3: the Report of a Document the extractor and the crawl recognise as an annual report: its
columns (`report_values`, written by `pipelines.process`) and the crawl's count of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from extractor import EXTRACTOR_VERSION
from extractor.metadata import fits_self_reference
from pipelines.items import FetchedResponse
from pipelines.stats import host_stat

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


def report_values(record: dict[str, Any], *, agency_hint: str | None = None) -> dict[str, Any]:
    """The Report columns for one extractor record (the seed's agency fills a missing agency, unless
    the text calls itself something the seed's agency is not: 我局 is never the 人民政府 portal)."""
    if not record.get("agency") and fits_self_reference(record.get("agency_self"), agency_hint):
        record = {**record, "agency": agency_hint}
    checks = record.get("checks") or []
    return {
        "agency": record.get("agency"),
        "year": record.get("year"),
        "template": record.get("template") or "unknown",
        "published": record.get("published"),
        "record": record,
        "checks": checks,
        "checks_failed": sum(1 for check in checks if not check.get("ok", True)),
        "extractor_version": EXTRACTOR_VERSION,
    }


class ReportPipeline:
    """Step 3, the crawl's account of reports: `DocumentPipeline` wrote the Report (or judged a parsed
    report to be none, `item.rejected`) with its Document (`pipelines.process`); counted here per host."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse):
            return item
        if item.report_id is not None:
            self.stats.inc_value("nianbao/reports/found")
            self.stats.inc_value(host_stat(item.site_host, "reports"))
        elif item.rejected:
            self.stats.inc_value("nianbao/reports/rejected")
        return item


def disposition_name(value: str | None) -> str | None:
    """The file name a Content-Disposition header gives (RFC 5987 `filename*=` first)."""
    import re
    from urllib.parse import unquote

    if not value:
        return None
    m = re.search(r"filename\*\s*=\s*[\w-]+'[^']*'([^;]+)", value, re.I)
    if m:
        return unquote(m.group(1).strip().strip('"'))
    m = re.search(r'filename\s*=\s*"?([^";]+)"?', value, re.I)
    return unquote(m.group(1).strip()) if m else None
