"""Exports: one row per report, with provenance back to URL, fetch time and raw hash.

Every format carries the columns of `storage.schema.COLUMNS`, in that order, with those types, whatever
the content: timestamps with their zone, lists as lists (JSON Lines, Parquet) or JSON text (CSV, Stata).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractor.agency import normalise_agency
from storage.files import atomic_output
from storage.models import Document, DocumentFetch, Fetch, Report, Site
from storage.schema import COLUMNS, SCHEMA_VERSION, Column

RECORD_KEYS = ("is_report", "agency", "year", "template", "published", "active", "requests",
               "review_litigation", "legacy", "checks", "sections")
FORMATS = ("jsonl", "csv", "parquet", "dta")


def report_key(agency: str | None, year: int | None, version: int | None, raw_sha256: str) -> str:
    """The stable key of a report: from the canonical copy's (normalised agency, year, version).

    Neither database ids nor cluster ids enter it, so re-processing, dedup reruns and a rebuilt database
    give the same key. Without agency or year: `x-` and the raw hash of the canonical copy."""
    name = normalise_agency(agency)
    if name is None or year is None:
        return f"x-{raw_sha256[:16]}"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{year}-{digest}-v{version or 1}"


def export_rows(session: Session, *, include_removed: bool = False,
                locate: Callable[..., dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """One dict per report: the canonical copy of each dedup cluster version (every report when not
    deduplicated), the spec record's keys nested, the other columns of the schema at the top level.

    `copies` lists every URL carrying the same report (all fetches of all documents in the cluster).
    `locate(agency=, region=, year=)` gives the region code columns (default `storage.regions.locate`).
    """
    if locate is None:
        from storage.regions import locate
    reports = session.scalars(select(Report).order_by(Report.id)).all()
    groups: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        if report.removed_at is not None and not include_removed:
            continue
        groups[report.cluster_id or f"report-{report.id}"].append(report)
    document_ids = [r.document_id for r in reports]
    urls_by_document: dict[int, list[tuple[str, Any, int | None]]] = defaultdict(list)
    for chunk_start in range(0, len(document_ids), 500):
        chunk = document_ids[chunk_start:chunk_start + 500]
        rows = session.execute(
            select(DocumentFetch.document_id, Fetch.url, Fetch.fetched_at, Fetch.site_id)
            .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
            .where(DocumentFetch.document_id.in_(chunk))
            .order_by(Fetch.fetched_at, Fetch.id)
        )
        for document_id, url, fetched_at, site_id in rows:
            urls_by_document[document_id].append((url, fetched_at, site_id))
    regions = {site.id: site.region for site in session.scalars(select(Site))}
    out: list[dict[str, Any]] = []
    for _key, members in sorted(groups.items(), key=lambda kv: min(r.id for r in kv[1])):
        canonical = _canonical(members)
        document = session.get(Document, canonical.document_id)
        assert document is not None
        own = urls_by_document.get(document.id) or [(document.url, None, None)]
        copies: list[str] = []
        for member in members:
            for url, _when, _site in urls_by_document.get(member.document_id, []):
                if url not in copies:
                    copies.append(url)
        source_url, fetched_at, _site_id = own[0]
        if source_url not in copies:
            copies.insert(0, source_url)
        region = next((regions.get(site) for _u, _w, site in own if regions.get(site)), None)
        titles = [document.title] + [session.get(Document, m.document_id).title for m in members
                                     if m.document_id != document.id]
        record = dict(canonical.record)
        record["agency"] = canonical.agency
        checks = record.get("checks") or canonical.checks or []
        quality = document.quality or {}
        row = {key: record.get(key) for key in RECORD_KEYS}
        row["checks"] = checks
        row.update({
            "report_key": report_key(canonical.agency, canonical.year, canonical.version, document.raw_sha256),
            "report_id": canonical.id,
            "cluster_id": canonical.cluster_id,
            "version": canonical.version,
            "title": report_title(titles, canonical.year),
            "region": region,
            **locate(agency=canonical.agency, region=region, year=canonical.year),
            "source_url": source_url,
            "copies": copies,
            "fetched_at": _utc(fetched_at),
            "raw_sha256": document.raw_sha256,
            "document_kind": document.kind,
            "removed_at": _utc(canonical.removed_at),
            "pages": quality.get("pages"),
            "ocr_pages": int(quality.get("ocr_pages") or 0),
            "ocr_confidence": quality.get("ocr_confidence"),
            "unread_pages": int(quality.get("unread_pages") or 0),
            "cjk_ratio": quality.get("cjk_ratio"),
            "document_error": document.error,
        })
        out.append(row)
    _disambiguate_keys(out)
    yield from out


_FILE_SUFFIX = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|ofd|zip|rar)$", re.IGNORECASE)


def report_title(titles: list[str | None], year: int | None = None) -> str | None:
    """The report's title among its copies' titles (the canonical copy's first): one that names a
    report (报告, 年报, 统计表) or its year, less a file name's extension, is preferred over a link text
    such as 在线预览 or 附件1 that an attachment got its title from."""
    clean = [_FILE_SUFFIX.sub("", t.strip()) for t in titles if t and t.strip()]
    clean = [t for t in clean if t]
    for title in clean:
        if re.search(r"报告|年报|统计表", title) or (year is not None and str(year) in title):
            return title
    return clean[0] if clean else None


def _disambiguate_keys(rows: list[dict[str, Any]]) -> None:
    """Two reports that would share a key (two clusters of one agency and year) get the start of
    their canonical copy's raw hash appended."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_key[row["report_key"]].append(row)
    for key, same in by_key.items():
        if len(same) > 1:
            for row in same:
                row["report_key"] = f"{key}-{row['raw_sha256'][:8]}"


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetimes (SQLite hands back naive ones, stored as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _canonical(members: list[Report]) -> Report:
    flagged = [r for r in members if r.is_canonical]
    pool = flagged or members
    return max(pool, key=lambda r: ((r.version or 0), -r.id))


def _dig(value: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value if not (isinstance(value, float) and math.isnan(value)) else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _cell(column: Column, value: Any) -> Any:
    """A value coerced to the column's type (None stays None)."""
    if value is None:
        return [] if column.type == "list" and column.null_rule.startswith("never") else None
    kind = column.type
    if kind == "number":
        return _number(value)
    if kind == "integer":
        number = _number(value)
        return int(number) if number is not None else None
    if kind == "boolean":
        return bool(value)
    if kind == "string":
        return str(value)
    if kind == "date":
        return _date(value)
    if kind == "datetime":
        return _utc(value) if isinstance(value, datetime) else None
    if kind == "list":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if kind == "json":
        return [dict(v) for v in value if isinstance(v, dict)] if isinstance(value, list) else None
    raise AssertionError(f"unknown column type {kind}")


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the schema's columns, in order, each value of its column's type."""
    checks = row.get("checks") or []
    derived = {
        "checks_total": len(checks),
        "checks_failed": sum(1 for c in checks if not c.get("ok", True)),
        "failed_checks": [c.get("name") for c in checks if not c.get("ok", True)],
    }
    flat: dict[str, Any] = {}
    for column in COLUMNS:
        if column.name in derived:
            value = derived[column.name]
        elif column.name in row:
            value = row[column.name]
        else:
            value = _dig(row, column.name.split("."))
        flat[column.name] = _cell(column, value)
    return flat


def write_export(rows: Iterable[dict[str, Any]], out: str | os.PathLike[str], fmt: str, *,
                 safe_names: bool = False) -> int:
    """Write rows atomically (temporary file, then rename); returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    out = Path(out)
    with atomic_output(out) as tmp:
        flat_rows = (flatten(row) for row in rows)
        if fmt == "csv":
            count = _write_csv(flat_rows, Path(tmp), safe_names=safe_names)
        else:
            count = _WRITERS[fmt](flat_rows, Path(tmp))
    return count


def text_value(column: Column, value: Any) -> str:
    """A cell as text (CSV): ISO dates and times, lists as JSON arrays, integral numbers without `.0`."""
    if value is None:
        return ""
    if column.type in ("list", "json"):
        return json.dumps(value, ensure_ascii=False)
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type in ("date", "datetime"):
        return value.isoformat()
    if column.type == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type in ("date", "datetime"):
        return value.isoformat()
    return value


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            line = {c.name: _json_value(c, row[c.name]) for c in COLUMNS}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count


def _write_csv(rows: Iterator[dict[str, Any]], path: Path, *, safe_names: bool = False) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.safe_name if safe_names else c.name for c in COLUMNS])
        for row in rows:
            writer.writerow([text_value(c, row[c.name]) for c in COLUMNS])
            count += 1
    return count


def arrow_schema() -> Any:
    """The Parquet schema: one field per column, each with its description in the field metadata."""
    import pyarrow as pa

    from storage.codebook import column_metadata

    fields = [pa.field(c.name, _arrow_type(c), nullable=True, metadata=column_metadata(c)) for c in COLUMNS]
    return pa.schema(fields, metadata={
        "nianbao.schema_version": SCHEMA_VERSION,
        "description": "nianbao corpus of 政府信息公开工作年度报告: one row per report (see codebook.md).",
    })


def _arrow_type(column: Column) -> Any:
    import pyarrow as pa

    simple = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
              "date": pa.date32(), "datetime": pa.timestamp("us", tz="UTC"), "list": pa.list_(pa.string())}
    if column.type in simple:
        return simple[column.type]
    inner = {"string": pa.string(), "boolean": pa.bool_(), "number": pa.float64(),
             "numbers": pa.list_(pa.float64())}
    return pa.list_(pa.struct([pa.field(k, inner[t]) for k, t in column.struct]))


