"""Crawl monitoring: failures counted where Scrapy only logs them, and Prometheus metrics.

Metrics are written in the Prometheus text format to a textfile for node_exporter's textfile collector
(`NIANBAO_METRICS_FILE`, default `DATA_DIR/metrics/nianbao-<job>.prom`), atomically, when the crawl
opens, every `NIANBAO_METRICS_INTERVAL` seconds and when it closes. No port is opened unless
`NIANBAO_METRICS_PORT` (`nianbao crawl --metrics-port`) asks for one, on 127.0.0.1 only.

Every numeric crawl counter under `nianbao/` is one sample of `nianbao_crawl_counter{name=...}`; per-host
counters (`nianbao/hosts/<host>/<figure>`) are `nianbao_host_counter{host=..., name=...}`."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger("nianbao.monitoring")
HOSTS_PREFIX = "nianbao/hosts/"


def _label(value: object) -> str:
    return str(value).replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items() if v is not None) + "}"


def render_metrics(stats: dict[str, Any], *, job: str, running: bool, started: float | None,
                   finish_reason: str | None = None, queued: int | None = None) -> str:
    """The Prometheus text exposition of a crawl's counters."""
    lines = [
        "# HELP nianbao_crawl_running 1 while the crawl runs, 0 once it closed.",
        "# TYPE nianbao_crawl_running gauge",
        f"nianbao_crawl_running{_labels(job=job)} {1 if running else 0}",
        "# HELP nianbao_crawl_updated_seconds When these metrics were written (Unix time).",
        "# TYPE nianbao_crawl_updated_seconds gauge",
        f"nianbao_crawl_updated_seconds{_labels(job=job)} {time.time():.3f}",
    ]
    if started is not None:
        lines += ["# HELP nianbao_crawl_started_seconds When the crawl started (Unix time).",
                  "# TYPE nianbao_crawl_started_seconds gauge",
                  f"nianbao_crawl_started_seconds{_labels(job=job)} {started:.3f}"]
    if queued is not None:
        lines += ["# HELP nianbao_crawl_queued_requests Requests waiting in the scheduler.",
                  "# TYPE nianbao_crawl_queued_requests gauge",
                  f"nianbao_crawl_queued_requests{_labels(job=job)} {queued}"]
    if finish_reason is not None:
        lines += ["# HELP nianbao_crawl_finished Why the last crawl closed (finished, shutdown, ...).",
                  "# TYPE nianbao_crawl_finished gauge",
                  f"nianbao_crawl_finished{_labels(job=job, reason=finish_reason)} 1"]
    crawl, host = [], []
    for key, value in sorted(stats.items()):
        if not key.startswith("nianbao/") or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if key.startswith(HOSTS_PREFIX):
            name, _, figure = key[len(HOSTS_PREFIX):].partition("/")
            if name and figure:
                host.append(f"nianbao_host_counter{_labels(job=job, host=name, name=figure)} {value}")
        else:
            crawl.append(f"nianbao_crawl_counter{_labels(job=job, name=key.removeprefix('nianbao/'))} {value}")
    for scrapy_key, metric in (("downloader/request_count", "requests"), ("item_scraped_count", "items")):
        if isinstance(stats.get(scrapy_key), int):
            crawl.append(f"nianbao_crawl_counter{_labels(job=job, name=metric)} {stats[scrapy_key]}")
    if crawl:
        lines += ["# HELP nianbao_crawl_counter Crawl counters (pages stored, reports found, errors, failures ...).",
                  "# TYPE nianbao_crawl_counter counter", *crawl]
    if host:
        lines += ["# HELP nianbao_host_counter Per-host crawl counters (discovery figures ...).",
                  "# TYPE nianbao_host_counter counter", *host]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Write atomically (node_exporter must never read half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".nianbao-", suffix=".prom.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CrawlMonitor:
    """Counts items a pipeline failed on (`nianbao/items/errors`: not stored), which Scrapy only logs,
    notes the URLs answered (`reached`: the CLI tells unreachable seeds from them), and publishes the crawl's counters as Prometheus metrics (textfile, optional local port)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.job = settings.get("NIANBAO_JOB") or "adhoc"
        target = settings.get("NIANBAO_METRICS_FILE")
        if target in (None, ""):
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.job)
            target = str(Path(settings.get("NIANBAO_DATA_DIR") or "data") / "metrics" / f"nianbao-{safe}.prom")
        self.path = None if str(target).lower() in ("off", "none", "0") else Path(target)
        self.interval = settings.getfloat("NIANBAO_METRICS_INTERVAL", 60.0)
        port = settings.get("NIANBAO_METRICS_PORT")
        self.port = int(port) if port not in (None, "", 0, "0") else None
        self.started: float | None = None
        self.running = False
        self.finish_reason: str | None = None
        self.loop: task.LoopingCall | None = None
        self.server: ThreadingHTTPServer | None = None
        self.reached: set[str] = set()  # URLs answered below 400 (from the network or the store)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMonitor:
        return cls(crawler)

    def item_error(self, item: Any = None, response: Any = None, spider: Any = None, failure: Any = None) -> None:
        self.stats.inc_value("nianbao/items/errors")

    def response_received(self, response: Any = None, request: Any = None, spider: Any = None) -> None:
        if response is not None and request is not None and response.status < 400:
            self.reached.add(request.url)
            self.reached.update(request.meta.get("redirect_urls") or ())

    def metrics(self) -> str:
        queued = None
        if self.running:
            try:
                queued = len(self.crawler.engine._slot.scheduler)  # type: ignore[union-attr]
            except (AttributeError, RuntimeError, TypeError):  # not started, closing, or a shared frontier
                queued = None
        return render_metrics(dict(self.stats.get_stats()), job=self.job, running=self.running, started=self.started,
                              finish_reason=self.finish_reason, queued=queued)

    def write(self) -> None:
        if self.path is None:
            return
        try:
            write_textfile(self.path, self.metrics())
        except OSError as exc:
            logger.warning("metrics textfile %s not written: %s", self.path, exc)

    def opened(self, spider: Any = None) -> None:
        self.started, self.running = time.time(), True
        if self.path is not None:
            logger.info("metrics: %s (every %gs)", self.path, self.interval)
        self.write()
        self.loop = task.LoopingCall(self.write)
        self.loop.start(self.interval, now=False)
        if self.port is not None:
            self.serve(self.port)

    def closed(self, spider: Any = None, reason: str = "") -> None:
        self.running, self.finish_reason = False, reason or "unknown"
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def serve(self, port: int) -> None:
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.split("?")[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                body = monitor.metrics().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            logger.error("metrics port 127.0.0.1:%s not opened: %s", port, exc)
            return
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.5,), name="nianbao-metrics", daemon=True).start()
        logger.info("metrics: http://127.0.0.1:%s/metrics", port)
