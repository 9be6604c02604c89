"""A shared crawl frontier in Redis (scrapy-redis), safe against workers that die.

`nianbao crawl --frontier redis://HOST:6379/N` (or `NIANBAO_REDIS_URL`) makes every process of a job
share one request queue and one seen-URL filter: scrapy-redis's `Scheduler` and `RFPDupeFilter`,
keyed by job and run so the next nightly run starts with a fresh frontier.

scrapy-redis pops a request by removing it from the queue, so a worker killed after the pop loses it.
`ReliablePriorityQueue` (a scrapy-redis `PriorityQueue`) pops atomically into a lease instead: the
request moves to a processing hash and a lease ZSET scored by its expiry. The worker renews its leases
while it lives and acknowledges one when the response's item has been stored and its links enqueued
(or when the worker goes idle: nothing of its own is in flight any more). Leases that expire, those of
a dead worker, go back to the queue, and storage is idempotent, so re-doing one changes nothing.

A worker closes when the whole frontier (queue and leases) has been empty for
`NIANBAO_IDLE_CLOSE_SECONDS`, instead of waiting forever.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy.http import Response
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task
from twisted.python.failure import Failure

from pipelines.items import FetchedResponse

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)
# scrapy-redis 0.9.1 still passes `spider=` to the stats collector (deprecated in Scrapy 2.13+)
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector",
                        category=ScrapyDeprecationWarning)

REDIS_URL_ENV = "NIANBAO_REDIS_URL"
LEASE_META = "nb_lease"

# pop the best request into a lease (one atomic step: a kill leaves it queued or leased, never lost)
_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return nil end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HSET', KEYS[2], ARGV[1], found[1])
redis.call('HSET', KEYS[3], ARGV[1], found[2])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return found[1]
"""
# put expired leases back into the queue
_REQUEUE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1], 'LIMIT', 0, 500)
for _, lease in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], lease)
  if data then redis.call('ZADD', KEYS[1], redis.call('HGET', KEYS[3], lease) or 0, data) end
  redis.call('ZREM', KEYS[4], lease)
  redis.call('HDEL', KEYS[2], lease)
  redis.call('HDEL', KEYS[3], lease)
