"""The report extractor: text or HTML of a 政府信息公开工作年度报告 in, the spec record out.

A pure library (no Scrapy): used by the pipelines, by `nianbao reprocess` and by `nianbao extract`.

    extract_report(text: str | None = None, *, html: str | None = None, title: str | None = None,
                   url=None, site_name=None, seed_agency=None, anchor=None, pub_date=None) -> dict

returns the record of ../shared/spec/report-record.md (`is_report`, `agency`, `year`, `template`,
`published`, `active`, `requests`, `review_litigation`, `legacy`, `checks`, `sections`) plus where the
identity came from: `is_report_evidence`, `agency_source`, `agency_self`, `published_source` (README,
"Report identity"). The keyword context is what a crawl knows around the document.

Data flow (one module each): `normalise` (artefacts, Traditional -> Simplified, NFKC, cell values)
-> `tables` (rows and cells from tab/pipe/space/one-per-line text or exact HTML grids; `fit` places
a row's values) -> `detect` (is it a report, which format, by labels) -> `metadata` (agency, year,
signature date) and `sections` (headings 一…六) -> `active` (table 二), `requests` (table 三,
`RequestsTable`), `review` (table 四), `legacy` (pre-2019 统计表) -> `checks` (identities).
`schema` holds the national formats as data (`demo_site.render` draws records back into documents).
"""

from extractor.report import extract_report

EXTRACTOR_VERSION = "1.2.1"
"""Bumped whenever the output for the same input can change (re-processing keys on it)."""

__all__ = ["EXTRACTOR_VERSION", "extract_report"]
