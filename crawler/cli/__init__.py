"""The `nianbao` command line. Each sub-command lives in its own module and registers on `app`."""

from __future__ import annotations

# Importing a command module registers its command(s) on `app`.
from crawler.cli import (  # noqa: F401
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
from crawler.cli.app import app


def main() -> None:
    app(prog_name="nianbao")
