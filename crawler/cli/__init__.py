"""The `nianbao` command line. Each sub-command lives in its own module and registers on `app`."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType


def _interrupted_while_starting(signum: int, _frame: FrameType | None) -> None:
    sys.stderr.write(f"\n{signal.Signals(signum).name} received while starting: nothing done\n")
    raise SystemExit(130)


# Importing the commands (Scrapy, SQLAlchemy, the extractor ...) takes seconds on a busy machine: a
# Ctrl-C meanwhile exits 130 with one line instead of an import traceback.
_starting = threading.current_thread() is threading.main_thread()
_previous = {s: signal.signal(s, _interrupted_while_starting) for s in (signal.SIGINT, signal.SIGTERM)} \
    if _starting else {}

# Importing a command module registers its command(s) on `app`.
from crawler.cli import (  # noqa: E402, F401
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

for _signum, _handler in _previous.items():
    signal.signal(_signum, _handler)


def main() -> None:
    app(prog_name="nianbao")
