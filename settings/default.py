"""Embedded default: one process, SQLite + local raw store, polite to many government hosts at once.

Throughput comes from many hosts in parallel (CONCURRENT_REQUESTS), never from hammering one host
(CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY, AutoThrottle, back-off on errors).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    NIANBAO_VERSION = version("nianbao")
except PackageNotFoundError:  # running from a checkout that is not installed
    NIANBAO_VERSION = "0.0.0"

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify truthfully; operators set their own contact URL (NIANBAO_CONTACT_URL / --contact).
NIANBAO_CONTACT_URL = "https://github.com/nianbao-project/nianbao"


def user_agent(contact: str) -> str:
    """A truthful User-Agent: who we are and where to reach the operator."""
    return f"nianbao/{NIANBAO_VERSION} (+{contact}; research crawler for 政府信息公开工作年度报告)"


USER_AGENT = user_agent(NIANBAO_CONTACT_URL)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}

# Politeness
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
CONCURRENT_ITEMS = 16  # items per response handled at once; Scrapy starts this many workers per response
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 32 * 2**20  # bodies waiting for the parse pool before downloads pause (Scrapy: 5 MB)
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around the delay
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 100 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
DEPTH_LIMIT = 6
DEPTH_PRIORITY = 1  # breadth-first: list pages before deep pages
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Retries with exponential back-off per host (crawler.middlewares.BackoffRetryMiddleware)
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
NIANBAO_BACKOFF_BASE = 2.0  # seconds added to the host's delay, doubled per retry
NIANBAO_BACKOFF_MAX = 120.0

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports on an unattended crawler
LOG_INSTALL_ROOT_HANDLER = True
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.address.AddressPolicyMiddleware": 40,  # IP literals and off-seed redirects (crawler.address)
    "crawler.address.RedirectLoopMiddleware": 650,  # sees 3xx before RedirectMiddleware (600): loops recorded
    "crawler.replay.ReplayMiddleware": 50,  # resumed run, 304, not due: answered from the raw store
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.antibot.AntiBotMiddleware": 600,  # before retries see the answer: challenges are not retried
}
# Address policy (crawler.address): private, loopback, link-local, multicast and reserved addresses are
# refused with a recorded error unless allowed (True, or networks: "127.0.0.0/8,::1"); names are checked
# where they resolve (TWISTED_DNS_RESOLVER), so DNS rebinding is refused too. Redirects and meta refreshes
# may leave the seed host only for hosts the seed list names, or any public host if allowed below.
NIANBAO_ALLOW_PRIVATE = False
NIANBAO_REDIRECT_ANY_PUBLIC = False
TWISTED_DNS_RESOLVER = "crawler.address.PolicyResolver"
NIANBAO_ANTIBOT_MAX_CHALLENGES = 3  # challenges from one host before its remaining requests are dropped
NIANBAO_ANTIBOT_BACKOFF = 5.0  # seconds of delay after the first challenge, doubled per challenge
# Focused discovery (crawler.spiders.portal): links that score nothing are followed this many hops
# from a promising page; neutral links may use this share of --max-pages; cap per URL template.
NIANBAO_COLD_HOPS = 1
NIANBAO_COLD_BUDGET_SHARE = 0.6
NIANBAO_TEMPLATE_CAP = 60
# Traps by behaviour (crawler.traps): new report-looking URLs a report page may add, report-page hops,
# and new report-looking URLs per directory; what is cut is counted under nianbao/traps/ in the run.
NIANBAO_TRAP_LINKS_PER_REPORT = 20
NIANBAO_TRAP_REPORT_HOPS = 8  # a backstop: real sites chain 政务公开 > 年报 > 部门 > list > report
NIANBAO_TRAP_REPORTS_PER_DIR = 200
NIANBAO_MAX_PAGES = None  # default --max-pages per host (settings.nightly sets one)
# Discovery on scripted pages: "both" (adapters reading the page's declarations, and the browser where
# they find nothing), "adapters" (no browser), "browser" (no declaration reading: for comparison).
NIANBAO_DISCOVERY = "both"
NIANBAO_SCRIPT_FILES_PER_PAGE = 3  # a report column showing no report: its own scripts read for the list API
# The browser (crawler.browser): "auto" = on when chromium and scrapy-playwright are installed; "off".
NIANBAO_BROWSER = "auto"
NIANBAO_BROWSER_EXECUTABLE = None  # default: /usr/bin/chromium (Debian package chromium)
NIANBAO_BROWSER_PAGES_PER_HOST = 20  # rendered pages per host and crawl
NIANBAO_BROWSER_PAGER_CLICKS = 10  # 下一页 clicks per rendered list
NIANBAO_BROWSER_TIMEOUT = 30.0  # seconds to load a rendered page
ITEM_PIPELINES = {
    "pipelines.store_raw.StoreRawPipeline": 100,
    "pipelines.documents.DocumentPipeline": 300,
    "pipelines.reports.ReportPipeline": 500,
    "pipelines.incremental.IncrementalPipeline": 600,  # url_states, report versions, removals
}
SPIDER_MIDDLEWARES = {
    "crawler.replay.IncrementalSpiderMiddleware": 950,
}
# Incremental re-crawls (crawler.replay, pipelines.incremental): conditional GETs with the stored ETag / Last-Modified;
# list pages always, stored report pages and attachments every N days (peak: when reports are due).
NIANBAO_INCREMENTAL = True
NIANBAO_REVALIDATE_DAYS_PEAK = 1.0
NIANBAO_REVALIDATE_DAYS_OFFPEAK = 30.0
NIANBAO_REVALIDATE_PEAK_MONTHS = [1, 2, 3]
NIANBAO_REVALIDATE_STORED = True  # also re-check stored reports no longer linked (finds removals)
EXTENSIONS = {
    "pipelines.corpus.CorpusStorage": 0,  # the crawl's one Storage, asked for by every component
    "crawler.extensions.CrawlProgress": 500,
    "crawler.joblock.JobLockHeartbeat": 510,  # one crawl per job without --frontier (crawler.joblock)
    "crawler.monitoring.CrawlMonitor": 510,
}
NIANBAO_JOB_LOCK_SECONDS = 60.0  # a job lock without a heartbeat for this long (or whose process is gone) is stale

# nianbao storage (the CLI fills these from --db / --data-dir / environment)
NIANBAO_DATABASE_URL = None
NIANBAO_DATA_DIR = "data"
NIANBAO_JOB = None
NIANBAO_RUN_ID = None
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
NIANBAO_PARSE_WORKERS = None  # processes for text extraction + report parsing (None: one per core; 0: inline)
NIANBAO_PARSE_NICENESS = 10  # parse workers run at lower CPU priority than the crawl (0: same priority)
NIANBAO_PROGRESS = "auto"  # "auto": live display on a terminal, log lines otherwise; "off"
NIANBAO_PROGRESS_INTERVAL = 10.0  # seconds between plain progress lines
# What parsing one document may cost (pipelines.limits.Limits, pipelines.parse.ParseSettings): read from
# these settings once and handed to the parse workers (`-s NAME=VALUE` and the NIANBAO_* environment set
# them; `nianbao extract` and `reprocess` read the environment). What a cap cuts is recorded in the
# Document's quality["cut"] and error.
NIANBAO_PARSE_MEMORY_MB = 2048  # data memory of one parse worker (RLIMIT_DATA); a bomb gets MemoryError (0: none)
NIANBAO_PARSE_RETRIES = 1  # a document whose parse worker died is parsed again once, alone, then recorded failed
NIANBAO_PDF_SECONDS = 600.0  # time for one PDF's text; pages left over are recorded as unread
NIANBAO_OCR_MAX_PAGES = 100  # scanned pages OCRed per PDF
# OCR engine for scans: "auto" (RapidOCR, else Tesseract), "rapidocr" or "tesseract" (the other one when the
# named one is not installed)
NIANBAO_OCR_ENGINE = "auto"
NIANBAO_MAX_UNPACKED_MB = 256  # one zip member (DOCX/XLSX/OFD part) or one PDF stream, decompressed
NIANBAO_MAX_TEXT_CHARS = 5_000_000  # text kept per document (a long report is ~100,000 characters)
NIANBAO_MAX_TABLE_CELLS = 1_000_000  # cells per table, spans expanded
NIANBAO_MAX_TABLE_COLUMNS = 500  # cells per table row (gridSpan / gridBefore)
NIANBAO_MAX_TABLE_ROWS = 100_000  # rows per table
NIANBAO_MAX_NESTING = 200  # element depth kept (HTML, nested tables); deeper content is flattened, not lost

# Operator's console (crawler.cli, crawler.addon, crawler.feeds, crawler.monitoring)
# Precedence, every route: Scrapy defaults < this module (or nightly/distributed) < NIANBAO_* environment
# variables named like a setting < command-line options (crawler.addon.NianbaoAddon).
ADDONS = {"crawler.addon.NianbaoAddon": 0}
# `scrapy crawl portal -O corpus.jsonl`: one record per stored report, not the raw exchanges
FEED_EXPORTERS = {
    "jsonl": "crawler.feeds.ReportJsonLinesExporter",
    "jsonlines": "crawler.feeds.ReportJsonLinesExporter",
    "jl": "crawler.feeds.ReportJsonLinesExporter",
    "json": "crawler.feeds.ReportJsonExporter",
    "csv": "crawler.feeds.ReportCsvExporter",
}
NIANBAO_STOP_SECONDS = 30.0  # after the first Ctrl-C / SIGTERM, in-flight work may take this long; then exit
NIANBAO_LOG_FILE = None  # set by `nianbao crawl --log-file`: the terminal then shows warnings and errors only
NIANBAO_METRICS_FILE = None  # Prometheus textfile (default: DATA_DIR/metrics/nianbao-JOB.prom); "off" disables
NIANBAO_METRICS_INTERVAL = 60.0  # seconds between textfile updates during a crawl
NIANBAO_METRICS_PORT = None  # serve /metrics on 127.0.0.1:PORT during a crawl (no listening port by default)
