"""Crawl throughput: the full nianbao pipeline vs a bare Scrapy spider, same pages, same run.

    python bench/bench_crawl.py                      # 4 hosts, delay 0 and 0.25 s
    python bench/bench_crawl.py --hosts 8 --delays 0,0.5 -s NIANBAO_PARSE_WORKERS=1

Serves the demo portal on several loopback hosts (127.0.0.1 … 127.0.0.N), every page rendered once
before timing (a remote site costs the crawler no CPU), then for each politeness delay:

1. `nianbao crawl` of all hosts: focused discovery, raw store, decoding, text extraction (HTML, PDF,
   OCR), the report extractor, storage. A bench-only extension (`bench/crawl_log.py`) logs the crawl
   tree: every request with its method, body, priority and referrer.
2. the baseline: a bare Scrapy spider with the same settings (robots.txt, per-host concurrency, delay)
   that replays that tree: it starts from the same seeds and, on each response, requests the same
   children nianbao requested from that page, parsing nothing and storing nothing. Both runs fetch
   the same pages in the same order of discovery, so the ratio is the cost of everything nianbao does.
A generic follow-every-link spider is no baseline here: it fetches other pages (no PDFs behind
script-built links) and walks the demo site's traps (calendars, link farms) without end.

3. (unless `--no-stages`) one more nianbao crawl at the first delay, parsing inline
   (`NIANBAO_PARSE_WORKERS=0`) and with dedup, whose CPU time a bench-only extension
   (`bench/stage_cpu.py`) splits by stage: CPU milliseconds per page for fetch (engine, downloads,
   discovery), store (database and raw blobs), text (decoding and text extraction), parse (the
   report extractor) and dedup.

Prints pages/s of each over the crawl (first to last request the hosts saw), the ratio baseline/nianbao
(goal: within 1.3x), whether the page sets match, pages fetched per report found, and each process's
wall time: nianbao's includes start-up and the parsing still queued when the last page arrived (parse
workers run at lower CPU priority than the crawl, `NIANBAO_PARSE_NICENESS`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_site import truth  # noqa: E402
from demo_site.server import DemoServer  # noqa: E402
from demo_site.site import load_site  # noqa: E402

SETTINGS = '''
SETTINGS = {"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "DOWNLOAD_DELAY": float(sys.argv[1]), "RANDOMIZE_DOWNLOAD_DELAY": False, "ROBOTSTXT_OBEY": True,
            "AUTOTHROTTLE_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "DOWNLOAD_MAXSIZE": 100 * 2**20,
            "HTTPERROR_ALLOW_ALL": True, "COOKIES_ENABLED": True, "RETRY_ENABLED": False}
'''
REPLAY = '''
import base64, json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
''' + SETTINGS + '''
children = {}
for line in open(sys.argv[2], encoding="utf-8"):
    r = json.loads(line)
    children.setdefault(r["referrer"], []).append(r)

class Replay(scrapy.Spider):
    """The crawl tree of the nianbao run, replayed: same requests, nothing parsed, nothing stored."""
    name = "replay"
    async def start(self):
        for r in children.get(None, []):
            yield self.request(r)
    def request(self, r):
        return scrapy.Request(r["url"], method=r["method"], body=base64.b64decode(r["body"]),
                              headers=r["headers"], priority=r["priority"], callback=self.parse)
    def parse(self, response):
        for r in children.pop(response.url, []):
            yield self.request(r)

p = CrawlerProcess(SETTINGS)
p.crawl(Replay)
p.start()
'''


def _script(folder: str, name: str, source: str) -> str:
    """The spider written to a file (Scrapy reads its callbacks' source)."""
    path = Path(folder) / f"bench_{name}.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


def timed(cmd: list[str], servers: list[DemoServer], env: dict[str, str]) -> tuple[float, Counter[str], float]:
    """Seconds from the first to the last request the hosts saw (process start-up excluded), the
    requests (method and URL) they answered, robots.txt excluded, and the whole process's wall time
    (start-up, and for nianbao the parsing still queued after the last request)."""
    for s in servers:
        s.reset_log()
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    records = [(s, r) for s in servers for r in s.requests]
    if not records:
        raise SystemExit(f"no requests reached the demo hosts: {cmd[:3]}")
    seconds = max(r.finished for _, r in records) - min(r.started for _, r in records)
    pages = Counter(f"{r.method} {s.base_url}{r.path}" for s, r in records if r.path != "/robots.txt")
    return seconds, pages, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4, help="demo hosts served on 127.0.0.1 … 127.0.0.N")
    parser.add_argument("--delays", default="0,0.25", help="DOWNLOAD_DELAY values to run, comma-separated")
    parser.add_argument("--no-stages", action="store_true", help="skip the run that splits CPU time by stage")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra Scrapy setting for the nianbao run (repeatable)")
    opts = parser.parse_args(argv)
    site = load_site()
    for page in site.pages.values():  # render every page once: serving costs no CPU while timing
        site.resource(page)
    servers = [DemoServer(site, host=f"127.0.0.{i + 1}").start() for i in range(opts.hosts)]
    seeds = [s.base_url + "/" for s in servers]
    expected = len(truth().reports) * opts.hosts
    nianbao = str(Path(sys.executable).with_name("nianbao"))
    print(f"site: {len(site.pages)} pages x {opts.hosts} hosts, {expected} reports; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'delay s':>8} {'crawler':<22} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'process s':>10}")
    ratios = []
    try:
        for delay in [float(d) for d in opts.delays.split(",") if d.strip()]:
            with tempfile.TemporaryDirectory() as tmp:
                log = Path(tmp) / "requests.jsonl"
                env = {**os.environ, "NIANBAO_DATA_DIR": tmp, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}
                env.pop("NIANBAO_DATABASE_URL", None)
                full_s, full_pages, full_wall = timed(
                    [nianbao, "crawl", *seeds, "--data-dir", tmp, "--no-dedup", "--progress", "off",
                     "--log-level", "ERROR", "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8",
                     "-s", f"DOWNLOAD_DELAY={delay}", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0",
                     "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                     *(a for kv in opts.set for a in ("-s", kv)),
                     "-s", "EXTENSIONS={\"crawl_log.RequestLog\": 0}", "-s", f"BENCH_REQUEST_LOG={log}"],
                    servers, env)
                found = _reports_found(Path(tmp), servers)
                bare_s, bare_pages, bare_wall = timed([sys.executable, _script(tmp, "replay", REPLAY), str(delay), str(log)],
                                            servers, env)
                rows = [("nianbao full pipeline", full_pages, full_s, full_wall),
                        ("bare scrapy, same tree", bare_pages, bare_s, bare_wall)]
            for name, pages, seconds, wall in rows:
                n = sum(pages.values())
                print(f"{delay:>8} {name:<22} {n:>6} {seconds:>8.2f} {n / seconds:>8.1f} {wall:>10.2f}")
            ratio = (sum(bare_pages.values()) / bare_s) / (sum(full_pages.values()) / full_s)
            ratios.append(ratio)
            same = set(full_pages) == set(bare_pages)
            diff = len(set(full_pages) ^ set(bare_pages))
            for key in sorted(set(full_pages) ^ set(bare_pages))[:8]:
                print(f"{'':>8} only {'nianbao' if key in full_pages else 'bare'}: {key}")
            print(f"{delay:>8} ratio bare/full {ratio:.2f}x (goal <= 1.3x); same page set: "
                  f"{'yes' if same else f'no, {diff} differ'}; reports found {found}/{expected}, "
                  f"{sum(full_pages.values()) / max(found, 1):.2f} pages per report found")
        if not opts.no_stages:
            delay = float(opts.delays.split(",")[0])
            stages = _stage_cpu(nianbao, seeds, delay, opts.set)
            total = sum(stages[k] for k in STAGES)
            print(f"CPU ms per page by stage (delay {delay}, parsing inline, dedup on; {stages['pages']} pages, "
                  f"{total:.2f} CPU s in all):")
            print("  " + "  ".join(f"{k} {1000 * stages[k] / max(stages['pages'], 1):.1f}" for k in STAGES))
    finally:
        for s in servers:
            s.stop()
    print(f"worst ratio: {max(ratios):.2f}x")
    return 0


