"""The coverage ledger: for every agency seen and every year in range, whether its report was found.

Agencies seen are those of the reports found and those the seeds name (`sites.agency`), grouped by
their normalised name (`extractor.agency.normalise_agency`). A cell (agency, year) is

* `found`: a report is online and was published by the statutory deadline (its `report_key` given);
* `late`: found, but published after the deadline;
* `unknown`: found, with no publication date to judge by;
* `removed`: found once, now gone from its site (`removed_at` given);
* `missing`: no report.

Deadlines: reports on years before 2019, 31 March of the next year (2008 条例 art. 31); from reports on
2019 on (2019 条例 art. 49), 31 January of the next year for government departments and 31 March for
governments (an agency whose name ends in 人民政府). The publication date is the report's own (signed)
date, or else the date its page shows (any copy's: a PDF's notice page dates the PDF); for a report with
several versions, the earliest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractor.agency import normalise_agency
from storage.export import export_rows, flatten
from storage.models import Document, Fetch, Report, Site
from storage.schema import COLUMNS

STATUSES = ("found", "late", "unknown", "removed", "missing")
REFORM_YEAR = 2019
COVERAGE_COLUMNS = ("agency", "agency_kind", "year", "status", "report_key", "published", "deadline",
                    "days_late", "removed_at", "template", "source_url", "from_seed")


_GROUPS = {group: [c for c in COLUMNS if c.group == group]
           for group in ("active", "requests", "review_litigation", "legacy")}
_PRESENCE = ("agency", "year", "published", "title", "province_code", "county_code")
_KEPT = ("report_id", "report_key", "cluster_id", "version", "is_report", "agency", "year", "template",
         "published", "source_url", "removed_at", "checks_total", "checks_failed", *_PRESENCE[3:])


def is_government(agency: str) -> bool:
    """A government (人民政府) rather than one of its departments (局, 委员会, 办公室 …)."""
    name = normalise_agency(agency) or ""
    return name.endswith("人民政府") or name.endswith("政府")


def deadline(year: int, agency: str) -> date:
    """The last day a report on `year` may be published."""
    if year < REFORM_YEAR or is_government(agency):
        return date(year + 1, 3, 31)
    return date(year + 1, 1, 31)


@dataclass
class Cell:
    agency: str
    agency_kind: str
    year: int
    status: str
    report_key: str | None = None
    published: date | None = None
    deadline: date | None = None
    days_late: int | None = None
    removed_at: str | None = None
    template: str | None = None
    source_url: str | None = None
    from_seed: bool = False

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        for key in ("published", "deadline"):
            row[key] = row[key].isoformat() if row[key] else None
        return row


@dataclass
class Ledger:
    cells: list[Cell]
    agencies: list[str]
    years: list[int]
    unplaced: int = 0                              # reports without agency or year
    rows: list[dict[str, Any]] = field(default_factory=list)  # a few fields of each report (for the charts)
    hosts: list[dict[str, Any]] = field(default_factory=list)  # blocked and failing hosts


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def build_ledger(session: Session, *, first_year: int | None = None, last_year: int | None = None) -> Ledger:
    """The ledger of the corpus: every agency seen × every year from the first to the last year found
    (or the years given)."""
    raw_rows = list(export_rows(session, include_removed=True))
    # the date a page shows, per report and per cluster (a PDF's notice page dates the PDF)
    page_dates: dict[object, date] = {}
    for report_id, cluster_id, shown in session.execute(
            select(Report.id, Report.cluster_id, Document.published).join(Document, Document.id == Report.document_id)):
        when = _as_date(shown)
        for key in (("report", report_id), ("cluster", cluster_id)):
            if when is not None and key[1] is not None and (key not in page_dates or when < page_dates[key]):
                page_dates[key] = when
    rows = []
    for raw in raw_rows:
        flat = flatten(raw)
        row = {key: flat[key] for key in _KEPT}  # a few fields per report, not all 268 columns
        row["_page_date"] = page_dates.get(("cluster", raw["cluster_id"])) or page_dates.get(("report", raw["report_id"]))
        row["_filled"] = {group: sum(1 for c in columns if flat[c.name] not in (None, []))
                          for group, columns in _GROUPS.items()}
        rows.append(row)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    by_cell: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    unplaced = 0
    for row in rows:
        key = normalise_agency(row["agency"])
        if row["is_report"] is False:
            continue
        if key is None or row["year"] is None:
            unplaced += 1
            continue
        names[key][row["agency"]] += 1
        by_cell[(key, row["year"])].append(row)
    seeded = set()
    for (agency,) in session.execute(select(Site.agency).where(Site.agency.is_not(None))):
        key = normalise_agency(agency)
        if key:
            names[key][agency] += 0
            seeded.add(key)
    years_found = [year for _key, year in by_cell]
    lo = first_year if first_year is not None else min(years_found, default=None)
    hi = last_year if last_year is not None else max(years_found, default=None)
    years = list(range(lo, hi + 1)) if lo is not None and hi is not None else []
    display = {key: max(forms.items(), key=lambda kv: (kv[1], len(kv[0])))[0] for key, forms in names.items()}
    agencies = sorted(display, key=lambda k: display[k])
    cells = []
    for key in agencies:
        name = display[key]
        kind = "government" if is_government(name) else "department"
        for year in years:
            cells.append(_cell(name, kind, year, by_cell.get((key, year), []), key in seeded))
    return Ledger(cells, [display[k] for k in agencies], years, unplaced, rows, hosts(session))


def _cell(agency: str, kind: str, year: int, found: list[dict[str, Any]], seeded: bool) -> Cell:
    cell = Cell(agency, kind, year, "missing", deadline=deadline(year, agency), from_seed=seeded)
    if not found:
        return cell
    online = [r for r in found if r["removed_at"] is None]
    latest = max(online or found, key=lambda r: (r["version"] or 0, r["report_id"]))
    cell.report_key, cell.template, cell.source_url = latest["report_key"], latest["template"], latest["source_url"]
    dates = [d for r in found for d in [_as_date(r["published"]) or r["_page_date"]] if d]
    cell.published = min(dates) if dates else None
    if not online:
        cell.status = "removed"
        cell.removed_at = max(r["removed_at"] for r in found).isoformat()
    elif cell.published is None:
        cell.status = "unknown"
    elif cell.published > cell.deadline:
        cell.status = "late"
        cell.days_late = (cell.published - cell.deadline).days
    else:
        cell.status = "found"
    return cell


def hosts(session: Session) -> list[dict[str, Any]]:
    """Hosts that blocked the crawler (sites.blocked_at) or answered with errors (status ≥ 400 or none)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for url, status, error in session.execute(select(Fetch.url, Fetch.status, Fetch.error)):
        host = urlsplit(url).netloc
        counts[host]["fetches"] += 1
        if error or status is None or status >= 400:
            counts[host]["failed"] += 1
    out = []
    blocked = {s.host: s for s in session.scalars(select(Site).where(Site.blocked_at.is_not(None)))}
    for host in sorted(set(counts) | set(blocked)):
        site = blocked.get(host)
        if counts[host]["failed"] or site is not None:
            out.append({"host": host, "fetches": counts[host]["fetches"], "failed": counts[host]["failed"],
                        "blocked_at": site.blocked_at.isoformat() if site else None,
                        "block_reason": site.block_reason if site else None})
    return out


