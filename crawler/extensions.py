"""Scrapy extensions: the crawl's progress, live on a terminal or as plain periodic log lines.

Figures: pages (fetched and from the store), queued and in-flight requests, reports found, errors,
pages per second over the last minute and an ETA, overall and for the busiest hosts. Pages queued per
host are the host's scheduled requests less those answered (responses, and failed downloads' items).

On a terminal the display is a rich Live region; log lines are routed through it (printed above the
region, never glued to it). `nianbao crawl --log-file` leaves only warnings and errors to the terminal.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter, deque
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger("nianbao.progress")
RATE_WINDOW = 60.0  # seconds the rates are measured over
HOSTS_SHOWN = 8


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def eta(pending: float, rate: float) -> str:
    """`h:mm:ss` to finish `pending` at `rate` per second ("-" when nothing moves)."""
    if pending <= 0:
        return "0:00:00"
    if rate <= 0:
        return "-"
    seconds = int(pending / rate)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class CrawlProgress:
    """Pages, queue, reports, errors, rate and ETA: a live display on a terminal, log lines otherwise."""

    def __init__(self, crawler: Crawler) -> None:
        mode = crawler.settings.get("NIANBAO_PROGRESS", "auto")
        if mode == "off":
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 10.0)
        self.live_mode = mode == "live" or (mode == "auto" and sys.stderr.isatty())
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.live: Any = None
        self.redirected: list[tuple[logging.StreamHandler, Any]] = []
        self.scheduled: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.recent: deque[tuple[float, str]] = deque()  # (when, host) of items done in the rate window
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        return cls(crawler)

    # -- counting ---------------------------------------------------------------------------------

    def request_scheduled(self, request: Any, spider: Any = None) -> None:
        self.scheduled[_host(request.url)] += 1

    def request_dropped(self, request: Any, spider: Any = None) -> None:
        self.scheduled[_host(request.url)] -= 1

    def response_received(self, response: Any = None, request: Any = None, spider: Any = None) -> None:
        if request is not None and not request.url.endswith("/robots.txt"):
            self._done(_host(request.url))

    def item_done(self, item: Any = None, **_: Any) -> None:
        """A download that failed has no response: its item (with the error) closes the request."""
        if getattr(item, "error", None) and getattr(item, "status", None) is None and getattr(item, "url", None):
            self._done(_host(item.url))

    def _done(self, host: str) -> None:
        self.done[host] += 1
        self.recent.append((time.monotonic(), host))

    def _rates(self) -> tuple[float, Counter[str]]:
        now = time.monotonic()
        while self.recent and self.recent[0][0] < now - RATE_WINDOW:
            self.recent.popleft()
        window = min(RATE_WINDOW, max(now - self.started, 1e-9))
        per_host = Counter(host for _, host in self.recent)
        return len(self.recent) / window, Counter({h: n / window for h, n in per_host.items()})

    def figures(self) -> dict[str, Any]:
        get = self.stats.get_value
        try:
            engine = self.crawler.engine
        except RuntimeError:  # not started yet
            engine = None
        queued = 0
        in_flight = 0
        if engine is not None:
            slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
            scheduler = getattr(slot, "scheduler", None)
            try:
                queued = len(scheduler) if scheduler is not None else 0
            except TypeError:  # a scheduler without a length (some shared frontiers)
                queued = 0
            in_flight = len(getattr(engine.downloader, "active", ()) or ())
        rate, host_rates = self._rates()
        pending = {h: max(0, n - self.done[h]) for h, n in self.scheduled.items()}
        stored = get("nianbao/fetches/stored", 0) or 0
        from_store = get("nianbao/fetches/from_store", 0) or 0
        return {
            "pages": stored + from_store,
            "in_store": from_store,
            "queued": queued,
            "in_flight": in_flight,
            "reports": get("nianbao/reports/found", 0) or 0,
            "errors": get("nianbao/fetches/errors", 0) or 0,
            "rate": rate,
            "eta": eta(queued + in_flight, rate),
            "hosts": sorted(((h, self.done[h], p, host_rates.get(h, 0.0), eta(p, host_rates.get(h, 0.0)))
                             for h, p in pending.items()), key=lambda row: (-row[2], row[0])),
        }

    def line(self, f: dict[str, Any] | None = None) -> str:
        f = f or self.figures()
        resumed = f" ({f['in_store']} from store)" if f["in_store"] else ""
        return (f"pages {f['pages']}{resumed} | queued {f['queued']} | in flight {f['in_flight']} | "
                f"reports {f['reports']} | errors {f['errors']} | {f['rate']:.1f} pages/s | ETA {f['eta']}")

    def renderable(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        f = self.figures()
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("host", "done", "queued", "pages/s", "ETA"):
            table.add_column(column, justify="left" if column == "host" else "right")
        busy = [row for row in f["hosts"] if row[2] > 0][:HOSTS_SHOWN]
        for host, done, pending, rate, host_eta in busy:
            table.add_row(host, str(done), str(pending), f"{rate:.1f}", host_eta)
        more = len([row for row in f["hosts"] if row[2] > 0]) - len(busy)
        parts: list[Any] = [f"[bold]crawl[/] {self.line(f)}"]
        if busy:
            parts.append(table)
        if more > 0:
            parts.append(f"... and {more} more host(s) with queued pages")
        return Group(*parts)

    # -- display ----------------------------------------------------------------------------------

    def opened(self, spider: Any = None) -> None:
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            terminal = sys.stderr
            self.live = Live(self.renderable(), console=Console(file=terminal), refresh_per_second=2,
                             transient=False, redirect_stdout=True, redirect_stderr=True)
            self.live.start()
            # log handlers keep the stream they were made with: send them through the live region
            for handler in self._terminal_handlers(terminal):
                self.redirected.append((handler, handler.setStream(sys.stderr)))
            interval = 0.5
        else:
            interval = self.interval
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(interval, now=False)

    @staticmethod
    def _terminal_handlers(stream: Any) -> list[logging.StreamHandler]:
        return [h for h in logging.getLogger().handlers
                if type(h) is logging.StreamHandler and h.stream is stream]

    def tick(self) -> None:
        if self.live is not None:
            self.live.update(self.renderable())
        else:
            logger.info("progress: %s", self.line())

    def closed(self, spider: Any = None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.renderable())
            self.live.stop()
            for handler, stream in self.redirected:
                handler.setStream(stream)
            self.redirected = []
        logger.info("final: %s (%s)", self.line(), reason)
