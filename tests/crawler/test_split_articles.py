"""End-to-end: a SiteServer report split over `N.html`, `N_2.html`, `N_3.html` is crawled into one Document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.spiders.portal import ArticleChain, PortalSpider
from demo_site.platforms import make_record
from demo_site.server import DemoServer
from demo_site.site import Site
from pipelines.items import FetchedResponse
from tests.support.crawls import FAST, corpus_dump, nianbao, query

pytestmark = pytest.mark.slow

PREFIX = "/wsjkj"


def _site() -> Site:
    """The demo site's SiteServer sub-site alone: three years, 2020 split over three pages."""
    return Site({"site": {"name": "云溪区人民政府", "nav": []}, "page": [], "subsite": [{
        "platform": "siteserver", "prefix": PREFIX, "agency": "云溪区卫生健康局", "years": [2019, 2021],
        "channel": 21, "page_size": 5, "split_year": 2020, "split_pages": 3}]})


def _split_pages(site: Site) -> list[str]:
    first = next(p for p in site.pages.values() if p.extra.get("parts"))
    return [first.path, *first.extra["parts"]]


def _document_of(data: Path, url: str) -> tuple[int, str, str | None, dict]:
    rows = query(data, "SELECT id, text, error, quality FROM documents WHERE url = ?", url)
    assert len(rows) == 1, rows
    doc_id, text, error, quality = rows[0]
    return doc_id, text, error, json.loads(quality)


def _links(data: Path, doc_id: int) -> list[tuple[int, str, int]]:
    return query(data, "SELECT df.page, f.url, f.status FROM document_fetches df JOIN fetches f ON f.id = df.fetch_id "
                       "WHERE df.document_id = ? ORDER BY df.page", doc_id)


def _record(data: Path, doc_id: int) -> dict:
    rows = query(data, "SELECT record FROM reports WHERE document_id = ?", doc_id)
    assert len(rows) == 1, rows
    return json.loads(rows[0][0])


def test_split_report_becomes_one_document_and_recrawl_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = _site()
    pages = _split_pages(site)
    with DemoServer(site).start() as server:
        urls = [server.url(p) for p in pages]
        # page 2 is also a seed, so it is reached before its page 1: it must not become a document alone
        args = [urls[1], server.url(f"{PREFIX}/index.html"), "--job", "split", *FAST]
        nianbao("crawl", *args, data_dir=data)
        doc_id, text, error, quality = _document_of(data, urls[0])
        assert error is None
        assert "[SITESERVER_PAGE]" not in text and "SITESERVER" not in text
        order = [text.index(s) for s in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                                         "四、政府信息公开行政复议", "六、其他需要报告的事项")]
        assert order == sorted(order)
        assert [(n, u, s) for n, u, s in _links(data, doc_id)] == [(1, urls[0], 200), (2, urls[1], 200),
                                                                  (3, urls[2], 200)]
        assert quality["page_urls"] == urls and len(quality["page_sha256"]) == 3 and quality["pages"] == 3
        # pages 2 and 3 are never documents of their own
        assert query(data, "SELECT count(*) FROM documents WHERE url IN (?, ?)", urls[1], urls[2]) == [(0,)]
        others = query(data, "SELECT count(*) FROM document_fetches df JOIN fetches f ON f.id = df.fetch_id "
                             "WHERE f.url IN (?, ?) AND df.document_id != ?", urls[1], urls[2], doc_id)
        assert others == [(0,)]
        # the record has the numbers of every page's tables, the last page's included
        gen = site.pages[pages[0]].extra["gen"]
        gold = make_record(gen["template"], gen["agency"], gen["year"], gen["published"])
        record = _record(data, doc_id)
        assert (record["agency"], record["year"], record["template"]) == (gold["agency"], 2020, gold["template"])
        assert record["requests"] == gold["requests"]
        assert record["review_litigation"] == gold["review_litigation"]
        assert {k: v for k, v in record["active"].items() if k != "extra"} == \
            {k: v for k, v in gold["active"].items() if k != "extra"}
        # the same crawl again adds nothing; reprocess re-joins the stored pages to the same Document
        first = corpus_dump(data)
        nianbao("crawl", *args, data_dir=data)
        assert corpus_dump(data) == first
        out = nianbao("reprocess", "--workers", "0", data_dir=data).stdout
        assert " 0 changed" in out and "reports: 0 new, 0 changed" in out, out
        assert corpus_dump(data) == first


