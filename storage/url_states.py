"""What the corpus knows about a URL, and what its last network visit found (`url_states`).

Queries and writes of incremental crawls, each inside the caller's unit of work (`Storage.session()`):
the stored answer for a URL (`known_url`, `stored_fetch`), the stored reports and attachments due for
revalidation (`due_stored_urls`), and the history a visit leaves: checked (`mark_checked`), gone
(`mark_gone`, reports marked `removed_at`, never deleted), or stored anew (`mark_stored`, a changed
report versioned after the URL's earlier ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from storage.models import DocumentFetch, Fetch, Report, Site, UrlState, url_key, utcnow
from storage.records import insert_ignore


@dataclass(frozen=True)
class StoredFetch:
    """A stored exchange that can answer a request again: status, headers and the raw body's hash."""

    fetch_id: int
    status: int | None
    sha256: str | None
    headers: dict[str, str]
    final_url: str | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer whose body is in the raw store (a recorded failure is not replayed)."""
        return self.sha256 is not None and self.status is not None and 200 <= self.status < 300

    @staticmethod
    def fields(fetch: Fetch) -> dict[str, Any]:
        """The fields of a StoredFetch, read from the fetch row."""
        return {
            "fetch_id": fetch.id,
            "status": fetch.status,
            "sha256": fetch.sha256,
            "headers": dict(fetch.headers or {}),
            "final_url": fetch.final_url,
            "etag": fetch.etag,
            "last_modified": fetch.last_modified,
        }


@dataclass(frozen=True)
class KnownUrl(StoredFetch):
    """The stored answer for a URL (its current fetch) and what kind of page it is."""

    role: str = "list"  # "list" (always revisited) | "report" | "attachment" (revisited on schedule)
    checked_at: datetime | None = None
    removed_at: datetime | None = None


def stored_fetch(session: Session, fetch_id: int) -> StoredFetch | None:
    """The fetch `fetch_id` as a stored answer, or None when it is not recorded."""
    fetch = session.get(Fetch, fetch_id)
    return StoredFetch(**StoredFetch.fields(fetch)) if fetch is not None else None


def current_fetch(session: Session, url: str) -> tuple[Fetch | None, UrlState | None]:
    """The fetch holding the URL's current body (url_states first, else its latest 2xx fetch)."""
    key = url_key(url)
    state = session.get(UrlState, key)
    fetch = session.get(Fetch, state.fetch_id) if state is not None and state.fetch_id else None
    if fetch is None:
        fetch = session.scalars(
            select(Fetch)
            .where(
                Fetch.url_key == key,
                Fetch.url == url,
                Fetch.status >= 200,
                Fetch.status < 300,
                Fetch.sha256.is_not(None),
            )
            .order_by(Fetch.id.desc())
        ).first()
    return fetch, state


def fetch_role(session: Session, fetch: Fetch) -> str:
    """The role of a fetch: "report" when a Report was parsed from the fetch's body, "attachment" for a non-HTML body,
    else "list" (navigation and list pages, always revisited)."""
    has_report = session.scalar(
        select(func.count())
        .select_from(Report)
        .join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
        .where(DocumentFetch.fetch_id == fetch.id)
    )
    if has_report:
        return "report"
    return "list" if (fetch.kind or "html") == "html" else "attachment"


_ANY_FETCH = select(Fetch.id).where(Fetch.url_key == bindparam("url_key")).limit(1)


def ever_fetched(session: Session, url: str) -> bool:
    """Whether any fetch of `url` is recorded: one indexed look-up, so that a URL the corpus has never
    seen (most URLs of a first crawl) costs no more (`known_url` would be None for it anyway: a URL
    state exists only beside a fetch of its URL)."""
    return session.execute(_ANY_FETCH, {"url_key": url_key(url)}).first() is not None


def known_url(session: Session, url: str) -> KnownUrl | None:
    """The URL's current stored answer and role, or None when nothing usable is stored for it."""
    fetch, state = current_fetch(session, url)
    if fetch is None or fetch.sha256 is None or fetch.status is None:
        return None
    return KnownUrl(
        **StoredFetch.fields(fetch),
        role=fetch_role(session, fetch),
        checked_at=state.checked_at if state is not None else fetch.fetched_at,
        removed_at=state.removed_at if state is not None else None,
    )


