"""Feed exporters of report records: `scrapy crawl portal -O corpus.jsonl` writes one line per stored
report (the record with its provenance, the fields `nianbao export` writes), not the raw exchanges.

The spider hands every HTTP exchange (`FetchedResponse`, with its body) to the pipelines; those are
the corpus' business. A feed gets only the exchanges that became a stored report (`report_id` set by
`pipelines.reports.ReportPipeline`), as plain JSON-able records; CSV flattens them like the export."""

from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter

from pipelines.items import FetchedResponse
from storage.export import RECORD_KEYS, flatten


def report_feed_record(item: Any) -> dict[str, Any] | None:
    """The feed record of an exchange that became a stored report, else None."""
    if not isinstance(item, FetchedResponse) or item.report_id is None:
        return None
    record = item.report_record or item.record or {}
    row = {key: record.get(key) for key in RECORD_KEYS}
    row.update({
        "source_url": item.final_url or item.url,
        "found_on": item.referrer,
        "fetched_at": item.fetched_at.isoformat() if item.fetched_at else None,
        "raw_sha256": item.sha256,
        "document_kind": item.kind,
        "report_id": item.report_id,
        "document_id": item.document_id,
    })
    return row


class _ReportRecords:
    flat = False

    def export_item(self, item: Any) -> None:
        row = report_feed_record(item)
        if row is not None:
            super().export_item(flatten(row) if self.flat else row)  # type: ignore[misc]


class ReportJsonLinesExporter(_ReportRecords, JsonLinesItemExporter):
    """JSON Lines: one report record per line."""


class ReportJsonExporter(_ReportRecords, JsonItemExporter):
    """A JSON array of report records."""


class ReportCsvExporter(_ReportRecords, CsvItemExporter):
    """CSV: one row per report, nested fields as dotted columns (like `nianbao export --format csv`)."""

    flat = True
