"""`nianbao dedup` over a stored corpus: clusters, versions and canonical flags written back, idempotent."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crawler.cli import app
from storage.config import resolve_storage
from storage.db import Storage
from storage.models import Report
from storage.records import link_document_fetch, record_fetch, upsert_document, upsert_report
from tests.support.dedup_documents import damage_like_pdf, load_seed, previous_year, revised, twin_of


def _store(storage: Storage, name: str, text: str, record: dict, kind: str, url: str, when: datetime,
           referrer: str | None = None) -> None:
    raw = (kind + text).encode()
    digest = storage.raw.put(raw)
    with storage.session() as session:
        fetch = record_fetch(session, url=url, status=200, sha256=digest, fetched_at=when, referrer=referrer)
        doc, _ = upsert_document(
            session,
            content_key=digest,
            values={
                "raw_sha256": digest,
                "kind": kind,
                "url": url,
                "title": name,
                "text": text,
                "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "quality": {},
            },
        )
        link_document_fetch(session, doc.id, fetch.id)
        upsert_report(
            session,
            document_id=doc.id,
            values={
                "agency": record["agency"],
                "year": record["year"],
                "template": record["template"],
                "record": record,
                "checks": [{"name": "x", "ok": True}],
                "checks_failed": 0,
            },
        )


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    storage = Storage(resolve_storage(None, data))
    text, record = load_seed("000")
    t = datetime(2021, 2, 1, tzinfo=UTC)
    _store(storage, "html", text, record, "html", "http://a.gov.cn/r.html", t)
    _store(
        storage,
        "pdf",
        damage_like_pdf(text, "上城区卫生健康局年报"),
        record,
        "pdf",
        "http://a.gov.cn/r.pdf",
        t.replace(day=2),
    )
    for i, fn in enumerate((twin_of, previous_year)):
        t2, r2 = fn(text, record)
        _store(storage, fn.__name__, t2, r2, "html", f"http://b.gov.cn/{i}.html", t)
    storage.dispose()
    return data


def _rows(data: Path) -> dict[str, tuple]:
    storage = Storage(resolve_storage(None, data))
    with storage.session() as session:
        rows = session.execute(
            select(Report.id, Report.cluster_id, Report.version, Report.is_canonical)
        ).all()
    storage.dispose()
    return {str(r[0]): tuple(r[1:]) for r in rows}


def test_dedup_command_writes_assignments_and_is_idempotent(corpus: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["dedup", "--data-dir", str(corpus)])
    assert first.exit_code == 0, first.output
    assert "4 report(s), 4 new to the index; 3 cluster(s)" in first.output
    rows = _rows(corpus)
    html, pdf, twin, prev = (rows[k] for k in ("1", "2", "3", "4"))
    assert html[0] == pdf[0] and len({html[0], twin[0], prev[0]}) == 3
    assert html[1:] == (1, True) and pdf[1:] == (1, False)
    assert (corpus / "dedup" / "CURRENT").exists()

    again = runner.invoke(app, ["dedup", "--data-dir", str(corpus)])
    assert again.exit_code == 0, again.output
    assert "0 new to the index" in again.output and "0 report(s) updated" in again.output
    assert _rows(corpus) == rows

    # a revised edition arrives later: same cluster, version 2, canonical of its version
    text, record = load_seed("000")
    t2, r2 = revised(text, record)
    storage = Storage(resolve_storage(None, corpus))
    _store(storage, "rev", t2, r2, "html", "http://a.gov.cn/r-v2.html", datetime(2021, 6, 1, tzinfo=UTC))
    storage.dispose()
    third = runner.invoke(app, ["dedup", "--data-dir", str(corpus)])
    assert third.exit_code == 0, third.output
    assert "1 new to the index" in third.output
    rows3 = _rows(corpus)
    assert rows3["5"] == (html[0], 2, True)
    assert {k: v for k, v in rows3.items() if k != "5"} == rows

    rebuilt = runner.invoke(app, ["dedup", "--data-dir", str(corpus), "--rebuild"])
    assert rebuilt.exit_code == 0 and "0 report(s) updated" in rebuilt.output
    assert _rows(corpus) == rows3


def test_dedup_command_reports_a_broken_index(corpus: Path) -> None:
    index = corpus / "dedup"
    index.mkdir()
    (index / "CURRENT").write_text("gen-000009")
    result = CliRunner().invoke(app, ["dedup", "--data-dir", str(corpus)])
    assert result.exit_code == 2
    assert "dedup index" in result.output and "gen-000009" in result.output


def test_notice_page_then_its_pdf_one_cluster_one_export_row(tmp_path: Path) -> None:
    """A notice page stored first keeps its cluster id when the PDF arrives; reruns change nothing."""
    from storage.export import export_rows

    data = tmp_path / "data"
    text, record = load_seed("000")
    title = f"{record['agency']}2020年政府信息公开工作年度报告"
    stub_record = {"agency": record["agency"], "year": 2020, "template": "unknown", "active": None,
                   "requests": None, "review_litigation": None, "legacy": None, "sections": {}}
    storage = Storage(resolve_storage(None, data))
    t = datetime(2021, 2, 1, tzinfo=UTC)
    _store(storage, "notice", f"{title}\n{title}详见附件。\n附件：\n{title}.pdf", stub_record, "html",
           "http://a.gov.cn/notice.html", t)
    storage.dispose()
    runner = CliRunner()
    assert runner.invoke(app, ["dedup", "--data-dir", str(data)]).exit_code == 0
    (stub_cluster, _, _) = _rows(data)["1"]
    storage = Storage(resolve_storage(None, data))
    _store(storage, "pdf", damage_like_pdf(text, title), record, "pdf", "http://a.gov.cn/r.pdf", t.replace(day=2))
    storage.dispose()
    second = runner.invoke(app, ["dedup", "--data-dir", str(data)])
    assert "1 new to the index; 1 cluster(s)" in second.output and "2 report(s) updated" in second.output
    assert _rows(data) == {"1": (stub_cluster, 1, False), "2": (stub_cluster, 1, True)}
    for args in ([], ["--rebuild"]):
        again = runner.invoke(app, ["dedup", "--data-dir", str(data), *args])
        assert again.exit_code == 0 and "0 report(s) updated" in again.output, again.output
    storage = Storage(resolve_storage(None, data))
    with storage.session() as session:
        rows = list(export_rows(session))
    storage.dispose()
    assert len(rows) == 1
    assert rows[0]["source_url"] == "http://a.gov.cn/r.pdf" and rows[0]["document_kind"] == "pdf"
    assert set(rows[0]["copies"]) == {"http://a.gov.cn/r.pdf", "http://a.gov.cn/notice.html"}
    # an index written by an older nianbao (format 1) is rebuilt from the stored reports
    meta = next((data / "dedup").glob("gen-*")) / "meta.json"
    meta.write_text(meta.read_text().replace('"format": 3', '"format": 2'))
    old = runner.invoke(app, ["dedup", "--data-dir", str(data)])
    assert old.exit_code == 0 and "older format: rebuilt" in old.output, old.output
    assert "0 report(s) updated" in old.output and '"format": 3' in next((data / "dedup").glob("gen-*/meta.json")).read_text()


def test_portal_notice_joins_the_pdf_found_on_it(tmp_path: Path) -> None:
    """The notice's agency is the portal's; the PDF fetched from it (referrer) is its report, not the
    portal government's own report of that year. Stored in two crawls; reruns change nothing."""
    data = tmp_path / "data"
    text, record = load_seed("000")
    gov_text, gov_record = load_seed("001")
    notice_url = "http://www.yunxi.gov.cn/xxgk/2021/jyj.html"
    stub_record = {"agency": "云溪区人民政府", "year": 2020, "template": "unknown", "active": None,
                   "requests": None, "review_litigation": None, "legacy": None, "sections": {}}
    t = datetime(2021, 2, 1, tzinfo=UTC)
    storage = Storage(resolve_storage(None, data))
    _store(storage, "gov", gov_text, {**gov_record, "agency": "云溪区人民政府", "year": 2020}, "html",
           "http://www.yunxi.gov.cn/xxgk/2021/zf.html", t)
    _store(storage, "notice", "云溪区教育局2020年度政府信息公开工作年度报告\n详见附件。\n附件：年报.pdf",
           stub_record, "html", notice_url, t.replace(day=3), referrer="http://www.yunxi.gov.cn/xxgk/")
    storage.dispose()
    runner = CliRunner()
    first = runner.invoke(app, ["dedup", "--data-dir", str(data)])
    assert first.exit_code == 0, first.output
    assert _rows(data)["1"][0] == _rows(data)["2"][0]  # by (agency, year), for want of a better link
    storage = Storage(resolve_storage(None, data))
    _store(storage, "pdf", damage_like_pdf(text, "年报"), {**record, "agency": "云溪区教育局"}, "pdf",
           "http://www.yunxi.gov.cn/att/jyj2020.pdf", t.replace(day=4), referrer=notice_url)
    storage.dispose()
    second = runner.invoke(app, ["dedup", "--data-dir", str(data)])
    assert second.exit_code == 0, second.output
    assert "1 new to the index; 2 cluster(s)" in second.output, second.output
    rows = _rows(data)
    gov, notice, pdf = rows["1"], rows["2"], rows["3"]
    assert notice[0] == pdf[0] != gov[0] and pdf[1:] == (1, True) and notice[1:] == (1, False)
    assert gov[1:] == (1, True)
    for args in ([], ["--rebuild"]):
        again = runner.invoke(app, ["dedup", "--data-dir", str(data), *args])
        assert again.exit_code == 0 and "0 report(s) updated" in again.output, again.output
    assert _rows(data)["1"] == gov
