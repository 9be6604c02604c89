"""The one back-off helper (crawler.middlewares.back_off), used by retries and by the anti-bot middleware."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy import Request

from crawler.middlewares import back_off


def crawler_with_slot(delay: float) -> SimpleNamespace:
    """A crawler whose downloader has one slot, keyed by host, with `delay` seconds between requests."""
    slot = SimpleNamespace(delay=delay)
    downloader = SimpleNamespace(
        slots={"www.example.gov.cn": slot}, get_slot_key=lambda request: request.url.split("/")[2]
    )
    return SimpleNamespace(engine=SimpleNamespace(downloader=downloader))


def test_the_delay_doubles_per_attempt_up_to_the_ceiling_and_never_shrinks() -> None:
    crawler = crawler_with_slot(0.5)
    request = Request("https://www.example.gov.cn/a.html")
    slot = crawler.engine.downloader.slots["www.example.gov.cn"]
    assert back_off(crawler, request, 2.0, 120.0, 1) == ("www.example.gov.cn", 2.0)
    assert back_off(crawler, request, 2.0, 120.0, 3) == ("www.example.gov.cn", 8.0)
    assert back_off(crawler, request, 2.0, 120.0, 2) == ("www.example.gov.cn", 8.0)  # a later, smaller one
    assert back_off(crawler, request, 2.0, 120.0, 10) == ("www.example.gov.cn", 120.0)
    assert slot.delay == 120.0


def test_nothing_to_slow_down_without_an_engine_a_slot_or_a_base() -> None:
    request = Request("https://www.example.gov.cn/a.html")
    assert back_off(SimpleNamespace(engine=None), request, 2.0, 120.0, 1) is None
    assert back_off(crawler_with_slot(1.0), Request("https://other.gov.cn/"), 2.0, 120.0, 1) is None
    crawler = crawler_with_slot(1.0)
    assert back_off(crawler, request, 0.0, 120.0, 3) is None
    assert crawler.engine.downloader.slots["www.example.gov.cn"].delay == 1.0
