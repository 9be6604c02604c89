"""`nianbao crawl`: crawl portals into the corpus; a named job resumes where it stopped."""

from __future__ import annotations

import importlib
import logging
import logging.handlers
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.addon import apply_environment
from crawler.cli.app import VERBOSITY, app
from crawler.cli.options import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    DataDirOption,
    DbOption,
    open_corpus,
    say,
)
from crawler.cli.stopping import StopController
from crawler.seeds import Seed, read_seeds_csv, seed_host
from crawler.spiders.portal import PortalSpider
from pipelines.corpus import CorpusStorage
from settings.default import user_agent
from storage.db import Storage
from storage.models import CrawlRun, Fetch, RunVisit, UrlState, url_key
from storage.records import ensure_site, finish_worker_run, start_or_resume_run

logger = logging.getLogger(__name__)

# crawler stats (under nianbao/) that count failures: something that should have been stored or parsed
# was not. Any counter under nianbao/failures/ counts too (room for new kinds of failure).
FAILURE_COUNTERS = {
    "items/errors": "items not stored",
    "reports/extractor_errors": "documents not parsed",
}
FAILURE_PREFIX = "failures/"
LOG_FILE_BYTES = 20 * 2**20
LOG_FILE_BACKUPS = 5


def build_settings(module: str, overrides: list[str]) -> Settings:
    """Settings in one precedence order: Scrapy defaults < settings module < NIANBAO_* environment <
    `-s NAME=VALUE` (and the command's own options, set by the caller at "cmdline" priority)."""
    settings = Settings()
    try:
        settings.setmodule(importlib.import_module(module), priority="project")
    except ModuleNotFoundError:
        raise typer.BadParameter(f"settings module {module!r} not found", param_hint="--settings") from None
    apply_environment(settings)
    for override in overrides:
        if "=" not in override:
            raise typer.BadParameter(f"expected NAME=VALUE, got {override!r}", param_hint="-s/--set")
        name, value = override.split("=", 1)
        name = name.strip()
        check_setting_value(name, value, settings.get(name))
        settings.set(name, value, priority="cmdline")
    return settings


def check_setting_value(name: str, value: str, current: object) -> None:
    """Refuse `-s NAME=VALUE` when NAME holds a number or a flag and VALUE is not one (Scrapy would fail
    later with a traceback)."""
    from scrapy.settings import default_settings

    current = current if current is not None else getattr(default_settings, name, None)
    if name == "NIANBAO_ALLOW_PRIVATE":  # true/false or networks
        from crawler.address import allowed_networks

        try:
            allowed_networks(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="-s/--set") from None
        return
    try:
        if isinstance(current, bool):
            Settings({name: value}).getbool(name)
        elif isinstance(current, int):
            int(value)
        elif isinstance(current, float):
            float(value)
    except ValueError:
        kind = "true or false" if isinstance(current, bool) else "a number"
        raise typer.BadParameter(f"{name} wants {kind}, got {value!r}", param_hint="-s/--set") from None


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
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--seeds") from None
    if not seeds:
        raise typer.BadParameter("give at least one URL or --seeds FILE", param_hint="URL")
    return seeds


def unreachable_seeds(
    storage: Storage, run_id: int, seeds: list[Seed], answered: set[str] = frozenset()
) -> list[str]:
    """Seed URLs this run never reached: not `answered` below 400 in this process (network or store),
    no 2xx/3xx fetch stored for it in the run (other workers, earlier invocations), and no successful
    revalidation (304) since the run started."""
    urls = {seed.url for seed in seeds} - set(answered)

    def query(session: Any) -> set[str]:
        rows = session.execute(
            select(Fetch.url, Fetch.status, Fetch.error)
            .join(RunVisit, RunVisit.fetch_id == Fetch.id)
            .where(RunVisit.run_id == run_id, Fetch.url.in_(urls))
        )
        reached = {
            url for url, status, error in rows if error is None and status is not None and status < 400
        }
        started = session.get(CrawlRun, run_id).started_at
        by_key = {url_key(url): url for url in urls - reached}
        for key, checked_at, status in session.execute(
            select(UrlState.url_key, UrlState.checked_at, UrlState.status).where(UrlState.url_key.in_(by_key))
        ):
            if (
                checked_at is not None
                and _naive_utc(checked_at) >= _naive_utc(started)
                and (status or 0) < 400
            ):
                reached.add(by_key[key])
        return reached

    reached = storage.run(query) | set(answered)
    return [seed.url for seed in seeds if seed.url not in reached]


