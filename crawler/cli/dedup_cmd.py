"""`nianbao dedup`: cluster the stored reports (one cluster per agency and year, versions for revised
editions, one canonical copy per version) and write cluster/version/canonical back to the reports.

The work is `dedup.service.run_dedup`: the index under ``<data-dir>/dedup/`` grows incrementally, and
running it twice changes nothing the second time.
"""

from __future__ import annotations

from pathlib import Path

import typer

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from dedup.service import run_dedup


@app.command("dedup")
def dedup(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    index: Path | None = typer.Option(None, "--index", help="Dedup index folder (default: DATA_DIR/dedup)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Start a fresh index instead of adding to it."),
    batch: int = typer.Option(5000, "--batch", min=1, help="Reports read and written per batch."),
    workers: int = typer.Option(0, "--workers", min=0, help="Processes computing text features (0: none)."),
) -> None:
    """Merge the copies of each report: cluster (agency + year), version, canonical copy."""
    storage = open_corpus(db, data_dir)
    index_dir = index or storage.config.data_dir / "dedup"
    try:
        run = run_dedup(storage, index_dir, rebuild=rebuild, batch=batch, workers=workers)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: dedup index {index_dir}: {exc}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        storage.dispose()
    if run.rebuilt:
        typer.echo(f"dedup index {index_dir} had an older format: rebuilt", err=True)
    typer.echo(
        f"{run.reports} report(s), {run.added} new to the index; {run.clusters} cluster(s), "
        f"{run.versions} version(s); {run.updated} report(s) updated",
        err=True,
    )
