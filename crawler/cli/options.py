"""Options shared by the commands, how they open the corpus, and the exit codes they use."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from storage.config import DATA_DIR_ENV, DATABASE_URL_ENV, StorageConfig, resolve_storage
from storage.db import Storage

# Exit codes (README "Exit codes", `nianbao --help`)
EXIT_OK = 0
EXIT_FAILURES = 1  # done, but seeds unreachable or items not stored / not parsed (counted in the summary)
EXIT_USAGE = 2  # bad option, missing database or data folder, unreadable file
EXIT_NOTHING = 3  # nothing to export
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C / SIGTERM; a named --job resumes

EXIT_CODES_HELP = ("Exit codes: 0 done; 1 done with failures (seeds unreachable, items not stored or not "
                   "parsed; counted in the summary); 2 usage error (also a missing database or data folder); "
                   "3 nothing to export; 130 interrupted (Ctrl-C / SIGTERM; run the same --job again to resume).")

DbOption = typer.Option(
    None, "--db", envvar=DATABASE_URL_ENV, show_envvar=True,
    help="Database URL (default: SQLite at DATA_DIR/nianbao.db; or postgresql://...).",
)
DataDirOption = typer.Option(
    None, "--data-dir", envvar=DATA_DIR_ENV, show_envvar=True,
    help="Data folder: raw store, dedup index, default database (default: data/).",
)


def say(message: str, quiet: bool = False) -> None:
    """A progress note on stderr (silenced by --quiet). Written to `sys.stderr` as it is now, so that a
    live display that took stderr over prints it above itself."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


def missing_corpus(config: StorageConfig) -> str | None:
    """Why the corpus `config` names does not exist yet (None when it does). Only SQLite and the data
    folder can be checked without connecting; a PostgreSQL database that is missing fails to connect."""
    if not config.data_dir.is_dir():
        return f"data folder {config.data_dir.resolve()} does not exist"
    if config.is_sqlite:
        path = config.database_url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            return f"database {Path(path).resolve()} does not exist"
    return None


def open_corpus(db: str | None, data_dir: Path | None, *, create: bool = False, quiet: bool = False) -> Storage:
    """Open (and upgrade) the corpus, turning connection problems into one clear error line.

    Read-only commands (`create=False`) refuse a data folder or SQLite database that does not exist, so
    a mistyped --data-dir / --db never creates an empty corpus; `crawl` creates them and says so."""
    config: StorageConfig = resolve_storage(db, data_dir)
    missing = missing_corpus(config)
    if missing and not create:
        raise fail(f"{missing} (check --data-dir / --db or {DATA_DIR_ENV}; `nianbao crawl` creates it)")
    if missing:
        say(f"{missing} yet: creating it", quiet)
    try:
        return Storage(config)
    except Exception as exc:  # noqa: BLE001 - report any database failure plainly
        from sqlalchemy.engine import make_url

        shown = make_url(config.database_url).render_as_string(hide_password=True)
        raise fail(f"cannot open database {shown}: {exc.__class__.__name__}: {exc}") from None
