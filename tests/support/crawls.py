"""Run real `nianbao` crawls in subprocesses (a Twisted reactor cannot restart in one process)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

NIANBAO = str(Path(sys.executable).with_name("nianbao"))

# Local test servers need no politeness delay, and live on loopback, which the address policy refuses
# unless allowed (crawler.address); everything else stays at its default.
LOOPBACK = ["-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8"]
FAST = [*LOOPBACK, "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "AUTOTHROTTLE_MAX_DELAY=1",
        "-s", "NIANBAO_BACKOFF_BASE=0.05", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_TIMEOUT=5",
        "--progress", "off"]


def nianbao(*args: str, data_dir: Path, check: bool = True, timeout: float = 300,
            **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIANBAO_DATA_DIR": str(data_dir)}
    env.pop("NIANBAO_DATABASE_URL", None)
    result = subprocess.run([NIANBAO, *args], env=env, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"nianbao {' '.join(args)} exited {result.returncode}:\n{result.stderr[-4000:]}")
    return result


def crawl_popen(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NIANBAO_DATA_DIR": str(data_dir)}
    env.pop("NIANBAO_DATABASE_URL", None)
    return subprocess.Popen([NIANBAO, "crawl", *args, *FAST], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


CORPUS_TABLES = {
    "fetches": "SELECT url, status, sha256, error, kind, final_url FROM fetches ORDER BY id",
    "documents": "SELECT content_key, kind, url, title, text_sha256, encoding, extractor FROM documents ORDER BY id",
    "document_fetches": "SELECT document_id, fetch_id, page FROM document_fetches ORDER BY 1, 2",
    "reports": "SELECT document_id, agency, year, template, published, record FROM reports ORDER BY id",
    "sites": "SELECT host, seed_url, agency FROM sites ORDER BY id",
}


def corpus_dump(data_dir: Path) -> dict[str, list[tuple]]:
    """Every corpus table as rows (crawl bookkeeping tables excluded)."""
    with sqlite3.connect(data_dir / "nianbao.db") as connection:
        return {name: connection.execute(sql).fetchall() for name, sql in CORPUS_TABLES.items()}


def query(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(data_dir / "nianbao.db") as connection:
        return connection.execute(sql, params).fetchall()
