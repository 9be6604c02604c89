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
workers run at lower CPU priority than the crawl, `NIANBAO_PARSE_NICENESS`), and CPU milliseconds per
page (the process and the children it waited for: parse workers, the browser), whose ratio holds on a
loaded machine where wall time does not. The stage split is printed beside the bare spider's CPU per
page of the same invocation. `-s NIANBAO_BROWSER=off` leaves chromium out: the replay fetches a rendered
page once, without running its scripts, so with the browser on the ratio includes rendering time.
"""

from __future__ import annotations

import argparse
import os
import resource
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
import base64, json, sys, time
import scrapy
from scrapy import signals
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

cpu = {}
def started():
    cpu["start"] = time.process_time()
def closed():
    cpu["end"] = time.process_time()
p = CrawlerProcess(SETTINGS)
crawler = p.create_crawler(Replay)
crawler.signals.connect(started, signal=signals.engine_started)  # module-level: signals keep weak references
crawler.signals.connect(closed, signal=signals.spider_closed)
p.crawl(crawler)
p.start()
open(sys.argv[3], "w").write(str(cpu["end"] - cpu["start"]))  # CPU seconds from engine start to close
'''


def _script(folder: str, name: str, source: str) -> str:
    """The spider written to a file (Scrapy reads its callbacks' source)."""
    path = Path(folder) / f"bench_{name}.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


def timed(cmd: list[str], servers: list[DemoServer], env: dict[str, str]) -> tuple[float, Counter[str], float, float]:
    """Seconds from the first to the last request the hosts saw (process start-up excluded), the
    requests (method and URL) they answered, robots.txt excluded, the whole process's wall time
    (start-up, and for nianbao the parsing still queued after the last request) and the CPU seconds
    of the process and the children it waited for (nianbao's parse workers)."""
    for s in servers:
        s.reset_log()
    start = time.perf_counter()
    cpu_before = _children_cpu()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    cpu = _children_cpu() - cpu_before
    wall = time.perf_counter() - start
    records = [(s, r) for s in servers for r in s.requests]
    if not records:
        raise SystemExit(f"no requests reached the demo hosts: {cmd[:3]}")
    seconds = max(r.finished for _, r in records) - min(r.started for _, r in records)
    pages = Counter(f"{r.method} {s.base_url}{r.path}" for s, r in records if r.path != "/robots.txt")
    return seconds, pages, wall, cpu


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
    print(f"{'delay s':>8} {'crawler':<22} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'process s':>10} "
          f"{'CPU ms/page':>12}")
    ratios = []
    bare_ms: dict[float, float] = {}  # delay -> the bare spider's CPU ms per page
    try:
        for delay in [float(d) for d in opts.delays.split(",") if d.strip()]:
            with tempfile.TemporaryDirectory() as tmp:
                log = Path(tmp) / "requests.jsonl"
                full_s, full_pages, full_wall, full_cpu_s = timed(
                    [nianbao, *crawl_args(seeds, tmp, delay, opts.set), "--no-dedup",
                     "-s", "EXTENSIONS={\"crawl_log.RequestLog\": 0}", "-s", f"BENCH_REQUEST_LOG={log}"],
                    servers, bench_env(tmp))
                found = _reports_found(Path(tmp), servers)
                engine_cpu = Path(tmp) / "bare_cpu.txt"
                bare_s, bare_pages, bare_wall, bare_cpu_s = timed(
                    [sys.executable, _script(tmp, "replay", REPLAY), str(delay), str(log), str(engine_cpu)],
                    servers, bench_env(tmp))
                bare_engine_s = float(engine_cpu.read_text())
                rows = [("nianbao full pipeline", full_pages, full_s, full_wall, full_cpu_s),
                        ("bare scrapy, same tree", bare_pages, bare_s, bare_wall, bare_cpu_s)]
            for name, pages, seconds, wall, cpu in rows:
                n = sum(pages.values())
                print(f"{delay:>8} {name:<22} {n:>6} {seconds:>8.2f} {n / seconds:>8.1f} {wall:>10.2f} "
                      f"{1000 * cpu / n:>12.1f}")
            full_n, bare_n = sum(full_pages.values()), sum(bare_pages.values())
            bare_ms[delay] = 1000 * bare_engine_s / bare_n
            ratio = (bare_n / bare_s) / (full_n / full_s)
            ratios.append(ratio)
            same = set(full_pages) == set(bare_pages)
            diff = len(set(full_pages) ^ set(bare_pages))
            for key in sorted(set(full_pages) ^ set(bare_pages))[:8]:
                print(f"{'':>8} only {'nianbao' if key in full_pages else 'bare'}: {key}")
            print(f"{delay:>8} ratio bare/full {ratio:.2f}x in pages/s (goal <= 1.3x), "
                  f"{(full_cpu_s / full_n) / (bare_cpu_s / bare_n):.2f}x in CPU per page; same page set: "
                  f"{'yes' if same else f'no, {diff} differ'}; reports found {found}/{expected}, "
                  f"{full_n / max(found, 1):.2f} pages per report found")
        if not opts.no_stages:
            delay = float(opts.delays.split(",")[0])
            stages = _stage_cpu(nianbao, seeds, delay, opts.set)
            pages = max(stages["pages"], 1)
            total = sum(stages[k] for k in STAGES)
            print(f"CPU ms per page by stage (delay {delay}, parsing inline, dedup on; {stages['pages']} pages, "
                  f"{total:.2f} CPU s in all), beside the bare spider's (engine start to close) in the run above:")
            print("  " + "  ".join(f"{k} {1000 * stages[k] / pages:.1f}" for k in STAGES)
                  + f"  | all {1000 * total / pages:.1f}; bare scrapy {bare_ms[delay]:.1f} "
                  f"(ratio {1000 * total / pages / bare_ms[delay]:.2f}x, fetch alone "
                  f"{1000 * stages['fetch'] / pages / bare_ms[delay]:.2f}x)")
    finally:
        for s in servers:
            s.stop()
    print(f"worst ratio: {max(ratios):.2f}x")
    return 0


def bench_env(data_dir: str) -> dict[str, str]:
    """The environment of a benchmark process: this checkout and bench/ first, the data in `data_dir`."""
    env = {**os.environ, "NIANBAO_DATA_DIR": data_dir, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}
    env.pop("NIANBAO_DATABASE_URL", None)
    return env


def crawl_args(seeds: list[str], data_dir: str, delay: float, extra: list[str]) -> list[str]:
    """`nianbao crawl` of the demo hosts as both timed runs make it (the bench's settings, then `-s` extras)."""
    return ["crawl", *seeds, "--data-dir", data_dir, "--progress", "off", "--log-level", "ERROR",
            "-s", "NIANBAO_ALLOW_PRIVATE=127.0.0.0/8", "-s", f"DOWNLOAD_DELAY={delay}",
            "-s", "RANDOMIZE_DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", *(a for kv in extra for a in ("-s", kv))]


STAGES = ("fetch", "store", "text", "parse", "dedup")


def _stage_cpu(nianbao: str, seeds: list[str], delay: float, extra: list[str]) -> dict:
    """A nianbao crawl with `bench/stage_cpu.py` timing its stages; the figures it wrote."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stages.json"
        subprocess.run([nianbao, *crawl_args(seeds, tmp, delay, extra), "--dedup", "-s", "NIANBAO_PARSE_WORKERS=0",
                        "-s", "EXTENSIONS={\"stage_cpu.StageCPU\": 0}", "-s", f"BENCH_STAGE_LOG={out}"],
                       env=bench_env(tmp), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
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
