"""Anti-bot answers: detect them, never let them pass for content, record the host, back off.

瑞数 (HTTP 412 with an obfuscated script and `FSSBBIl1UgzbN7N80*` cookies), 加速乐 (HTTP 521 and
`__jsl_clearance`), 云锁 (`yunsuo_session_verify`), and 200 pages that are only a JavaScript cookie
challenge. A detected response gets `meta["nb_antibot"]` (the spider turns it into a failed fetch,
so no Document is made of it); the host is recorded as blocked (`sites.blocked_at`, shown by
`nianbao status`), its download slot slows down exponentially, and after
`NIANBAO_ANTIBOT_MAX_CHALLENGES` challenges the host's remaining requests are dropped.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.middlewares import back_off
from pipelines.corpus import CorpusStorage
from storage.models import Site
from storage.records import ensure_site

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

CHALLENGE_STATUSES = frozenset({412, 521})
_COOKIES = re.compile(r"FSSBBIl1UgzbN7N80|__jsl_clearance|__jsluid|yunsuo_session_verify|acw_sc__v2|_waf_", re.I)
_SCRIPT_MARKERS = re.compile(
    r"\$_ts\s*=|\$_ts\.|r=['\"]m['\"]|__jsl_clearance|document\.cookie\s*=|yunsuo_session_verify|"
    r"acw_sc__v2|window\.location(?:\.href)?\s*=|location\.replace\(", re.I)
_TAGS = re.compile(rb"<[^>]+>")


def challenge_reason(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Why a response is an anti-bot answer rather than content, or None."""
    cookies = headers.get("set-cookie", "")
    head = body[:20000]
    if status in CHALLENGE_STATUSES:
        vendor = "瑞数" if "FSSBBIl1UgzbN7N80" in cookies or b"$_ts" in head else (
            "加速乐" if "__jsl" in cookies or b"__jsl" in head else "unknown")
        return f"HTTP {status} anti-bot challenge ({vendor})"
    if len(body) > 30000:
        return None
    text = head.decode("utf-8", "replace")
    if not _SCRIPT_MARKERS.search(text) and not _COOKIES.search(cookies):
        return None
    visible = _TAGS.sub(b"", re.sub(rb"(?is)<script.*?</script>|<style.*?</style>", b"", head))
    visible_chars = len(visible.decode("utf-8", "replace").split())
    if visible_chars <= 3 and (_SCRIPT_MARKERS.search(text) or _COOKIES.search(cookies)):
        return f"HTTP {status} JavaScript cookie challenge"
    if status in (403, 503) and _COOKIES.search(cookies):
        return f"HTTP {status} anti-bot answer"
    return None


def solve_cookie_challenge(body: bytes) -> dict[str, str] | None:
    """The cookie a simple JavaScript challenge sets (`document.cookie = "k=" + "v" + "; path=/"`) when
    its value is written out in the script, or None (a computed value needs the browser)."""
    from crawler.discovery.scripts import parse_value, resolve, split_top

    text = body[:30000].decode("utf-8", "replace")
    for m in re.finditer(r"document\.cookie\s*=(?!=)", text):
        statement = split_top(text[m.end():], ";")
        if not statement:
            continue
        value = resolve(parse_value(statement[0]), {})
        if not isinstance(value, str) or "=" not in value:
            continue
        name, _, rest = value.partition("=")
        if name.strip() and rest.split(";")[0]:
            return {name.strip(): rest.split(";")[0].strip()}
    return None


def _headers(response: Response) -> dict[str, str]:
    out = {}
    for name in ("set-cookie", "content-type"):
        values = response.headers.getlist(name)
        if values:
            out[name] = "\n".join(v.decode("latin-1") for v in values)
    return out


class AntiBotMiddleware:
    """Downloader middleware: flag challenges, mark the host blocked, slow down, then stop asking."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_challenges = settings.getint("NIANBAO_ANTIBOT_MAX_CHALLENGES", 3)
        self.base = settings.getfloat("NIANBAO_ANTIBOT_BACKOFF", 5.0)
        self.ceiling = settings.getfloat("NIANBAO_BACKOFF_MAX", 120.0)
        self.challenges: Counter[str] = Counter()
        self.storage = CorpusStorage.of(crawler)
        mode = str(settings.get("NIANBAO_DISCOVERY") or "both").lower()
        self.solve = mode != "browser"  # read the cookie from a simple challenge's script
        self.render = settings.getbool("NIANBAO_BROWSER_ACTIVE") and mode != "adapters"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AntiBotMiddleware:
        return cls(crawler)

    def _host(self, request: Request) -> str:
        seed = request.meta.get("seed")
        return seed.host if seed is not None else urlsplit(request.url).netloc.lower()

    def process_request(self, request: Request, spider: Any = None) -> None:
        host = self._host(request)
        if self.max_challenges and self.challenges[host] >= self.max_challenges:
            self.stats.inc_value("nianbao/antibot/dropped")
            raise IgnoreRequest(f"{request.url}: host {host} answers with anti-bot challenges; not asking again")

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        reason = challenge_reason(response.status, _headers(response), response.body)
        if reason is None:
            return response
        if response.status == 200 and reason.endswith("cookie challenge") and not request.meta.get("nb_challenge_retry"):
            cookies = solve_cookie_challenge(response.body) if self.solve else None
            if cookies or self.render:  # may be passed: the spider asks again (with the cookie, or rendered)
                request.meta["nb_antibot"] = reason
                request.meta["nb_passable"] = cookies or {}
                self.stats.inc_value("nianbao/antibot/passable")
                return response
        host = self._host(request)
        self.challenges[host] += 1
        request.meta["nb_antibot"] = reason
        self.stats.inc_value("nianbao/antibot/challenges")
        logger.warning("%s: %s (host %s, challenge %d)", request.url, reason, host, self.challenges[host])
        back_off(self.crawler, request, self.base, self.ceiling, self.challenges[host])
        if self.challenges[host] == 1:
            self._record_block(host, request, f"{reason} at {request.url}")
        return response

    def _record_block(self, host: str, request: Request, reason: str) -> None:
        seed = request.meta.get("seed")

        def mark(session: Any) -> None:
            site: Site = ensure_site(session, host, seed.url if seed is not None else request.url,
                                     getattr(seed, "agency", None), getattr(seed, "region", None))
            site.blocked_at = datetime.now(UTC)
            site.block_reason = reason

        try:
            self.storage.run(mark)
            self.stats.inc_value("nianbao/antibot/hosts_blocked")
        except Exception:  # noqa: BLE001 - bookkeeping must not stop the crawl
            logger.exception("could not record %s as blocked", host)