def _answered(crawler: Any) -> set[str]:
    """The URLs the crawl's CrawlMonitor saw answered (empty when the extension is not enabled)."""
    from crawler.monitoring import CrawlMonitor

    for extension in getattr(crawler.extensions, "middlewares", ()):
        if isinstance(extension, CrawlMonitor):
            return extension.reached
    return set()


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def failure_counts(summary: dict[str, Any]) -> dict[str, int]:
    """What failed in this run, by kind (only kinds with a count)."""
    counts: dict[str, int] = {}
    for key, label in FAILURE_COUNTERS.items():
        if summary.get(key):
            counts[label] = int(summary[key])
    for key, value in summary.items():
        if key.startswith(FAILURE_PREFIX) and value:
            counts[key.removeprefix(FAILURE_PREFIX).replace("_", " ")] = int(value)
    if summary.get("seeds/unreachable"):
        counts["seeds unreachable"] = int(summary["seeds/unreachable"])
    return counts


def add_log_file(path: Path, level: str) -> logging.Handler:
    """Log to `path` too, rotated at LOG_FILE_BYTES with LOG_FILE_BACKUPS old files kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {path}: {exc.strerror or exc}", param_hint="--log-file"
        ) from None
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    return handler


@dataclass(frozen=True)
class CrawlOptions:
    """What `nianbao crawl` was asked for, beyond its seeds and settings."""

    job: str | None
    job_name: str
    resume_hint: str
    db: str | None
    data_dir: Path | None
    max_pages: int | None
    depth: int | None
    contact: str | None
    progress: str | None
    log_level: str | None
    log_file: Path | None
    metrics_port: int | None
    dedup: bool
    frontier: str | None
    quiet: bool
    verbose: bool
    level: int


@dataclass
class RunOutcome:
    """How a crawl ended: its status, Scrapy's finish reason, the run summary and what failed."""

    status: str
    reason: str
    summary: dict[str, Any]
    failures: dict[str, int]
    unreachable: list[str]


