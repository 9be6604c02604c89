"""`nianbao export`: the corpus as JSON Lines, CSV or Parquet, one record per report."""

from __future__ import annotations

from pathlib import Path

import typer

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
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
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
    storage = open_corpus(db, data_dir)
    try:
        with storage.session() as session:
            count = write_export(export_rows(session, include_removed=include_removed), out, fmt)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {out}: {exc.strerror or exc}", param_hint="--out") from None
    typer.echo(f"exported {count} report(s) to {out} ({fmt})", err=True)
