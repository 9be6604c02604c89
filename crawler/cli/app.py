"""The Typer application every `nianbao` sub-command registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="nianbao",
    help="Crawl, extract, deduplicate and export 政府信息公开工作年度报告.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