def test_missing_last_page_still_gives_a_document_with_the_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = _site()
    pages = _split_pages(site)
    with DemoServer(site).start() as server:
        server.set_behaviour(pages[2], status=404)
        urls = [server.url(p) for p in pages]
        nianbao("crawl", server.url(f"{PREFIX}/index.html"), "--job", "split404", *FAST, data_dir=data)
        doc_id, text, error, quality = _document_of(data, urls[0])
    assert [(n, u) for n, u, _s in _links(data, doc_id)] == [(1, urls[0]), (2, urls[1])]
    assert error and "page 3" in error and "404" in error and urls[2] in error
    assert quality["missing_pages"] == [{"page": 3, "url": urls[2], "error": "HTTPError: HTTP 404"}]
    assert "三、收到和处理政府信息公开申请情况" in text and "四、政府信息公开行政复议" not in text
    assert query(data, "SELECT status FROM fetches WHERE url = ?", urls[2]) == [(404,)]
    record = _record(data, doc_id)
    assert record["year"] == 2020
    assert all(v is None for row in record["review_litigation"].values() for v in row.values())


def _response(url: str, html: str, request: scrapy.Request) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8", request=request)


def test_the_chain_travels_in_cb_kwargs_and_hands_page_one_on_with_its_parts() -> None:
    """In-process: page 1 asks for page 2 with an `ArticleChain`; page 2 for page 3; page 3 (failed) ends
    the chain, and page 1 comes out once with both later pages as numbered parts."""
    crawler = get_crawler(PortalSpider, {"NIANBAO_BROWSER_ACTIVE": False})
    spider = PortalSpider.from_crawler(crawler, urls="http://x.gov.cn/")
    pager = '<a href="346_2.html">2</a> <a href="346_3.html">末页</a>'
    first = scrapy.Request("http://x.gov.cn/contents/12/346.html", meta={"depth": 2, "nb_score": 4.0})
    out = list(spider.parse(_response(first.url, f"<html><body>{pager}</body></html>", first)))
    [second] = [r for r in out if isinstance(r, scrapy.Request) and r.callback == spider.parse_part]
    chain = second.cb_kwargs["chain"]
    assert isinstance(chain, ArticleChain) and chain.page == 2 and chain.parts == ()
    assert second.url == "http://x.gov.cn/contents/12/346_2.html"
    assert not {"nb_article", "nb_parts", "nb_pending", "nb_page"} & set(second.meta)  # no chain in meta
    assert not [r for r in out if isinstance(r, FetchedResponse)]  # page 1 waits for its parts
    out = list(spider.parse_part(_response(second.url, f"<html><body>{pager}</body></html>", second), chain))
    [third] = [r for r in out if isinstance(r, scrapy.Request) and r.callback == spider.parse_part]
    assert third.cb_kwargs["chain"].page == 3 and len(third.cb_kwargs["chain"].parts) == 1
    failure = Failure(ConnectionRefusedError("refused"))
    failure.request = third  # type: ignore[attr-defined]
    [article] = list(spider.on_part_error(failure))
    assert article.url == first.url and article.depth == 2
    assert [(p.page, p.url, p.depth) for p in article.parts] == [(2, second.url, 2), (3, third.url, 2)]
    assert article.parts[1].error and article.parts[1].status is None
    assert crawler.stats.get_value("nianbao/siteserver/pages") == 3
