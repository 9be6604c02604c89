"""`nianbao export`: the corpus as JSON Lines, CSV, Parquet or Stata, one record per report; or the raw
captures as a web archive (WARC)."""

from __future__ import annotations

from pathlib import Path

import typer

from crawler.cli.app import app
from crawler.cli.options import EXIT_NOTHING, EXIT_USAGE, DataDirOption, DbOption, open_corpus
from storage.export import FORMATS, export_rows, write_export

ALL_FORMATS = (*FORMATS, "warc")


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Output file (written atomically)."),
    fmt: str = typer.Option("jsonl", "--format", help=f"One of: {', '.join(ALL_FORMATS)}."),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    include_removed: bool = typer.Option(False, "--include-removed", help="Also reports marked removed."),
    safe_names: bool = typer.Option(
        False, "--safe-names",
        help="CSV: column names that are valid R/Stata identifiers (the Stata names; see the codebook)."),
    package: bool = typer.Option(
        True, "--package/--no-package",
        help="Also write datapackage.json and a dataset card (README.md) beside the output."),
    wacz: bool = typer.Option(False, "--wacz", help="warc: also package the WARC and its index as WACZ."),
) -> None:
    """Export one line/row per report with provenance (source_url, copies, fetched_at, raw_sha256).

    Every format has the same columns in the same order (docs/codebook.md)."""
    if fmt not in ALL_FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(ALL_FORMATS)}", param_hint="--format")
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
    if safe_names and fmt != "csv":
        raise typer.BadParameter("only with --format csv (Stata files always use the safe names)",
                                 param_hint="--safe-names")
    if package and fmt != "warc":
        from storage.codebook import foreign_files

        foreign = foreign_files(out.parent)
        if foreign:
            typer.echo(f"error: {', '.join(map(str, foreign))} would be overwritten by the data package "
                       "(not written by nianbao): export into another folder, or use --no-package", err=True)
            raise typer.Exit(code=EXIT_USAGE)
    storage = open_corpus(db, data_dir)
    if fmt == "warc":
        from storage.warc import write_warc

        with storage.session() as session:
            result = write_warc(session, storage.raw, out, wacz=wacz)
        typer.echo(f"archived {result.responses} response(s), {result.revisits} revisit(s) to {out} "
                   f"(index {result.index}{', ' + str(result.wacz) if result.wacz else ''})", err=True)
        return
    try:
        _write(storage, out, fmt, include_removed=include_removed, safe_names=safe_names, package=package)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {out}: {exc.strerror or exc}", param_hint="--out") from None


def _write(storage, out: Path, fmt: str, *, include_removed: bool, safe_names: bool,  # type: ignore[no-untyped-def]
           package: bool) -> None:
    with storage.session() as session:
        rows = list(export_rows(session, include_removed=include_removed))
        if not rows:  # no file at all rather than an empty one a reader chokes on
            typer.echo(f"nothing to export: {storage.config.database_url} holds no report"
                       f"{'' if include_removed else ' (not removed)'}; {out} not written", err=True)
            raise typer.Exit(code=EXIT_NOTHING)
        count = write_export(rows, out, fmt, safe_names=safe_names)
        if package:
            from storage.package import package_export

            package_export(session, storage, out, fmt, count, rows, safe_names=safe_names)
    typer.echo(f"exported {count} report(s) to {out} ({fmt})", err=True)
