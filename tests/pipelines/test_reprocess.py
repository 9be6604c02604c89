"""`nianbao reprocess`: re-run textify + extractor over stored raw bodies, idempotently."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crawler.cli import app
from storage.blobs import sha256_hex
from storage.config import resolve_storage
from storage.db import Storage
from storage.models import Document, Report
from storage.records import link_document_fetch, record_fetch, upsert_document
from tests.support.documents import portal_page, report_body_html, text_pdf
from tests.support.spec import SHARED

GOLD = SHARED / "spec" / "gold"


@pytest.fixture
def record() -> dict:
    files = sorted(GOLD.glob("*.json"))
    if not files:
        pytest.skip(f"gold records not found under {GOLD}")
    return json.loads(files[1].read_text(encoding="utf-8"))


def _store(storage: Storage, body: bytes, url: str, content_type: str, fetched_at: datetime) -> None:
    digest = storage.raw.put(body)
    with storage.session() as session:
        fetch = record_fetch(session, url=url, status=200, sha256=digest, headers={"Content-Type": content_type},
                             content_type=content_type, size=len(body), fetched_at=fetched_at)
        document, _ = upsert_document(session, content_key=digest, values={
            "raw_sha256": digest, "kind": "html" if "html" in content_type else "pdf", "url": url, "text": "",
            "text_sha256": sha256_hex(b""), "extractor": "old", "extractor_version": "0", "quality": {}})
        link_document_fetch(session, document.id, fetch.id)


def _run(data_dir: Path, *args: str):
    result = CliRunner().invoke(app, ["reprocess", "--data-dir", str(data_dir), "--workers", "0", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_reprocess_updates_then_changes_nothing(tmp_path, record):
    storage = Storage(resolve_storage(None, tmp_path))
    html = portal_page(record, report_body_html(record), meta='<meta charset="gb2312">').encode("gbk")
    _store(storage, html, "http://www.example.gov.cn/zwgk/ndbg/1.html", "text/html",
           datetime(2021, 1, 20, tzinfo=UTC))
    _store(storage, text_pdf("某某局2020年政府信息公开工作年度报告\n规章\t0\t0\t0"), "http://www.example.gov.cn/a.pdf",
           "application/pdf", datetime(2023, 5, 1, tzinfo=UTC))
    storage.dispose()

    out = _run(tmp_path, "--kind", "pdf")
    assert "documents: 1 reprocessed, 1 changed" in out
    out = _run(tmp_path, "--since", "2022-01-01")
    assert "documents: 1 reprocessed, 0 changed" in out  # only the 2023 PDF, already current

    out = _run(tmp_path)
    assert "documents: 2 reprocessed, 1 changed" in out
    storage = Storage(resolve_storage(None, tmp_path))
    with storage.session() as session:
        docs = {d.kind: d for d in session.scalars(select(Document))}
        html_doc = docs["html"]
        assert html_doc.encoding == "gb18030" and html_doc.extractor.startswith("trafilatura")
        assert "规范性文件\t3\t0\t0" in html_doc.text and "ICP备" not in html_doc.text
        assert docs["pdf"].extractor == "pdfium" and "规章\t0\t0\t0" in docs["pdf"].text
        stamps = {d.id: d.updated_at for d in docs.values()}
        report = session.scalars(select(Report)).one()
        assert report.document_id == html_doc.id and report.year == record["year"]
        report_stamp = report.updated_at
    storage.dispose()

    out = _run(tmp_path)  # the second run finds nothing to change
    assert "documents: 2 reprocessed, 0 changed" in out and "reports: 0 new, 0 changed" in out
    storage = Storage(resolve_storage(None, tmp_path))
    with storage.session() as session:
        assert {d.id: d.updated_at for d in session.scalars(select(Document))} == stamps
        assert session.scalars(select(Report)).one().updated_at == report_stamp
    storage.dispose()


def test_reprocess_skips_missing_raw_and_bad_dates(tmp_path, record):
    storage = Storage(resolve_storage(None, tmp_path))
    _store(storage, b"%PDF-1.4 broken", "http://x.gov.cn/broken.pdf", "application/pdf", datetime.now(UTC))
    digest = storage.raw.put(b"<html><body><p>gone</p></body></html>")
    storage.raw.path(digest).unlink()
    with storage.session() as session:
        fetch = record_fetch(session, url="http://x.gov.cn/gone.html", status=200, sha256=digest, headers={})
        document, _ = upsert_document(session, content_key=digest, values={
            "raw_sha256": digest, "kind": "html", "url": "http://x.gov.cn/gone.html", "text": "kept",
            "text_sha256": sha256_hex(b"kept"), "quality": {}})
        link_document_fetch(session, document.id, fetch.id)
    storage.dispose()
    out = _run(tmp_path)
    assert "1 skipped (raw body missing)" in out and "1 with extraction errors" in out
    assert "broken.pdf" in out
    storage = Storage(resolve_storage(None, tmp_path))
    with storage.session() as session:
        assert session.scalars(select(Document).where(Document.url.like("%gone%"))).one().text == "kept"
    storage.dispose()
    result = CliRunner().invoke(app, ["reprocess", "--data-dir", str(tmp_path), "--since", "yesterday"])
    assert result.exit_code != 0


def test_reprocess_with_a_larger_budget_reads_the_pages_left_unread(tmp_path, monkeypatch):
    storage = Storage(resolve_storage(None, tmp_path))
    body = text_pdf("某某局2020年政府信息公开工作年度报告\n" + "\n".join(f"第{i}段。" for i in range(80)))
    _store(storage, body, "http://www.example.gov.cn/big.pdf", "application/pdf", datetime(2023, 5, 1, tzinfo=UTC))
    storage.dispose()
    monkeypatch.setenv("NIANBAO_PDF_SECONDS", "0")
    _run(tmp_path, "--kind", "pdf")
    storage = Storage(resolve_storage(None, tmp_path))
    with storage.session() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.quality["unread_pages"] == doc.quality["pages"] and "NIANBAO_PDF_SECONDS" in doc.error
    monkeypatch.delenv("NIANBAO_PDF_SECONDS")
    out = _run(tmp_path, "--kind", "pdf")
    assert "1 changed" in out
    with storage.session() as session:
        doc = session.scalars(select(Document)).one()
        assert "unread_pages" not in doc.quality and doc.error is None and "第79段" in doc.text
    storage.dispose()



def test_a_failed_parse_keeps_the_stored_document_and_is_named(tmp_path, monkeypatch):
    from pipelines.parse import ParseSettings
    from pipelines.reprocess import reprocess_corpus, select_documents

    storage = Storage(resolve_storage(None, tmp_path))
    _store(storage, b"<html><body><p>\xe5\xb9\xb4\xe6\x8a\xa5</p></body></html>", "http://x.gov.cn/1.html",
           "text/html", datetime(2023, 5, 1, tzinfo=UTC))

    def die(source):
        raise MemoryError("out of memory")

    monkeypatch.setattr("pipelines.reprocess.parse_document", die)
    progress = []
    try:
        outcome = reprocess_corpus(storage, select_documents(storage), parse_settings=ParseSettings(workers=0),
                                   on_progress=lambda done, _outcome: progress.append(done))
        with storage.session() as session:
            document = session.scalars(select(Document)).one()
            assert (document.text, document.extractor) == ("", "old")  # as stored
    finally:
        storage.dispose()
    assert (outcome.scanned, outcome.errors, outcome.documents_changed) == (1, 1, 0)
    assert outcome.messages == ["http://x.gov.cn/1.html: parsing failed, stored text kept (out of memory)"]
    assert sum(progress) == 1


def test_the_pool_is_run_like_the_crawls(monkeypatch):
    """`nianbao reprocess` parses at the crawl's niceness, memory cap and retries (settings, environment)."""
    from crawler.cli.reprocess_cmd import parse_settings
    from settings import default

    parse = parse_settings(None)
    assert (parse.niceness, parse.retries, parse.limits.memory_mb) == (
        default.NIANBAO_PARSE_NICENESS, default.NIANBAO_PARSE_RETRIES, default.NIANBAO_PARSE_MEMORY_MB)
    monkeypatch.setenv("NIANBAO_PARSE_NICENESS", "0")
    monkeypatch.setenv("NIANBAO_PARSE_WORKERS", "3")
    monkeypatch.setenv("NIANBAO_PDF_SECONDS", "9")
    parse = parse_settings(None)
    assert (parse.niceness, parse.workers, parse.limits.pdf_seconds) == (0, 3, 9.0)
    assert parse_settings(0).workers == 0  # --workers over the environment
