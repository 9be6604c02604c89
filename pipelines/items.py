"""What the spider hands to the pipelines: one HTTP exchange, successful or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchedResponse:
    """One response (or failure) and what the pipelines learn about it on the way through."""

    url: str
    final_url: str | None
    status: int | None
    headers: dict[str, str]
    body: bytes = field(repr=False)  # log lines (Scrapy's 'Scraped from', errors) never carry raw bytes
    fetched_at: datetime
    referrer: str | None = None
    anchor_text: str | None = None
    depth: int = 0
    site_host: str | None = None
    seed_url: str | None = None
    agency_hint: str | None = None
    region_hint: str | None = None
    error: str | None = None
    from_store: bool = False
    stored_fetch_id: int | None = None
    # a split article (SiteServer `346.html`, `346_2.html` ...): this exchange's page number, and on
    # page 1 the exchanges of pages 2..n in order (failed ones included, with their error)
    page: int = 1
    parts: list[FetchedResponse] = field(default_factory=list, repr=False)
    # filled by the pipelines
    fetch_id: int | None = None
    sha256: str | None = None
    kind: str | None = None
    document_id: int | None = None
    report_id: int | None = None
    # what the spider saw around the exchange, and what the pipelines decided about it
    context: dict[str, Any] | None = field(default=None, repr=False)  # the page around it (discovery.context)
    revalidation: str | None = None  # crawler.replay's mark of a re-checked URL (page 1's, for an article)
    unfetched: bool = False  # deliberately not asked for in this run (recorded already, or a blocked host)
    record: dict[str, Any] | None = field(default=None, repr=False)  # the extractor's record (DocumentPipeline)
    report_record: dict[str, Any] | None = field(default=None, repr=False)  # with the crawl's agency and year
    rejected: str | None = None  # why the crawl judged a parsed report to be none (extractor.classify)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def exchange_url(request: Any) -> str:
    """The URL an exchange is stored and resumed under: the request URL, and for a list page asked for
    by POST (the same URL page after page, or column after column: a JSON API, Hanweb's dataproxy.jsp)
    a `#post=<body hash>` mark, so each is one stored fetch and a resumed run answers each from its own
    bytes."""
    url = request.url
    if request.method != "GET" and request.body and (request.meta or {}).get("nb_list"):
        import hashlib

        return f"{url.split('#', 1)[0]}#post={hashlib.sha1(request.body).hexdigest()[:16]}"
    return url
