"""crawler/browser.py: what the browser's start may cost the crawl's log."""

from __future__ import annotations

import logging
import sys

from crawler.browser import DRIVER_GONE, DriverGoneFilter, _one_line_when_the_driver_goes


def _record_with(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception:  # noqa: BLE001 - a record carrying the exception, as Scrapy's signal dispatch logs it
        exc_info = sys.exc_info()
    return logging.LogRecord("scrapy.utils.signal", logging.ERROR, __file__, 1,
                             "Error caught on signal handler: %(receiver)s", ({"receiver": "launch"},), exc_info)


def test_a_driver_closing_while_the_browser_starts_is_one_warning_line() -> None:
    record = _record_with(Exception(DRIVER_GONE + "\nsome driver detail"))
    assert DriverGoneFilter().filter(record)
    text = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert text == f"WARNING browser: Playwright's driver closed while starting ({DRIVER_GONE}); no page is rendered"
    assert "Traceback" not in text


def test_other_errors_of_signal_handlers_keep_their_traceback() -> None:
    record = _record_with(RuntimeError("a handler bug"))
    assert DriverGoneFilter().filter(record)
    text = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert text.startswith("ERROR Error caught on signal handler")
    assert "Traceback" in text and "a handler bug" in text


def test_the_filter_is_installed_once() -> None:
    logger = logging.getLogger("scrapy.utils.signal")
    _one_line_when_the_driver_goes()
    _one_line_when_the_driver_goes()
    assert sum(isinstance(f, DriverGoneFilter) for f in logger.filters) == 1
