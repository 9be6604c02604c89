"""`nianbao sites`: per seed host: last success, pages, reports, errors, blocked, discovery, next due."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from crawler.cli.state import site_health
from crawler.cli.status_cmd import revalidation_interval


@app.command("sites")
def sites(
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="One JSON object: {host: {...}} (ISO times with zone)."),
    failing: bool = typer.Option(False, "--failing", help="Only hosts with no success, errors or a block."),
) -> None:
    """Health per seed host: is it reachable, what did it give, is it blocked, when is it next due."""
    storage = open_corpus(db, data_dir)
    try:
        with storage.session() as session:
            health = site_health(session, revalidate_after=revalidation_interval())
    finally:
        storage.dispose()
    if failing:
        health = {h: r for h, r in health.items() if not r["last_success"] or r["errors"] or r["blocked"]}
    if as_json:
        typer.echo(json.dumps(health, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Sites ({len(health)})", title_justify="left")
    for column in ("host", "last success", "pages", "reports", "errors", "blocked", "discovery", "next due"):
        table.add_column(column, justify="right" if column in ("pages", "reports", "errors") else "left")
    for host, row in health.items():
        blocked = f"{row['blocked']['since']} {row['blocked']['reason'] or ''}" if row["blocked"] else ""
        discovery = ", ".join(f"{k} {v}" for k, v in sorted(row["discovery"].items()))
        table.add_row(host, row["last_success"] or "[red]never[/]", str(row["pages"]), str(row["reports"]),
                      str(row["errors"]), blocked, discovery, row["next_due"] or "")
    Console(width=200).print(table)
