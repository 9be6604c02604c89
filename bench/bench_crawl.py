"""Crawl throughput: the full nianbao pipeline vs a bare Scrapy spider, same local site, same run.

    python bench/bench_crawl.py [--hosts 4]

Serves the demo portal on several loopback hosts (127.0.0.1 … 127.0.0.N, politeness delay 0),
crawls them once with a bare Scrapy spider (follow every same-host link, store nothing) and once
with `nianbao crawl` (focused discovery, raw store, text, extractor, reports), each in its own
process, and prints pages/s for both, their ratio (goal: within 1.3x) and pages fetched per report.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo_site import truth
from demo_site.server import DemoServer
from demo_site.site import load_site

ROOT = Path(__file__).resolve().parent.parent
BARE = '''
import sys
from urllib.parse import urlsplit
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = sys.argv[1:]
    links = LinkExtractor()
    def parse(self, response):
        if not hasattr(response, "text"):
            return
        host = urlsplit(response.url).netloc
        for link in self.links.extract_links(response):
            if urlsplit(link.url).netloc == host:
                yield response.follow(link.url, self.parse)

p = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
                    "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False})
p.crawl(Bare)
p.start()
'''
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "--progress", "off", "--log-level", "ERROR"]


def timed(cmd: list[str], servers: list[DemoServer], env: dict[str, str]) -> tuple[float, int]:
    for s in servers:
        s.reset_log()
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed, sum(len([r for r in s.requests if r.path != "/robots.txt"]) for s in servers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    opts = parser.parse_args(argv)
    site = load_site()
    servers = [DemoServer(site, host=f"127.0.0.{i + 1}").start() for i in range(opts.hosts)]
    seeds = [s.base_url + "/" for s in servers]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "NIANBAO_DATA_DIR": tmp}
            env.pop("NIANBAO_DATABASE_URL", None)
            bare_s, bare_n = timed([sys.executable, "-c", BARE, *seeds], servers, env)
            nb = str(Path(sys.executable).with_name("nianbao"))
            full_s, full_n = timed([nb, "crawl", *seeds, "--data-dir", tmp, "--no-dedup", *FAST], servers, env)
    finally:
        for s in servers:
            s.stop()
    expected = len(truth().reports) * opts.hosts
    bare_rate, full_rate = bare_n / bare_s, full_n / full_s
    print(f"site: {len(site.pages)} pages x {opts.hosts} hosts, {expected} reports")
    print(f"bare scrapy : {bare_n:5d} pages in {bare_s:6.2f}s = {bare_rate:7.1f} pages/s")
    print(f"nianbao full: {full_n:5d} pages in {full_s:6.2f}s = {full_rate:7.1f} pages/s")
    print(f"throughput ratio bare/full: {bare_rate / full_rate:.2f}x (goal <= 1.3x)")
    print(f"pages fetched per report: nianbao {full_n / expected:.2f}, bare spider {bare_n / expected:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
