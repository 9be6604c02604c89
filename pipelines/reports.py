"""Step 3: store the extractor's record as a Report when it recognises an annual report."""

from __future__ import annotations

from typing import Any

from extractor import EXTRACTOR_VERSION
from extractor.metadata import fits_self_reference
from pipelines.base import StoragePipeline
from pipelines.items import FetchedResponse
from pipelines.stats import host_stat
from storage.records import upsert_report


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


class ReportPipeline(StoragePipeline):
    """A Report row per Document that is an annual report (records parsed by DocumentPipeline)."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse) or item.document_id is None:
            return item
        record = item.record
        if not record or not record.get("is_report"):
            return item
        record = self._crawl_verdict(item, record)
        if record is None:
            return item
        values = report_values(record, agency_hint=item.agency_hint)

        def store(session: Any) -> int:
            report, _changed = upsert_report(session, document_id=item.document_id, values=values)
            return report.id

        item.report_id = self.storage.run(store)
        item.report_record = record  # with the crawl's agency and year (feeds: crawler.feeds)
        self.stats.inc_value("nianbao/reports/found")
        self.stats.inc_value(host_stat(item.site_host, "reports"))
        return item

    def _crawl_verdict(self, item: FetchedResponse, record: dict[str, Any]) -> dict[str, Any] | None:
        """The record with the crawl's agency and year, or None when the crawl knows it is no report
        (extractor.classify: news items and list pages mentioning reports, distractors)."""
        from sqlalchemy import select

        from extractor.classify import classify
        from storage.models import Document

        title = self.storage.run(lambda s: s.scalar(select(Document.title).where(Document.id == item.document_id)))
        context = item.context or {}
        titles = [title, item.anchor_text, disposition_name(item.headers.get("content-disposition")),
                  context.get("h1") if item.kind == "html" else None]
        decision = classify(record, titles=titles, url=item.final_url or item.url, context=context,
                            seed_agency=item.agency_hint)
        if not decision.is_report:
            self.stats.inc_value("nianbao/reports/rejected")
            item.rejected = decision.reason
            return None
        return {**record, "agency": decision.agency, "year": decision.year}


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
