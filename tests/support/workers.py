"""Several `nianbao crawl` workers over several local hosts (127.0.0.2, 127.0.0.3, ...), as subprocesses."""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from demo_site.server import DemoServer
from tests.support.crawls import NIANBAO
from tests.support.report_sites import AGENCIES, report_page, report_site


def host_site(index: int, reports: int, delay: float = 0.0, light: bool = False):  # noqa: ANN201
    """A report site of `reports` report pages (3 per list page), each answered after `delay` seconds;
    `light`: short notices instead of full reports (cheap to process: the crawl is bound by politeness)."""
    pages = []
    for n in range(reports):
        agency = AGENCIES[index % len(AGENCIES)]
        page = report_page(f"/xxgk/nb/t{2010 + n}_{index}.html", agency, 2010 + n)
        if light:
            page = {"path": page["path"], "kind": "article", "template": "article", "date": page["date"],
                    "title": f"{agency}关于{2010 + n}年度工作的通知", "body": [f"{agency}{2010 + n}年度工作安排。"]}
        if delay:
            page["delay"] = delay
        pages.append(page)
    return report_site(name=AGENCIES[index % len(AGENCIES)], reports=pages, list_size=3)


@contextlib.contextmanager
def multi_host(hosts: int, reports: int, delay: float = 0.0, light: bool = False) -> Iterator[list[DemoServer]]:
    """`hosts` demo servers on distinct loopback addresses (distinct hosts for per-host politeness)."""
    servers: list[DemoServer] = []
    try:
        for i in range(hosts):
            servers.append(DemoServer(host_site(i, reports, delay, light), host=f"127.0.0.{2 + i}", port=0).start())
        yield servers
    finally:
        for server in servers:
            server.stop()


def site_urls(server: DemoServer) -> set[str]:
    """Every page of the site a complete crawl stores (robots.txt excluded)."""
    return {server.url(p) for p in server.site.pages if p != "/robots.txt"}


def write_seeds(path: Path, servers: list[DemoServer]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "agency"])
        for server in servers:
            writer.writerow([server.base_url + "/", server.site.name])
    return path


def start_worker(seeds: Path, *, data_dir: Path, db: str, frontier: str | None, job: str,
                 settings: dict[str, object] | None = None, log: Path | None = None) -> subprocess.Popen[str]:
    args = [NIANBAO, "crawl", "--seeds", str(seeds), "--job", job, "--db", db, "--data-dir", str(data_dir),
            "--progress", "off", "--no-dedup"]
    if frontier:
        args += ["--frontier", frontier]
    defaults = {"NIANBAO_PARSE_WORKERS": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1,
                "DOWNLOAD_TIMEOUT": 10, "NIANBAO_BACKOFF_BASE": 0.05, "NIANBAO_IDLE_CLOSE_SECONDS": 2,
                "NIANBAO_FRONTIER_LEASE_SECONDS": 3,
                "NIANBAO_ALLOW_PRIVATE": "127.0.0.0/8"}  # the test servers are on loopback
    for name, value in {**defaults, **(settings or {})}.items():
        args += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_")}
    out = log.open("w") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
