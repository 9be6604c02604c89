"""A real browser for pages no adapter understands: scrapy-playwright driving Debian's chromium.

Off unless chromium and scrapy-playwright are both there (`browser_availability` says why not).
`configure_browser` installs scrapy-playwright's download handler, which serves only requests with
`meta["playwright"]`: every other request keeps Scrapy's own handler. No browser is downloaded:
Playwright launches the system executable (`NIANBAO_BROWSER_EXECUTABLE`, else the first of
`CHROMIUM_CANDIDATES` found). The spider decides what to render (`crawler.spiders.portal`).
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser",
                       "google-chrome", "google-chrome-stable")
# what a rendered page may not load: its list comes from scripts and XHR, never from these
ABORTED_RESOURCES = frozenset({"image", "media", "font", "stylesheet", "texttrack", "eventsource", "websocket",
                               "manifest", "other"})


def find_chromium(configured: str | None = None) -> str | None:
    """The chromium executable to launch: the configured one, else the first candidate on this machine."""
    for candidate in ([configured] if configured else CHROMIUM_CANDIDATES):
        path = candidate if "/" in candidate else shutil.which(candidate)
        if path and Path(path).is_file():
            return path
    return None


def browser_availability(settings: Settings | dict[str, Any]) -> tuple[str | None, str]:
    """(executable, message): the chromium to use, or None and why the browser is off."""
    mode = str(settings.get("NIANBAO_BROWSER") or "auto").lower()
    if mode in ("off", "0", "false", "no"):
        return None, "browser off (NIANBAO_BROWSER=off)"
    missing = [name for name in ("playwright", "scrapy_playwright") if importlib.util.find_spec(name) is None]
    if missing:
        return None, f"browser off: Python package(s) {', '.join(missing)} not installed (pip install scrapy-playwright)"
    configured = settings.get("NIANBAO_BROWSER_EXECUTABLE") or None
    path = find_chromium(configured)
    if path is None:
        where = configured or " or ".join(CHROMIUM_CANDIDATES[:2])
        return None, (f"browser off: chromium not found at {where} (install the Debian package chromium, "
                      "`make deb`, or set NIANBAO_BROWSER_EXECUTABLE)")
    return path, f"browser on: {path}"


def abort_request(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts, styles … are never fetched by a rendered page."""
    return request.resource_type in ABORTED_RESOURCES


def configure_browser(settings: Settings) -> str:
    """Install the Playwright handler for rendered requests when chromium is there; the reason either way."""
    path, message = browser_availability(settings)
    settings.set("NIANBAO_BROWSER_STATUS", message, priority="cmdline")
    if path is None:
        settings.set("NIANBAO_BROWSER_ACTIVE", False, priority="cmdline")
        return message
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
    handlers.update({"http": handler, "https": handler})
    settings.set("DOWNLOAD_HANDLERS", handlers, priority="cmdline")
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="cmdline")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
        "executable_path": path, "headless": True,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    }, priority="cmdline")
    timeout = settings.getfloat("NIANBAO_BROWSER_TIMEOUT", 30.0)
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", int(timeout * 1000), priority="cmdline")
    settings.set("PLAYWRIGHT_ABORT_REQUEST", abort_request, priority="cmdline")
    settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 2, priority="cmdline")
    settings.set("NIANBAO_BROWSER_ACTIVE", True, priority="cmdline")
    _driver_in_its_own_session()
    _one_line_when_the_driver_goes()
    return message


DRIVER_GONE = "Connection closed while reading from the driver"


class DriverGoneFilter(logging.Filter):
    """Playwright's driver closing while the browser starts (a stop during the launch, a driver that
    died) is one warning line, not a traceback from Scrapy's signal dispatch: pages that need the
    browser are not rendered in this run, and the crawl goes on or stops as it was asked to."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and DRIVER_GONE in str(error):
            record.msg, record.args = "browser: Playwright's driver closed while starting (%s); no page is rendered", (
                str(error).splitlines()[0],)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _one_line_when_the_driver_goes() -> None:
    """Install `DriverGoneFilter` on the logger of Scrapy's signal dispatch (where scrapy-playwright's
    launch, an engine_started handler, reports its errors), once per process."""
    signal_logger = logging.getLogger("scrapy.utils.signal")
    if not any(isinstance(f, DriverGoneFilter) for f in signal_logger.filters):
        signal_logger.addFilter(DriverGoneFilter())


def _driver_in_its_own_session() -> None:
    """Start Playwright's driver (and so the chromium it launches) in a session of its own.

    A Ctrl-C on the terminal, or SIGTERM to the crawl's process group, would otherwise kill the driver
    while the crawl is finishing its in-flight work, and scrapy-playwright would log a traceback per
    handler. The crawl closes the browser itself when it stops; a crawl killed outright closes the
    driver's stdin, on which the driver exits. Only Playwright's own view of `asyncio` is changed."""
    import asyncio
    from types import SimpleNamespace

    try:
        from playwright._impl import transport
    except ImportError:  # a Playwright without this module: its default behaviour
        return
    if getattr(transport.asyncio, "nianbao_own_session", False):
        return

    async def create_subprocess_exec(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("start_new_session", True)
        return await asyncio.create_subprocess_exec(*args, **kwargs)

    names = {name: getattr(asyncio, name) for name in dir(asyncio) if not name.startswith("__")}
    names.update(create_subprocess_exec=create_subprocess_exec, nianbao_own_session=True)
    transport.asyncio = SimpleNamespace(**names)


# The pager: the element a visitor clicks for the next page of a list (text, then rel/class hints).
NEXT_PAGE_JS = r"""() => {
  const words = /^\s*(下一页|下页|后一页|下一頁|next|›|»|>|>>)\s*$/i;
  const nodes = Array.from(document.querySelectorAll('a, button, span, li, input[type=button], div'));
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const disabled = el => el.disabled || /disabled|disable|off/.test(el.className || '') ||
    el.getAttribute('aria-disabled') === 'true';
  const target = nodes.find(el => words.test(el.innerText || el.value || '') && visible(el) && !disabled(el)
    && !Array.from(el.children).some(c => words.test(c.innerText || '')));
  if (!target) { return false; }
  const href = target.getAttribute && target.getAttribute('href');
  if (href && !/^(javascript:|#)/i.test(href)) { return false; }  // a plain link: the crawl follows it
  target.click();
  return true;
}"""
