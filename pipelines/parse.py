"""Step 2+3 as one pure function, run in worker processes: body -> clean text -> report record.

Text extraction (pdfminer, trafilatura, OCR) and report parsing are CPU-bound. The pipelines send
them to a small process pool (`NIANBAO_PARSE_WORKERS`, default: one per core) so the Twisted reactor
keeps downloading from many hosts while documents are parsed. `0` workers parses inline. How the pool is
run and what a document may cost are read once from the settings (`ParseSettings`) and handed to the
pool, which gives them to every worker it starts: a worker reads no setting of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pipelines.limits import Limits, SettingsSource, limit_memory, memory_spent, setting_value, use_limits
from pipelines.textify import DocumentText, join_pages, textify
from settings import default as _defaults

logger = logging.getLogger(__name__)


@dataclass
class ParsedBody:
    """What one body yields: its text (always) and its report record (None when not parsed)."""

    text: DocumentText
    record: dict[str, Any] | None


def parse_body(body: bytes, *, url: str, content_type: str | None, content_disposition: str | None,
               title_hint: str | None = None, with_report: bool = True) -> ParsedBody:
    """Textify a body and, if asked, run the report extractor on its text (and HTML tables).
    `title_hint` (the link text) titles a body that has none of its own, as attachments often do."""
    return parse_pages([PageBody(body, url, content_type, content_disposition, title_hint)], with_report=with_report)


@dataclass
class PageBody:
    """One stored page of a document and what textify needs to read it."""

    body: bytes
    url: str
    content_type: str | None = None
    content_disposition: str | None = None
    anchor_text: str | None = None
    page: int = 1


def parse_pages(pages: list[PageBody], *, missing: list[dict[str, Any]] | None = None,
                with_report: bool = True, context: dict[str, Any] | None = None) -> ParsedBody:
    """Textify the pages of one split article, join them in order and run the report extractor on the
    whole. Page URLs and hashes go into the text's quality (audit); `missing` pages (page, url, error)
    that could not be fetched are recorded there and in its error. One page and nothing missing is
    what `parse_body` gives. `context` (`site_name`, `seed_agency`) is what the crawl knows around the
    document; the extractor uses it to complete short agency names, never to override the text."""
    texts = [textify(p.body, url=p.url, content_type=p.content_type, content_disposition=p.content_disposition)
             for p in pages]
    text = texts[0] if len(texts) == 1 else join_pages(texts)
    if not text.title and pages and pages[0].anchor_text:
        text.title = pages[0].anchor_text  # attachments: the link text is often the only title
    if len(pages) > 1 or missing:
        text.quality["page_urls"] = [p.url for p in pages]
        text.quality["page_sha256"] = [hashlib.sha256(p.body).hexdigest() for p in pages]
        text.quality["page_numbers"] = [p.page for p in pages]
        if missing:
            text.quality["missing_pages"] = missing
            notes = [f"page {m.get('page')} missing ({m.get('url')}: {m.get('error')})" for m in missing]
            text.error = "; ".join(filter(None, [text.error, *notes]))
    context = dict(context or {})
    if pages:
        context.setdefault("url", pages[0].url)
        if pages[0].anchor_text and pages[0].anchor_text != text.title:
            context.setdefault("anchor", pages[0].anchor_text)
    record = parse_text(text, **context) if with_report else None
    return ParsedBody(text=text, record=record)


def parse_text(text: DocumentText, *, url: str | None = None, anchor: str | None = None,
               site_name: str | None = None, seed_agency: str | None = None) -> dict[str, Any] | None:
    """The extractor's record for a DocumentText, with the crawl's context; None when the extractor
    fails (logged)."""
    from extractor import extract_report

    html = text.html if text.kind == "html" else None
    try:
        return extract_report(text.text or None, html=html, title=text.title, url=url, anchor=anchor,
                              site_name=site_name, seed_agency=seed_agency)
    except Exception:  # a parser bug must not stop a crawl; the URL is logged by the caller
        logger.exception("extractor failed")
        return None


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def ignore_stop_signals() -> None:
    """In a parse worker: Ctrl-C (sent to the whole process group) and SIGTERM are the parent's business;
    the parent finishes or cancels the work and shuts the pool down."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


_LAUNCH_LOCK = threading.Lock()
_launcher: str | None = None


