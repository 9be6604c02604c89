"""The corpus schema (SQLAlchemy 2.0 typed ORM).

    Site ──< Fetch >── DocumentFetch ──< Document ──1 Report
    CrawlRun ──< RunVisit >── Fetch

* `Fetch`: one distinct HTTP observation (URL, status, body hash). Seeing the same answer again adds
  nothing, so re-running a crawl leaves the corpus tables unchanged.
* `Document`: the text derived from one body (or several pages joined), keyed by `content_key`.
* `Report`: the extractor's record for a Document that is an annual report, with its dedup cluster.
* `CrawlRun` / `RunVisit`: crawl bookkeeping: which URLs a run has already visited (resume).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def url_key(url: str) -> str:
    """A fixed-width index key for a URL of any length."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class Site(Base):
    """A seed host and its settings."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    seed_url: Mapped[str] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    blocked_at: Mapped[datetime | None]
    block_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    fetches: Mapped[list[Fetch]] = relationship(back_populates="site")


class Fetch(Base):
    """One HTTP exchange (or a failed attempt), distinct by URL, status, body hash and error."""

    __tablename__ = "fetches"
    __table_args__ = (
        Index("ix_fetches_url_key", "url_key"),
        Index("ix_fetches_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_key: Mapped[str] = mapped_column(String(64), unique=True)
    url_key: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    job: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None]
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(16))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    referrer: Mapped[str | None] = mapped_column(Text)
    anchor_text: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site | None] = relationship(back_populates="fetches")

    @staticmethod
    def make_observation_key(url: str, status: int | None, sha256: str | None, error: str | None) -> str:
        error_class = (error or "").split(":", 1)[0]
        raw = f"{url}\x00{status}\x00{sha256 or ''}\x00{error_class}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Document(Base):
    """Clean text derived from one raw body, or from several pages joined in order."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(32))
    encoding_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text, default="")
    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    extractor: Mapped[str | None] = mapped_column(String(64))
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    parsed_with: Mapped[str | None] = mapped_column(String(32))  # report-extractor version last run on it
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    fetch_links: Mapped[list[DocumentFetch]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentFetch.page"
    )
    report: Mapped[Report | None] = relationship(back_populates="document")


class DocumentFetch(Base):
    """Which fetches carry a document (every copy, and every page of a multi-page article)."""

    __tablename__ = "document_fetches"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    fetch_id: Mapped[int] = mapped_column(ForeignKey("fetches.id"), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, default=1)

    document: Mapped[Document] = relationship(back_populates="fetch_links")
    fetch: Mapped[Fetch] = relationship()


class Report(Base):
    """The parsed annual-report record of one Document (spec: report-record.md)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), unique=True)
    agency: Mapped[str | None] = mapped_column(String(255), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    template: Mapped[str] = mapped_column(String(16))
    published: Mapped[str | None] = mapped_column(String(10))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    checks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    checks_failed: Mapped[int] = mapped_column(Integer, default=0)
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    cluster_id: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int | None]
    is_canonical: Mapped[bool | None] = mapped_column(Boolean)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="report")


class CrawlRun(Base):
    """One execution of `nianbao crawl`; an unfinished run of a job is resumed by the next one."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(255), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    seeds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RunVisit(Base):
    """A URL a run has fetched and stored: on resume it is served from the raw store, not refetched."""

    __tablename__ = "run_visits"
    __table_args__ = (UniqueConstraint("run_id", "url_key", name="uq_run_visits_run_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    url_key: Mapped[str] = mapped_column(String(40))
    fetch_id: Mapped[int] = mapped_column(ForeignKey("fetches.id"))
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)


class UrlState(Base):
    """What the last network visit of a URL found (incremental crawls): when it was last checked
    (200 or 304), the fetch holding its current body, and when it disappeared (404/410)."""

    __tablename__ = "url_states"

    url_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id"))
    status: Mapped[int | None]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class JobLock(Base):
    """Who is crawling a job without a shared frontier: one process at a time (crawler.joblock). The
    holder refreshes `heartbeat_at`; a lock whose heartbeat is older than the lease, or whose process
    is gone from this host, is taken over, so a killed crawl never leaves its job locked."""

    __tablename__ = "job_locks"

    job: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))  # host:pid:token
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