@app.command("crawl")
def crawl(
    urls: list[str] = typer.Argument(None, help="Start URLs (portal home pages or 政务公开 pages)."),
    seeds: Path | None = typer.Option(
        None, "--seeds", help="CSV with a `url` column, optional `agency`, `region`."
    ),
    db: str | None = DbOption,
    data_dir: Path | None = DataDirOption,
    job: str | None = typer.Option(
        None, "--job", help="Name the crawl: an interrupted job resumes when run again (nothing refetched)."
    ),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1, help="Page budget per host."),
    depth: int | None = typer.Option(None, "--depth", min=0, help="Link depth limit (default 6)."),
    contact: str | None = typer.Option(None, "--contact", help="Contact URL put in the User-Agent."),
    settings_module: str = typer.Option("settings.default", "--settings", help="Scrapy settings module."),
    overrides: list[str] = typer.Option([], "-s", "--set", help="Scrapy setting NAME=VALUE (repeatable)."),
    progress: str | None = typer.Option(
        None, "--progress", help="auto | live | log | off (default: the settings' NIANBAO_PROGRESS, auto)."
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (default: the settings' LOG_LEVEL)."
    ),
    log_file: Path | None = typer.Option(
        None,
        "--log-file",
        help="Also log to this file (rotated at 20 MB, 5 kept); the terminal then shows "
        "progress and warnings only.",
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        min=1,
        max=65535,
        help="Also serve Prometheus metrics on 127.0.0.1:PORT/metrics while crawling.",
    ),
    dedup: bool = typer.Option(
        True, "--dedup/--no-dedup", help="Merge report copies when the crawl finishes."
    ),
    frontier: str | None = typer.Option(
        None,
        "--frontier",
        envvar="NIANBAO_REDIS_URL",
        show_envvar=True,
        help="redis://HOST:6379/N: share the request queue, seen-URL filter and per-host limits with every "
        "other `nianbao crawl` of the same --job (scrapy-redis).",
    ),
) -> None:
    """Crawl the given portals and store every page and attachment, with its text and report record.

    Ctrl-C (or SIGTERM) once: in-flight pages and items are finished and stored, then the crawl stops
    (within NIANBAO_STOP_SECONDS); twice: it stops at once. Either way `--job NAME` resumes it."""
    if progress is not None and progress not in ("auto", "live", "log", "off"):
        raise typer.BadParameter("choose auto, live, log or off", param_hint="--progress")
    if log_level is not None and log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise typer.BadParameter("choose DEBUG, INFO, WARNING or ERROR", param_hint="--log-level")
    seed_list = collect_seeds(urls, seeds)
    settings = build_settings(settings_module, overrides)
    job_name = job or f"adhoc-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    resume_hint = (
        f"run `nianbao crawl ... --job {job_name}` again to resume"
        if job
        else "name the crawl with --job to make it resumable"
    )
    options = CrawlOptions(
        job,
        job_name,
        resume_hint,
        db,
        data_dir,
        max_pages,
        depth,
        contact,
        progress,
        log_level,
        log_file,
        metrics_port,
        dedup,
        frontier or settings.get("NIANBAO_FRONTIER"),
        VERBOSITY.quiet,
        VERBOSITY.verbose,
        VERBOSITY.level,
    )
    # from here on Ctrl-C / SIGTERM are ours: before the crawl starts they end the command (130)
    stopper = StopController(
        None,
        settings.getfloat("NIANBAO_STOP_SECONDS", 30.0),
        resume_hint,
        lambda message: say(message, options.quiet),
    )
    from crawler.cli import restore_signals

    restore_signals()  # the start-up handlers (crawler.cli) give way to the stop controller's
    stopper.install()
    try:
        _crawl(stopper, seed_list, settings, options)
    finally:
        stopper.uninstall()


def _stop_when_running(process: CrawlerProcess, crawler: Any) -> None:
    """Stop the crawl gracefully; a crawl still opening (engine not running yet) is stopped once it runs."""
    from twisted.internet import reactor

    if not crawler.crawling:
        return
    engine = getattr(crawler, "_engine", None)
    if engine is not None and engine.running:
        process.stop()
    else:
        reactor.callLater(0.2, _stop_when_running, process, crawler)


def _crawl(stopper: StopController, seed_list: list[Seed], settings: Settings, options: CrawlOptions) -> None:
    """Open the corpus, lock the job, begin the run, crawl, record and report how it ended."""
    storage = open_corpus(options.db, options.data_dir, create=True, quiet=options.quiet)
    try:
        check_raw_store(storage.raw.root)
        holder = (
            None
            if options.frontier
            else take_job_lock(storage, options.job_name, settings.getfloat("NIANBAO_JOB_LOCK_SECONDS", 60.0))
        )
        try:
            run_id = begin_run(storage, seed_list, options)
            configure_crawl(settings, storage, run_id, holder, options)
            configure_console(settings, options)
            crawler = run_crawler(settings, storage, stopper, seed_list, options.max_pages)
            outcome = run_outcome(crawler, storage, run_id, seed_list, interrupted=stopper.requested)
            record_outcome(storage, run_id, outcome)
            print_outcome(options.job_name, outcome)
            finish(storage, outcome, options)
        finally:
            if holder is not None:
                from crawler.joblock import release

                storage.run(lambda session: release(session, options.job_name, holder))
    finally:
        storage.dispose()


def begin_run(storage: Storage, seed_list: list[Seed], options: CrawlOptions) -> int:
    """Record the seeds' sites and start the job's run (or resume it, for a named job); returns its id."""

    def begin(session: Session) -> tuple[int, bool]:
        for seed in seed_list:
            ensure_site(session, seed.host, seed.url, seed.agency, seed.region)
        run, resumed = start_or_resume_run(
            session, options.job_name, [s.url for s in seed_list], resume=options.job is not None
        )
        return run.id, resumed

    run_id, resumed = storage.run(begin)
    say(
        f"{'resuming' if resumed else 'starting'} job {options.job_name} (run {run_id}) over {len(seed_list)} seed(s);"
        f" database {storage.config.database_url}",
        options.quiet,
    )
    return run_id


