"""Where nianbao keeps its data: one place that resolves the database URL and the data folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DATABASE_URL_ENV = "NIANBAO_DATABASE_URL"
DATA_DIR_ENV = "NIANBAO_DATA_DIR"
DEFAULT_DATA_DIR = "data"


class SettingsLike(Protocol):
    """What is read from crawl settings (Scrapy's Settings, or a dict)."""

    def get(self, name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class StorageConfig:
    """The database URL and the data folder (raw store, dedup index, exports)."""

    database_url: str
    data_dir: Path

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def resolve_storage(db: str | None = None, data_dir: str | os.PathLike[str] | None = None) -> StorageConfig:
    """Resolve options, then environment, then defaults (`data/`, SQLite at `data/nianbao.db`)."""
    folder = Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser()
    url = db or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{(folder / 'nianbao.db').as_posix()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    return StorageConfig(database_url=url, data_dir=folder)


def settings_storage(settings: SettingsLike) -> StorageConfig:
    """The corpus crawl settings name (`NIANBAO_DATABASE_URL`, `NIANBAO_DATA_DIR`), resolved like the
    CLI's --db / --data-dir."""
    return resolve_storage(settings.get("NIANBAO_DATABASE_URL") or None, settings.get("NIANBAO_DATA_DIR") or None)
