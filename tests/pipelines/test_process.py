"""The item pipelines built in-process (`get_crawler`) on a temporary SQLite corpus: a fetched body becomes
its Document, fetch links and Report through `pipelines.process`, in one transaction, idempotently, and
the crawl's parse settings (`-s NIANBAO_...`) reach the parse workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from demo_site.platforms import make_record
from pipelines.documents import DocumentPipeline
from pipelines.items import FetchedResponse
from pipelines.limits import Limits, limits
from pipelines.parse import PageBody, ParsedBody, ParseSettings
from pipelines.process import DocumentSource, crawl_verdict
from pipelines.reports import ReportPipeline
from pipelines.store_raw import StoreRawPipeline
from pipelines.textify import DocumentText
from storage.db import Storage
from storage.models import Document, DocumentFetch, Report
from tests.support.documents import portal_page, report_body_html, text_pdf


@pytest.fixture
def record() -> dict:
    return make_record("2019", "某某市卫生健康委员会", 2020, "2021-01-20")


class Crawl:
    """StoreRaw -> Document -> Report pipelines of one crawler, opened on a corpus in `folder`."""

    def __init__(self, folder: Path, **settings: Any) -> None:
        self.crawler = get_crawler(
            settings_dict={
                "NIANBAO_DATABASE_URL": f"sqlite:///{folder}/nianbao.db",
                "NIANBAO_DATA_DIR": str(folder),
                "NIANBAO_PARSE_WORKERS": 0,
                **settings,
            }
        )
        self.crawler.stats.open_spider()
        self.raw, self.documents, self.reports = (
            cls.from_crawler(self.crawler) for cls in (StoreRawPipeline, DocumentPipeline, ReportPipeline)
        )
        self.raw.open_spider()
        self.documents.open_spider()
        self.storage: Storage = self.documents.storage
        self.transactions = 0
        run = Storage.run

        def counted(storage: Storage, work: Any, **kwargs: Any) -> Any:
            self.transactions += 1
            return run(storage, work, **kwargs)

        self.counted = counted

    def process(self, item: FetchedResponse, monkeypatch: pytest.MonkeyPatch) -> tuple[FetchedResponse, int]:
        """The item through the three pipelines; the transactions the Document and Report steps used."""
        item = asyncio.run(self.raw.process_item(item))  # the raw body is written off the reactor thread
        with monkeypatch.context() as patch:
            patch.setattr(Storage, "run", self.counted)
            self.transactions = 0
            item = self.reports.process_item(asyncio.run(self.documents.process_item(item)))
            return item, self.transactions

    def stat(self, name: str) -> Any:
        return self.crawler.stats.get_value(name)

    def close(self) -> None:
        self.documents.close_spider()


def fetched(body: bytes, url: str, content_type: str, **fields: Any) -> FetchedResponse:
    return FetchedResponse(
        url=url,
        final_url=None,
        status=200,
        headers={"content-type": content_type},
        body=body,
        fetched_at=datetime(2024, 3, 1, tzinfo=UTC),
        site_host="www.example.gov.cn",
        **fields,
    )


def report_page(record: dict) -> bytes:
    return portal_page(record, report_body_html(record), meta='<meta charset="utf-8">').encode("utf-8")


def test_a_fetched_report_becomes_document_links_and_report_in_one_transaction(tmp_path, record, monkeypatch):
    crawl = Crawl(tmp_path)
    try:
        item, used = crawl.process(
            fetched(report_page(record), "http://www.example.gov.cn/ndbg/1.html", "text/html"), monkeypatch
        )
        assert used == 2  # the look-up of a Document already made, then every row at once
        assert item.document_id is not None and item.report_id is not None
        assert item.report_record["year"] == record["year"] and item.record["is_report"]
        with crawl.storage.session() as session:
            document = session.get(Document, item.document_id)
            assert document.kind == "html" and document.parsed_with and "规范性文件" in document.text
            report = session.scalars(select(Report)).one()
            assert (report.id, report.document_id, report.year) == (
                item.report_id,
                document.id,
                record["year"],
            )
            assert session.scalars(select(DocumentFetch.fetch_id)).all() == [item.fetch_id]
        assert crawl.stat("nianbao/reports/found") == 1 and crawl.stat("nianbao/documents/html") == 1
        assert crawl.stat("nianbao/hosts/www.example.gov.cn/reports") == 1

        # the same body from another URL: nothing parsed again, only a link added, in one transaction
        again, used = crawl.process(
            fetched(report_page(record), "http://www.example.gov.cn/mirror/1.html", "text/html"), monkeypatch
        )
        assert used == 1 and again.document_id == item.document_id and again.report_id is None
        with crawl.storage.session() as session:
            assert len(session.scalars(select(DocumentFetch)).all()) == 2
            assert len(session.scalars(select(Document)).all()) == 1
        assert crawl.stat("nianbao/reports/found") == 1 and crawl.stat("nianbao/documents/html") == 1
    finally:
        crawl.close()


def test_a_failed_parse_never_replaces_the_stored_text(tmp_path, record, monkeypatch):
    crawl = Crawl(tmp_path)
    try:
        first, _ = crawl.process(
            fetched(report_page(record), "http://www.example.gov.cn/ndbg/1.html", "text/html"), monkeypatch
        )
        with crawl.storage.session() as session:
            stored = session.get(Document, first.document_id)
            text, stored.parsed_with = stored.text, None  # as after an extractor upgrade: parsed again

        def die(*args: Any, **kwargs: Any) -> ParsedBody:
            raise MemoryError("the worker ran out of memory")

        monkeypatch.setattr("pipelines.documents.parse_document", die)
        again, _ = crawl.process(
            fetched(report_page(record), "http://www.example.gov.cn/ndbg/2.html", "text/html"), monkeypatch
        )
        assert again.document_id == first.document_id and again.report_id is None and again.record is None
        with crawl.storage.session() as session:
            kept = session.get(Document, first.document_id)
            assert kept.text == text and kept.error is None
            assert len(session.scalars(select(DocumentFetch)).all()) == 2  # the new fetch is linked to it
            assert len(session.scalars(select(Report)).all()) == 1
        assert crawl.stat("nianbao/documents/parse_failed") == 1

        # a body never stored before gets a Document naming the failure
        new, _ = crawl.process(
            fetched(b"%PDF-1.4 never parsed %%EOF", "http://www.example.gov.cn/a.pdf", "application/pdf"),
            monkeypatch,
        )
        with crawl.storage.session() as session:
            failed = session.get(Document, new.document_id)
            assert failed.text == "" and "MemoryError" in failed.error and failed.quality["parse_failed"]
            assert failed.parsed_with is None
    finally:
        crawl.close()


def test_the_verdict_takes_the_title_the_parse_produced():
    source = DocumentSource(
        content_key="k",
        raw_sha256="k",
        url="http://x.gov.cn/1.pdf",
        kind="pdf",
        pages=[PageBody(b"", "http://x.gov.cn/1.pdf")],
    )
    record = {"is_report": True, "year": 2019, "agency": None, "sections": {}}
    titled = ParsedBody(DocumentText("pdf", "", title="青山区司法局2020年政府信息公开工作年度报告"), record)
    decision = crawl_verdict(source, titled)
    assert (
        decision is not None
        and decision.is_report
        and (decision.agency, decision.year) == ("青山区司法局", 2020)
    )
    untitled = crawl_verdict(source, ParsedBody(DocumentText("pdf", ""), record))
    # no title, and a body of no sections confirms nothing
    assert untitled is not None and not untitled.is_report
    assert crawl_verdict(source, ParsedBody(DocumentText("pdf", ""), {**record, "is_report": False})) is None


def test_a_setting_given_with_dash_s_reaches_the_parse_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_PDF_SECONDS", "600")  # the workers' environment: not what they go by
    crawl = Crawl(
        tmp_path,
        NIANBAO_PARSE_WORKERS="1",
        NIANBAO_PDF_SECONDS="0",
        NIANBAO_OCR_ENGINE="tesseract",
        NIANBAO_MAX_TEXT_CHARS="1234",
        NIANBAO_PARSE_NICENESS="3",
        NIANBAO_PARSE_MEMORY_MB="1536",
    )
    try:
        assert crawl.documents.parse_settings == ParseSettings(
            workers=1,
            niceness=3,
            retries=1,
            limits=Limits(pdf_seconds=0.0, ocr_engine="tesseract", text_chars=1234, memory_mb=1536),
        )
        in_worker = crawl.documents.pool.submit(limits).result(timeout=120)
        assert in_worker == crawl.documents.parse_settings.limits
        item, _ = crawl.process(
            fetched(
                text_pdf("某某局2020年政府信息公开工作年度报告\n规章\t0\t0\t0"),
                "http://www.example.gov.cn/a.pdf",
                "application/pdf",
            ),
            monkeypatch,
        )
        with crawl.storage.session() as session:
            document = session.get(Document, item.document_id)
            assert "NIANBAO_PDF_SECONDS" in document.error and document.quality["unread_pages"] >= 1
    finally:
        crawl.close()


def test_the_environment_sets_a_parse_setting_through_the_addon(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    monkeypatch.setenv("NIANBAO_OCR_MAX_PAGES", "7")
    crawler = get_crawler(
        settings_dict={
            "ADDONS": {"crawler.addon.NianbaoAddon": 0},
            "NIANBAO_OCR_ENGINE": "auto",
            "NIANBAO_OCR_MAX_PAGES": 100,
            "NIANBAO_DATABASE_URL": f"sqlite:///{tmp_path}/n.db",
            "NIANBAO_DATA_DIR": str(tmp_path),
        }
    )
    caps = ParseSettings.from_settings(crawler.settings).limits
    assert (caps.ocr_engine, caps.ocr_max_pages) == ("rapidocr", 7)
