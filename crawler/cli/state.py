"""The corpus' state as plain records: what `status --json`, `runs --json` and `sites --json` print and
what the tables show. Keys are snake_case, times ISO 8601 with their zone (UTC)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Document, DocumentFetch, Fetch, Report, Site, UrlState

# run_row field -> the run counter it shows (crawler stats under nianbao/, summed over the run's workers)
RUN_COUNTERS = {
    "fetched": "fetches/stored",
    "not_modified": "incremental/not_modified",
    "not_due": "incremental/not_due",
    "new_reports": "incremental/new_reports",
    "changed_reports": "incremental/changed_reports",
    "removed": "incremental/removed",
    "reports_found": "reports/found",
    "fetch_errors": "fetches/errors",
    "failures": "failures",
}
HOSTS_PREFIX = "hosts/"  # per-host run counters: hosts/<host>/<figure> (discovery figures and the like)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the zone; the database's naive datetimes are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def run_row(run: CrawlRun) -> dict[str, Any]:
    """One run as a flat record (`nianbao runs --json`)."""
    stats = run.stats or {}
    row: dict[str, Any] = {
        "id": run.id, "job": run.job, "status": run.status,
        "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
        "sites": stats.get("sites", len(run.seeds or [])),
        "workers": len(stats.get("workers") or {}) or None,
    }
    for column, counter in RUN_COUNTERS.items():
        row[column] = stats.get(counter, 0)
    return row


def host_figures(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{host: {figure: value}} from run counters named `hosts/<host>/<figure>` (with or without the
    `nianbao/` prefix); a figure with a slash (`adapter/trs`) stays one key."""
    hosts: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in stats.items():
        name = key.removeprefix("nianbao/")
        if not name.startswith(HOSTS_PREFIX):
            continue
        host, _, figure = name[len(HOSTS_PREFIX):].partition("/")
        if host and figure:
            hosts[host][figure] = value
    return dict(hosts)


def site_health(session: Session, now: datetime | None = None,
                revalidate_after: Any = None) -> dict[str, dict[str, Any]]:
    """Per seed host: last success, pages, reports, errors, blocked, discovery figures of its last run,
    next due. `revalidate_after(now)` is the incremental schedule's interval (timedelta)."""
    now = now or datetime.now(UTC)
    sites = session.scalars(select(Site).order_by(Site.host)).all()
    ok = Fetch.error.is_(None) & (Fetch.status < 400)
    per_site = {
        site_id: (last_try, pages, errors)
        for site_id, last_try, pages, errors in session.execute(
            select(Fetch.site_id,
                   func.max(Fetch.fetched_at),
                   func.count(func.distinct(Fetch.url_key)).filter(ok),
                   func.count().filter(Fetch.error.is_not(None)))
            .group_by(Fetch.site_id))
    }
    last_success = dict(session.execute(
        select(Fetch.site_id, func.max(Fetch.fetched_at)).where(ok).group_by(Fetch.site_id)).all())
    reports = dict(session.execute(
        select(Fetch.site_id, func.count(func.distinct(Report.id)))
        .join(DocumentFetch, DocumentFetch.fetch_id == Fetch.id)
        .join(Report, Report.document_id == DocumentFetch.document_id)
        .where(Report.removed_at.is_(None)).group_by(Fetch.site_id)).all())
    oldest_check = dict(session.execute(
        select(Fetch.site_id, func.min(UrlState.checked_at))
        .join(Fetch, Fetch.id == UrlState.fetch_id)
        .where(UrlState.removed_at.is_(None)).group_by(Fetch.site_id)).all())
    last_run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
    figures = host_figures(last_run.stats or {}) if last_run is not None else {}
    health: dict[str, dict[str, Any]] = {}
    for site in sites:
        last_try, pages, errors = per_site.get(site.id, (None, 0, 0))
        next_due = None
        if revalidate_after is not None and site.id in oldest_check and oldest_check[site.id] is not None:
            checked = oldest_check[site.id]
            checked = checked.replace(tzinfo=UTC) if checked.tzinfo is None else checked
            next_due = max(checked + revalidate_after(now), now)
        health[site.host] = {
            "seed_url": site.seed_url,
            "agency": site.agency,
            "last_success": iso(last_success.get(site.id)),
            "last_attempt": iso(last_try),
            "pages": pages or 0,
            "reports": reports.get(site.id, 0),
            "errors": errors or 0,
            "blocked": {"since": iso(site.blocked_at), "reason": site.block_reason} if site.blocked_at else None,
            "discovery": figures.get(site.host, {}),
            "next_due": iso(next_due),
        }
    return health


def status_snapshot(session: Session, *, job: str | None = None, errors: int = 10,
                    revalidate_after: Any = None) -> dict[str, Any]:
    """Everything `nianbao status` shows, as one record (`status --json`)."""
    fetch_filter = [Fetch.job == job] if job else []
    by_status = session.execute(
        select(Fetch.status, func.count()).where(*fetch_filter).group_by(Fetch.status).order_by(Fetch.status)).all()
    by_kind = session.execute(
        select(Document.kind, func.count(), func.sum(func.length(Document.text)))
        .group_by(Document.kind).order_by(Document.kind)).all()
    by_year = session.execute(
        select(Report.year, Report.template, func.count(), func.sum(Report.checks_failed))
        .group_by(Report.year, Report.template).order_by(Report.year, Report.template)).all()
    recent = session.execute(
        select(Fetch.fetched_at, Fetch.url, Fetch.error).where(Fetch.error.is_not(None), *fetch_filter)
        .order_by(Fetch.fetched_at.desc()).limit(errors)).all()
    doc_errors = session.execute(
        select(Document.url, Document.error).where(Document.error.is_not(None)).limit(errors)).all()
    run_filter = [CrawlRun.job == job] if job else []
    runs = session.scalars(select(CrawlRun).where(*run_filter).order_by(CrawlRun.id.desc()).limit(10)).all()
    sites = site_health(session, revalidate_after=revalidate_after)
    return {
        "generated_at": iso(datetime.now(UTC)),
        "job": job,
        "fetches": {"total": sum(n for _, n in by_status),
                    "by_status": {("error" if s is None else str(s)): n for s, n in by_status}},
        "documents": {"total": sum(n for _, n, _ in by_kind),
                      "by_kind": {kind: {"documents": n, "characters": chars or 0} for kind, n, chars in by_kind}},
        "reports": {
            "total": session.scalar(select(func.count()).select_from(Report)) or 0,
            "clusters": session.scalar(select(func.count(func.distinct(Report.cluster_id)))) or 0,
            "by_year": [{"year": y, "template": t, "reports": n, "failed_checks": f or 0} for y, t, n, f in by_year],
        },
        "recent_errors": [{"at": iso(w), "url": u, "error": e} for w, u, e in recent],
        "document_errors": [{"url": u, "error": e} for u, e in doc_errors],
        "blocked_hosts": {host: row["blocked"] for host, row in sites.items() if row["blocked"]},
        "sites": sites,
        "runs": [run_row(run) for run in runs],
    }
