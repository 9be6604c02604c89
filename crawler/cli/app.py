"""The Typer application every `nianbao` sub-command registers on.

Every command gets `-h`, `--quiet/-q` and `--verbose/-v` (added to each command here, so a new command
module has them without declaring them); the application has `--version`."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from crawler.cli.options import EXIT_CODES_HELP


@dataclass
class Verbosity:
    """What --quiet / --verbose asked for, for the command being run."""

    quiet: bool = False
    verbose: bool = False

    @property
    def level(self) -> int:
        return logging.WARNING if self.quiet else logging.DEBUG if self.verbose else logging.INFO


VERBOSITY = Verbosity()


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """Record --quiet / --verbose and, except for `crawl` (Scrapy configures its logging), log on stderr."""
    if quiet and verbose:
        raise typer.BadParameter("give --quiet or --verbose, not both", param_hint="--quiet/--verbose")
    VERBOSITY.quiet, VERBOSITY.verbose = quiet, verbose


def with_console_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` with `--quiet/-q` and `--verbose/-v` added to its options."""

    @functools.wraps(fn)
    def command(*args: Any, quiet: bool = False, verbose: bool = False, **kwargs: Any) -> Any:
        set_verbosity(quiet, verbose)
        if fn.__name__ != "crawl":  # the crawl swaps the start-up handlers for its own (crawler.cli.stopping)
            from crawler.cli import restore_signals

            restore_signals()
            logging.basicConfig(level=VERBOSITY.level, format="%(levelname)s %(name)s: %(message)s")
            logging.getLogger().setLevel(VERBOSITY.level)
            logging.getLogger("alembic").setLevel(logging.DEBUG if VERBOSITY.verbose else logging.WARNING)
        return fn(*args, **kwargs)

    signature = inspect.signature(fn, eval_str=True)
    extra = [
        inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(
            False, "--quiet", "-q", help="Only warnings, errors and the final summary.")),
        inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(
            False, "--verbose", "-v", help="Debug detail.")),
    ]
    command.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])  # type: ignore[attr-defined]
    command.__annotations__ = {**{n: p.annotation for n, p in signature.parameters.items()},
                               "quiet": bool, "verbose": bool, "return": signature.return_annotation}
    return command


class ConsoleApp(typer.Typer):
    """Typer whose every command has --quiet/--verbose and the exit codes in its help."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("epilog", EXIT_CODES_HELP)
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            register(with_console_options(fn))
            return fn

        return decorator


def nianbao_version() -> str:
    from settings.default import NIANBAO_VERSION

    return NIANBAO_VERSION


app = ConsoleApp(
    name="nianbao",
    help="Crawl, extract, deduplicate and export 政府信息公开工作年度报告.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        import scrapy

        typer.echo(f"nianbao {nianbao_version()} (scrapy {scrapy.__version__})")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", "-V", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Crawl, extract, deduplicate and export 政府信息公开工作年度报告."""
