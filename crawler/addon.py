"""One settings precedence for every route (`nianbao crawl`, `scrapy crawl portal`, Scrapyd):

    Scrapy's built-in defaults < the settings module (settings.default / nightly / distributed)
    < the environment (NIANBAO_* variables named like a setting) < command-line options (-s, --db ...)

`NianbaoAddon` (listed in ADDONS) applies the environment when a crawler is created, whatever started
it, and resolves where the corpus lives exactly like the CLI does (storage.config.settings_storage)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings

from storage.config import settings_storage

ENV_PRIORITY = 35  # between the settings module ("project", 20) and the command line ("cmdline", 40)
ENV_PREFIX = "NIANBAO_"


def apply_environment(settings: BaseSettings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Set every NIANBAO_* environment variable that names a known setting, above the settings module
    and below the command line; returns the names applied."""
    environ = os.environ if environ is None else environ
    applied = []
    for name, value in sorted(environ.items()):
        known = name.startswith(ENV_PREFIX) and name in settings and value != ""
        if known and (settings.getpriority(name) or 0) <= ENV_PRIORITY:
            settings.set(name, value, priority=ENV_PRIORITY)
            applied.append(name)
    return applied


def resolve_corpus(settings: BaseSettings) -> None:
    """Fill NIANBAO_DATABASE_URL (default: SQLite in the data folder) and NIANBAO_DATA_DIR the way
    `nianbao crawl` resolves --db / --data-dir, keeping the priority each came with."""
    config = settings_storage(settings)
    for name, value in (("NIANBAO_DATABASE_URL", config.database_url), ("NIANBAO_DATA_DIR", str(config.data_dir))):
        settings.set(name, value, priority=settings.getpriority(name) or "project")


class NianbaoAddon:
    """Scrapy add-on: environment overrides and corpus location for any crawler of this project."""

    def update_settings(self, settings: BaseSettings) -> None:
        apply_environment(settings)
        resolve_corpus(settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> NianbaoAddon:
        return cls()
