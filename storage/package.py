"""An export's companions: `datapackage.json` and the dataset card, with provenance and coverage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.codebook import write_package
from storage.export import flatten
from storage.models import CrawlRun, Fetch


def provenance(session: Session, database_url: str) -> dict[str, Any]:
    """Export time, database (password hidden), crawl runs and fetches counted."""
    runs = session.scalar(select(func.count()).select_from(CrawlRun)) or 0
    first, last = session.execute(select(func.min(CrawlRun.started_at), func.max(CrawlRun.started_at))).one()
    span = f"{runs} ({first:%Y-%m-%d} to {last:%Y-%m-%d})" if first and last else str(runs)
    return {
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "database": make_url(database_url).render_as_string(hide_password=True),
        "runs": span,
        "fetches": session.scalar(select(func.count()).select_from(Fetch)) or 0,
    }


def package_export(session: Session, storage: Any, out: Path, fmt: str, count: int,
                   rows: list[dict[str, Any]], *, safe_names: bool = False) -> tuple[Path, Path]:
    from storage.coverage import build_ledger, summarise

    ledger = build_ledger(session)
    return write_package(
        Path(out), fmt, count, [flatten(r) for r in rows],
        provenance=provenance(session, storage.config.database_url),
        coverage=summarise(ledger), safe_names=safe_names,
    )
