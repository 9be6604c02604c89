"""The portal spider: a focused crawl from seed URLs towards 政府信息公开工作年度报告, storing every response.

Links are scored (`crawler.discovery.scoring`) from anchor text, `title` and URL; the score becomes
Request.priority, so the most promising frontier goes first. Links that score nothing are followed
only `NIANBAO_COLD_HOPS` hops away from a promising page, so a 50,000-page portal is not crawled
whole; `--max-pages` caps each host (neutral links may use only part of it), and the lists of report
columns are always followed to their last page. CMS adapters (`crawler.discovery.adapters`) make
the requests that JavaScript would (TRS createPageHTML, Hanweb dataproxy, JSON platforms, …).

A split article (SiteServer `346.html` whose pager links `346_2.html`, `346_3.html`) is one item:
page 1's links are followed at once, its later pages (`crawler.discovery.siteserver`) are fetched in
a chain, an `ArticleChain` passed in each request's `cb_kwargs` (each page's links followed too), and
page 1 is handed on only when the chain ends, with the later pages as `parts`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.address import REFUSED_ADDRESS, RefusedRequest, refusal_of
from crawler.discovery.adapters import JsonListAdapter, adapter_requests
from crawler.discovery.context import page_context
from crawler.discovery.scoring import priority, report_like, score_link
from crawler.discovery.siteserver import first_page_of, split_article_pages
from crawler.discovery.urls import canonical_url, path_template, trap_reason
from crawler.seeds import Seed, read_seeds_csv
from crawler.traps import ReportLinkBudget
from pipelines.items import FetchedResponse, exchange_url
from pipelines.stats import host_stat

# Links worth nothing to a report corpus (images, media, styles, archives of code). Documents
# (pdf, doc, docx, wps, xls, xlsx, ofd) are deliberately followed.
SKIPPED_EXTENSIONS = [
    "jpg", "jpeg", "png", "gif", "bmp", "svg", "webp", "ico", "tif", "tiff",
    "mp3", "mp4", "avi", "wmv", "flv", "mov", "wav", "swf", "css", "js", "exe", "apk", "dmg", "iso",
]
_SKIPPED = re.compile(r"\.(" + "|".join(SKIPPED_EXTENSIONS) + r")$", re.I)
_REPORT_COLUMN = re.compile(r"年报|年度报告|信息公开.{0,4}报告|统计表|zfxxgknb|xxgknb|gknb|ndbg|annual_?report", re.I)
_SPACES = re.compile(r"\s+")
LINK_XPATH = "//a[@href]|//area[@href]|//iframe[@src]|//frame[@src]|//embed[@src]|//object[@data]"
PART_PRIORITY = 300  # later pages of a split article go before anything else: page 1 waits for them
# script files worth reading for a list's API: a page's own code, not a library everyone ships
_LIBRARY_SCRIPT = re.compile(r"jquery|vue|react|angular|bootstrap|layui|echarts|swiper|polyfill|babel|lodash|"
                             r"axios|zepto|require|sea|common|public|base|share|stat|analytics|baidu|cnzz|jiucuo|"
                             r"wza|aria|barrier|\.min\.js", re.I)


@dataclass(frozen=True)
class ArticleChain:
    """A split article fetched page by page (the `cb_kwargs` of each later page's request): page 1's
    item, handed on when the chain ends, the later pages fetched so far, and the (page number, URL)
    of those still to fetch, the one being fetched first."""

    article: FetchedResponse
    pending: tuple[tuple[int, str], ...]
    parts: tuple[FetchedResponse, ...] = ()

    @property
    def page(self) -> int:
        """The number of the page being fetched."""
        return self.pending[0][0]

    def with_part(self, part: FetchedResponse) -> ArticleChain:
        """The chain once the page being fetched is in hand, as `part`."""
        return ArticleChain(self.article, self.pending[1:], (*self.parts, part))


class PortalSpider(scrapy.Spider):
    """Crawl government portals from their seeds, report columns first, and hand every exchange on."""

    name = "portal"

    def __init__(self, seeds: Iterable[Seed] | None = None, urls: str | None = None,
                 seeds_file: str | None = None, max_pages: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(seeds, str):  # `scrapy crawl portal -a seeds=seeds.csv` or `-a seeds=URL,URL`
            if "://" in seeds:
                urls = ",".join(filter(None, [urls, seeds]))
            else:
                seeds_file = seeds_file or seeds
            seeds = None
        collected: list[Seed] = list(seeds or [])
        if urls:  # `scrapy crawl portal -a urls=http://a/,http://b/`
            collected += [Seed(u.strip()) for u in urls.split(",") if u.strip()]
        if seeds_file:
            collected += read_seeds_csv(seeds_file)
        if not collected:
            raise ValueError("the portal spider needs at least one seed URL")
        self.seeds = collected
        self.seed_by_host = {seed.host: seed for seed in reversed(collected)}
        self.max_pages = int(max_pages) if max_pages else None
        self.scheduled: Counter[str] = Counter()
        self.per_template: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.rendered: Counter[str] = Counter()  # pages rendered by the browser, per host
        self.columns: dict[str, str] = {}  # report column URL -> host
        self.fruitful: set[str] = set()  # report columns that led to a report link
        self.browser_started: dict[int, float] = {}
        self.browser_json: dict[int, list[tuple[str, bytes]]] = {}
        self.browser_requests: Counter[int] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.cold_hops = settings.getint("NIANBAO_COLD_HOPS", 1)
        spider.cold_share = settings.getfloat("NIANBAO_COLD_BUDGET_SHARE", 0.6)
        spider.template_cap = settings.getint("NIANBAO_TEMPLATE_CAP", 60)
        spider.focused = settings.getbool("NIANBAO_FOCUSED", True)
        spider.report_links = ReportLinkBudget.from_crawler(crawler)
        mode = str(settings.get("NIANBAO_DISCOVERY") or "both").lower()
        spider.declared = mode != "browser"
        spider.browser = settings.getbool("NIANBAO_BROWSER_ACTIVE") and mode != "adapters"
        spider.browser_per_host = settings.getint("NIANBAO_BROWSER_PAGES_PER_HOST", 20)
        spider.browser_clicks = settings.getint("NIANBAO_BROWSER_PAGER_CLICKS", 10)
        spider.script_files = settings.getint("NIANBAO_SCRIPT_FILES_PER_PAGE", 3)
        spider.host_delay = settings.getfloat("DOWNLOAD_DELAY", 1.0)
        return spider

    declared = True
    browser = False
    browser_per_host = 20
    browser_clicks = 10
    script_files = 3
    host_delay = 1.0
    report_links: ReportLinkBudget | None = None

    cold_hops = 1
    cold_share = 0.6
    template_cap = 60
    focused = True

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for seed in self.seeds:
            request = self._request(scrapy.Request(seed.url), seed=seed, score=10.0, cold=0, referrer=None,
                                    anchor=None, force=True)
            if request is not None:
                yield request

    # -- requests -------------------------------------------------------------------------------

    def _host_seed(self, url: str) -> Seed | None:
        host = urlsplit(url).netloc.lower()
        seed = self.seed_by_host.get(host)
        if seed is None and host.startswith("www."):
            seed = self.seed_by_host.get(host[4:])
        if seed is None:
            seed = self.seed_by_host.get("www." + host)
        return seed

    def _request(self, request: scrapy.Request, *, seed: Seed, score: float, cold: int, referrer: str | None,
                 anchor: str | None, force: bool = False, column: bool = False,
                 parent_context: dict[str, Any] | None = None) -> scrapy.Request | None:
        """The request to schedule (or None): deduplicated, within the host's budget, prioritised."""
        url = request.url
        key = url if request.method == "GET" else f"{request.method} {url} {request.body!r}"
        if key in self.seen:
            return None
        stats = self.crawler.stats if getattr(self, "crawler", None) else None
        host = urlsplit(url).netloc.lower()
        promising = score > 0 or force or column
        if self.max_pages is not None and not column:  # report-column lists: always to the last page
            limit = self.max_pages if promising else int(self.max_pages * self.cold_share)
            if self.scheduled[host] >= limit:
                if stats:
                    stats.inc_value("nianbao/budget_exhausted")
                return None
        if not promising:
            template = path_template(url)
            if self.per_template[template] >= self.template_cap:
                if stats:
                    stats.inc_value("nianbao/discovery/template_capped")
                return None
            self.per_template[template] += 1
        self.seen.add(key)
        self.scheduled[host] += 1
        meta = {**request.meta, "seed": seed, "anchor_text": anchor, "referrer": referrer, "nb_score": score,
                "nb_cold": cold, "nb_column": column}
        if parent_context is not None:
            meta["nb_parent_context"] = parent_context
        return request.replace(callback=self.parse, errback=self.on_error, meta=meta,
                               priority=priority(score) + (100 if column else 0))

    def _follow(self, response: Response, request: scrapy.Request, anchor: str | None, title: str | None,
                *, column: bool, context: dict[str, Any] | None, is_list: bool = False) -> scrapy.Request | None:
        url = canonical_url(request.url)
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        if _SKIPPED.search(urlsplit(url).path) and not request.meta.get("nb_script_of"):
            return None
        seed = self._host_seed(url)
        if seed is None:
            return None
        stats = self.crawler.stats
        list_of_column = column and is_list
        if not list_of_column:
            reason = trap_reason(url)
            if reason:
                stats.inc_value("nianbao/discovery/traps")
                return None
        link = score_link(url, anchor, title)
        score = link.score
        if is_list:  # another page of the same list: as promising as the list itself
            score = max(score, float(response.meta.get("nb_score", 0)))
        parent_cold = int(response.meta.get("nb_cold", 0))
        cold = 0 if score > 0 else parent_cold + 1
        if self.focused and cold > self.cold_hops and not list_of_column:
            stats.inc_value("nianbao/discovery/pruned")
            return None
        # traps by behaviour: report pages that mint new report-looking URLs (crawler.traps)
        page_is_report = bool(response.meta.get("nb_report_link")) and not response.meta.get("nb_column")
        hops = int(response.meta.get("nb_report_hops", 0)) if page_is_report else 0
        if (link.score > 0 and not list_of_column and url not in self.seen and self.report_links is not None
                and not self.report_links.allow(url, response.url, page_is_report, hops)):
            return None
        request.meta["nb_report_link"] = link.score > 0 and not list_of_column
        request.meta["nb_report_hops"] = hops + 1 if page_is_report else 0
        if url != request.url:
            request = request.replace(url=url)
        if is_list and response.meta.get("nb_api") and request.meta.get("nb_api"):
            # the next page of a list paged until empty: as deep as the page before it, not one deeper
            request.meta["depth_reset"] = True
            request.meta["nb_list_depth"] = response.meta.get("depth", 0)
        parent = None
        if context is not None:
            parent = {k: context.get(k) for k in ("title", "h1", "site_name", "publisher", "breadcrumb_agency",
                                                   "crumbs", "is_news")}
        return self._request(request, seed=seed, score=score, cold=cold, referrer=response.url,
                             anchor=(anchor or title or None), column=list_of_column, parent_context=parent)

    # -- responses ------------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        if "nb_list_depth" in response.meta:
            response.meta["depth"] = response.meta["nb_list_depth"]
        item = self._item(response)
        antibot = response.meta.get("nb_antibot")
        if antibot and "nb_passable" in response.meta:
            yield from self._pass_challenge(response)
            return
        self.crawler.stats.inc_value(host_stat(item.site_host, "pages"))
        if antibot:
            item.error = f"AntiBot: {antibot}"
            yield item
            return
        html = is_html(response)
        context = page_context(response.selector, response.url) if html else None
        item.context = context or response.meta.get("nb_parent_context")
        if not isinstance(response, TextResponse):
            yield item
            return
        column = self._is_report_column(response, context)
        # a list page reached as one (`nb_column`) is paginated, not split; report pages' own titles make
        # `column` true, so it cannot tell
        article = split_article_pages(response.text, response.url) if html and not response.meta.get("nb_column") else []
        first = first_page_of(response.text, response.url) if html and not article else None
        if article:
            yield from self._start_article(response, item, article)
        elif first is not None:
            yield from self._part_seen_first(response, first)
        else:
            yield item
        yield from self._links(response, context, column)

    def _links(self, response: TextResponse, context: dict[str, Any] | None, column: bool) -> Iterator[scrapy.Request]:
        """The follow requests of a page: its links, and what its CMS adapter asks for; for a report
        column that shows no report link, its own scripts and (when on) a browser rendering."""
        stats = self.crawler.stats
        seed = response.meta.get("seed") or self._host_seed(response.url)
        host = seed.host if seed is not None else urlsplit(response.url).netloc.lower()
        origin = response.meta.get("nb_origin")
        own = (context or {}).get("h1") or ((context or {}).get("title") or "").split("_")[0]
        # a list, not a document whose own title names a report year (a report, a news item, a distractor)
        listing = not report_like(own) and not (
            re.search(r"(?:19|20)\d{2}", own) and int((context or {}).get("report_links") or 0) < 2)
        if origin is None and column and context is not None and listing:
            origin = response.url
            if origin not in self.columns:
                self.columns[origin] = host
                stats.inc_value(host_stat(host, "columns"))
        reports = 0
        if context is not None:
            for node in response.selector.root.xpath(LINK_XPATH):  # lxml elements: no Selector per node
                href = node.get("href") or node.get("src") or node.get("data")
                if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                    continue
                anchor = _SPACES.sub(" ", " ".join(node.itertext())).strip() or None
                title = node.get("title")
                try:
                    url = urljoin(response.url, href.strip())
                except ValueError:
                    continue
                if report_like(anchor) or report_like(title):
                    reports += 1
                request = self._follow(response, scrapy.Request(url, meta={"nb_origin": origin}), anchor, title,
                                       column=column, context=context)
                if request is not None:
                    yield request
        for adapter, request in adapter_requests(response, declared=self.declared):
            stats.inc_value(f"nianbao/discovery/adapter/{adapter}")
            stats.inc_value(host_stat(host, f"adapter/{adapter}"))
            if report_like(request.meta.get("nb_anchor")):
                reports += 1
            request.meta["nb_origin"] = origin
            follow = self._follow(response, request, request.meta.get("nb_anchor"), None, column=column,
                                  context=context, is_list=bool(request.meta.get("nb_list")))
            if follow is not None:
                yield follow
        if reports and origin:
            self.fruitful.add(origin)
        if context is None or reports or not (column and listing):
            return
        if response.meta.get("nb_rendered"):
            return
        if self.declared:
            yield from self._script_files(response, origin)
        # a resumed run does not render again what it stored (and rendered) before the interruption
        if self.browser and "stored" not in response.flags:
            render = self._render_request(response, "listing", origin)
            if render is not None:
                yield render

    def _script_files(self, response: TextResponse, origin: str | None) -> Iterator[scrapy.Request]:
        """The page's own script files (not libraries): the list requests they make are read from them."""
        from crawler.discovery.scripts import page_variables, script_sources

        names = page_variables(response.text)
        host = urlsplit(response.url).netloc.lower()
        count = 0
        for src in script_sources(response.text):
            url = urljoin(response.url, src)
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            if urlsplit(url).netloc.lower() != host or _LIBRARY_SCRIPT.search(name) or count >= self.script_files:
                continue
            count += 1
            request = scrapy.Request(url, meta={"nb_list": True, "nb_origin": origin,
                                                "nb_script_of": {"url": response.url, "names": names}})
            follow = self._follow(response, request, None, None, column=True, context=None, is_list=True)
            if follow is not None:
                self.crawler.stats.inc_value("nianbao/discovery/script_files")
                yield follow

    # -- the browser ------------------------------------------------------------------------------

    def _render_request(self, response: Response, reason: str, origin: str | None,
                        meta: dict[str, Any] | None = None) -> scrapy.Request | None:
        """The page again, rendered by chromium, within the host's budgets (rendered pages, --max-pages)."""
        seed = response.meta.get("seed") or self._host_seed(response.url)
        host = seed.host if seed is not None else urlsplit(response.url).netloc.lower()
        key = f"render {response.url}"
        if key in self.seen or self.rendered[host] >= self.browser_per_host:
            if key not in self.seen:
                self.crawler.stats.inc_value("nianbao/browser/budget_exhausted")
            return None
        if self.max_pages is not None and self.scheduled[host] >= self.max_pages:
            self.crawler.stats.inc_value("nianbao/budget_exhausted")
            return None
        self.seen.add(key)
        self.rendered[host] += 1
        self.scheduled[host] += 1
        base = meta if meta is not None else response.meta
        kept = {k: v for k, v in base.items() if k in ("seed", "anchor_text", "referrer", "nb_score", "nb_cold",
                                                      "nb_column", "nb_parent_context", "depth")}
        return scrapy.Request(
            response.url, callback=self.parse_rendered, errback=self.on_render_error, dont_filter=True,
            priority=priority(float(kept.get("nb_score", 0))) + 50,
            meta={**kept, "playwright": True, "playwright_include_page": True, "nb_rendered": reason,
                  "depth_reset": True, "nb_list_depth": response.meta.get("depth", 0),  # as deep as the page
                  "nb_origin": origin, "nb_challenge_retry": reason == "challenge",
                  "playwright_page_event_handlers": {"response": "browser_response"}},
        )

    async def browser_response(self, response: Any) -> None:
        """Every response a rendered page receives: the time of its first, and the lists it fetched."""
        try:
            page = id(response.frame.page)
        except Exception:  # noqa: BLE001 - a response of a closed page
            return
        self.browser_started.setdefault(page, time.monotonic())
        if response.request.resource_type not in ("xhr", "fetch"):
            return
        self.browser_requests[page] += 1
        ctype = (response.headers.get("content-type") or "").lower()
        if "json" in ctype or "xml" in ctype or "javascript" in ctype:
            try:
                self.browser_json.setdefault(page, []).append((response.url, await response.body()))
            except Exception:  # noqa: BLE001 - the body of a redirect or an aborted request
                return

    async def _settle(self, page: Any) -> None:
        for _ in range(3):
            try:
                await page.wait_for_load_state("networkidle", timeout=10000)
                return
            except Exception:  # noqa: BLE001 - navigating (a challenge reloading) or slow: try again
                await asyncio.sleep(0.2)

    async def _changed(self, page: Any, before: str, timeout: float = 5.0) -> str | None:
        """The page's HTML once a click has changed it (its list reloaded), or None if it did not."""
        waited = 0.0
        while waited < timeout:
            await asyncio.sleep(0.1)
            waited += 0.1
            try:
                content = await page.content()
            except Exception:  # noqa: BLE001 - navigating
                continue
            if content != before:
                await self._settle(page)
                return await page.content()
        return None

    async def parse_rendered(self, response: Response) -> AsyncIterator[Any]:
        """A page rendered by chromium: links from its DOM after each pager click and from the lists its
        scripts fetched; after a cookie challenge, the page itself again with the browser's cookies."""
        page = response.meta["playwright_page"]
        if "nb_list_depth" in response.meta:
            response.meta["depth"] = response.meta["nb_list_depth"]
        stats = self.crawler.stats
        seed = response.meta.get("seed") or self._host_seed(response.url)
        host = seed.host if seed is not None else urlsplit(response.url).netloc.lower()
        snapshots: list[str] = []
        cookies: list[dict[str, Any]] = []
        final_url = response.url
        try:
            await self._settle(page)
            if response.meta["nb_rendered"] != "challenge":
                snapshots.append(await page.content())
                from crawler.browser import NEXT_PAGE_JS

                for _ in range(self.browser_clicks):
                    if not await page.evaluate(NEXT_PAGE_JS):
                        break
                    stats.inc_value("nianbao/browser/pager_clicks")
                    content = await self._changed(page, snapshots[-1])
                    if content is None:
                        break
                    snapshots.append(content)
                    await asyncio.sleep(self.host_delay)  # the next click's requests wait like any other
            cookies = await page.context.cookies()
            final_url = page.url
        except Exception as exc:  # noqa: BLE001 - a page that broke while rendering: what it showed so far counts
            self.logger.warning("%s: rendering failed: %s", response.url, exc)
        finally:
            started = self.browser_started.pop(id(page), None)
            fetched = self.browser_json.pop(id(page), [])
            subrequests = self.browser_requests.pop(id(page), 0)
            await page.close()
        millis = int((time.monotonic() - started) * 1000) if started else 0
        stats.inc_value("nianbao/browser/rendered")
        stats.inc_value("nianbao/browser/ms", millis)
        stats.inc_value(host_stat(host, "rendered"))
        stats.inc_value(host_stat(host, "browser_ms"), millis)
        self.scheduled[host] += subrequests  # the page's own XHR count against --max-pages too
        jar = {c["name"]: c["value"] for c in cookies if c.get("name")}
        if response.meta["nb_rendered"] == "challenge":
            meta = {k: v for k, v in response.meta.items() if k in ("seed", "anchor_text", "referrer", "nb_score",
                                                                    "nb_cold", "nb_column", "nb_parent_context")}
            yield scrapy.Request(response.url, cookies=jar, dont_filter=True, callback=self.parse,
                                 errback=self.on_error, meta={**meta, "nb_challenge_retry": True, "depth_reset": True,
                                                              "nb_list_depth": response.meta.get("depth", 0)})
            return
        context = None
        for html in snapshots:
            rendered = HtmlResponse(final_url, body=html.encode("utf-8"), encoding="utf-8", request=response.request)
            context = context or page_context(rendered.selector, final_url)
            column = self._is_report_column(rendered, context)
            for request in self._links(rendered, context, column):
                yield request.replace(cookies=jar) if jar else request
        lists = JsonListAdapter()
        for url, body in fetched:
            answer = TextResponse(url, body=body, encoding="utf-8", request=scrapy.Request(url, meta={"nb_origin": response.meta.get("nb_origin")}))
            if not lists.detect(answer):
                continue
            for request in lists.requests(answer):
                if request.meta.get("nb_list"):
                    continue  # the pager was clicked through; its pages' rows are in `fetched` already
                if report_like(request.meta.get("nb_anchor")) and response.meta.get("nb_origin"):
                    self.fruitful.add(response.meta["nb_origin"])
                follow = self._follow(response, request, request.meta.get("nb_anchor"), None, column=True,
                                      context=context)
                if follow is not None:
                    yield follow

    def on_render_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("nianbao/browser/errors")
        self.logger.warning("%s: browser failed: %s", request.url, failure.getErrorMessage())

    def _pass_challenge(self, response: Response) -> Iterator[scrapy.Request]:
        """A JavaScript cookie challenge that may be passed: once more with the cookie its script sets
        (read from the script), or rendered by the browser; a second challenge is recorded as blocked."""
        cookies = response.meta.get("nb_passable") or {}
        self.crawler.stats.inc_value("nianbao/antibot/passing")
        seed = response.meta.get("seed") or self._host_seed(response.url)
        host = seed.host if seed is not None else urlsplit(response.url).netloc.lower()
        if cookies:
            self.scheduled[host] += 1
            meta = {k: v for k, v in response.meta.items() if not k.startswith(("nb_antibot", "nb_passable", "download_"))}
            yield response.request.replace(cookies=cookies, dont_filter=True, meta={
                **meta, "nb_challenge_retry": True, "depth_reset": True, "nb_list_depth": response.meta.get("depth", 0)})
            return
        render = self._render_request(response, "challenge", response.meta.get("nb_origin"))
        if render is not None:
            yield render

    def closed(self, reason: str) -> None:
        """Report columns that led to no report link are the crawl's suspects, per host."""
        stats = self.crawler.stats
        for url, host in self.columns.items():
            if url not in self.fruitful:
                self.logger.info("suspect report column (no report link found from it): %s", url)
                stats.inc_value(host_stat(host, "suspects"))
                stats.inc_value("nianbao/discovery/suspect_columns")

    # -- split articles (SiteServer `_2 .. _n` pages) ---------------------------------------------

    def _start_article(self, response: Response, item: FetchedResponse, urls: list[str]) -> Iterator[scrapy.Request]:
        """Claim the later pages of the article on `response` (so no link leads to them as documents
        of their own) and ask for the first of them; page 1's item waits in the chain."""
        for url in urls:
            self.seen.update((url, canonical_url(url)))
        self.scheduled[urlsplit(response.url).netloc.lower()] += len(urls)
        self.crawler.stats.inc_value("nianbao/siteserver/articles")
        item.revalidation = response.meta.get("nb_incremental")  # page 1's mark, not the last page's
        yield self._part_request(response.meta, ArticleChain(item, tuple(enumerate(urls, start=2))))

    def _part_request(self, meta: dict[str, Any], chain: ArticleChain) -> scrapy.Request:
        """The request for the chain's next page (the one `chain.page` numbers)."""
        article = chain.article
        return scrapy.Request(
            chain.pending[0][1], callback=self.parse_part, errback=self.on_part_error, dont_filter=True,
            priority=PART_PRIORITY, cb_kwargs={"chain": chain},
            meta={"seed": meta.get("seed"), "referrer": article.final_url or article.url, "anchor_text": None,
                  "nb_score": meta.get("nb_score", 0), "nb_cold": meta.get("nb_cold", 0), "nb_column": False,
                  "depth_reset": True},  # never dropped by DEPTH_LIMIT: page 1 waits for every part
        )

    def _next_part(self, meta: dict[str, Any], chain: ArticleChain, part: FetchedResponse) -> Iterator[Any]:
        """The request for the article's next page, or, after its last page, page 1 with all parts."""
        article = chain.article
        part.page, part.depth = chain.page, article.depth
        chain = chain.with_part(part)
        if chain.pending:
            yield self._part_request(meta, chain)
            return
        article.parts = list(chain.parts)
        self.crawler.stats.inc_value("nianbao/siteserver/pages", len(chain.parts) + 1)
        yield article

    def parse_part(self, response: Response, chain: ArticleChain) -> Iterator[Any]:
        """A later page of a split article: kept as a part of it; its own links are followed."""
        response.meta["depth"] = chain.article.depth  # its links are as deep as page 1's
        part = self._item(response)
        antibot = response.meta.get("nb_antibot")
        if antibot:
            part.error = f"AntiBot: {antibot}"
        yield from self._next_part(response.meta, chain, part)
        if not antibot and isinstance(response, TextResponse) and is_html(response):
            context = page_context(response.selector, response.url)
            yield from self._links(response, context, self._is_report_column(response, context))

    def on_part_error(self, failure: Failure) -> Iterator[Any]:
        """A later page that failed: recorded as a missing part, and the chain goes on."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            part = self._item(response)
            antibot = response.meta.get("nb_antibot")
            part.error = f"AntiBot: {antibot}" if antibot else f"HTTPError: HTTP {response.status}"
        else:
            part = self._failed_item(request, failure)
            if failure.check(IgnoreRequest):
                part.unfetched = True  # not asked for in this run: nothing to record
        yield from self._next_part(request.meta, request.cb_kwargs["chain"], part)

    def _part_seen_first(self, response: Response, first: str) -> Iterator[scrapy.Request]:
        """A later page reached before its page 1 (another link, a revalidation): no item of its own;
        page 1 is asked for and will fetch it again as one of its parts."""
        self.crawler.stats.inc_value("nianbao/siteserver/parts_seen_first")
        seed = response.meta.get("seed") or self._host_seed(first)
        if seed is None:
            return
        request = self._request(scrapy.Request(first), seed=seed, score=float(response.meta.get("nb_score", 0)),
                                cold=int(response.meta.get("nb_cold", 0)), referrer=response.url, anchor=None,
                                force=True)
        if request is not None:
            yield request

    def _is_report_column(self, response: Response, context: dict[str, Any] | None) -> bool:
        """A list of reports (a 年报 column): its pages are followed to the last one."""
        if response.meta.get("nb_column"):
            return True
        if context is None:
            return bool(_REPORT_COLUMN.search(urlsplit(response.url).path))
        names = " ".join(filter(None, [context.get("column"), context.get("h1"),
                                       *(context.get("crumbs") or [])[-1:]]))
        return bool(_REPORT_COLUMN.search(names)) or int(context.get("report_links") or 0) >= 2

    def on_error(self, failure: Failure) -> Iterator[FetchedResponse]:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and not recorded_refusal(failure):
            return  # deliberately not fetched (already recorded in this run, or a blocked host)
        if failure.check(HttpError):
            response = failure.value.response
            item = self._item(response)
            antibot = response.meta.get("nb_antibot")
            item.error = f"AntiBot: {antibot}" if antibot else f"HTTPError: HTTP {response.status}"
            yield item
            return
        kind = refusal_kind(failure)
        if kind and getattr(self, "crawler", None):
            self.crawler.stats.inc_value(f"nianbao/refused/{kind}")
        yield self._failed_item(request, failure)

    def _failed_item(self, request: scrapy.Request, failure: Failure) -> FetchedResponse:
        """The exchange of a request that got no response."""
        seed = request.meta.get("seed") or self._host_seed(request.url)
        message = failure.getErrorMessage() or repr(failure.value)
        if (refused := refusal_of(request.url)) and "lookup" in message.lower():
            message = refused
        chain = request.meta.get("redirect_urls") or []
        if chain:  # a redirect chain that failed: the row is the URL the crawl asked for
            message += f" (redirected {len(chain)} times: {' -> '.join([*chain[:5], request.url])})"
        return FetchedResponse(
            url=chain[0] if chain else exchange_url(request), final_url=request.url if chain else None, status=None,
            headers={}, body=b"",
            fetched_at=datetime.now(UTC), referrer=request.meta.get("referrer"),
            anchor_text=request.meta.get("anchor_text"), depth=request.meta.get("depth", 0),
            site_host=seed.host if seed else urlsplit(request.url).netloc.lower(),
            seed_url=seed.url if seed else None, agency_hint=seed.agency if seed else None,
            region_hint=seed.region if seed else None,
            error=f"{failure.type.__name__}: {message}",
        )

    def _item(self, response: Response) -> FetchedResponse:
        request = response.request
        meta = response.meta if request is not None else {}
        original_url = (meta.get("redirect_urls") or [response.url])[0]
        seed = meta.get("seed") or self._host_seed(original_url)
        if request is not None and original_url == request.url:
            original_url = exchange_url(request)
        return FetchedResponse(
            url=original_url,
            final_url=response.url,
            status=response.status,
            headers=selected_headers(response),
            body=response.body,
            fetched_at=datetime.now(UTC),
            referrer=meta.get("referrer"),
            anchor_text=meta.get("anchor_text"),
            depth=meta.get("depth", 0),
            site_host=seed.host if seed else urlsplit(original_url).netloc.lower(),
            seed_url=seed.url if seed else None,
            agency_hint=seed.agency if seed else None,
            region_hint=seed.region if seed else None,
            from_store=bool(meta.get("from_store")),
            stored_fetch_id=meta.get("stored_fetch_id"),
        )
KEPT_HEADERS = ("content-type", "content-length", "content-disposition", "etag", "last-modified",
                "date", "server", "location", "set-cookie", "x-powered-by", "cache-control")


# IgnoreRequest messages of Scrapy middlewares that end a fetch which must be recorded, not skipped
_RECORDED_IGNORES = ("max redirections reached", "during decompression")


def recorded_refusal(failure: Failure) -> bool:
    """An IgnoreRequest that is a failed fetch to record: a refused address or redirect, a redirect loop,
    a body that unpacks beyond DOWNLOAD_MAXSIZE."""
    if failure.check(RefusedRequest):
        return True
    message = str(failure.value)
    return any(text in message for text in _RECORDED_IGNORES)


def refusal_kind(failure: Failure) -> str | None:
    """What the crawl refused or cut, as a stats key: address, redirect, redirect_loop, decompressed_size."""
    if failure.check(RefusedRequest):
        return failure.value.kind
    message = str(failure.value)
    if REFUSED_ADDRESS in message or (refusal_of(failure.request.url) and "lookup" in message.lower()):
        return "address"
    if _RECORDED_IGNORES[0] in message:
        return "redirect_loop"
    if _RECORDED_IGNORES[1] in message:
        return "decompressed_size"
    return None


def selected_headers(response: Response) -> dict[str, str]:
    """The response headers worth keeping, decoded leniently (Content-Disposition may be raw GBK)."""
    kept: dict[str, str] = {}
    for name in KEPT_HEADERS:
        values = response.headers.getlist(name)
        if not values:
            continue
        decoded = []
        for value in values:
            try:
                decoded.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append(value.decode("gb18030", errors="replace"))
        kept[name] = ", ".join(decoded) if name != "set-cookie" else "\n".join(decoded)
    return kept


def is_html(response: Response) -> bool:
    if not isinstance(response, TextResponse):
        head = response.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))
    content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    return "html" in content_type or response.body[:512].lstrip().lower().startswith((b"<!doctype", b"<html"))
