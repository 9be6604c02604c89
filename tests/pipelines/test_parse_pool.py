"""The parse pool survives a worker killed mid-document: the worker is replaced, the document it held is
parsed once more, the one that kills its worker again fails with WorkerDied, and every event is counted."""

from __future__ import annotations

import pytest

from pipelines.limits import Limits, limits
from pipelines.parse import InlinePool, ParsePool, ParseSettings, WorkerDied, make_pool
from tests.support.parse_tasks import address_space_limit, allocate, echo_or_die


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def test_a_dead_worker_fails_only_its_document_and_the_pool_goes_on():
    stats = Stats()
    pool = ParsePool(2, retries=1, stats=stats)
    try:
        items = ["a", "slow", "die", "b", "c", "raise", "d"]
        futures = pool.map(echo_or_die, items)
        got = {}
        for item, future in zip(items, futures, strict=True):
            try:
                got[item] = future.result(timeout=120)
            except Exception as exc:  # noqa: BLE001
                got[item] = type(exc).__name__
        assert got == {"a": "A", "slow": "SLOW", "die": "WorkerDied", "b": "B", "c": "C", "raise": "ValueError",
                       "d": "D"}
        # after the deaths the pool still parses
        assert pool.submit(echo_or_die, "e").result(timeout=120) == "E"
    finally:
        pool.shutdown()
    # "die" killed its worker, was parsed once more in a fresh one, killed that too: nobody else suffered
    assert (pool.deaths, pool.retried, pool.failed) == (2, 1, 1)
    assert stats.values == {"nianbao/parse/worker_deaths": 2, "nianbao/parse/retried": 1, "nianbao/parse/failed": 1}


def test_without_retries_the_document_fails_at_once():
    pool = ParsePool(1, retries=0)
    try:
        with pytest.raises(WorkerDied, match="NIANBAO_PARSE_MEMORY_MB"):
            pool.submit(echo_or_die, "die").result(timeout=120)
        assert pool.submit(echo_or_die, "x").result(timeout=120) == "X"
    finally:
        pool.shutdown()
    assert (pool.deaths, pool.retried, pool.failed) == (1, 0, 1)


def test_workers_run_under_the_address_space_limit():
    pool = ParsePool(1, limits=Limits(memory_mb=1024))
    try:
        assert pool.submit(address_space_limit).result(timeout=120) == 1024 * 2**20
        with pytest.raises(MemoryError):
            pool.submit(allocate, 1500).result(timeout=120)
        assert pool.submit(allocate, 16).result(timeout=120) == 16 * 2**20
    finally:
        pool.shutdown()


def test_a_worker_ignores_ctrl_c_from_its_first_instruction():
    """A Ctrl-C on the terminal reaches every process of the group, also a worker still importing: the
    launcher makes it start with SIGINT and SIGTERM ignored, before any of its own code runs."""
    import multiprocessing
    import signal

    from pipelines.parse import _start_ignoring_stop_signals
    from tests.support.parse_tasks import report_stop_signals

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=report_stop_signals, args=(queue,))
    _start_ignoring_stop_signals(process)
    try:
        assert queue.get(timeout=120) == (signal.SIG_IGN, signal.SIG_IGN)
    finally:
        process.join(timeout=60)
    plain = ctx.Process(target=report_stop_signals, args=(queue,))
    plain.start()  # without the launcher: Python's own KeyboardInterrupt handler (the check can fail)
    try:
        assert queue.get(timeout=120)[0] is signal.default_int_handler
    finally:
        plain.join(timeout=60)


def test_a_worker_retires_after_a_memory_error_without_failing_the_next_document():
    from tests.support.parse_tasks import ran_out_of_memory, worker_pid

    pool = ParsePool(1)
    try:
        first = pool.submit(worker_pid).result(timeout=120)
        assert pool.submit(ran_out_of_memory).result(timeout=120) == "spent"
        second = pool.submit(worker_pid).result(timeout=120)  # the spent worker retired; a fresh one answered
    finally:
        pool.shutdown()
    assert second != first
    assert (pool.deaths, pool.retried, pool.failed) == (0, 0, 0)


def test_every_worker_parses_under_the_limits_handed_to_the_pool(monkeypatch):
    """The pool's limits, not the workers' environment, even in a worker that replaced a dead one."""
    monkeypatch.setenv("NIANBAO_MAX_TEXT_CHARS", "99")
    caps = Limits(text_chars=1234, pdf_seconds=5.0, ocr_engine="tesseract", memory_mb=0)
    pool = ParsePool(1, limits=caps, retries=0)
    try:
        assert pool.submit(limits).result(timeout=120) == caps
        with pytest.raises(WorkerDied):
            pool.submit(echo_or_die, "die").result(timeout=120)
        assert pool.submit(limits).result(timeout=120) == caps
    finally:
        pool.shutdown()


def test_inline_parsing_runs_under_the_same_limits(monkeypatch):
    monkeypatch.setenv("NIANBAO_MAX_TEXT_CHARS", "99")
    caps = Limits(text_chars=1234)
    pool = make_pool(ParseSettings(workers=0, limits=caps))
    assert isinstance(pool, InlinePool)
    assert pool.submit(limits).result() == caps
    assert limits().text_chars == 99  # outside a parse: the environment, as a library caller reads it
    with pytest.raises(ValueError, match="bad document"):
        pool.submit(echo_or_die, "raise").result()


def test_parse_settings_from_scrapy_settings_or_the_environment():
    from scrapy.settings import Settings

    from settings import default

    settings = Settings()
    settings.setmodule(default)
    assert ParseSettings.from_settings(settings) == ParseSettings(
        workers=None, niceness=default.NIANBAO_PARSE_NICENESS, retries=default.NIANBAO_PARSE_RETRIES, limits=Limits())
    settings.set("NIANBAO_PARSE_WORKERS", "0", priority="cmdline")
    settings.set("NIANBAO_PARSE_RETRIES", "3", priority="cmdline")
    assert (ParseSettings.from_settings(settings).workers, ParseSettings.from_settings(settings).retries) == (0, 3)
    env = {"NIANBAO_PARSE_NICENESS": "0", "NIANBAO_OCR_MAX_PAGES": "2", "NIANBAO_PARSE_MEMORY_MB": "lots"}
    parse = ParseSettings.from_settings(env)
    assert (parse.niceness, parse.limits.ocr_max_pages) == (0, 2)
    assert parse.limits.memory_mb == default.NIANBAO_PARSE_MEMORY_MB  # not a number: the default