def _struct_rows(column: Column, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    out = []
    for item in value:
        entry = {}
        for key, kind in column.struct:
            v = item.get(key)
            if kind == "number":
                v = _number(v)
                v = float(v) if v is not None else None
            elif kind == "numbers":
                v = [None if _number(x) is None else float(_number(x)) for x in (v or [])]
            elif kind == "boolean":
                v = None if v is None else bool(v)
            else:
                v = None if v is None else str(v)
            entry[key] = v
        out.append(entry)
    return out


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    materialised = list(rows)
    arrays = []
    for column, fld in zip(COLUMNS, schema, strict=True):
        values = [row[column.name] for row in materialised]
        if column.type == "json":
            values = [_struct_rows(column, v) for v in values]
        elif column.type == "number":
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=fld.type))
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)
    return len(materialised)


def _write_dta(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Stata 118: short names (storage.schema.safe_name), the full name as each variable's label."""
    import pandas as pd

    materialised = list(rows)
    data: dict[str, Any] = {}
    dates: dict[str, str] = {}
    for column in COLUMNS:
        values = [row[column.name] for row in materialised]
        name = column.safe_name
        if column.type in ("integer", "number"):
            data[name] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
        elif column.type == "boolean":
            data[name] = pd.Series([math.nan if v is None else float(bool(v)) for v in values], dtype="float64")
        elif column.type == "date":
            data[name] = pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in values],
                                   dtype="datetime64[ns]")
            dates[name] = "td"
        elif column.type == "datetime":
            data[name] = pd.Series([pd.NaT if v is None else pd.Timestamp(v.replace(tzinfo=None))
                                    for v in values], dtype="datetime64[ns]")
            dates[name] = "tc"
        else:
            data[name] = pd.Series([text_value(column, v) for v in values], dtype="object")
    frame = pd.DataFrame(data)
    strl = [c.safe_name for c in COLUMNS
            if c.type in ("string", "list", "json")
            and max((len(v.encode("utf-8")) for v in frame[c.safe_name]), default=0) > 2000]
    labels = {c.safe_name: c.name for c in COLUMNS}
    frame.to_stata(path, version=118, write_index=False, variable_labels=labels, convert_dates=dates,
                   convert_strl=strl, data_label="nianbao corpus (times in UTC)")
    return len(materialised)


_WRITERS = {"jsonl": _write_jsonl, "parquet": _write_parquet, "dta": _write_dta}
