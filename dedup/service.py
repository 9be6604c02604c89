"""Dedup over the stored corpus: the reports the index has not seen are added to it, the index is saved,
and every report whose cluster, version or canonical flag changed is updated (`run_dedup`).

The index lives under ``<data-dir>/dedup/`` and grows incrementally; running it twice changes nothing the
second time. Used by `nianbao dedup` and at the end of `nianbao crawl`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dedup.decide import STAT_SECTIONS
from dedup.deduplicator import Deduplicator
from dedup.document import DedupDocument
from dedup.store import IndexFormatError
from storage.db import Storage
from storage.models import Document, DocumentFetch, Fetch, Report, utcnow


@dataclass
class DedupRun:
    """What one run did: reports stored, added to the index, updated; clusters and versions after it."""

    reports: int = 0
    added: int = 0
    updated: int = 0
    clusters: int = 0
    versions: int = 0
    rebuilt: bool = False  # the stored index had an older format


def source_kind(kind: str | None, extractor: str | None) -> str:
    """The document kind, or "ocr" when its text came from OCR."""
    ext = (extractor or "").lower()
    return "ocr" if "tesseract" in ext or "ocr" in ext else (kind or "unknown")


def section_chars(record: dict) -> int | None:
    """Characters of free text in the record's sections (None when the record has no `sections`)."""
    sections = record.get("sections")
    if not isinstance(sections, dict):
        return None
    return sum(len(v) for v in sections.values() if isinstance(v, str))


def to_dedup_document(
    report: Report,
    document: Document,
    fetched_at: object,
    urls: tuple[str, ...] = (),
    found_on: tuple[str, ...] = (),
) -> DedupDocument:
    """A stored report and its document as the deduplicator sees them (`fetched_at`: the first fetch)."""
    record = report.record or {}
    checks = report.checks or record.get("checks") or []
    when = fetched_at or document.created_at
    return DedupDocument(
        doc_id=str(report.id),
        text=document.text or "",
        agency=report.agency,
        year=report.year,
        template=report.template,
        stats={k: record.get(k) for k in STAT_SECTIONS},
        source_kind=source_kind(document.kind, document.extractor),
        fetched_at=when.isoformat() if hasattr(when, "isoformat") else str(when or ""),
        url=document.url,
        raw_sha256=document.raw_sha256,
        checks_ok=(report.checks_failed == 0) if checks else None,
        section_chars=section_chars(record),
        urls=urls or ((document.url,) if document.url else ()),
        found_on=found_on,
    )


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def fetch_links(
    session: Session, document_ids: list[int]
) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    """document id -> (URLs it was fetched from, URLs of the pages those fetches were found on), sorted;
    one query for the whole list."""
    urls: dict[int, set[str]] = {}
    pages: dict[int, set[str]] = {}
    rows = session.execute(
        select(DocumentFetch.document_id, Fetch.url, Fetch.final_url, Fetch.referrer)
        .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
        .where(DocumentFetch.document_id.in_(document_ids))
    )
    for doc_id, url, final_url, referrer in rows:
        urls.setdefault(doc_id, set()).update(u for u in (url, final_url) if u)
        if referrer:
            pages.setdefault(doc_id, set()).add(referrer)
    return {
        d: (tuple(sorted(urls.get(d, set()))), tuple(sorted(pages.get(d, set()) - urls.get(d, set()))))
        for d in urls.keys() | pages.keys()
    }


def read_new(session: Session, dd: Deduplicator, batch: int) -> Iterator[list[DedupDocument]]:
    """The stored reports the index has not seen, a batch at a time (texts are loaded per batch)."""
    ids = [
        i
        for i in session.scalars(select(Report.id).where(Report.removed_at.is_(None)).order_by(Report.id))
        if str(i) not in dd
    ]
    first_fetch = (
        select(DocumentFetch.document_id, func.min(Fetch.fetched_at).label("fetched_at"))
        .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
        .group_by(DocumentFetch.document_id)
        .subquery()
    )
    for chunk in _chunks(ids, batch):
        rows = session.execute(
            select(Report, Document, first_fetch.c.fetched_at)
            .join(Document, Document.id == Report.document_id)
            .outerjoin(first_fetch, first_fetch.c.document_id == Document.id)
            .where(Report.id.in_(chunk))
            .order_by(Report.id)
        )
        rows = rows.all()
        links = fetch_links(session, sorted({d.id for _, d, _ in rows}))
        yield [to_dedup_document(r, d, f, *links.get(d.id, ((), ()))) for r, d, f in rows]
        session.expunge_all()


def write_back(session: Session, dd: Deduplicator, batch: int) -> int:
    """Set cluster_id/version/is_canonical on every report whose values differ; returns how many."""
    updated = 0
    rows = session.execute(
        select(Report.id, Report.cluster_id, Report.version, Report.is_canonical).order_by(Report.id)
    ).all()
    changes = []
    for rid, cluster_id, version, canonical in rows:
        if str(rid) not in dd:
            continue
        a = dd.assignment(str(rid))
        if (cluster_id, version, canonical) != (a.cluster_id, a.version, a.is_canonical):
            changes.append(
                {
                    "id": rid,
                    "cluster_id": a.cluster_id,
                    "version": a.version,
                    "is_canonical": a.is_canonical,
                    "updated_at": utcnow(),
                }
            )
    for chunk in _chunks(changes, batch):
        session.execute(update(Report), chunk)
        updated += len(chunk)
    return updated


def run_dedup(
    storage: Storage, index_dir: Path, *, rebuild: bool = False, batch: int = 5000, workers: int = 0
) -> DedupRun:
    """Add the new reports to the index, save it, then write the assignments back."""
    run = DedupRun()
    # a rebuild starts empty and replaces the stored index only when it is saved
    try:
        dd = (
            Deduplicator(index_dir, workers=workers)
            if rebuild
            else Deduplicator.open(index_dir, workers=workers)
        )
    except IndexFormatError:  # written by an older nianbao: rebuilt from the stored reports
        dd = Deduplicator(index_dir, workers=workers)
        rebuild = run.rebuilt = True
    with dd:
        with storage.session() as session:
            run.reports = session.scalar(
                select(func.count()).select_from(Report).where(Report.removed_at.is_(None))
            )
            for docs in read_new(session, dd, batch):
                dd.add_many(docs)
                run.added += len(docs)
        if run.added or rebuild or not (index_dir / "CURRENT").exists():
            dd.save()
        with storage.session() as session:
            run.updated = write_back(session, dd, batch)
        totals = dd.stats()["totals"]
        run.clusters, run.versions = totals["clusters"], totals["versions"]
    return run
