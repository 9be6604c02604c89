"""URL canonicalisation, viewer unwrapping and crawler-trap detection (pure functions)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only track the visitor; everything else is significant (sites.md §4).
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "spm", "fbclid", "gclid", "from_source", "share_token", "sessionid", "sid_track",
)
_SESSION_IN_PATH = re.compile(r";(?:jsessionid|phpsessid|sid|aspsessionid\w*)=[^/?#]*", re.I)
_SESSION_PARAMS = ("jsessionid", "phpsessid", "aspsessionid")
_VIEWER = re.compile(r"/(?:pdfjs/)?(?:web/)?viewer\.html?$", re.I)

# Paths and queries that generate endless pages.
_CALENDAR = re.compile(r"(calendar|rili|richeng|date=\d{4}-?\d{1,2}|[?&](year|month|day)=\d+.*[?&](month|day)=)", re.I)
_ENDLESS_PARAMS = re.compile(r"[?&](sort|order|orderby|view|print|rand|random|timestamp|ts|_)=", re.I)
MAX_URL_LENGTH = 400
MAX_QUERY_PARAMS = 6
MEMO_SIZE = 1 << 16  # URLs remembered: a site's menus link the same URLs from every page


def unwrap_viewer(url: str) -> str:
    """`…/pdfjs/web/viewer.html?file=<encoded path>#page=1` → the document URL itself."""
    parts = urlsplit(url)
    if not _VIEWER.search(parts.path):
        return url
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() == "file" and value:
            target = unquote(value) if "%" in value else value
            return urljoin(url, target).split("#", 1)[0]
    return url


@lru_cache(maxsize=MEMO_SIZE)
def canonical_url(url: str) -> str:
    """The URL to request and to key on: no fragment, no session id, no tracking parameter.

    Query parameters are kept (and sorted); `type=3` and `page=2` are significant on government sites.
    """
    url = unwrap_viewer(url.strip())
    url = _SESSION_IN_PATH.sub("", url)
    parts = urlsplit(url)
    if parts.query:
        drop = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)
                if k.lower() in TRACKING_PARAMS or k.lower() in _SESSION_PARAMS or k.lower().startswith("utm_")]
        if drop:
            url = url_query_cleaner(url, drop, remove=True, unique=False, keep_fragments=False)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


@lru_cache(maxsize=MEMO_SIZE)
def trap_reason(url: str) -> str | None:
    """Why a URL looks like a crawler trap (calendar, endless query, repeated path), or None."""
    if len(url) > MAX_URL_LENGTH:
        return "long url"
    parts = urlsplit(url)
    if _CALENDAR.search(parts.path + ("?" + parts.query if parts.query else "")):
        return "calendar"
    if parts.query:
        if len(parse_qsl(parts.query, keep_blank_values=True)) > MAX_QUERY_PARAMS:
            return "too many query parameters"
        if _ENDLESS_PARAMS.search("?" + parts.query):
            return "endless query"
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 12:
        return "deep path"
    for seg in set(segments):
        if segments.count(seg) >= 3:
            return "repeated path segment"
    return None


@lru_cache(maxsize=MEMO_SIZE)
def path_template(url: str) -> str:
    """The URL with digits folded (`/tag/123.html` → `/tag/#.html`), query names kept, values dropped.

    The spider caps how many URLs it fetches per template outside report columns (link farms).
    """
    parts = urlsplit(url)
    path = re.sub(r"\d+", "#", parts.path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return parts.netloc + path + ("?" + "&".join(keys) if keys else "")