def summarise(ledger: Ledger) -> dict[str, Any]:
    counts = Counter(cell.status for cell in ledger.cells)
    return {"first_year": ledger.years[0] if ledger.years else None,
            "last_year": ledger.years[-1] if ledger.years else None,
            "agencies": len(ledger.agencies), "counts": {s: counts.get(s, 0) for s in STATUSES},
            "unplaced_reports": ledger.unplaced}


def reports_by_year_template(ledger: Ledger) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for row in ledger.rows:
        if row["year"] is not None and row["removed_at"] is None:
            out[row["year"]][row["template"]] += 1
    return dict(sorted(out.items()))


def failed_checks_by_year(ledger: Ledger) -> dict[int, tuple[int, int]]:
    """year -> (reports with a failed identity, reports with any evaluated identity)."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in ledger.rows:
        if row["year"] is not None and row["removed_at"] is None:
            out[row["year"]][1] += 1 if row["checks_total"] else 0
            out[row["year"]][0] += 1 if row["checks_failed"] else 0
    return {year: (v[0], v[1]) for year, v in sorted(out.items())}


def field_completeness(ledger: Ledger) -> list[tuple[str, str, int, int]]:
    """(group, template, non-null cells, cells the template has) for each statistics group and template,
    then the report-level fields over all reports."""
    out: list[tuple[str, str, int, int]] = []
    rows = [r for r in ledger.rows if r["removed_at"] is None]
    for group, columns in _GROUPS.items():
        for template in ("pre2019", "2019", "2021"):
            width = sum(1 for c in columns if template in c.templates)
            of_template = [r for r in rows if r["template"] == template]
            if width and of_template:
                filled = sum(r["_filled"][group] for r in of_template)
                out.append((group, template, filled, width * len(of_template)))
    for name in _PRESENCE:
        out.append((name, "all", sum(1 for r in rows if r[name] is not None), len(rows)))
    return out


def write_ledger(ledger: Ledger, out: str | Path, fmt: str) -> int:
    """The ledger as CSV or Parquet (written atomically); returns the number of rows."""
    import csv

    from storage.files import atomic_output

    out = Path(out)
    rows = [cell.as_row() for cell in ledger.cells]
    with atomic_output(out) as tmp:
        if fmt == "csv":
            with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=COVERAGE_COLUMNS)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: "" if v is None else v for k, v in row.items()})
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = {"year": pa.int64(), "days_late": pa.int64(), "from_seed": pa.bool_(),
                     "published": pa.date32(), "deadline": pa.date32(), "removed_at": pa.timestamp("us", tz="UTC")}
            schema = pa.schema([pa.field(name, types.get(name, pa.string())) for name in COVERAGE_COLUMNS])
            values = {name: [_parquet(name, row[name]) for row in rows] for name in COVERAGE_COLUMNS}
            pq.write_table(pa.table(values, schema=schema), str(tmp))
        else:
            raise ValueError(f"unknown ledger format {fmt!r} (csv or parquet)")
    return len(rows)


def _parquet(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in ("published", "deadline"):
        return date.fromisoformat(value)
    if name == "removed_at":
        from datetime import datetime

        return datetime.fromisoformat(value)
    return value
