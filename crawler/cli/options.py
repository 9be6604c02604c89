"""Options shared by every command that touches the corpus."""

from __future__ import annotations

from pathlib import Path

import typer

from storage.config import DATA_DIR_ENV, DATABASE_URL_ENV, StorageConfig, resolve_storage
from storage.db import Storage

DbOption = typer.Option(
    None, "--db", envvar=DATABASE_URL_ENV, show_envvar=True,
    help="Database URL (default: SQLite at DATA_DIR/nianbao.db; or postgresql://...).",
)
DataDirOption = typer.Option(
    None, "--data-dir", envvar=DATA_DIR_ENV, show_envvar=True,
    help="Data folder: raw store, dedup index, default database (default: data/).",
)


def open_corpus(db: str | None, data_dir: Path | None) -> Storage:
    """Open (and upgrade) the corpus, turning connection problems into one clear error line."""
    config: StorageConfig = resolve_storage(db, data_dir)
    try:
        return Storage(config)
    except Exception as exc:  # noqa: BLE001 - report any database failure plainly
        typer.echo(f"error: cannot open database {config.database_url}: {exc.__class__.__name__}: {exc}", err=True)
        raise typer.Exit(code=2) from None
