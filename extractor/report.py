"""`extract_report`: a report's text or HTML in, the record of report-record.md out."""

from __future__ import annotations

import re

from extractor.active import ActiveTable
from extractor.checks import run_checks
from extractor.detect import detect_template, is_annual_report
from extractor.legacy import read_legacy
from extractor.metadata import find_agency, find_published, find_year, title_lines
from extractor.normalise import squash
from extractor.requests import RequestsTable
from extractor.review import read_review
from extractor.sections import find_headings, section_texts
from extractor.tables import Document, document_from_html, document_from_text

_BLOCK_ANCHOR = re.compile(r"第二十条")
_REVIEW_ANCHOR = re.compile(r"^(?:行政复议|行政复议情况|结果维持|结结其尚)$")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _first_row(doc: Document, start: int, end: int, predicate) -> int | None:
    for i in range(max(start, 0), min(end, len(doc.rows))):
        if predicate(doc.rows[i]):
            return i
    return None


def _regions(doc: Document, headings: dict[str, int], requests_probe: RequestsTable) -> dict[str, tuple[int, int]]:
    """Row ranges of tables 二, 三 and 四."""
    n = len(doc.rows)
    block = _first_row(doc, 0, n, lambda r: any(_BLOCK_ANCHOR.search(c) for c in r.cells if len(c) < 30))
    active_start = min(x for x in (headings.get("active"), block, n) if x is not None)
    tail_end = min(x for x in (headings.get("problems"), headings.get("other"), n) if x is not None)

    def is_request_row(row) -> bool:
        for cell in row.cells:
            if cell and len(cell) < 80:
                kind, _ = requests_probe.classify(cell)
                if kind == "label":
                    return True
        return False

    probe_from = active_start if active_start < n else 0
    first_request = _first_row(doc, probe_from, tail_end, is_request_row)
    requests_probe.last_key = None
    requests_start = min(x for x in (headings.get("requests"), first_request, tail_end) if x is not None)
    if requests_start < active_start:
        active_start = requests_start
    review_start = headings.get("review_litigation")
    if review_start is None or review_start < requests_start:
        review_start = _first_row(
            doc, requests_start, tail_end, lambda r: any(_REVIEW_ANCHOR.match(squash(c)) for c in r.cells)
        )
    if review_start is None:
        review_start = tail_end
    return {
        "active": (active_start, requests_start),
        "requests": (requests_start, review_start),
        "review": (review_start, tail_end),
    }


def extract_report(text: str | None = None, *, html: str | None = None, title: str | None = None) -> dict:
    """The record of one report (see report-record.md); statistics only for annual reports."""
    if html is not None:
        table_doc, page_text = document_from_html(html)
        if title is None:
            m = _HTML_TITLE.search(html)
            if m:
                title = re.sub(r"\s+", " ", m.group(1)).strip() or None
        doc = document_from_text(text) if text is not None else table_doc
    else:
        doc = document_from_text(text or "")
        table_doc = doc
    lines = [row.text for row in doc.rows]
    heads = title_lines(lines, title)
    published = find_published(lines)
    year = find_year(lines, heads, published)
    agency = find_agency(lines, title, heads)
    template = detect_template(table_doc.squashed, year)
    body = doc.squashed if doc is table_doc else doc.squashed + table_doc.squashed
    is_report = is_annual_report(heads, body, template)
    if not is_report:
        template = "unknown"
    headings = find_headings(lines)
    record: dict = {
        "is_report": is_report,
        "agency": agency,
        "year": year,
        "template": template,
        "published": published,
        "active": None,
        "requests": None,
        "review_litigation": None,
        "legacy": None,
        "checks": [],
        "sections": section_texts(doc.raw, headings) if is_report else {},
    }
    if template in ("2019", "2021"):
        table_headings = headings if table_doc is doc else find_headings([r.text for r in table_doc.rows])
        regions = _regions(table_doc, table_headings, RequestsTable(template))
        active = ActiveTable(template)
        active.read(table_doc, *regions["active"])
        requests = RequestsTable(template)
        requests.read(table_doc, *regions["requests"])
        record["active"] = active.record()
        record["requests"] = requests.record()
        record["review_litigation"] = read_review(table_doc, *regions["review"])
        record["checks"] = run_checks(record) + active.flags + requests.flags
    elif template == "pre2019":
        record["legacy"] = read_legacy(table_doc)
    return record
