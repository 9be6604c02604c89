"""Nightly incremental crawls against a local site whose pages change between crawls.

The second crawl asks with the stored validators (If-None-Match / If-Modified-Since): unchanged pages
answer 304 and cost nothing, a changed report becomes a new version (the old body stays in the store),
a report that now answers 404/410 is marked removed, and `nianbao runs` shows it all.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.replay import RevalidationSchedule
from demo_site.server import serve
from tests.support.crawls import FAST, corpus_dump, nianbao, query
from tests.support.report_sites import report_page, report_site

ALL_DUE = ["-s", "NIANBAO_REVALIDATE_DAYS_PEAK=0", "-s", "NIANBAO_REVALIDATE_DAYS_OFFPEAK=0"]
NONE_DUE = ["-s", "NIANBAO_REVALIDATE_DAYS_PEAK=30", "-s", "NIANBAO_REVALIDATE_DAYS_OFFPEAK=30"]
OPTS = [*FAST, "-s", "NIANBAO_PARSE_WORKERS=0", "--no-dedup"]

A, B, C, D = (f"/xxgk/nb/t{n}.html" for n in ("a", "b", "c", "d"))


def _reports(changed: bool = False, without_d: bool = False) -> list[dict]:
    pages = [
        report_page(A, "测试县教育局", 2022, date="2023-04-02" if changed else None),  # corrected later
        report_page(B, "测试县财政局", 2022),
        report_page(C, "测试县民政局", 2023),
        report_page(D, "测试县卫生健康局", 2023),
    ]
    return [p for p in pages if not (without_d and p["path"] == D)]


def _statuses(server) -> dict[str, list[int]]:  # noqa: ANN001
    out: dict[str, list[int]] = {}
    for record in server.requests:
        out.setdefault(record.path, []).append(record.status)
    return out


@pytest.mark.slow
def test_second_crawl_is_conditional_and_keeps_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(site=report_site(reports=_reports())) as server:
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, data_dir=data)
        first = query(data, "SELECT r.id, d.url, r.year FROM reports r JOIN documents d ON d.id = r.document_id")
        assert sorted(url.removeprefix(server.base_url) for _id, url, _y in first) == [A, B, C, D]
        old_a_sha = query(data, "SELECT sha256 FROM fetches WHERE url = ?", server.url(A))[0][0]

        # overnight: A is corrected (new body, new ETag), B answers 410, D is gone and no longer linked
        server.site = report_site(reports=_reports(changed=True, without_d=True))
        server.set_behaviour(B, status=410)
        server.reset_log()
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, *ALL_DUE, data_dir=data)
        seen = _statuses(server)

    # conditional requests: unchanged pages cost a 304, changed ones a 200, gone ones 404/410
    assert seen["/"] == [304] and seen[C] == [304]
    assert seen[A] == [200] and seen["/xxgk/nb/index.html"] == [200]  # the list names A's new date
    assert seen[B] == [410]
    assert seen[D] == [404], "a stored report no longer linked is still revalidated"

    # history, not overwrites: A has two versions, its old body is still in the store
    versions = query(data, "SELECT r.version, r.removed_at, f.sha256 FROM reports r "
                           "JOIN document_fetches df ON df.document_id = r.document_id "
                           "JOIN fetches f ON f.id = df.fetch_id WHERE f.url = ? ORDER BY r.id", server.url(A))
    assert [(v, removed) for v, removed, _sha in versions] == [(1, None), (2, None)]
    assert versions[0][2] == old_a_sha != versions[1][2]
    assert (data / "raw" / old_a_sha[:2] / old_a_sha[2:4] / old_a_sha).is_file()
    # B and D are marked removed with a date, never deleted
    for path in (B, D):
        rows = query(data, "SELECT r.removed_at FROM reports r JOIN document_fetches df ON df.document_id = "
                           "r.document_id JOIN fetches f ON f.id = df.fetch_id WHERE f.url = ?", server.url(path))
        assert len(rows) == 1 and rows[0][0] is not None, path
    assert query(data, "SELECT removed_at FROM reports r JOIN documents d ON d.id = r.document_id "
                       "WHERE d.url = ?", server.url(C)) == [(None,)]

    # the run row says what happened
    runs = [json.loads(line) for line in nianbao("runs", "--json", data_dir=data).stdout.splitlines()]
    latest, earliest = runs[0], runs[-1]
    assert earliest["new_reports"] == 4 and earliest["not_modified"] == 0
    assert latest["not_modified"] >= 2 and latest["changed_reports"] == 1 and latest["removed"] == 2
    assert latest["new_reports"] == 0 and latest["status"] == "finished" and latest["finished_at"]
    assert "Crawl runs" in nianbao("runs", data_dir=data).stdout


@pytest.mark.slow
def test_reports_not_due_are_answered_from_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(site=report_site(reports=_reports())) as server:
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, data_dir=data)
        before = corpus_dump(data)
        server.reset_log()
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, *NONE_DUE, data_dir=data)
        seen = _statuses(server)
    # list pages are always revisited (conditionally); report pages are not due: no network at all
    assert seen["/"] == [304] and seen["/xxgk/nb/index.html"] == [304]
    assert not {A, B, C, D} & set(seen), seen
    assert corpus_dump(data) == before  # and nothing new is stored
    run = json.loads(nianbao("runs", "--json", "--limit", "1", data_dir=data).stdout)
    assert run["not_due"] == 4 and run["not_modified"] == 2 and run["fetched"] == Counter(
        s for statuses in seen.values() for s in statuses if s != 304)[404]


def test_schedule_is_dense_when_reports_are_due() -> None:
    schedule = RevalidationSchedule(peak_days=1, offpeak_days=30)
    checked = datetime(2025, 2, 10, tzinfo=UTC)
    assert schedule.is_due(checked, checked + timedelta(days=1))  # February: daily
    assert not schedule.is_due(checked, checked + timedelta(hours=20))
    july = datetime(2025, 7, 1, tzinfo=UTC)
    assert not schedule.is_due(july, july + timedelta(days=29))  # July: monthly
    assert schedule.is_due(july, july + timedelta(days=30))
    assert schedule.is_due(None, july)  # never checked
    assert schedule.is_due(datetime(2025, 6, 1), july)  # naive (SQLite) datetimes are UTC
    custom = RevalidationSchedule(peak_days=2, offpeak_days=7, peak_months=frozenset({4}))
    assert custom.interval(datetime(2025, 4, 3, tzinfo=UTC)) == timedelta(days=2)
    assert custom.interval(datetime(2025, 1, 3, tzinfo=UTC)) == timedelta(days=7)


S1, S2, S3 = "/xxgk/nb/t346.html", "/xxgk/nb/t346_2.html", "/xxgk/nb/t346_3.html"


def _split_report(last_page_date: str | None = None) -> list[dict]:
    """One report split by SiteServer's page break over S1, S2, S3 (the demo's `gen_report_pages`)."""
    first = report_page(S1, "测试县教育局", 2023)
    pager = [["1", S1], ["2", S2], ["3", S3]]
    first.update(template="gen_report_pages", page_no=1, page_count=3, parts=[S2, S3], links=pager)
    parts = [
        {"path": path, "kind": "part", "template": "gen_report_pages", "title": first["title"],
         "date": (last_page_date if n == 3 and last_page_date else first["date"]), "gen": first["gen"],
         "page_no": n, "page_count": 3, "first": S1, "links": pager}
        for n, path in ((2, S2), (3, S3))
    ]
    return [first, *parts]


@pytest.mark.slow
def test_split_article_whose_last_page_changed_is_a_new_version(tmp_path: Path) -> None:
    """Page 1 and 2 answer 304, page 3 was edited: the article is stored again, as version 2."""
    data = tmp_path / "data"
    with serve(site=report_site(reports=_split_report())) as server:
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, data_dir=data)
        first = query(data, "SELECT r.id, d.id FROM reports r JOIN documents d ON d.id = r.document_id")
        assert len(first) == 1
        server.site = report_site(reports=_split_report(last_page_date="2024-03-01"))
        server.reset_log()
        nianbao("crawl", server.base_url + "/", "--job", "nightly", *OPTS, *ALL_DUE, data_dir=data)
        seen = _statuses(server)
    assert seen[S1] == [304] and seen[S2] == [304] and seen[S3] == [200], seen
    rows = query(data, "SELECT r.version, d.id FROM reports r JOIN documents d ON d.id = r.document_id "
                       "ORDER BY r.id")
    assert [v for v, _doc in rows] == [1, 2] and rows[0][1] == first[0][1] != rows[1][1]
    # the new Document is the three pages again, with page 3's new body; the old one keeps its pages
    for _version, doc in rows:
        urls = query(data, "SELECT f.url FROM document_fetches df JOIN fetches f ON f.id = df.fetch_id "
                           "WHERE df.document_id = ? ORDER BY f.url", doc)
        assert [u.removeprefix(server.base_url) for (u,) in urls] == [S1, S2, S3]
    latest = json.loads(nianbao("runs", "--json", "--limit", "1", data_dir=data).stdout)
    assert latest["changed_reports"] == 1 and latest["not_modified"] >= 2
