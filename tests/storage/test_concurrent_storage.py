"""Concurrent writers: several processes storing the same blob, or the same report from two URLs,
never produce duplicate rows or a torn file (PostgreSQL upserts; SQLite WAL and retries)."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.config import StorageConfig
from storage.db import Storage
from storage.models import Document, DocumentFetch, Fetch, Report
from storage.records import link_document_fetch, record_fetch, upsert_document, upsert_report

BODY = ("<html><body>" + "测试县2023年政府信息公开工作年度报告" * 20000 + "</body></html>").encode()
WORKERS = 4
ROUNDS = 15


def _store(database_url: str, data_dir: str, worker: int, barrier) -> None:  # noqa: ANN001
    storage = Storage(StorageConfig(database_url=database_url, data_dir=Path(data_dir)))
    barrier.wait(timeout=60)
    for n in range(ROUNDS):
        sha = storage.raw.put(BODY)
        url = f"http://127.0.0.2/report-{(worker + n) % 2}.html"  # the same report under two URLs

        def work(session, sha=sha, url=url):  # noqa: ANN001, ANN202
            fetch = record_fetch(session, url=url, status=200, sha256=sha, kind="html")
            document, _ = upsert_document(session, content_key=sha, values={
                "raw_sha256": sha, "kind": "html", "url": url, "text": "年度报告", "text_sha256": sha})
            link_document_fetch(session, document.id, fetch.id)
            upsert_report(session, document_id=document.id, values={
                "agency": "测试县人民政府", "year": 2023, "template": "2021", "record": {"year": 2023}})

        storage.run(work)
    storage.dispose()


def _race(database_url: str, data_dir: Path) -> Storage:
    storage = Storage(StorageConfig(database_url=database_url, data_dir=data_dir))  # migrate once first
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    processes = [context.Process(target=_store, args=(database_url, str(data_dir), i, barrier))
                 for i in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WORKERS
    return storage


def _check(storage: Storage, data_dir: Path) -> None:
    sha = hashlib.sha256(BODY).hexdigest()
    with storage.session() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Fetch) == 2  # one observation per URL
        assert count(Document) == 1 and count(Report) == 1
        assert count(DocumentFetch) == 2  # the report is linked to both URLs
    blob = data_dir / "raw" / sha[:2] / sha[2:4] / sha
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha
    assert not [p for p in blob.parent.iterdir() if p.name.startswith(".tmp-")], "a temporary file was left"


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_writers_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    storage = _race(pg_url, tmp_path)
    _check(storage, tmp_path)
    storage.dispose()


@pytest.mark.slow
def test_concurrent_writers_on_sqlite(tmp_path: Path) -> None:
    storage = _race(f"sqlite:///{tmp_path / 'nianbao.db'}", tmp_path)
    _check(storage, tmp_path)
    storage.dispose()
