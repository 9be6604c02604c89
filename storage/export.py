"""Exports: one line or row per report, with provenance back to URL, fetch time and raw hash."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document, DocumentFetch, Fetch, Report

RECORD_KEYS = ("is_report", "agency", "year", "template", "published", "active", "requests",
               "review_litigation", "legacy", "checks", "sections")
PROVENANCE_KEYS = ("source_url", "copies", "title", "fetched_at", "raw_sha256", "document_kind",
                   "report_id", "cluster_id", "version")
FORMATS = ("jsonl", "csv", "parquet")


def export_rows(session: Session, *, include_removed: bool = False) -> Iterator[dict[str, Any]]:
    """One dict per report: the canonical copy of each dedup cluster (every report when not deduplicated).

    `copies` lists every URL carrying the same report (all fetches of all documents in the cluster).
    """
    reports = session.scalars(select(Report).order_by(Report.id)).all()
    groups: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        if report.removed_at is not None and not include_removed:
            continue
        groups[report.cluster_id or f"report-{report.id}"].append(report)
    document_ids = [r.document_id for r in reports]
    urls_by_document: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for chunk_start in range(0, len(document_ids), 500):
        chunk = document_ids[chunk_start:chunk_start + 500]
        rows = session.execute(
            select(DocumentFetch.document_id, Fetch.url, Fetch.fetched_at)
            .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
            .where(DocumentFetch.document_id.in_(chunk))
            .order_by(Fetch.fetched_at, Fetch.id)
        )
        for document_id, url, fetched_at in rows:
            urls_by_document[document_id].append((url, fetched_at))
    for _key, members in sorted(groups.items(), key=lambda kv: min(r.id for r in kv[1])):
        canonical = _canonical(members)
        document = session.get(Document, canonical.document_id)
        assert document is not None
        own = urls_by_document.get(document.id) or [(document.url, None)]
        copies: list[str] = []
        for member in members:
            for url, _when in urls_by_document.get(member.document_id, []):
                if url not in copies:
                    copies.append(url)
        source_url, fetched_at = own[0]
        if source_url not in copies:
            copies.insert(0, source_url)
        record = dict(canonical.record)
        record["agency"] = canonical.agency
        row = {key: record.get(key) for key in RECORD_KEYS}
        row.update({
            "source_url": source_url,
            "copies": copies,
            "title": document.title,
            "fetched_at": fetched_at.isoformat() if fetched_at else None,
            "raw_sha256": document.raw_sha256,
            "document_kind": document.kind,
            "report_id": canonical.id,
            "cluster_id": canonical.cluster_id,
            "version": canonical.version,
        })
        yield row


def _canonical(members: list[Report]) -> Report:
    flagged = [r for r in members if r.is_canonical]
    pool = flagged or members
    return max(pool, key=lambda r: ((r.version or 0), -r.id))


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """One column per field (`active.licensing.decisions`, `requests.new.total`); lists as JSON."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list):
            flat[prefix] = json.dumps(value, ensure_ascii=False) if value else ""
        else:
            flat[prefix] = value

    for key, value in row.items():
        if key == "checks":
            flat["checks_failed"] = sum(1 for c in value or [] if not c.get("ok", True))
            flat["checks"] = json.dumps(value or [], ensure_ascii=False)
        elif key == "copies":
            flat["copies"] = " ".join(value or [])
        else:
            walk(key, value)
    return flat


def write_export(rows: Iterator[dict[str, Any]], out: str | os.PathLike[str], fmt: str) -> int:
    """Write rows atomically (temporary file, then rename); returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        count = _WRITERS[fmt](rows, Path(tmp))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def _tabular(rows: Iterator[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    flat_rows = [flatten(row) for row in rows]
    columns: list[str] = []
    seen: set[str] = set()
    for row in flat_rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    return columns, flat_rows


def _write_csv(rows: Iterator[dict[str, Any]], path: Path) -> int:
    columns, flat_rows = _tabular(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in flat_rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return len(flat_rows)


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns, flat_rows = _tabular(rows)
    arrays = {}
    for column in columns:
        values = [r.get(column) for r in flat_rows]
        try:
            arrays[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: keep them as text
            arrays[column] = pa.array([None if v is None else str(v) for v in values])
    pq.write_table(pa.table(arrays), path)
    return len(flat_rows)


_WRITERS = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}