def configure_crawl(
    settings: Settings, storage: Storage, run_id: int, holder: str | None, options: CrawlOptions
) -> None:
    """The crawl's corpus, job and run, frontier, browser, depth and contact, at "cmdline" priority."""
    settings.set("NIANBAO_DATABASE_URL", storage.config.database_url, priority="cmdline")
    settings.set("NIANBAO_DATA_DIR", str(storage.config.data_dir), priority="cmdline")
    settings.set("NIANBAO_JOB", options.job_name, priority="cmdline")
    settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
    settings.set("NIANBAO_JOB_LOCK_HOLDER", holder, priority="cmdline")
    if options.frontier:
        from crawler.frontier import configure_frontier

        configure_frontier(settings, options.frontier, options.job_name, run_id)
    from crawler.browser import configure_browser

    browser_message = configure_browser(settings)
    if str(settings.get("NIANBAO_DISCOVERY") or "both").lower() != "adapters":
        say(browser_message, options.quiet)
    if options.depth is not None:
        settings.set("DEPTH_LIMIT", options.depth, priority="cmdline")
    if options.contact:
        settings.set("NIANBAO_CONTACT_URL", options.contact, priority="cmdline")
        settings.set("USER_AGENT", user_agent(options.contact), priority="cmdline")


def configure_console(settings: Settings, options: CrawlOptions) -> None:
    """Progress display, metrics port, log level and log file, at "cmdline" priority."""
    if options.progress is not None:
        settings.set("NIANBAO_PROGRESS", options.progress, priority="cmdline")
    elif options.quiet:
        settings.set("NIANBAO_PROGRESS", "off", priority="cmdline")
    if options.metrics_port is not None:
        settings.set("NIANBAO_METRICS_PORT", options.metrics_port, priority="cmdline")
    if options.log_level is not None:
        settings.set("LOG_LEVEL", options.log_level.upper(), priority="cmdline")
    elif options.quiet or options.verbose:
        settings.set("LOG_LEVEL", logging.getLevelName(options.level), priority="cmdline")
    if (
        options.log_file is not None
    ):  # every line at LOG_LEVEL to the file; the terminal keeps warnings and errors
        file_level = str(settings.get("LOG_LEVEL", "INFO")).upper()
        add_log_file(options.log_file, file_level)
        settings.set("NIANBAO_LOG_FILE", str(options.log_file), priority="cmdline")
        if logging.getLevelName(file_level) < logging.WARNING:
            settings.set("LOG_LEVEL", "WARNING", priority="cmdline")


def run_crawler(
    settings: Settings,
    storage: Storage,
    stopper: StopController,
    seed_list: list[Seed],
    max_pages: int | None,
) -> Crawler:
    """Crawl until done or stopped, with the corpus already open (handed to the crawl's components)."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    CorpusStorage.hand_over(crawler, storage)
    stopper.attach(lambda: _stop_when_running(process, crawler))
    if stopper.requested:  # a signal came while the corpus was being opened
        stopper.notice()
        from twisted.internet import reactor

        reactor.callWhenRunning(_stop_when_running, process, crawler)
    max_pages = max_pages or settings.getint("NIANBAO_MAX_PAGES") or None  # nightly: a default budget
    process.crawl(crawler, seeds=seed_list, max_pages=max_pages)
    process.start(install_signal_handlers=False)
    return crawler


def run_outcome(
    crawler: Crawler, storage: Storage, run_id: int, seed_list: list[Seed], *, interrupted: bool
) -> RunOutcome:
    """The crawl's summary (its nianbao/ stats and a few of Scrapy's), failures and unreachable seeds."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason", "unknown")
    summary = {k.removeprefix("nianbao/"): v for k, v in stats.items() if k.startswith("nianbao/")}
    interrupted = interrupted or reason != "finished"
    unreachable = [] if interrupted else unreachable_seeds(storage, run_id, seed_list, _answered(crawler))
    summary.update(
        {
            "finish_reason": reason,
            "requests": stats.get("downloader/request_count", 0),
            "sites": len(seed_list),
            "responses_304": stats.get("downloader/response_status_count/304", 0),
            "seeds/unreachable": len(unreachable),
        }
    )
    failures = failure_counts(summary)
    summary["failures"] = sum(failures.values())
    return RunOutcome("interrupted" if interrupted else "finished", reason, summary, failures, unreachable)


