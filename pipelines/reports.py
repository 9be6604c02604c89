"""Step 3: store the extractor's record as a Report when it recognises an annual report."""

from __future__ import annotations

from typing import Any

from crawler.items import FetchedResponse
from extractor import EXTRACTOR_VERSION
from pipelines.base import StoragePipeline
from storage.records import upsert_report


def report_values(record: dict[str, Any], *, agency_hint: str | None = None) -> dict[str, Any]:
    """The Report columns for one extractor record (the seed's agency fills a missing agency)."""
    if not record.get("agency") and agency_hint:
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


class ReportPipeline(StoragePipeline):
    """A Report row per Document that is an annual report (records parsed by DocumentPipeline)."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse) or item.document_id is None:
            return item
        record = item.notes.get("record")
        if not record or not record.get("is_report"):
            return item
        values = report_values(record, agency_hint=item.agency_hint)

        def store(session: Any) -> int:
            report, _changed = upsert_report(session, document_id=item.document_id, values=values)
            return report.id

        item.report_id = self.storage.run(store)
        self.stats.inc_value("nianbao/reports/found")
        return item
