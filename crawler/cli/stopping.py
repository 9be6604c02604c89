"""Clean stops for `nianbao crawl`: the first Ctrl-C / SIGTERM finishes what is in flight, the second
(or the `NIANBAO_STOP_SECONDS` deadline) stops at once.

Scrapy's own handlers are not installed: on a second signal they stop the reactor, whose shutdown
trigger then waits for the very close it should cut short (the hang the issue reports). Here:

- first signal: say so on screen, then `CrawlerProcess.stop()` in the reactor thread; Scrapy stops
  scheduling, lets downloads and items in flight finish, closes the pipelines (the parse pool is shut
  down by its pipeline) and the command records the run as interrupted (exit 130);
- second signal, or the deadline passing (a watchdog thread, so a blocked reactor cannot delay it):
  the parse workers are killed by this process, one line is written, and the process exits 130 at
  once. Nothing is lost: every stored page was committed, and the job resumes where it stopped.

Parse workers never see the signals themselves (`pipelines.parse.ParsePool`)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def kill_workers() -> None:
    """Kill this process's multiprocessing children (the parse pool) and reap them, a worker being
    started included (it is let finish its start first)."""
    from pipelines.parse import stop_launching_workers

    stop_launching_workers()
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError, ChildProcessError):
            os.waitpid(child.pid, 0)  # type: ignore[arg-type]


class StopController:
    """Installs SIGINT/SIGTERM handlers for one crawl process and turns signals into stops."""

    def __init__(self, stop: Callable[[], Any] | None, stop_seconds: float, resume_hint: str,
                 say: Callable[[str], None]) -> None:
        self.stop = stop  # called in the reactor thread: the graceful stop (None: no crawl started yet)
        self.stop_seconds = stop_seconds
        self.resume_hint = resume_hint
        self.say = say
        self.signals = 0
        self.signal_name: str | None = None
        self.watchdog: threading.Timer | None = None
        self.previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signals > 0

    def install(self) -> None:
        self.previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}

    def uninstall(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # No buffered writes or logging here: the interrupted code may be writing to the same stream.
        self.signals += 1
        if self.signals > 1:
            self.force(f"second {signal.Signals(signum).name}")
            return
        self.signal_name = signal.Signals(signum).name
        self.watchdog = threading.Timer(self.stop_seconds, self.force,
                                        args=(f"still closing after NIANBAO_STOP_SECONDS={self.stop_seconds:g}",))
        self.watchdog.daemon = True
        self.watchdog.start()
        if self.stop is not None:  # else the command sees `requested` before it starts the crawl
            from twisted.internet import reactor

            reactor.callFromThread(self._graceful)

    def attach(self, stop: Callable[[], Any]) -> None:
        """The graceful stop, once the crawl exists (a signal that came before is handled by the caller)."""
        self.stop = stop

    def notice(self) -> None:
        self.say(f"{self.signal_name} received: stopping; pages and items in flight are finished and stored "
                 f"(at most {self.stop_seconds:g} s, NIANBAO_STOP_SECONDS); press Ctrl-C again to stop at once")

    def _graceful(self) -> None:
        self.notice()
        assert self.stop is not None
        self.stop()

    def force(self, why: str) -> None:
        """Stop at once: kill the parse workers, write one line, exit 130 (never returns)."""
        with contextlib.suppress(Exception):
            show_cursor = b"\x1b[?25h" if sys.stderr.isatty() else b""  # a live display hid it
            os.write(2, show_cursor + f"\nstopped at once ({why}); {self.resume_hint}\n".encode())
        with contextlib.suppress(Exception):
            kill_workers()
        os._exit(EXIT_INTERRUPTED)
