"""Three `nianbao crawl` workers share one crawl: Redis frontier (scrapy-redis), PostgreSQL, one raw store.

Real Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432); several local hosts on 127.0.0.2... .
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from demo_site.site import Behaviour
from tests.support.workers import multi_host, site_urls, start_worker, write_seeds

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

LIMIT = 2  # per-host concurrency for the whole crawl


def _wait(workers, timeout: float = 240) -> list[int]:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    codes = []
    for worker in workers:
        codes.append(worker.wait(timeout=max(1, deadline - time.monotonic())))
    return codes


def _corpus(pg_url: str) -> dict[str, list[tuple]]:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as c:
            return {
                "fetches": c.execute(text("SELECT url, status, sha256 FROM fetches")).all(),
                "documents": c.execute(text("SELECT content_key FROM documents")).all(),
                "reports": c.execute(text("SELECT document_id, agency, year FROM reports")).all(),
                "runs": c.execute(text("SELECT id, status, stats FROM crawl_runs")).all(),
            }
    finally:
        engine.dispose()


def _check_corpus(corpus: dict[str, list[tuple]], expected: set[str], data: Path, reports: int) -> None:
    urls = Counter(url for url, _status, _sha in corpus["fetches"])
    assert not {u for u, n in urls.items() if n > 1}, "a page stored twice"
    missing = expected - set(urls)
    assert not missing, f"pages never stored: {sorted(missing)[:5]}"
    keys = [k for (k,) in corpus["documents"]]
    assert len(keys) == len(set(keys))
    assert len({d for d, _a, _y in corpus["reports"]}) == len(corpus["reports"]) == reports
    for _url, _status, sha in corpus["fetches"]:  # every body whole under its hash (no torn file)
        if sha:
            path = data / "raw" / sha[:2] / sha[2:4] / sha
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert len(corpus["runs"]) == 1, "the workers of one job share one run"


def _open_when_all_started(gate: threading.Event, logs: list[Path], timeout: float = 90) -> None:
    """Open the seeds' gate once every worker has opened its spider (polling their logs), so that the
    first worker to start cannot finish the whole small crawl before the others are up."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if all(log.exists() and "Spider opened" in log.read_text() for log in logs):
                return
            time.sleep(0.05)
        pytest.fail("the workers did not all start:\n" + "\n".join(log.read_text()[-2000:] for log in logs if log.exists()))
    finally:
        gate.set()


def test_three_workers_share_one_crawl_politely(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    data = tmp_path / "shared"
    with multi_host(hosts=3, reports=9, delay=0.1) as servers:
        seeds = write_seeds(tmp_path / "seeds.csv", servers)
        gate = threading.Event()
        for server in servers:  # the seed pages answer only once all three workers are up
            server.set_behaviour("/", Behaviour(status=200, gate=gate))
        logs = [tmp_path / f"w{i}.log" for i in range(3)]
        workers = [start_worker(seeds, data_dir=data, db=pg_url, frontier=redis_url, job="scale",
                                # two requests per worker: no one worker can hold the whole frontier
                                settings={"CONCURRENT_REQUESTS_PER_DOMAIN": LIMIT, "CONCURRENT_REQUESTS": 2,
                                          "DOWNLOAD_DELAY": 0},
                                log=log) for log in logs]
        _open_when_all_started(gate, logs)
        codes = _wait(workers)
        logs = "\n".join((tmp_path / f"w{i}.log").read_text()[-3000:] for i in range(3))
        assert codes == [0, 0, 0], logs
        for server in servers:
            assert server.max_in_flight <= LIMIT, (server.base_url, server.max_in_flight)
            counts = server.counts
            # one shared seen-URL filter: no page is fetched twice by different workers
            assert max(n for p, n in counts.items() if p != "/robots.txt") == 1, counts
        busy = sum(1 for i in range(3) if "fetches/stored': " in (tmp_path / f"w{i}.log").read_text())
        expected = set().union(*(site_urls(s) for s in servers))
        corpus = _corpus(pg_url)
    _check_corpus(corpus, expected, data, reports=27)
    assert busy >= 2, "the work was not shared"
    (_run_id, status, stats), = corpus["runs"]
    assert status == "finished" and len(stats["workers"]) == 3
    assert max(server.max_in_flight for server in servers) == LIMIT  # the limit was reached, not just respected


def test_worker_killed_midway_loses_nothing(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    data = tmp_path / "shared"
    with multi_host(hosts=3, reports=12, delay=0.3) as servers:
        seeds = write_seeds(tmp_path / "seeds.csv", servers)
        expected = set().union(*(site_urls(s) for s in servers))
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": LIMIT, "DOWNLOAD_DELAY": 0}
        workers = [start_worker(seeds, data_dir=data, db=pg_url, frontier=redis_url, job="kill",
                                settings=settings, log=tmp_path / f"w{i}.log") for i in range(3)]
        deadline = time.monotonic() + 120
        while sum(sum(s.counts.values()) for s in servers) < len(expected) // 3:  # poll until midway
            assert time.monotonic() < deadline, "the crawl never got going"
            assert all(w.poll() is None for w in workers), "a worker ended early"
            time.sleep(0.05)
        os.kill(workers[0].pid, signal.SIGKILL)
        codes = _wait(workers[1:])
        assert workers[0].wait(timeout=10) == -signal.SIGKILL
        logs = "\n".join((tmp_path / f"w{i}.log").read_text()[-3000:] for i in range(1, 3))
        assert codes == [0, 0], logs
        for server in servers:
            assert server.max_in_flight <= LIMIT, (server.base_url, server.max_in_flight)
        corpus = _corpus(pg_url)
    _check_corpus(corpus, expected, data, reports=36)


def test_one_host_sees_the_limit_not_three_times_it(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    """3 workers, each allowed 4 requests per host locally, against one slow host: limit 1 crawl-wide."""
    data = tmp_path / "shared"
    with multi_host(hosts=1, reports=8, delay=0.2) as servers:
        seeds = write_seeds(tmp_path / "seeds.csv", servers)
        workers = [start_worker(seeds, data_dir=data, db=pg_url, frontier=redis_url, job="one-host",
                                settings={"CONCURRENT_REQUESTS_PER_DOMAIN": 4, "NIANBAO_HOST_CONCURRENCY": 1,
                                          "DOWNLOAD_DELAY": 0},
                                log=tmp_path / f"w{i}.log") for i in range(3)]
        codes = _wait(workers)
        assert codes == [0, 0, 0], (tmp_path / "w0.log").read_text()[-3000:]
        (server,) = servers
        assert server.max_in_flight == 1
        assert set(server.site.pages) <= set(server.counts)  # and the crawl is complete
