"""What the bench-only Scrapy extensions (`crawl_log.py`, `stage_cpu.py`) share: the log file named by a
setting (the extension stays off without it) and their handlers connected to Scrapy's signals."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured


def log_path(crawler: Any, setting: str) -> str:
    """The path the setting names; NotConfigured (Scrapy leaves the extension off) when it is unset."""
    path = crawler.settings.get(setting)
    if not path:
        raise NotConfigured(f"{setting} is not set")
    return path


def connect_signals(crawler: Any, extension: object, *names: str) -> None:
    """Connect each `extension.<name>` method to the Scrapy signal of that name."""
    for name in names:
        crawler.signals.connect(getattr(extension, name), signal=getattr(signals, name))
