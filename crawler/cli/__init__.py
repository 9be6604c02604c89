"""The `nianbao` command line. Each sub-command lives in its own module and registers on `app`."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType


def _interrupted_while_starting(signum: int, _frame: FrameType | None) -> None:
    sys.stderr.write(f"\n{signal.Signals(signum).name} received while starting: nothing done\n")
    raise SystemExit(130)


# Importing the commands (Scrapy, SQLAlchemy, the extractor ...) takes seconds on a busy machine: a
# Ctrl-C meanwhile exits 130 with one line instead of an import traceback. Only when this is the
# program (`nianbao`, `python -m crawler`), until the command restores them (`restore_signals`).
_program = os.path.basename(sys.argv[0]) in ("nianbao", "-m", "__main__.py") if sys.argv else False
_starting = _program and threading.current_thread() is threading.main_thread()
_previous = {s: signal.signal(s, _interrupted_while_starting) for s in (signal.SIGINT, signal.SIGTERM)} \
    if _starting else {}


def restore_signals() -> None:
    """Give Ctrl-C / SIGTERM back their usual handlers (the command is about to do its work)."""
    for signum, handler in _previous.items():
        signal.signal(signum, handler)
    _previous.clear()


# Importing a command module registers its command(s) on `app`.
from crawler.cli import (  # noqa: E402, F401
    coverage_cmd,
    crawl_cmd,
    dedup_cmd,
    demo_cmd,
    export_cmd,
    extract_cmd,
    reprocess_cmd,
    runs_cmd,
    sites_cmd,
    status_cmd,
)
from crawler.cli.app import app  # noqa: E402


def main() -> None:
    app(prog_name="nianbao")