def due_stored_urls(
    session: Session, hosts: Iterable[str], is_due: Callable[[datetime | None], bool]
) -> list[str]:
    """Stored report pages and attachments of `hosts` (not removed) that `is_due` (given when each was
    last checked) says to ask for again."""
    hosts = list(hosts)
    rows = session.execute(
        select(
            Fetch.url,
            Fetch.kind,
            Report.id,
            UrlState.checked_at,
            UrlState.removed_at,
            Fetch.fetched_at,
            DocumentFetch.page,
        )
        .join(Site, Site.id == Fetch.site_id)
        .join(DocumentFetch, DocumentFetch.fetch_id == Fetch.id, isouter=True)
        .join(Report, Report.document_id == DocumentFetch.document_id, isouter=True)
        .join(UrlState, UrlState.url_key == Fetch.url_key, isouter=True)
        .where(Site.host.in_(hosts), Fetch.status >= 200, Fetch.status < 300, Fetch.sha256.is_not(None))
    )
    urls: dict[str, None] = {}
    for url, kind, report_id, checked_at, removed_at, fetched_at, page in rows:
        if removed_at is not None or (report_id is None and (kind or "html") == "html"):
            continue
        if page is not None and page > 1:
            continue  # a later page of a split article: its page 1 asks for it again
        if is_due(checked_at or fetched_at):
            urls[url] = None
    return list(urls)


# -- the history a visit leaves ---------------------------------------------------------------------


def mark_checked(
    session: Session, url: str, status: int | None, stored_fetch_id: int | None, now: datetime
) -> None:
    """The URL answered with its stored body (304): checked now, and no longer removed."""
    state = url_state(session, url)
    state.checked_at = now
    state.status = status
    if state.fetch_id is None:
        state.fetch_id = stored_fetch_id
    if state.removed_at is not None:
        state.removed_at = None
        restore_reports(session, state.fetch_id)


def mark_gone(session: Session, url: str, status: int, now: datetime) -> list[Report]:
    """The URL answered 404/410: its current reports are marked removed (never deleted); returns them."""
    previous, state = current_fetch(session, url)
    state = state or url_state(session, url)
    state.checked_at = now
    state.status = status
    if previous is None:
        return []
    if state.fetch_id is None:
        state.fetch_id = previous.id
    state.removed_at = state.removed_at or now
    reports = list(
        session.scalars(
            select(Report)
            .join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
            .where(DocumentFetch.fetch_id == previous.id, Report.removed_at.is_(None))
        ).all()
    )
    for report in reports:
        report.removed_at = now
        report.updated_at = now
    return reports


def mark_stored(
    session: Session,
    url: str,
    fetch_id: int,
    status: int | None,
    report_id: int | None,
    now: datetime,
    opened_at: datetime,
) -> list[str]:
    """The URL answered with a body now stored as `fetch_id` (its Report, if any, `report_id`).

    Returns what changed: "changed_pages" (another body than the URL's last), "changed_reports" (the
    Report is a new version of the URL's earlier ones), "new_reports" (a first Report, created since
    `opened_at`)."""
    outcome: list[str] = []
    key = url_key(url)
    state = session.get(UrlState, key)
    first_visit = state is None and insert_ignore(  # a URL seen for the first time: its row, complete
        session, UrlState.__table__,
        {"url_key": key, "url": url, "fetch_id": fetch_id, "status": status, "checked_at": now}, ["url_key"],
    )
    if not first_visit:
        if state is None:  # another writer made the row meanwhile
            state = session.get(UrlState, key)
            assert state is not None
        elif state.fetch_id is not None and state.fetch_id != fetch_id:
            state.changed_at = now
            outcome.append("changed_pages")
        if state.removed_at is not None:
            state.removed_at = None
            restore_reports(session, fetch_id)
        state.fetch_id = fetch_id
        state.status = status
        state.checked_at = now
    if report_id is None:
        return outcome
    report = session.get(Report, report_id)
    if report is None:
        return outcome
    earlier = (
        session.scalars(
            select(Report)
            .join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
            .join(Fetch, Fetch.id == DocumentFetch.fetch_id)
            .where(Fetch.url_key == url_key(url), Fetch.url == url, Report.id != report.id)
            .order_by(Report.created_at, Report.id)
        )
        .unique()
        .all()
    )
    created = report.created_at.replace(tzinfo=report.created_at.tzinfo or UTC)
    if earlier and report.version is None:
        # dedup (nianbao dedup) assigns cluster and version across copies later; until then the
        # versions of one URL follow its history
        for number, old in enumerate(earlier, start=1):
            if old.version is None:
                old.version = number
        report.version = max(old.version or 1 for old in earlier) + 1
        outcome.append("changed_reports")
    elif not earlier and created >= opened_at:
        outcome.append("new_reports")
    return outcome


def url_state(session: Session, url: str) -> UrlState:
    """The URL's `url_states` row, created (checked now) when missing."""
    key = url_key(url)
    state = session.get(UrlState, key)
    if state is None:
        insert_ignore(
            session, UrlState.__table__, {"url_key": key, "url": url, "checked_at": utcnow()}, ["url_key"]
        )
        state = session.get(UrlState, key)
        assert state is not None
    return state


def restore_reports(session: Session, fetch_id: int | None) -> None:
    """A URL that answers again: its reports are no longer removed."""
    if fetch_id is None:
        return
    for report in session.scalars(
        select(Report)
        .join(DocumentFetch, DocumentFetch.document_id == Report.document_id)
        .where(DocumentFetch.fetch_id == fetch_id, Report.removed_at.is_not(None))
    ):
        report.removed_at = None
