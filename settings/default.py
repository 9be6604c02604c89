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
    "crawler.middlewares.StoredResponseMiddleware": 50,
    "crawler.incremental.ConditionalRequestMiddleware": 60,  # 304 / not due: answered from the raw store
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.antibot.AntiBotMiddleware": 600,  # before retries see the answer: challenges are not retried
}
NIANBAO_ANTIBOT_MAX_CHALLENGES = 3  # challenges from one host before its remaining requests are dropped
NIANBAO_ANTIBOT_BACKOFF = 5.0  # seconds of delay after the first challenge, doubled per challenge
# Focused discovery (crawler.spiders.portal): links that score nothing are followed this many hops
# from a promising page; neutral links may use this share of --max-pages; cap per URL template.
NIANBAO_COLD_HOPS = 1
NIANBAO_COLD_BUDGET_SHARE = 0.6
NIANBAO_TEMPLATE_CAP = 60
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
    "crawler.incremental.IncrementalPipeline": 600,  # url_states, report versions, removals
}
SPIDER_MIDDLEWARES = {
    "crawler.incremental.IncrementalSpiderMiddleware": 950,
}
# Incremental re-crawls (crawler.incremental): conditional GETs with the stored ETag / Last-Modified;
# list pages always, stored report pages and attachments every N days (peak: when reports are due).
NIANBAO_INCREMENTAL = True
NIANBAO_REVALIDATE_DAYS_PEAK = 1.0
NIANBAO_REVALIDATE_DAYS_OFFPEAK = 30.0
NIANBAO_REVALIDATE_PEAK_MONTHS = [1, 2, 3]
NIANBAO_REVALIDATE_STORED = True  # also re-check stored reports no longer linked (finds removals)
EXTENSIONS = {
    "crawler.extensions.CrawlProgress": 500,
}

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
