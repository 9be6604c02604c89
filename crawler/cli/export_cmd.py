"""`nianbao export`: the corpus as JSON Lines, CSV or Parquet, one record per report."""

from __future__ import annotations

import itertools
from pathlib import Path

import typer

from crawler.cli.app import app
from crawler.cli.options import EXIT_NOTHING, DataDirOption, DbOption, open_corpus
from storage.export import FORMATS, export_rows, write_export


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Output file (written atomically)."),
    fmt: str = typer.Option("jsonl", "--format", help=f"One of: {', '.join(FORMATS)}."),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    include_removed: bool = typer.Option(False, "--include-removed", help="Also reports marked removed."),
) -> None:
    """Export one line/row per report with provenance (source_url, copies, fetched_at, raw_sha256)."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(FORMATS)}", param_hint="--format")
    storage = open_corpus(db, data_dir)
    with storage.session() as session:
        rows = export_rows(session, include_removed=include_removed)
        first = next(rows, None)
        if first is None:  # no file at all rather than an empty one a reader chokes on
            typer.echo(f"nothing to export: {storage.config.database_url} holds no report"
                       f"{'' if include_removed else ' (not removed)'}; {out} not written", err=True)
            raise typer.Exit(code=EXIT_NOTHING)
        count = write_export(itertools.chain([first], rows), out, fmt)
    typer.echo(f"exported {count} report(s) to {out} ({fmt})", err=True)