STAGES = ("fetch", "store", "text", "parse", "dedup")


def _stage_cpu(nianbao: str, seeds: list[str], delay: float, extra: list[str]) -> dict:
    """A nianbao crawl with `bench/stage_cpu.py` timing its stages; the figures it wrote."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stages.json"
        env = {**os.environ, "NIANBAO_DATA_DIR": tmp, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}
        env.pop("NIANBAO_DATABASE_URL", None)
        subprocess.run([nianbao, "crawl", *seeds, "--data-dir", tmp, "--dedup", "--progress", "off",
                        "--log-level", "ERROR", "-s", f"DOWNLOAD_DELAY={delay}", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                        "-s", "NIANBAO_PARSE_WORKERS=0", *(a for kv in extra for a in ("-s", kv)),
                        "-s", "EXTENSIONS={\"stage_cpu.StageCPU\": 0}", "-s", f"BENCH_STAGE_LOG={out}"],
                       env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))


def _reports_found(data_dir: Path, servers: list[DemoServer]) -> int:
    """Expected reports (per host) that the nianbao run stored as a Report through one of their URLs."""
    import sqlite3

    with sqlite3.connect(data_dir / "nianbao.db") as db:
        urls = {u for (u,) in db.execute(
            "SELECT f.url FROM reports r JOIN document_fetches df ON df.document_id = r.document_id "
            "JOIN fetches f ON f.id = df.fetch_id")}
    found = 0
    for server in servers:
        found += sum(1 for report in truth(server.base_url).reports if urls & set(report.urls))
    return found


if __name__ == "__main__":
    sys.exit(main())
