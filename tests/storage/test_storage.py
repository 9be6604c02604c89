"""Storage on the embedded default (SQLite) and on the real PostgreSQL server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from storage.blobs import RawStore, sha256_hex
from storage.config import resolve_storage
from storage.db import Storage
from storage.export import export_rows, flatten, write_export
from storage.models import CrawlRun, Document, DocumentFetch, Fetch, Report
from storage.records import (
    ensure_site,
    finish_run,
    link_document_fetch,
    record_fetch,
    record_visit,
    start_or_resume_run,
    upsert_document,
    upsert_report,
    visited_fetches,
)


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "sqlite":
        config = resolve_storage(None, tmp_path / "data")
    else:
        url = request.getfixturevalue("pg_url")
        config = resolve_storage(url, tmp_path / "data")
    store = Storage(config)
    yield store
    store.dispose()


def test_raw_store_is_content_addressed_and_atomic(tmp_path: Path) -> None:
    store = RawStore(tmp_path / "raw")
    body = "政府信息公开工作年度报告".encode("gb18030")
    digest = store.put(body)
    assert digest == sha256_hex(body)
    assert store.put(body) == digest  # same bytes, same file
    path = store.path(digest)
    assert path.parent.parent.name == digest[:2] and path.parent.name == digest[2:4]
    assert store.get(digest) == body and store.verify(digest)
    files = [p for p in (tmp_path / "raw").rglob("*") if p.is_file()]
    assert files == [path]  # no temporary files left behind
    with pytest.raises(FileNotFoundError, match="0" * 64):
        store.get("0" * 64)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_same_bytes_from_two_urls_stored_once(storage: Storage) -> None:
    body = b"%PDF-1.4 report"
    digest = storage.raw.put(body)
    assert storage.raw.put(body) == digest
    with storage.session() as session:
        site = ensure_site(session, "a.gov.cn", "http://a.gov.cn/", agency="某县卫健局")
        f1 = record_fetch(session, url="http://a.gov.cn/1.pdf", status=200, sha256=digest, site_id=site.id)
        f2 = record_fetch(session, url="http://a.gov.cn/copy/1.pdf", status=200, sha256=digest, site_id=site.id)
        again = record_fetch(session, url="http://a.gov.cn/1.pdf", status=200, sha256=digest, site_id=site.id)
        assert f1.id != f2.id and again.id == f1.id
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(Fetch)) == 2
        assert {f.sha256 for f in session.scalars(select(Fetch))} == {digest}
    assert len([p for p in storage.config.raw_dir.rglob("*") if p.is_file()]) == 1


def test_failed_fetch_is_recorded_with_its_error(storage: Storage) -> None:
    with storage.session() as session:
        fetch = record_fetch(session, url="http://a.gov.cn/missing", status=404, sha256=None,
                             error="HTTPError: HTTP 404")
        refused = record_fetch(session, url="http://b.gov.cn/", status=None, sha256=None,
                               error="ConnectionRefusedError: Connection was refused")
    with storage.session() as session:
        rows = {f.url: f for f in session.scalars(select(Fetch))}
    assert rows["http://a.gov.cn/missing"].status == 404 and "404" in rows["http://a.gov.cn/missing"].error
    assert rows["http://b.gov.cn/"].status is None and "refused" in rows["http://b.gov.cn/"].error
    assert fetch.id != refused.id


def test_documents_and_reports_are_idempotent(storage: Storage) -> None:
    digest = storage.raw.put(b"<html>report</html>")
    values = {"raw_sha256": digest, "kind": "html", "url": "http://a.gov.cn/r.html", "title": "2020年报",
              "text": "正文", "text_sha256": sha256_hex("正文".encode()), "quality": {"cjk_ratio": 1.0}}
    record = {"is_report": True, "agency": "某局", "year": 2020, "template": "2019", "checks": []}
    with storage.session() as session:
        fetch = record_fetch(session, url="http://a.gov.cn/r.html", status=200, sha256=digest)
        document, created = upsert_document(session, content_key=digest, values=values)
        link_document_fetch(session, document.id, fetch.id)
        link_document_fetch(session, document.id, fetch.id)
        report, report_created = upsert_report(session, document_id=document.id, values={
            "agency": "某局", "year": 2020, "template": "2019", "record": record, "checks": []})
        assert created and report_created
    with storage.session() as session:
        document, changed = upsert_document(session, content_key=digest, values=values)
        assert not changed
        report, changed = upsert_report(session, document_id=document.id, values={
            "agency": "某局", "year": 2020, "template": "2019", "record": record, "checks": []})
        assert not changed
        report, changed = upsert_report(session, document_id=document.id, values={"year": 2021})
        assert changed and report.year == 2021
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        assert session.scalar(select(func.count()).select_from(DocumentFetch)) == 1
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_runs_resume_and_remember_visits(storage: Storage) -> None:
    with storage.session() as session:
        run, resumed = start_or_resume_run(session, "nightly", ["http://a.gov.cn/"], resume=True)
        assert not resumed
        fetch = record_fetch(session, url="http://a.gov.cn/", status=200, sha256=None)
        record_visit(session, run.id, "http://a.gov.cn/", fetch.id)
        record_visit(session, run.id, "http://a.gov.cn/", fetch.id)
        run_id = run.id
    with storage.session() as session:
        again, resumed = start_or_resume_run(session, "nightly", [], resume=True)
        assert resumed and again.id == run_id
        assert len(visited_fetches(session, run_id)) == 1
        finish_run(session, run_id, "finished", {"pages": 1})
    with storage.session() as session:
        fresh, resumed = start_or_resume_run(session, "nightly", [], resume=True)
        assert not resumed and fresh.id != run_id
        assert session.get(CrawlRun, run_id).finished_at is not None


def test_concurrent_writers_never_duplicate(storage: Storage) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(20):
                storage.run(lambda s, i=i: record_fetch(s, url=f"http://a.gov.cn/{i}", status=200, sha256=None).id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with storage.session() as session:
        assert session.scalar(select(func.count()).select_from(Fetch)) == 20


def test_export_carries_provenance(storage: Storage, tmp_path: Path) -> None:
    digest = storage.raw.put(b"report body")
    record = {"is_report": True, "agency": "某局", "year": 2020, "template": "2019", "published": None,
              "active": {"licensing": {"decisions": 3}}, "requests": None, "review_litigation": None,
              "legacy": None, "checks": [{"name": "x", "ok": False, "detail": ""}], "sections": {}}
    with storage.session() as session:
        f1 = record_fetch(session, url="http://a.gov.cn/r.html", status=200, sha256=digest)
        f2 = record_fetch(session, url="http://mirror.gov.cn/r.html", status=200, sha256=digest)
        document, _ = upsert_document(session, content_key=digest, values={
            "raw_sha256": digest, "kind": "html", "url": "http://a.gov.cn/r.html", "title": "某局2020年报",
            "text": "t", "text_sha256": "x"})
        link_document_fetch(session, document.id, f1.id)
        link_document_fetch(session, document.id, f2.id)
        upsert_report(session, document_id=document.id, values={
            "agency": "某局", "year": 2020, "template": "2019", "record": record, "checks": record["checks"]})
    with storage.session() as session:
        rows = list(export_rows(session))
    assert len(rows) == 1
    row = rows[0]
    assert row["source_url"] == "http://a.gov.cn/r.html"
    assert row["copies"] == ["http://a.gov.cn/r.html", "http://mirror.gov.cn/r.html"]
    assert row["raw_sha256"] == digest and row["fetched_at"]
    flat = flatten(row)
    assert flat["active.licensing.decisions"] == 3 and flat["checks_failed"] == 1
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"corpus.{fmt}"
        assert write_export(iter(rows), out, fmt) == 1 and out.stat().st_size > 0


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Storage(resolve_storage(None, tmp_path))
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "nianbao.db").exists()
