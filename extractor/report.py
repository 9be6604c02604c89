"""`extract_report`: a report's text or HTML in, the record of report-record.md out."""

from __future__ import annotations

import re

from extractor.active import ActiveTable
from extractor.checks import run_checks
from extractor.detect import detect_template, judge_report
from extractor.legacy import read_legacy
from extractor.metadata import (
    PageContext,
    agency_candidates,
    choose_agency,
    find_published_source,
    find_year,
    self_reference,
    title_lines,
)
from extractor.normalise import squash
from extractor.requests import RequestsTable
from extractor.review import read_review
from extractor.sections import find_headings, section_texts
from extractor.tables import Document, document_from_html, document_from_text

_BLOCK_ANCHOR = re.compile(r"第二十条")
_REVIEW_ANCHOR = re.compile(r"^(?:行政复议|行政复议情况|结果维持|结结其尚)$")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_META = re.compile(r"<meta\s[^>]*>", re.IGNORECASE)
_META_ATTR = re.compile(r"""(name|property|http-equiv|content)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# meta names (lower case) as government CMSs write them -> PageContext field
_META_FIELDS = {
    "sitename": "site_name", "og:site_name": "site_name", "site_name": "site_name",
    "articletitle": "title", "og:title": "title", "title": "title",
    "pubdate": "pub_date", "publishdate": "pub_date", "firstpublishedtime": "pub_date", "published_time": "pub_date",
    "article:published_time": "pub_date", "maketime": "pub_date",
    "author": "author", "contentsource": "source", "source": "source", "publisher": "source",
}


def html_meta(html: str) -> dict[str, str]:
    """The page's meta tags that describe the article: site_name, title, pub_date, author, source."""
    head = html[: html.lower().find("</head>")] if "</head>" in html.lower() else html[:20000]
    out: dict[str, str] = {}
    for tag in _META.findall(head):
        attrs = {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _META_ATTR.finditer(tag)}
        key = (attrs.get("name") or attrs.get("property") or "").lower()
        value = (attrs.get("content") or "").strip()
        field = _META_FIELDS.get(key)
        if field and value and field not in out:
            out[field] = value
    return out


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


def _has_values(obj) -> bool:
    """Whether any table cell read holds a number."""
    if isinstance(obj, dict):
        return any(_has_values(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_values(v) for v in obj)
    return isinstance(obj, int | float) and not isinstance(obj, bool)


def extract_report(text: str | None = None, *, html: str | None = None, title: str | None = None,
                   url: str | None = None, site_name: str | None = None, seed_agency: str | None = None,
                   anchor: str | None = None, pub_date: str | None = None) -> dict:
    """The record of one report (see report-record.md); statistics only for annual reports.

    Keyword context is what a crawl knows and the text may lack: the document's `url`, the `site_name`
    of the portal, the `seed_agency` the site was listed under, the list `anchor` text that linked it,
    a `pub_date` from the page. HTML meta tags (SiteName, ArticleTitle, PubDate, Author) fill what is
    not given. Context never overrides what the document says of itself."""
    meta: dict[str, str] = {}
    page_title = None
    if html is not None:
        table_doc, page_text = document_from_html(html)
        meta = html_meta(html)
        m = _HTML_TITLE.search(html)
        if m:
            page_title = re.sub(r"\s+", " ", m.group(1)).strip() or None
        doc = document_from_text(text) if text is not None else table_doc
    else:
        doc = document_from_text(text or "")
        table_doc = doc
    titles = [t for t in (title, meta.get("title"), page_title, anchor) if t]
    context = PageContext(url=url, site_name=site_name or meta.get("site_name"), seed_agency=seed_agency,
                          titles=titles, author=meta.get("author"), source=meta.get("source"),
                          pub_date=pub_date or meta.get("pub_date"))
    lines = [row.text for row in doc.rows]
    heads = title_lines(lines, titles[0] if titles else None, extra=titles[1:])
    published, published_source = find_published_source(lines, context)
    year = find_year(lines, heads, published if published_source == "signature" else None)
    agency, agency_source = choose_agency(agency_candidates(lines, title, heads, given=len(titles)), lines, context)
    template = detect_template(table_doc.squashed, year)
    tables: dict = {"active": None, "requests": None, "review_litigation": None, "legacy": None}
    flags: list[dict] = []  # cells the tables could not place (e.g. glued digits with no unique cut)
    headings = find_headings(lines)
    if template in ("2019", "2021"):
        table_headings = headings if table_doc is doc else find_headings([r.text for r in table_doc.rows])
        regions = _regions(table_doc, table_headings, RequestsTable(template))
        active = ActiveTable(template)
        active.read(table_doc, *regions["active"])
        requests = RequestsTable(template)
        requests.read(table_doc, *regions["requests"])
        tables["active"] = active.record()
        tables["requests"] = requests.record()
        tables["review_litigation"] = read_review(table_doc, *regions["review"])
        flags = active.flags + requests.flags
    elif template == "pre2019":
        tables["legacy"] = read_legacy(table_doc)
    body = doc.squashed if doc is table_doc else doc.squashed + table_doc.squashed
    verdict = judge_report(heads, body, template, lines=lines,
                           has_values=_has_values(tables), titles=len(titles))
    is_report = verdict.is_report
    record: dict = {
        "is_report": is_report,
        "is_report_evidence": list(verdict.evidence),
        "agency": agency,
        "agency_source": agency_source,
        "agency_self": self_reference(lines),
        "year": year,
        "template": template if is_report else "unknown",
        "published": published,
        "published_source": published_source,
        **(tables if is_report else {k: None for k in tables}),
        "checks": [],
        "sections": section_texts(doc.raw, headings) if is_report else {},
    }
    if is_report and template in ("2019", "2021"):
        record["checks"] = run_checks(record) + flags
    return record
