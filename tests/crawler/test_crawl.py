"""End-to-end crawls of local sites: idempotence, kill -9 resume, recorded failures."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from demo_site import truth
from demo_site.server import serve
from tests.support.crawls import FAST, corpus_dump, crawl_popen, nianbao, query

pytestmark = pytest.mark.slow


def _site_paths(server) -> set[str]:  # noqa: ANN001
    """Paths of the site's pages a crawl from / must store (robots.txt, styles, test-only paths excluded)."""
    return {p for p in server.site.pages
            if p != "/robots.txt" and not p.endswith(".css") and not p.startswith("/test/")}


def test_demo_crawl_stores_everything_and_is_idempotent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        nianbao("crawl", server.base_url + "/", "--job", "demo", *FAST, data_dir=data)
        first = corpus_dump(data)
        fetched_urls = {row[0] for row in first["fetches"]}
        expected = {server.url(p) for p in _site_paths(server)}
        missing = {u for u in expected if u not in fetched_urls}
        assert not missing, f"pages never fetched: {sorted(missing)[:10]}"
        # every stored body is in the raw store under its hash
        for _url, _status, sha, _err, _kind, _final in first["fetches"]:
            if sha:
                assert (data / "raw" / sha[:2] / sha[2:4] / sha).is_file()
        # the seed reports are found with agency and year
        reports = {(row[1], row[2]) for row in first["reports"]}
        for expected_report in truth(server.base_url).reports:
            assert (expected_report.agency, expected_report.year) in reports, expected_report
        requests_before = sum(server.counts.values())
        # the same crawl again (a new run of the finished job) leaves the corpus unchanged
        nianbao("crawl", server.base_url + "/", "--job", "demo", *FAST, data_dir=data)
        assert corpus_dump(data) == first
        assert sum(server.counts.values()) > requests_before  # it did crawl again
        # export carries provenance
        out = tmp_path / "corpus.jsonl"
        nianbao("export", "--format", "jsonl", "--out", str(out), data_dir=data)
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows and all(r["source_url"] in r["copies"] and r["raw_sha256"] for r in rows)
        status = nianbao("status", data_dir=data).stdout
        assert "Fetches by status" in status and "Reports by year and template" in status


def test_kill9_midway_then_resume_fetches_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        for path in _site_paths(server):
            server.set_behaviour(path, delay=0.15)
        args = [server.base_url + "/", "--job", "killme", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        process = crawl_popen(*args, data_dir=data)
        total = len(_site_paths(server))
        deadline = time.monotonic() + 120
        visited = 0
        while time.monotonic() < deadline and process.poll() is None:
            if (data / "nianbao.db").exists():
                try:
                    visited = query(data, "SELECT count(*) FROM run_visits")[0][0]
                except Exception:  # noqa: BLE001 - the schema may not exist yet
                    visited = 0
            if visited >= total // 2:
                break
            time.sleep(0.05)
        assert process.poll() is None, "crawl finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        committed = {row[0] for row in query(
            data, "SELECT f.url FROM run_visits v JOIN fetches f ON f.id = v.fetch_id")}
        assert len(committed) >= total // 2
        counts_at_kill = Counter(server.counts)

        nianbao("crawl", *args, *FAST, data_dir=data)
        runs = query(data, "SELECT status, finished_at FROM crawl_runs")
        assert len(runs) == 1 and runs[0][0] == "finished"  # the same run, resumed and completed
        # every page stored exactly once
        per_url = Counter(row[0] for row in query(data, "SELECT url FROM fetches"))
        assert per_url and max(per_url.values()) == 1
        expected = {server.url(p) for p in _site_paths(server)}
        assert expected <= set(per_url)
        # nothing the first process had stored was requested again
        for url in committed:
            path = url.removeprefix(server.base_url)
            assert server.counts[path] == counts_at_kill[path], f"{path} fetched again after resume"
        # the database is intact
        assert query(data, "PRAGMA integrity_check")[0][0] == "ok"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failures_are_recorded_and_the_crawl_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve() as server:
        server.set_behaviour("/slow.html", status=200, delay=4.0)
        refused = f"http://127.0.0.1:{_closed_port()}/"
        big = "/zwgk/xxgk/zfxxgknb/202101/t20210105_1385126.html"  # a report page, > the size limit below
        result = nianbao("crawl", server.url("/missing-page.html"), server.url("/slow.html"), refused,
                         server.url(big), server.base_url + "/", "--job", "fail", *FAST, "-s", "DOWNLOAD_TIMEOUT=1",
                         "-s", "DOWNLOAD_MAXSIZE=8000", "-s", "RETRY_TIMES=0", "--depth", "0", data_dir=data,
                         check=False)
        # done, with failures: four of the five seeds were unreachable (exit 1, counted in the summary)
        assert result.returncode == 1, result.stderr[-3000:]
        assert "4 seeds unreachable" in result.stderr and f"seed unreachable: {refused}" in result.stderr
        rows = {url: (status, error) for url, status, error in query(data, "SELECT url, status, error FROM fetches")}
    assert rows[server.url("/missing-page.html")][0] == 404
    assert "404" in rows[server.url("/missing-page.html")][1]
    assert rows[server.url("/slow.html")][0] is None and "Timeout" in rows[server.url("/slow.html")][1]
    assert rows[refused][0] is None and "refused" in rows[refused][1].lower()
    assert rows[server.url(big)][0] is None and "max size" in rows[server.url(big)][1]
    assert rows[server.base_url + "/"][0] == 200 and rows[server.base_url + "/"][1] is None
