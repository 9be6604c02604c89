"""The `nianbao` command line. Each sub-command lives in its own module and registers on `app`."""

from __future__ import annotations

from crawler.cli.app import app

# Importing a command module registers its command(s) on `app`.
from crawler.cli import extract_cmd  # noqa: F401,E402


def main() -> None:
    app()
