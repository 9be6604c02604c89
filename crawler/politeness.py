"""Per-host politeness for the whole crawl, not per process: a limiter in Redis shared by all workers.

Every request to a host first takes a slot from that host's limiter: at most `limit` requests in
flight (a ZSET of holders, each with an expiry so a killed worker's slots come back) and at least
`delay` seconds between the starts of two requests (the host's next-allowed time). Both checks and
the take are one Lua script, with Redis's own clock, so workers on several machines agree. The slot
is given back when the response (or the error) comes back.

Defaults follow the embedded crawl: `CONCURRENT_REQUESTS_PER_DOMAIN` and `DOWNLOAD_DELAY`, or
`NIANBAO_HOST_CONCURRENCY` / `NIANBAO_HOST_DELAY`. With the shared limiter on, each process's own
per-host delay is switched off (it would only add waiting while a slot is held).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

HOLDER_META = "nb_host_slot"

# KEYS: holders zset, next-allowed key. ARGV: holder, limit, delay ms, hold ms.
# Returns 0 when the slot is taken, else milliseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(5, math.min(50, tonumber(first[2]) - now))
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + 60000)
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[3]) + 60000)
end
return 0
"""


class HostLimiter:
    """The crawl-wide limiter of one Redis database (synchronous client; each call is one round trip)."""

    def __init__(self, server: Any, prefix: str, limit: int, delay: float, hold: float) -> None:
        if limit < 1:
            raise ValueError("the per-host concurrency limit must be at least 1")
        self.server = server
        self.prefix = prefix
        self.limit = limit
        self.delay = max(0.0, delay)
        self.hold = hold
        self._acquire = server.register_script(_ACQUIRE)

    def keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:holders", f"{self.prefix}:{host}:next"]

    def try_acquire(self, host: str, holder: str) -> float:
        """0.0 when `holder` got a slot of `host`, else seconds to wait before trying again."""
        wait_ms = self._acquire(keys=self.keys(host),
                                args=[holder, self.limit, int(self.delay * 1000), int(self.hold * 1000)])
        return int(wait_ms) / 1000.0

    async def acquire(self, host: str) -> str:
        holder = uuid.uuid4().hex
        while True:
            wait = self.try_acquire(host, holder)
            if wait <= 0:
                return holder
            await asyncio.sleep(min(wait, 1.0))

    def release(self, host: str, holder: str) -> None:
        self.server.zrem(self.keys(host)[0], holder)


class CrawlWidePolitenessMiddleware:
    """Downloader middleware (placed last, next to the network): take the host's slot, give it back."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("NIANBAO_POLITENESS_REDIS"):
            raise NotConfigured("crawl-wide politeness is off")
        from scrapy_redis.connection import get_redis_from_settings

        limit = settings.getint("NIANBAO_HOST_CONCURRENCY") or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        delay = settings.getfloat("NIANBAO_HOST_DELAY", 1.0)
        # a slot a killed worker never gives back frees itself after this long
        hold = settings.getfloat("NIANBAO_HOST_SLOT_HOLD_SECONDS") or settings.getfloat("DOWNLOAD_TIMEOUT", 60) + 10.0
        self.limiter = HostLimiter(get_redis_from_settings(settings),
                                   settings.get("NIANBAO_POLITENESS_KEY") or "nianbao:hosts", limit, delay, hold)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlWidePolitenessMiddleware:
        return cls(crawler)

    @staticmethod
    def host(request: Request) -> str:
        return str(request.meta.get("download_slot") or urlparse_cached(request).hostname or "")

    async def process_request(self, request: Request, spider: Any = None) -> None:
        host = self.host(request)
        request.meta[HOLDER_META] = (host, await self.limiter.acquire(host))
        self.stats.inc_value("nianbao/politeness/slots")

    def _release(self, request: Request) -> None:
        held = request.meta.pop(HOLDER_META, None)
        if held:
            self.limiter.release(*held)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        self._release(request)


def enable_crawl_wide_politeness(settings: Settings) -> None:
    """Turn the shared limiter on (per-host limits from the current settings) and the local delay off."""
    if settings.get("NIANBAO_HOST_DELAY") in (None, ""):
        settings.set("NIANBAO_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY", 1.0), priority="cmdline")
    if not settings.getint("NIANBAO_HOST_CONCURRENCY"):
        settings.set("NIANBAO_HOST_CONCURRENCY", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2),
                     priority="cmdline")
    settings.set("NIANBAO_POLITENESS_REDIS", True, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.politeness.CrawlWidePolitenessMiddleware"] = 950
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
