"""`nianbao crawl`: crawl portals into the corpus; a named job resumes where it stopped."""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import typer
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.cli.app import app
from crawler.cli.options import DataDirOption, DbOption, open_corpus
from crawler.seeds import Seed, read_seeds_csv, seed_host
from crawler.spiders.portal import PortalSpider
from settings.default import user_agent
from storage.records import ensure_site, finish_worker_run, start_or_resume_run

logger = logging.getLogger(__name__)


def build_settings(module: str, overrides: list[str]) -> Settings:
    """Scrapy settings from a nianbao settings module plus `-s NAME=VALUE` overrides."""
    settings = Settings()
    try:
        settings.setmodule(importlib.import_module(module), priority="project")
    except ModuleNotFoundError:
        raise typer.BadParameter(f"settings module {module!r} not found", param_hint="--settings") from None
    for override in overrides:
        if "=" not in override:
            raise typer.BadParameter(f"expected NAME=VALUE, got {override!r}", param_hint="-s/--set")
        name, value = override.split("=", 1)
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def collect_seeds(urls: list[str] | None, seeds_file: Path | None) -> list[Seed]:
    seeds: list[Seed] = []
    for url in urls or []:
        try:
            seed_host(url)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="URL") from None
        seeds.append(Seed(url))
    if seeds_file is not None:
        try:
            seeds += read_seeds_csv(seeds_file)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--seeds") from None
    if not seeds:
        raise typer.BadParameter("give at least one URL or --seeds FILE", param_hint="URL")
    return seeds


@app.command("crawl")
def crawl(
    urls: list[str] = typer.Argument(None, help="Start URLs (portal home pages or 政务公开 pages)."),
    seeds: Path | None = typer.Option(None, "--seeds", help="CSV with a `url` column, optional `agency`, `region`."),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(
        None, "--job", help="Name the crawl: an interrupted job resumes when run again (nothing refetched)."),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1, help="Page budget per host."),
    depth: int | None = typer.Option(None, "--depth", min=0, help="Link depth limit (default 6)."),
    contact: str | None = typer.Option(None, "--contact", help="Contact URL put in the User-Agent."),
    settings_module: str = typer.Option("settings.default", "--settings", help="Scrapy settings module."),
    overrides: list[str] = typer.Option([], "-s", "--set", help="Scrapy setting NAME=VALUE (repeatable)."),
    progress: str = typer.Option("auto", "--progress", help="auto | live | log | off"),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
    dedup: bool = typer.Option(True, "--dedup/--no-dedup", help="Merge report copies when the crawl finishes."),
    frontier: str | None = typer.Option(
        None, "--frontier", envvar="NIANBAO_REDIS_URL", show_envvar=True,
        help="redis://HOST:6379/N: share the request queue, seen-URL filter and per-host limits with every "
             "other `nianbao crawl` of the same --job (scrapy-redis)."),
) -> None:
    """Crawl the given portals and store every page and attachment, with its text and report record."""
    seed_list = collect_seeds(urls, seeds)
    settings = build_settings(settings_module, overrides)
    storage = open_corpus(db, data_dir)
    job_name = job or f"adhoc-{datetime.now(UTC):%Y%m%dT%H%M%S}"

    def begin(session):  # type: ignore[no-untyped-def]
        for seed in seed_list:
            ensure_site(session, seed.host, seed.url, seed.agency, seed.region)
        run, resumed = start_or_resume_run(session, job_name, [s.url for s in seed_list], resume=job is not None)
        return run.id, resumed

    run_id, resumed = storage.run(begin)
    typer.echo(f"{'resuming' if resumed else 'starting'} job {job_name} (run {run_id}) over {len(seed_list)} seed(s);"
               f" database {storage.config.database_url}", err=True)

    settings.set("NIANBAO_DATABASE_URL", storage.config.database_url, priority="cmdline")
    settings.set("NIANBAO_DATA_DIR", str(storage.config.data_dir), priority="cmdline")
    settings.set("NIANBAO_JOB", job_name, priority="cmdline")
    settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
    settings.set("NIANBAO_PROGRESS", progress, priority="cmdline")
    frontier = frontier or settings.get("NIANBAO_FRONTIER")
    if frontier:
        from crawler.frontier import configure_frontier

        configure_frontier(settings, frontier, job_name, run_id)
    from crawler.browser import configure_browser

    browser_message = configure_browser(settings)
    if str(settings.get("NIANBAO_DISCOVERY") or "both").lower() != "adapters":
        typer.echo(browser_message, err=True)
    if depth is not None:
        settings.set("DEPTH_LIMIT", depth, priority="cmdline")
    if contact:
        settings.set("NIANBAO_CONTACT_URL", contact, priority="cmdline")
        settings.set("USER_AGENT", user_agent(contact), priority="cmdline")

    settings.set("LOG_LEVEL", log_level.upper(), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, seeds=seed_list, max_pages=max_pages)
    process.start()

    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason", "unknown")
    summary = {k.removeprefix("nianbao/"): v for k, v in stats.items() if k.startswith("nianbao/")}
    summary.update({"finish_reason": reason, "requests": stats.get("downloader/request_count", 0),
                    "sites": len(seed_list), "responses_304": stats.get("downloader/response_status_count/304", 0)})
    status = "finished" if reason == "finished" else "interrupted"
    from crawler.frontier import worker_name

    storage.run(lambda session: finish_worker_run(session, run_id, worker_name(), status, _jsonable(summary)))
    typer.echo(f"job {job_name}: {status} ({reason}); "
               f"{summary.get('fetches/stored', 0)} new fetches, "
               f"{summary.get('fetches/from_store', 0)} from store "
               f"({summary.get('incremental/not_modified', 0)} not modified), "
               f"{summary.get('reports/found', 0)} reports parsed, "
               f"{summary.get('fetches/errors', 0)} errors", err=True)
    for line in discovery_summary(summary):
        typer.echo(line, err=True)
    if status != "finished":
        typer.echo(f"run `nianbao crawl ... --job {job_name}` again to resume", err=True)
        raise typer.Exit(code=130)
    if dedup:
        from crawler.cli.dedup_cmd import run_dedup

        merged = run_dedup(storage, storage.config.data_dir / "dedup")
        typer.echo(f"dedup: {merged.reports} report(s) in {merged.clusters} cluster(s), "
                   f"{merged.versions} version(s); {merged.updated} updated", err=True)


def discovery_summary(stats: dict) -> list[str]:
    """The end summary's discovery lines: browser use, and the hosts that need attention."""
    from crawler.health import attention, discovery_health

    health = discovery_health(stats)
    lines = []
    rendered = sum(row["rendered"] for row in health.values())
    if rendered:
        seconds = sum(row["browser_seconds"] for row in health.values())
        lines.append(f"browser: {rendered} page(s) rendered, {seconds:.1f}s ({seconds / rendered:.2f}s per page)")
    lines += [f"attention: {line}" for line in attention(health)]
    return lines


def _jsonable(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        out[key] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
    return out
