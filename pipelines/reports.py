"""Step 3: hand the Document to the extractor; store a Report when it recognises one."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from crawler.items import FetchedResponse
from extractor import EXTRACTOR_VERSION, extract_report
from pipelines.base import StoragePipeline
from pipelines.textify import DocumentText
from storage.models import Document, Report
from storage.records import upsert_report

logger = logging.getLogger(__name__)


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


def parse_document(text: str, html: str | None, title: str | None) -> dict[str, Any]:
    return extract_report(text or None, html=html, title=title)


class ReportPipeline(StoragePipeline):
    """Parse each new or changed Document; a Report row is kept only for annual reports."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedResponse) or item.document_id is None:
            return item
        document_text: DocumentText | None = item.notes.get("document_text")
        if document_text is None:
            # the Document already existed: parse only if it has no report at this extractor version
            def current(session: Any) -> tuple[bool, str, str | None]:
                report = session.scalars(select(Report).where(Report.document_id == item.document_id)).one_or_none()
                document = session.get(Document, item.document_id)
                done = report is not None and report.extractor_version == EXTRACTOR_VERSION
                return done, document.text, document.title

            done, text, title = self.storage.run(current)
            if done:
                return item
            from pipelines.textify import textify

            document_text = textify(item.body, url=item.final_url or item.url,
                                    content_type=item.headers.get("content-type"))
        html = document_text.html if document_text.kind == "html" else None
        try:
            record = parse_document(document_text.text, html, document_text.title)
        except Exception as exc:  # a parser bug must not stop the crawl; it is logged and counted
            logger.exception("%s: extractor failed: %s", item.final_url or item.url, exc)
            self.stats.inc_value("nianbao/reports/extractor_errors")
            return item
        if not record.get("is_report"):
            return item
        values = report_values(record, agency_hint=item.agency_hint)

        def store(session: Any) -> int:
            report, _changed = upsert_report(session, document_id=item.document_id, values=values)
            return report.id

        item.report_id = self.storage.run(store)
        self.stats.inc_value("nianbao/reports/found")
        return item