end
return #expired
"""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pops are leases, re-queued when not acknowledged in time."""

    lease_seconds = 60.0

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.data_key = self.key + ":leased"
        self.score_key = self.key + ":leased-scores"
        self.lease_key = self.key + ":leases"
        self.held: set[str] = set()
        self._pop = server.register_script(_POP)
        self._requeue = server.register_script(_REQUEUE)
        settings = getattr(spider, "settings", None)
        if settings is not None:
            self.lease_seconds = settings.getfloat("NIANBAO_FRONTIER_LEASE_SECONDS", self.lease_seconds)

    def _keys(self) -> list[str]:
        return [self.key, self.data_key, self.score_key, self.lease_key]

    def push(self, request: Request) -> None:
        super().push(request)
        lease = request.meta.get(LEASE_META)
        if lease:  # a retry or redirect of a leased request: it is safe in the queue again
            self.ack(lease)

    def pop(self, timeout: float = 0) -> Request | None:
        self.requeue_expired()
        lease = uuid.uuid4().hex
        data = self._pop(keys=self._keys(), args=[lease, time.time() + self.lease_seconds])
        if data is None:
            return None
        self.held.add(lease)
        request = self._decode_request(data)
        request.meta[LEASE_META] = lease
        return request

    def ack(self, lease: str) -> None:
        pipe = self.server.pipeline()
        pipe.zrem(self.lease_key, lease).hdel(self.data_key, lease).hdel(self.score_key, lease)
        pipe.execute()
        self.held.discard(lease)

    def ack_all(self) -> None:
        for lease in list(self.held):
            self.ack(lease)

    def renew(self) -> None:
        """Push the expiry of every lease this worker holds (those already re-queued stay gone)."""
        held = list(self.held)  # called from the renewal thread
        if held:
            self.server.zadd(self.lease_key, dict.fromkeys(held, time.time() + self.lease_seconds), xx=True)

    def requeue_expired(self) -> int:
        count = int(self._requeue(keys=self._keys(), args=[time.time()]) or 0)
        if count:
            logger.warning("frontier: %d expired lease(s) of a stopped worker put back in the queue", count)
        return count

    def leases(self) -> int:
        return int(self.server.zcard(self.lease_key))

    def clear(self) -> None:
        self.server.delete(*self._keys())
        self.held.clear()


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with leased pops, acknowledgements and the idle-close rule."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crawler: Crawler | None = None
        self.idle_close = 30.0
        self.empty_since: float | None = None
        self.pending: dict[str, set[str]] = {}
        self.renewal: threading.Thread | None = None
        self.stopping = threading.Event()
        self.poke: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.idle_close = crawler.settings.getfloat("NIANBAO_IDLE_CLOSE_SECONDS", 30.0)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(scheduler.item_done, signal=signal)
        return scheduler

    def open(self, spider: Any) -> Any:
        result = super().open(spider)
        if not isinstance(self.queue, ReliablePriorityQueue):
            raise NotConfigured("FrontierScheduler needs SCHEDULER_QUEUE_CLASS = crawler.frontier.ReliablePriorityQueue")
        # a thread, not a reactor call: a page parsed inline for longer than a lease must not lose it
        self.renewal = threading.Thread(target=self._renew_loop, name="frontier-leases", daemon=True)
        self.renewal.start()
        self.poke = task.LoopingCall(self._poke)
        self.poke.start(0.5, now=False)
        return result

    def close(self, reason: str) -> Any:
        self.stopping.set()
        if self.poke is not None and self.poke.running:
            self.poke.stop()
        if reason == "finished":
            self.queue.ack_all()
            if self.frontier_empty():  # the last one out clears the run's keys
                self.queue.clear()
                self.df.clear()
        return super().close(reason)

    # -- leases ---------------------------------------------------------------------------------

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None:
            self.empty_since = None
            self.pending[request.meta[LEASE_META]] = {"item", "output"}
        return request

    def done(self, lease: str | None, part: str) -> None:
        if not lease or lease not in self.pending:
            return
        self.pending[lease].discard(part)
        if not self.pending[lease]:
            del self.pending[lease]
            self.queue.ack(lease)

    def output_done(self, request: Request | None, items: int) -> None:
        lease = request.meta.get(LEASE_META) if request is not None else None
        self.done(lease, "output")
        if not items:
            self.done(lease, "item")

    def item_done(self, item: Any, response: Any = None, **_: Any) -> None:
        if not isinstance(item, FetchedResponse):
            return
        if isinstance(response, Failure):  # an errback's item: nothing else comes of that request
            request = getattr(response, "request", None)
            lease = request.meta.get(LEASE_META) if request is not None else None
            self.done(lease, "output")
        else:
            request = getattr(response, "request", None)
            lease = request.meta.get(LEASE_META) if request is not None else None
        self.done(lease, "item")

    def _renew_loop(self) -> None:
        interval = max(0.2, self.queue.lease_seconds / 4)
        while not self.stopping.wait(interval):
            try:
                self.queue.renew()
            except Exception:  # noqa: BLE001 - a Redis hiccup must not stop the crawl; the next tick retries
                logger.exception("frontier: renewing leases failed")

    def _poke(self) -> None:
        """While this worker idles, look at the shared queue twice a second (not every 5 s)."""
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None)
        if slot is None or engine.downloader.active:
            return
        if self.empty_since is not None or len(self.queue):  # idling: re-check the idle rule too
            slot.nextcall.schedule()

    # -- idle close -----------------------------------------------------------------------------

    def frontier_empty(self) -> bool:
        self.queue.requeue_expired()
        return len(self.queue) == 0 and self.queue.leases() == 0

    def spider_idle(self, spider: Any = None) -> None:
        # nothing of ours is in flight: whatever we still hold is done
        self.pending.clear()
        self.queue.ack_all()
        if not self.frontier_empty():
            self.empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < self.idle_close:
            raise DontCloseSpider
        logger.info("frontier empty for %.0fs: closing", now - self.empty_since)


class LeaseSpiderMiddleware:
    """Tells the frontier when a leased response's output (item and links) has all been handed on."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseSpiderMiddleware:
        if not crawler.settings.get("SCHEDULER", "").endswith("FrontierScheduler"):
            raise NotConfigured("no shared frontier")
        return cls(crawler)

    def _scheduler(self) -> FrontierScheduler | None:
        slot = getattr(self.crawler.engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None)
        return scheduler if isinstance(scheduler, FrontierScheduler) else None

    def process_spider_output(self, response: Response, result: Iterable[Any], spider: Any = None) -> Iterable[Any]:
        items = 0
        for element in result:
            items += isinstance(element, FetchedResponse)
            yield element
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.output_done(response.request, items)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        items = 0
        async for element in result:
            items += isinstance(element, FetchedResponse)
            yield element
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.output_done(response.request, items)


def redis_url_from(option: str | None) -> str | None:
    return option or os.environ.get(REDIS_URL_ENV) or None


def configure_frontier(settings: Settings, redis_url: str, job: str, run_id: int) -> None:
    """Switch a crawl's settings to the shared Redis frontier and the crawl-wide politeness limiter."""
    prefix = f"nianbao:{job}:run{run_id}"
    values = {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.frontier.ReliablePriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # other workers still use it; the last one out clears it
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "SCHEDULER_QUEUE_KEY": prefix + ":requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + ":seen",
        "NIANBAO_POLITENESS_KEY": f"nianbao:{job}:hosts",
    }
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_mw["crawler.frontier.LeaseSpiderMiddleware"] = 960
    settings.set("SPIDER_MIDDLEWARES", spider_mw, priority="cmdline")
    from crawler.politeness import enable_crawl_wide_politeness

    enable_crawl_wide_politeness(settings)
