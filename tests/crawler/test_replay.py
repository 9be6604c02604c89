"""The replay middleware in-process (`scrapy.utils.test.get_crawler`, a SQLite corpus in tmp_path):
a resumed run answers from the raw store byte for byte, a stored URL is asked for conditionally and
its 304 answered from the store, a report not yet due is not asked for at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.antibot import AntiBotMiddleware
from crawler.replay import IncrementalSpiderMiddleware, ReplayMiddleware
from pipelines.corpus import CorpusStorage
from pipelines.incremental import IncrementalPipeline
from pipelines.items import FetchedResponse
from pipelines.store_raw import StoreRawPipeline
from storage.db import Storage
from storage.models import UrlState, url_key
from storage.records import ensure_site, record_fetch, record_visit, start_or_resume_run

HOST = "www.example.gov.cn"
LIST = f"https://{HOST}/xxgk/nb/index.html"
REPORT_PDF = f"https://{HOST}/xxgk/nb/2023.pdf"
BODY = "<html><head><meta charset='gbk'></head><body>年度报告 列表</body></html>".encode("gbk")
HEADERS = {"Content-Type": "text/html; charset=gbk", "ETag": '"v1"'}


def crawler_for(tmp_path: Path, **settings: Any) -> Crawler:
    """A crawler whose settings name a SQLite corpus in `tmp_path`, its CorpusStorage built."""
    return get_crawler(
        Spider,
        {
            "EXTENSIONS": {"pipelines.corpus.CorpusStorage": 0},
            "NIANBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'nianbao.db'}",
            "NIANBAO_DATA_DIR": str(tmp_path),
            **settings,
        },
    )


def store(
    storage: Storage,
    url: str,
    body: bytes | None,
    *,
    status: int = 200,
    kind: str = "html",
    run_id: int | None = None,
    checked_at: datetime | None = None,
    **fields: Any,
) -> int:
    """One stored exchange (raw body, fetch row, optionally a visit of `run_id` and a url_states row)."""
    sha = storage.raw.put(body) if body is not None else None

    def write(session: Any) -> int:
        site = ensure_site(session, HOST, f"https://{HOST}/")
        fetch = record_fetch(
            session, url=url, status=status, sha256=sha, site_id=site.id, kind=kind, final_url=url, **fields
        )
        if run_id is not None:
            record_visit(session, run_id, url, fetch.id)
        if checked_at is not None:
            session.add(
                UrlState(
                    url_key=url_key(url), url=url, fetch_id=fetch.id, status=status, checked_at=checked_at
                )
            )
        return fetch.id

    return storage.run(write)


def new_run(storage: Storage) -> int:
    return storage.run(lambda session: start_or_resume_run(session, "job", [LIST], resume=True)[0].id)


def test_a_resumed_run_answers_from_the_raw_store_byte_for_byte(tmp_path: Path) -> None:
    storage = CorpusStorage.of(crawler_for(tmp_path))  # the corpus a first run left
    run_id = new_run(storage)
    fetch_id = store(storage, LIST, BODY, headers=HEADERS, run_id=run_id)
    store(storage, f"https://{HOST}/gone.html", None, status=404, run_id=run_id, error="HTTPError: HTTP 404")

    crawler = crawler_for(tmp_path, NIANBAO_RUN_ID=run_id, NIANBAO_INCREMENTAL=False)
    middleware = ReplayMiddleware.from_crawler(crawler)
    middleware.spider_opened()

    request = Request(LIST)
    response = middleware.process_request(request)
    assert isinstance(response, HtmlResponse)
    assert response.body == BODY
    assert response.status == 200
    assert response.headers["ETag"] == b'"v1"'
    assert response.flags == ["stored"]
    assert request.meta["from_store"] is True
    assert request.meta["stored_fetch_id"] == fetch_id
    assert "nb_incremental" not in request.meta  # a replay, not a revalidation: the pipelines skip it
    assert crawler.stats.get_value("nianbao/resume/served_from_store") == 1

    with pytest.raises(IgnoreRequest, match="already recorded in this run"):  # failures are not retried
        middleware.process_request(Request(f"https://{HOST}/gone.html"))
    assert crawler.stats.get_value("nianbao/resume/skipped_failed") == 1
    assert middleware.process_request(Request(f"https://{HOST}/new.html")) is None  # not stored: fetched


def test_a_stored_page_is_asked_for_conditionally_and_its_304_answered_from_the_store(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    storage = CorpusStorage.of(crawler)
    fetch_id = store(
        storage, LIST, BODY, headers=HEADERS, etag='"v1"', last_modified="Tue, 05 Dec 2023 08:00:00 GMT"
    )
    middleware = ReplayMiddleware.from_crawler(crawler)

    request = Request(LIST)
    assert middleware.process_request(request) is None  # a list page: always asked for again
    assert request.headers["If-None-Match"] == b'"v1"'
    assert request.headers["If-Modified-Since"] == b"Tue, 05 Dec 2023 08:00:00 GMT"
    assert crawler.stats.get_value("nianbao/incremental/conditional") == 1

    changed = Response(LIST, status=200, body=b"<html>new</html>", request=request)
    assert middleware.process_response(request, changed) is changed  # a 200: the new body goes on

    replayed = middleware.process_response(request, Response(LIST, status=304, request=request))
    assert isinstance(replayed, HtmlResponse)
    assert replayed.body == BODY and replayed.status == 200
    assert replayed.flags == ["not_modified"]
    assert request.meta["nb_incremental"] == "not_modified"
    assert request.meta["stored_fetch_id"] == fetch_id
    assert crawler.stats.get_value("nianbao/incremental/not_modified") == 1


def test_a_304_whose_body_the_store_lost_is_asked_for_again_without_validators(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    storage = CorpusStorage.of(crawler)
    store(storage, LIST, BODY, headers=HEADERS, etag='"v1"')
    middleware = ReplayMiddleware.from_crawler(crawler)
    request = Request(LIST)
    middleware.process_request(request)
    storage.raw.path(storage.raw.put(BODY)).unlink()

    retry = middleware.process_response(request, Response(LIST, status=304, request=request))
    assert isinstance(retry, Request)
    assert "If-None-Match" not in retry.headers and retry.dont_filter
    assert crawler.stats.get_value("nianbao/incremental/refetch_missing_body") == 1


def test_a_report_not_yet_due_is_answered_from_the_store_without_asking(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, NIANBAO_REVALIDATE_DAYS_PEAK=30, NIANBAO_REVALIDATE_DAYS_OFFPEAK=30)
    storage = CorpusStorage.of(crawler)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
    now = datetime.now(UTC)
    store(
        storage,
        REPORT_PDF,
        pdf,
        kind="pdf",
        headers={"Content-Type": "application/pdf"},
        etag='"p"',
        checked_at=now - timedelta(days=1),
    )
    middleware = ReplayMiddleware.from_crawler(crawler)

    request = Request(REPORT_PDF)
    response = middleware.process_request(request)
    assert response is not None and response.body == pdf
    assert response.flags == ["not_due"] and request.meta["nb_incremental"] == "not_due"
    assert "If-None-Match" not in request.headers

    # a month later it is due: asked for with its validators
    storage.run(
        lambda s: setattr(s.get(UrlState, url_key(REPORT_PDF)), "checked_at", now - timedelta(days=31))
    )
    due = Request(REPORT_PDF)
    assert middleware.process_request(due) is None
    assert due.headers["If-None-Match"] == b'"p"'


def test_robots_txt_post_and_browser_renderings_are_never_answered_from_the_store(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    storage = CorpusStorage.of(crawler)
    for url in (LIST, f"https://{HOST}/robots.txt"):
        store(storage, url, BODY, headers=HEADERS, etag='"v1"')
    middleware = ReplayMiddleware.from_crawler(crawler)
    for request in (
        Request(f"https://{HOST}/robots.txt"),
        Request(LIST, method="POST", body=b"page=2"),
        Request(LIST, meta={"playwright": True}),
    ):
        assert middleware.process_request(request) is None
        assert "If-None-Match" not in request.headers


def test_without_a_run_or_incremental_crawls_there_is_nothing_to_replay(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        ReplayMiddleware.from_crawler(crawler_for(tmp_path, NIANBAO_INCREMENTAL=False))


def test_the_spider_middleware_marks_items_answered_from_the_store(tmp_path: Path) -> None:
    middleware = IncrementalSpiderMiddleware.from_crawler(crawler_for(tmp_path))
    request = Request(LIST, meta={"nb_incremental": "not_modified"})
    response = HtmlResponse(LIST, body=BODY, request=request)
    item = FetchedResponse(
        url=LIST, final_url=LIST, status=200, headers={}, body=BODY, fetched_at=datetime.now(UTC)
    )
    out = list(middleware.process_spider_output(response, [item, Request(f"https://{HOST}/next.html")]))
    assert out[0].revalidation == "not_modified"
    assert isinstance(out[1], Request)


def test_every_component_shares_the_one_storage(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    storage = CorpusStorage.of(crawler)
    assert ReplayMiddleware.from_crawler(crawler).storage is storage
    assert IncrementalSpiderMiddleware.from_crawler(crawler).storage is storage
    assert StoreRawPipeline.from_crawler(crawler).storage is storage
    assert IncrementalPipeline.from_crawler(crawler).storage is storage
    assert AntiBotMiddleware.from_crawler(crawler).storage is storage


def test_a_storage_built_from_the_settings_is_disposed_a_handed_one_is_its_openers(
    tmp_path: Path, monkeypatch
) -> None:
    disposed: list[Storage] = []
    monkeypatch.setattr(Storage, "dispose", lambda self: disposed.append(self))
    crawler = crawler_for(tmp_path)
    built = crawler.get_extension(CorpusStorage)
    assert built is not None and built.owned
    built.engine_stopped()
    assert disposed == [built.storage]

    opened = Storage(built.storage.config)  # what `nianbao crawl` opened
    CorpusStorage.hand_over(crawler, opened)
    handed = CorpusStorage.from_crawler(crawler)
    assert handed.storage is opened and not handed.owned
    handed.engine_stopped()
    assert disposed == [built.storage]


def test_without_the_extension_listed_a_crawler_still_has_one_storage(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"NIANBAO_DATA_DIR": str(tmp_path)})
    assert crawler.get_extension(CorpusStorage) is None
    storage = CorpusStorage.of(crawler)
    assert ReplayMiddleware.from_crawler(crawler).storage is storage
    assert StoreRawPipeline.from_crawler(crawler).storage is storage
    assert storage.config.data_dir == tmp_path
