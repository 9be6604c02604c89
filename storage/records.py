"""Idempotent writes of fetches, documents and reports (safe under concurrent writers).

Each function runs inside the caller's unit of work (`Storage.session()`); inserts use the database's
own `ON CONFLICT DO NOTHING` on the natural keys, so two workers storing the same thing never produce
duplicate rows, and storing the same thing twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    CrawlRun,
    Document,
    DocumentFetch,
    Fetch,
    Report,
    RunVisit,
    Site,
    url_key,
    utcnow,
)

_INSERT_IGNORE: dict[tuple[str, Table, tuple[str, ...]], Any] = {}


def insert_ignore(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING, for SQLite and PostgreSQL; whether a row was
    inserted (False: one with the same key was there).

    One statement per table, conflict target and dialect, its values passed as parameters: SQLAlchemy
    then compiles it once and reuses it (a statement built with `.values(...)` is compiled again for
    every row, most of the cost of a stored page)."""
    dialect = session.get_bind().dialect.name
    key = (dialect, table, tuple(conflict))
    stmt = _INSERT_IGNORE.get(key)
    if stmt is None:
        if dialect == "postgresql":
            stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict)
        elif dialect == "sqlite":
            stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict)
        else:  # pragma: no cover - other databases are not supported
            raise NotImplementedError(f"unsupported database dialect {dialect!r}")
        _INSERT_IGNORE[key] = stmt
    return session.execute(stmt, values).rowcount == 1


def ensure_site(session: Session, host: str, seed_url: str, agency: str | None = None,
                region: str | None = None) -> Site:
    """The Site row for `host`, created on first sight; seed metadata fills blanks only."""
    insert_ignore(
        session, Site.__table__,
        {"host": host, "seed_url": seed_url, "agency": agency, "region": region, "settings": {},
         "created_at": utcnow()},
        ["host"],
    )
    site = session.scalars(select(Site).where(Site.host == host)).one()
    if agency and not site.agency:
        site.agency = agency
    if region and not site.region:
        site.region = region
    return site


def record_fetch(session: Session, *, url: str, status: int | None, sha256: str | None,
                 error: str | None = None, **fields: Any) -> Fetch:
    """The Fetch for this observation; an identical earlier observation is returned unchanged."""
    key = Fetch.make_observation_key(url, status, sha256, error)
    values = {"observation_key": key, "url_key": url_key(url), "url": url, "status": status,
              "sha256": sha256, "error": error, "headers": fields.pop("headers", None) or {},
              "fetched_at": fields.pop("fetched_at", None) or utcnow(), **fields}
    insert_ignore(session, Fetch.__table__, values, ["observation_key"])
    return session.scalars(select(Fetch).where(Fetch.observation_key == key)).one()


def link_document_fetch(session: Session, document_id: int, fetch_id: int, page: int = 1) -> None:
    insert_ignore(session, DocumentFetch.__table__,
                  {"document_id": document_id, "fetch_id": fetch_id, "page": page},
                  ["document_id", "fetch_id"])


def upsert_document(session: Session, *, content_key: str, values: dict[str, Any]) -> tuple[Document, bool]:
    """Insert or update the Document for `content_key`; returns (document, changed)."""
    return _upsert(session, Document, "content_key", content_key, values)


def upsert_report(session: Session, *, document_id: int, values: dict[str, Any]) -> tuple[Report, bool]:
    """Insert or update the Report of a document; returns (report, changed)."""
    return _upsert(session, Report, "document_id", document_id, values)


def _upsert(session: Session, model: Any, key: str, key_value: Any, values: dict[str, Any]) -> tuple[Any, bool]:
    """The row of `model` whose unique column `key` is `key_value`, inserted or updated; (row, changed)."""
    column = getattr(model, key)
    row = session.scalars(select(model).where(column == key_value)).one_or_none()
    if row is None:
        insert_ignore(session, model.__table__,
                      {key: key_value, "created_at": utcnow(), "updated_at": utcnow(), **values}, [key])
        return session.scalars(select(model).where(column == key_value)).one(), True
    changed = _assign_changed(row, values)
    if changed:
        row.updated_at = utcnow()
    return row, changed


def _assign_changed(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def start_or_resume_run(session: Session, job: str, seeds: list[str], *, resume: bool) -> tuple[CrawlRun, bool]:
    """The unfinished run of `job` when resuming, else a new run; returns (run, resumed).

    Several workers starting one job together share one run: on PostgreSQL they take turns (advisory
    lock on the job name); on SQLite the write transaction serialises them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:job))"), {"job": "nianbao-run:" + job})
    if resume:
        run = session.scalars(
            select(CrawlRun).where(CrawlRun.job == job, CrawlRun.finished_at.is_(None))
            .order_by(CrawlRun.id.desc())
        ).first()
        if run is not None:
            run.status = "running"
            return run, True
    run = CrawlRun(job=job, seeds=list(seeds), status="running", started_at=utcnow(), stats={})
    session.add(run)
    session.flush()
    return run, False


def record_visit(session: Session, run_id: int, url: str, fetch_id: int) -> None:
    insert_ignore(session, RunVisit.__table__,
                  {"run_id": run_id, "url_key": url_key(url), "fetch_id": fetch_id, "visited_at": utcnow()},
                  ["run_id", "url_key"])


def visited_fetches(session: Session, run_id: int) -> dict[str, int]:
    """url_key -> fetch id of every URL this run has already stored."""
    rows = session.execute(select(RunVisit.url_key, RunVisit.fetch_id).where(RunVisit.run_id == run_id))
    return {key: fetch_id for key, fetch_id in rows}


def finish_run(session: Session, run_id: int, status: str, stats: dict[str, Any],
               finished_at: datetime | None = None) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status = status
    run.stats = stats
    if status == "finished":
        run.finished_at = finished_at or utcnow()


def finish_worker_run(session: Session, run_id: int, worker: str, status: str, stats: dict[str, Any],
                      finished_at: datetime | None = None) -> None:
    """Record one worker's end of a run that several workers (or resumed invocations) share.

    Each worker's counters are kept under `stats["workers"][worker]`; the run's own counters are their
    sums. A run is finished once one worker finished it (the shared frontier was empty)."""
    query = select(CrawlRun).where(CrawlRun.id == run_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    run = session.scalars(query).one_or_none()
    if run is None:
        return
    workers = dict((run.stats or {}).get("workers") or {})
    workers[worker] = {**stats, "status": status, "ended_at": (finished_at or utcnow()).isoformat()}
    totals: dict[str, Any] = {}
    for counters in workers.values():
        for name, value in counters.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
            else:
                totals.setdefault(name, value)
    totals.pop("ended_at", None)
    totals.pop("status", None)
    totals["workers"] = workers
    if run.finished_at is not None or status == "finished":
        totals["finish_reason"] = "finished"
    run.stats = totals
    if run.finished_at is None:
        run.status = status
        if status == "finished":
            run.finished_at = finished_at or utcnow()
