"""Crawl throughput with 1, 2 and 4 workers on many local hosts, each host with a politeness delay.

    python bench/bench_crawl_scale.py                         # 4 and 8 hosts x 1, 2, 4 workers
    python bench/bench_crawl_scale.py --hosts 8 --workers 1,2,4,8 --reports 20 --delay 0.25
    python bench/bench_crawl_scale.py --light --hosts 4,8,16 --delay 0.5   # cheap pages: politeness-bound

Every host is a demo report site (home, report-column lists, report pages) served on its own loopback
address (127.0.0.2, 127.0.0.3, ...). Workers are real `nianbao crawl --frontier redis://... --db
postgresql://...` processes of one job: Redis frontier (scrapy-redis), crawl-wide per-host limiter
(at most --limit requests in flight per host, --delay seconds between request starts), PostgreSQL and
one raw store. The baseline is the 1-worker run of the same host count, measured in the same run.

Figures: pages stored, crawl seconds (first to last request the hosts saw; process start-up and the
idle-close wait are excluded and shown apart as wall seconds), pages/s, speed-up over 1 worker, the
politeness bound (hosts x 1/delay pages/s) and the most concurrent requests any host saw vs the limit.
Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (database `test`); without PostgreSQL
(--sqlite) the workers share one SQLite file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.workers import multi_host, start_worker, write_seeds  # noqa: E402

PG = os.environ.get("NIANBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_schema_url() -> tuple[str, str]:
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(hosts: int, workers: int, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="nb-bench-") as tmp, \
            multi_host(hosts=hosts, reports=args.reports, light=args.light) as servers:
        folder = Path(tmp)
        seeds = write_seeds(folder / "seeds.csv", servers)
        db, schema = (f"sqlite:///{folder / 'nianbao.db'}", None) if args.sqlite else pg_schema_url()
        job = f"bench-{uuid.uuid4().hex[:8]}"
        settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": args.limit, "DOWNLOAD_DELAY": args.delay,
                    "NIANBAO_IDLE_CLOSE_SECONDS": 2, "NIANBAO_FRONTIER_LEASE_SECONDS": 30, "LOG_LEVEL": "WARNING"}
        started = time.monotonic()
        procs = [start_worker(seeds, data_dir=folder / "data", db=db, frontier=args.redis, job=job,
                              settings=settings, log=folder / f"w{i}.log") for i in range(workers)]
        codes = [p.wait(timeout=1800) for p in procs]
        wall = time.monotonic() - started
        if schema:
            drop_schema(schema)
        if any(codes):
            tail = (folder / "w0.log").read_text()[-2000:]
            raise SystemExit(f"a worker failed ({codes}):\n{tail}")
        records = [r for s in servers for r in s.requests if r.path != "/robots.txt"]
        first = min(r.started for r in records)
        last = max(r.finished for r in records)
        pages = len({(s.port, s.host, r.path) for s in servers for r in s.requests if r.path != "/robots.txt"})
        return {"pages": pages, "requests": len(records), "crawl_s": last - first, "wall_s": wall,
                "max_in_flight": max(s.max_in_flight for s in servers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default="4,8", help="host counts (comma-separated)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (comma-separated; 1 is the baseline)")
    parser.add_argument("--reports", type=int, default=12, help="report pages per host")
    parser.add_argument("--delay", type=float, default=0.25, help="per-host politeness delay (s)")
    parser.add_argument("--limit", type=int, default=2, help="per-host concurrency limit")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="frontier (keys are per job)")
    parser.add_argument("--sqlite", action="store_true", help="one shared SQLite file instead of PostgreSQL")
    parser.add_argument("--light", action="store_true",
                        help="short notices instead of full reports: processing is cheap, politeness is the bound")
    args = parser.parse_args()
    hosts_list = [int(x) for x in args.hosts.split(",")]
    workers_list = [int(x) for x in args.workers.split(",")]
    print(f"crawl scale-out: {args.reports} {'notices' if args.light else 'reports'}/host, per-host delay {args.delay}s, limit {args.limit}, "
          f"{'SQLite' if args.sqlite else 'PostgreSQL'} + Redis frontier, {os.cpu_count()} CPUs")
    print(f"{'hosts':>5} {'workers':>7} {'pages':>5} {'crawl s':>8} {'wall s':>7} {'pages/s':>8} "
          f"{'speed-up':>8} {'bound/s':>8} {'max in flight':>13}")
    for hosts in hosts_list:
        baseline = None
        for workers in workers_list:
            r = run(hosts, workers, args)
            rate = r["pages"] / r["crawl_s"]
            baseline = baseline or rate
            bound = hosts / args.delay if args.delay else float("inf")
            print(f"{hosts:>5} {workers:>7} {r['pages']:>5.0f} {r['crawl_s']:>8.1f} {r['wall_s']:>7.1f} "
                  f"{rate:>8.2f} {rate / baseline:>7.2f}x {bound:>8.1f} {r['max_in_flight']:>6.0f} / {args.limit}",
                  flush=True)


if __name__ == "__main__":
    try:
        main()
    except subprocess.TimeoutExpired as exc:  # pragma: no cover
        raise SystemExit(f"timed out: {exc}") from None
