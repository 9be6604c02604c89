"""The demo site's reports stored as a crawl would store them, without crawling (fast tests).

Each expected report of `demo_site.truth()` becomes fetches of its URLs (bodies are small made-up
bytes in the raw store), one Document and one Report holding the record the site was built from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from demo_site import load_site, truth
from demo_site.platforms import make_record
from demo_site.seeds import load_seed
from extractor.checks import run_checks
from storage.db import Storage
from storage.records import ensure_site, link_document_fetch, record_fetch, upsert_document, upsert_report

BASE = "http://www.yunxi.gov.cn"
FETCHED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def demo_record(report: Any) -> dict[str, Any]:
    if report.seed and not report.seed.startswith("/"):
        try:
            return dict(load_seed(report.seed).gold)
        except (FileNotFoundError, KeyError, ValueError):
            pass
    return make_record(report.template, report.agency, report.year, report.published)


@lru_cache(maxsize=1)
def _site():  # noqa: ANN202
    return load_site()


def page_date(url: str) -> str | None:
    """The date the site shows on a report's page (its Last-Modified and 发布时间)."""
    page = _site().pages.get(url.removeprefix(BASE))
    return page.date if page is not None else None


def store_demo_corpus(storage: Storage, *, reverse: bool = False, region: str | None = None,
                      only: set[str] | None = None) -> list[str]:
    """Store the demo reports (in reverse order when asked: other database ids); returns their URLs."""
    reports = truth(BASE).reports
    if only is not None:
        reports = [r for r in reports if r.agency in only]
    if reverse:
        reports = list(reversed(reports))
    with storage.session() as session:
        ensure_site(session, "www.yunxi.gov.cn", BASE + "/", agency="云溪区人民政府", region=region)
    for i, report in enumerate(reports):
        record = demo_record(report)
        record["checks"] = run_checks(record)
        body = f"{report.url}\n{report.title}".encode()
        digest = storage.raw.put(body)
        with storage.session() as session:
            site = ensure_site(session, "www.yunxi.gov.cn", BASE + "/")
            fetches = [record_fetch(session, url=url, status=200, sha256=digest, site_id=site.id,
                                    fetched_at=FETCHED + timedelta(minutes=i))
                       for url in report.urls]
            document, _ = upsert_document(session, content_key=digest, values={
                "raw_sha256": digest, "kind": "pdf" if report.url.endswith(".pdf") else "html",
                "url": report.url, "title": report.title, "text": report.title, "text_sha256": digest,
                "published": page_date(report.url), "quality": {"pages": 1, "cjk_ratio": 0.9}})
            for fetch in fetches:
                link_document_fetch(session, document.id, fetch.id)
            upsert_report(session, document_id=document.id, values={
                "agency": record.get("agency"), "year": record.get("year"), "template": record["template"],
                "published": record.get("published"), "record": record, "checks": record["checks"],
                "checks_failed": sum(1 for c in record["checks"] if not c["ok"])})
    return [r.url for r in reports]


def expected_cells() -> dict[tuple[str, int], str]:
    """What the ledger must say, worked out from the site's own description (truth)."""
    reports = truth(BASE).reports
    years = range(min(r.year for r in reports), max(r.year for r in reports) + 1)
    agencies = {r.agency for r in reports} | {"云溪区人民政府"}  # the seed's agency
    out = {}
    for agency in agencies:
        for year in years:
            found = [r for r in reports if r.agency == agency and r.year == year]
            if not found:
                out[(agency, year)] = "missing"
                continue
            shown = found[0].published or page_date(found[0].url)  # the report's date, else its page's
            published = date.fromisoformat(shown) if shown else None
            government = agency.endswith("人民政府")
            limit = date(year + 1, 3, 31) if year < 2019 or government else date(year + 1, 1, 31)
            out[(agency, year)] = "unknown" if published is None else ("late" if published > limit else "found")
    return out
