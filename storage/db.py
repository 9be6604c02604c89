"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL; migrations on open."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.blobs import RawStore
from storage.config import StorageConfig

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine with the pragmas the embedded default needs (WAL, busy timeout, foreign keys)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser interpolates "%": escape it (URLs carry %3D in options=-csearch_path%3D...)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; safe with concurrent starters)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        if engine.dialect.name == "postgresql":
            # one migrator at a time when several workers start together
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242170)")
        command.upgrade(config, "head")


class Storage:
    """The database and the raw store of one corpus."""

    def __init__(self, config: StorageConfig, *, migrate: bool = True) -> None:
        self.config = config
        self.engine = make_engine(config.database_url)
        if migrate:
            upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.raw = RawStore(config.raw_dir)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, attempts: int = 8) -> T:
        """Run `work` in one transaction, retrying when SQLite reports the database busy."""
        for attempt in range(attempts):
            try:
                with self.session() as session:
                    return work(session)
            except OperationalError as exc:
                if "locked" not in str(exc).lower() or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()

