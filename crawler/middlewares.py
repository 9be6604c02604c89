"""Retries that back off per host, and the back-off itself (also used by crawler.antibot)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def back_off(
    crawler: Crawler, request: Request, base: float, ceiling: float, attempt: int
) -> tuple[str, float] | None:
    """Slow down the download slot of `request`'s host: its delay becomes at least `base * 2**(attempt - 1)`
    seconds, at most `ceiling`. Returns the slot and its new delay, or None (no engine yet, no slot)."""
    engine = getattr(crawler, "engine", None)
    downloader = getattr(engine, "downloader", None)
    if downloader is None or base <= 0:
        return None
    key = downloader.get_slot_key(request)
    slot = downloader.slots.get(key)
    if slot is None:
        return None
    slot.delay = min(ceiling, max(slot.delay, base * 2 ** (attempt - 1)))
    return key, slot.delay


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus exponential back-off: each retry slows down the whole host."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NIANBAO_BACKOFF_BASE", 2.0)
        self.ceiling = settings.getfloat("NIANBAO_BACKOFF_MAX", 120.0)

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            slowed = back_off(self.crawler, request, self.base, self.ceiling, attempt)
            if slowed is not None:
                self.crawler.stats.inc_value("nianbao/backoff")
                logger.info("backing off %s: delay now %.1fs after retry %d", *slowed, attempt)
        return retry