def _python_ignoring_stop_signals() -> str | None:
    """A launcher for parse workers: `/bin/sh` ignoring SIGINT and SIGTERM, then exec'ing this Python.

    A spawned worker spends a second or two importing before `ignore_stop_signals` can run, and a
    Ctrl-C on the terminal reaches the whole process group: without this, a worker starting at that
    moment dies with a KeyboardInterrupt traceback. An ignored signal stays ignored across exec, and
    Python leaves an inherited SIG_IGN as it is, so the worker ignores both from its first instruction.
    The script lives in a private temporary folder removed at exit. None where there is no /bin/sh."""
    global _launcher
    if _launcher is None and os.path.exists("/bin/sh"):
        import atexit
        import shlex
        import shutil
        import sys
        import tempfile

        folder = tempfile.mkdtemp(prefix="nianbao-parse-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "python")
        with open(path, "w", encoding="utf-8") as script:
            script.write(f"#!/bin/sh\ntrap '' INT TERM\nexec {shlex.quote(sys.executable)} \"$@\"\n")
        os.chmod(path, 0o700)
        _launcher = path
    return _launcher


def _start_ignoring_stop_signals(process: Any) -> None:
    """Start a spawn `process` through the launcher (the spawn executable is swapped only meanwhile)."""
    from multiprocessing import spawn

    launcher = _python_ignoring_stop_signals()
    with _LAUNCH_LOCK:
        if launcher is None:
            process.start()
            return
        previous = spawn.get_executable()
        spawn.set_executable(launcher)
        try:
            process.start()
        finally:
            spawn.set_executable(previous)


def stop_launching_workers(timeout: float = 10.0) -> None:
    """For a process about to exit at once: let a worker being started finish its start, start no more.

    A spawned worker reads its start-up data from a pipe its parent writes just after launching it;
    a parent that exits in between leaves a worker that dies printing an `EOFError` traceback, and one
    not yet listed among the parent's children, so nobody kills it. After this returns, every worker
    is fully started and listed (`multiprocessing.active_children`). The lock is never released."""
    _LAUNCH_LOCK.acquire(timeout=timeout)


def _lower_priority(niceness: int) -> None:
    """Parse with the CPU the crawl leaves over."""
    if niceness > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not permitted: parse at normal priority
            os.nice(niceness)


def init_worker(niceness: int = 0, memory_mb: int = 0) -> None:
    """Pool initializer: lower CPU priority, cap the address space (`NIANBAO_PARSE_MEMORY_MB`)."""
    _lower_priority(niceness)
    limit_memory(memory_mb)


RETIRED = 75  # exit status of a parse worker that retires after running out of memory


class WorkerDied(RuntimeError):
    """The parse worker died on this document, and again when it was parsed once more."""


WORKER_DIED = ("the parse worker died on this document, twice (killed: out of memory or a crash in a native "
               "library); raise NIANBAO_PARSE_MEMORY_MB and run `nianbao reprocess`")


def _worker_loop(conn: Any, niceness: int, caps: Limits) -> None:
    """A parse worker: run the tasks that arrive on `conn` one at a time, under `caps`, send back (ok, value)."""
    ignore_stop_signals()
    init_worker(niceness, caps.memory_mb)
    with use_limits(caps):
        _serve_tasks(conn)


def _serve_tasks(conn: Any) -> None:
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if memory_spent():
            os._exit(RETIRED)  # the heap may stay near the cap after a MemoryError: retire, be replaced
        fn, args, kwargs = task
        try:
            reply = (True, fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - the task's exception goes back to its caller
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send((False, RuntimeError(f"parse result could not be sent back: {exc}")))


class _Worker:
    """One worker process and the pipe that only it writes to."""

    def __init__(self, niceness: int, caps: Limits) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process running a Twisted reactor
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_loop, args=(child, niceness, caps), daemon=True,
                                   name="nianbao-parse")
        _start_ignoring_stop_signals(self.process)
        child.close()  # the worker holds the only other end: its death is EOF here, even mid-message

    def run(self, task: tuple) -> tuple[bool, Any]:
        """Send one task and wait for its answer; raises EOFError when the worker dies meanwhile."""
        try:
            self.conn.send(task)
            return self.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            raise EOFError(str(exc)) from exc

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(timeout=None if not kill else 5)
        self.conn.close()


class ParsePool:
    """Parse worker processes that outlive a worker's death.

    A `ProcessPoolExecutor` whose worker dies (the OOM killer, a segfault in a C library, `kill -9`) is
    broken for every later task, and a worker killed while sending its result can hang it for good.
    Here each worker has its own pipe and runs one task at a time, so a death is the fault of exactly
    the task it held: that worker is replaced, its task is parsed once more (`retries`) in a fresh
    worker, and a task that kills that one too fails with `WorkerDied`. `deaths`, `retried` and `failed`
    count what happened (also into Scrapy `stats` under `nianbao/parse/...`). Every worker runs its
    tasks under `limits` (default: those of `settings.default`), its data memory capped by their `memory_mb`."""

    def __init__(self, workers: int, *, niceness: int = 0, limits: Limits | None = None, retries: int = 1,
                 stats: Any = None) -> None:
        self.size, self.niceness, self.retries, self.stats = workers, niceness, retries, stats
        self.limits = limits or Limits()
        self.deaths = self.retried = self.failed = 0
        self._lock = threading.Lock()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._threads = [threading.Thread(target=self._serve, name=f"nianbao-parse-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)
        if self.stats is not None:
            self.stats.inc_value(f"nianbao/parse/{'worker_deaths' if what == 'deaths' else what}")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._closed:
            raise RuntimeError("the parse pool is shut down")
        future: Future = Future()
        self._tasks.put((future, (fn, args, kwargs)))
        return future

    def map(self, fn: Callable[..., Any], items: list[Any]) -> list[Future]:
        """Futures of `fn(item)` for each item, in order."""
        return [self.submit(fn, item) for item in items]

    def _serve(self) -> None:
        """One worker slot: take tasks in turn, run each in this slot's process, replace it when it dies."""
        worker: _Worker | None = None
        try:
            while True:
                item = self._tasks.get()
                if item is None:
                    return
                future, task = item
                if not future.set_running_or_notify_cancel():
                    continue
                attempts = retirements = 0
                while True:
                    if worker is None:
                        worker = _Worker(self.niceness, self.limits)
                    try:
                        ok, value = worker.run(task)
                    except EOFError:
                        worker.process.join(timeout=5)
                        code = worker.process.exitcode
                        worker.conn.close()
                        worker = None
                        if code == RETIRED and retirements < 2:
                            retirements += 1  # retired after an earlier document's MemoryError: not this one's fault
                            continue
                        self._count("deaths")
                        logger.error("a parse worker died (exit %s); it was replaced", code)
                        if attempts < self.retries:
                            attempts += 1
                            self._count("retried")
                            continue
                        self._count("failed")
                        future.set_exception(WorkerDied(WORKER_DIED))
                        break
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                    break
        finally:
            if worker is not None:
                worker.stop()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    item = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class InlinePool:
    """`NIANBAO_PARSE_WORKERS = 0`: each task runs at once, in this process, under the same limits as a
    worker's; the futures it returns are already done."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        with use_limits(self.limits):
            try:
                future.set_result(fn(*args, **kwargs))
            except Exception as exc:  # noqa: BLE001 - the task's exception goes to its caller, as from a worker
                future.set_exception(exc)
        return future

    def map(self, fn: Callable[..., Any], items: list[Any]) -> list[Future]:
        return [self.submit(fn, item) for item in items]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing runs in the background."""


@dataclass(frozen=True)
class ParseSettings:
    """How documents are parsed: the pool (`NIANBAO_PARSE_WORKERS`, `NIANBAO_PARSE_NICENESS`,
    `NIANBAO_PARSE_RETRIES`) and what each document may cost (`limits`). The crawl reads them from its
    Scrapy settings, `nianbao reprocess` from the environment; the same pool either way."""

    workers: int | None = None  # None: one per core; 0 or less: inline
    niceness: int = _defaults.NIANBAO_PARSE_NICENESS
    retries: int = _defaults.NIANBAO_PARSE_RETRIES
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_settings(cls, settings: SettingsSource) -> ParseSettings:
        workers = settings.get("NIANBAO_PARSE_WORKERS")
        return cls(workers=None if workers in (None, "") else int(workers),
                   niceness=setting_value(settings, "NIANBAO_PARSE_NICENESS", cls.niceness),
                   retries=setting_value(settings, "NIANBAO_PARSE_RETRIES", cls.retries),
                   limits=Limits.from_settings(settings))


def make_pool(parse: ParseSettings, *, stats: Any = None) -> ParsePool | InlinePool:
    """A parse pool of `parse.workers` (None: one per core); 0 or less means parse inline.

    `niceness` > 0 lowers the workers' CPU priority, so the crawl process (the Twisted reactor that
    keeps every host's downloads and timeouts going) is never starved by parsing; parsing catches up
    in the CPU it leaves over, and Scrapy's scraper back-pressure (SCRAPER_SLOT_MAX_ACTIVE_SIZE) pauses
    downloads when too many bodies wait. `limits.memory_mb` caps each worker's data memory."""
    size = (os.cpu_count() or 1) if parse.workers is None else parse.workers
    if size <= 0:
        return InlinePool(parse.limits)
    return ParsePool(size, niceness=parse.niceness, limits=parse.limits, retries=parse.retries, stats=stats)
