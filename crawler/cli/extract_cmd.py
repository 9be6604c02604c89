"""`nianbao extract PATH...`: print the report record of each file (issue: the report extractor)."""

from __future__ import annotations

from pathlib import Path

import typer

from crawler.cli.app import app


@app.command("extract")
def extract(
    paths: list[Path] = typer.Argument(..., help="Report files: .txt, .md, .html/.htm (.pdf/.docx/... later)."),
    as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON (JSON Lines for several inputs)."),
) -> None:
    """Extract the annual-report record from each file and print it as JSON."""
    raise typer.Exit(code=2)  # placeholder: built by the extractor issue
