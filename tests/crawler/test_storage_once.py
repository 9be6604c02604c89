"""One `nianbao crawl` process opens its corpus once: one database engine, one migration run.

The crawl is run in a subprocess (a Twisted reactor cannot restart) whose `storage.db.make_engine` and
`storage.db.upgrade` count their calls and print the counts at exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from demo_site.server import serve
from tests.support.crawls import FAST

COUNTING_CRAWL = """
import atexit, json, sys
import storage.db as db

counts = {"engines": 0, "migrations": 0}
make_engine, upgrade = db.make_engine, db.upgrade

def counting_engine(url):
    counts["engines"] += 1
    return make_engine(url)

def counting_upgrade(engine):
    counts["migrations"] += 1
    return upgrade(engine)

db.make_engine, db.upgrade = counting_engine, counting_upgrade
atexit.register(lambda: print("STORAGE-COUNTS " + json.dumps(counts), file=sys.stderr, flush=True))
from crawler.cli import main

sys.argv = ["nianbao", *sys.argv[1:]]
main()
"""


def storage_counts(stderr: str) -> dict[str, int]:
    line = next(line for line in stderr.splitlines() if line.startswith("STORAGE-COUNTS "))
    return json.loads(line.removeprefix("STORAGE-COUNTS "))


def test_one_crawl_builds_one_engine_and_migrates_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "NIANBAO_DATA_DIR": str(data)}
    env.pop("NIANBAO_DATABASE_URL", None)
    with serve() as server:
        args = [
            "crawl",
            server.base_url + "/",
            "--job",
            "once",
            "--max-pages",
            "5",
            *FAST,
            "-s",
            "NIANBAO_PARSE_WORKERS=0",
        ]
        result = subprocess.run(
            [sys.executable, "-c", COUNTING_CRAWL, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(__file__).parents[2],  # this checkout's modules
        )
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: done with failures counted
    assert "new fetches" in result.stderr  # the crawl ran to its summary
    assert storage_counts(result.stderr) == {"engines": 1, "migrations": 1}
