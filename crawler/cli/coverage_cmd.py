"""`nianbao coverage`: which agencies' reports were found for which years, and which are missing,
removed or late; as a CSV or Parquet ledger and a self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from storage.coverage import STATUSES, build_ledger, summarise, write_ledger

LEDGER_FORMATS = ("csv", "parquet")


@app.command("coverage")
def coverage(
    out: Path | None = typer.Option(None, "--out", help="Ledger file: one row per agency and year."),
    fmt: str | None = typer.Option(None, "--format", help="csv or parquet (default: from --out's suffix)."),
    html: Path | None = typer.Option(None, "--html", help="Self-contained HTML report (works offline)."),
    first_year: int | None = typer.Option(None, "--from", help="First year (default: the first year found)."),
    last_year: int | None = typer.Option(None, "--to", help="Last year (default: the last year found)."),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Agency × year: found (report key), late, unknown date, removed (with date), missing."""
    if out is not None:
        fmt = fmt or out.suffix.lstrip(".").lower()
        if fmt not in LEDGER_FORMATS:
            raise typer.BadParameter(f"choose from {', '.join(LEDGER_FORMATS)}", param_hint="--format")
    storage = open_corpus(db, data_dir)
    with storage.session() as session:
        ledger = build_ledger(session, first_year=first_year, last_year=last_year)
    if out is not None:
        write_ledger(ledger, out, fmt or "csv")
    if html is not None:
        from storage.coverage_html import render_html

        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(ledger), encoding="utf-8")
    summary = summarise(ledger)
    typer.echo(f"{summary['agencies']} agencies × {len(ledger.years)} years "
               f"({summary['first_year']}–{summary['last_year']}): "
               + ", ".join(f"{s} {summary['counts'][s]}" for s in STATUSES)
               + f"; {summary['unplaced_reports']} report(s) without agency or year")
    for cell in ledger.cells:
        if cell.status in ("late", "removed", "unknown"):
            extra = (f"published {cell.published}, deadline {cell.deadline}" if cell.status == "late"
                     else f"removed {cell.removed_at}" if cell.status == "removed" else "no date")
            typer.echo(f"  {cell.status:8} {cell.agency} {cell.year}  {cell.report_key}  ({extra})")