def record_outcome(storage: Storage, run_id: int, outcome: RunOutcome) -> None:
    """This worker's part of the run: its status and summary."""
    from crawler.frontier import worker_name

    storage.run(
        lambda session: finish_worker_run(
            session, run_id, worker_name(), outcome.status, _jsonable(outcome.summary)
        )
    )


def print_outcome(job_name: str, outcome: RunOutcome) -> None:
    """The end summary on stderr: counts, failures, discovery lines, unreachable seeds."""
    summary = outcome.summary
    failed = "; ".join(f"{count} {label}" for label, count in outcome.failures.items())
    typer.echo(
        f"job {job_name}: {outcome.status} ({outcome.reason}); "
        f"{summary.get('fetches/stored', 0)} new fetches, "
        f"{summary.get('fetches/from_store', 0)} from store "
        f"({summary.get('incremental/not_modified', 0)} not modified), "
        f"{summary.get('reports/found', 0)} reports parsed, "
        f"{summary.get('fetches/errors', 0)} fetch errors; "
        f"{summary['failures']} failures{': ' + failed if failed else ''}",
        err=True,
    )
    for line in discovery_summary(summary):
        typer.echo(line, err=True)
    for url in outcome.unreachable[:20]:
        typer.echo(f"seed unreachable: {url}", err=True)


def finish(storage: Storage, outcome: RunOutcome, options: CrawlOptions) -> None:
    """Exit 130 when interrupted; else merge report copies (--dedup) and exit 1 when something failed."""
    if outcome.status != "finished":
        typer.echo(options.resume_hint, err=True)
        raise typer.Exit(code=EXIT_INTERRUPTED)
    if options.dedup:
        from dedup.service import run_dedup

        merged = run_dedup(storage, storage.config.data_dir / "dedup")
        say(
            f"dedup: {merged.reports} report(s) in {merged.clusters} cluster(s), "
            f"{merged.versions} version(s); {merged.updated} updated",
            options.quiet,
        )
    if outcome.summary["failures"]:
        raise typer.Exit(code=EXIT_FAILURES)


def check_raw_store(root: Path) -> None:
    """Stop before crawling when the raw store cannot be written (every fetch would be lost)."""
    import tempfile

    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError as exc:
        typer.echo(
            f"error: the raw store {root} is not writable ({exc.strerror or exc}); nothing could be stored",
            err=True,
        )
        raise typer.Exit(code=1) from None


def take_job_lock(storage, job_name: str, lease_seconds: float) -> str:  # type: ignore[no-untyped-def]
    """Lock `job_name` for this process, or stop with a message naming the process that holds it."""
    from crawler.joblock import JobLocked, acquire, new_holder

    holder = new_holder()
    try:
        note = storage.run(lambda session: acquire(session, job_name, holder, lease_seconds))
    except JobLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if note:
        typer.echo(note, err=True)
    return holder


def discovery_summary(stats: dict) -> list[str]:
    """The end summary's discovery lines: browser use, and the hosts that need attention."""
    from crawler.health import attention, discovery_health

    health = discovery_health(stats)
    lines = []
    rendered = sum(row["rendered"] for row in health.values())
    if rendered:
        seconds = sum(row["browser_seconds"] for row in health.values())
        lines.append(
            f"browser: {rendered} page(s) rendered, {seconds:.1f}s ({seconds / rendered:.2f}s per page)"
        )
    lines += [f"attention: {line}" for line in attention(health)]
    return lines


def _jsonable(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        out[key] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
    return out
