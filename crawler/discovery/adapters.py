"""CMS adapters: recognise a platform from a response and make the requests its JavaScript would.

Each adapter is a small class with `detect(response)` and `requests(response)`; `ADAPTERS` lists
them in the order the spider asks them. Requests carry `meta["nb_anchor"]` (a title for the target,
when known) and `meta["nb_list"]` (True for further pages of the same list), and no callback: the
spider adds callback, budget and priority.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

MAX_LIST_PAGES = 500  # never generate more pages than this for one list


def _text(response: Response) -> str:
    return response.text if isinstance(response, TextResponse) else ""


def _list_request(url: str, **kwargs: Any) -> scrapy.Request:
    meta = kwargs.pop("meta", {})
    return scrapy.Request(url, meta={"nb_list": True, **meta}, **kwargs)


class Adapter:
    """One platform: `detect` says whether the response comes from it, `requests` what to fetch."""

    name = "adapter"

    def detect(self, response: Response) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def requests(self, response: Response) -> Iterator[scrapy.Request]:  # pragma: no cover - interface
        raise NotImplementedError


class TrsAdapter(Adapter):
    """TRS WCM lists: `createPageHTML(count, current, "index", "html")` → index_1 … index_{count-1}."""

    name = "trs"
    CALL = re.compile(
        r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
    )

    def detect(self, response: Response) -> bool:
        return "createPageHTML(" in _text(response)

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        m = self.CALL.search(_text(response))
        if not m:
            return
        count, current, name, ext = int(m[1]), int(m[2]), m[3], m[4]
        for index in range(min(count, MAX_LIST_PAGES)):
            if index == current:
                continue
            page = f"{name}.{ext}" if index == 0 else f"{name}_{index}.{ext}"
            yield _list_request(urljoin(response.url, page))


class HanwebAdapter(Adapter):
    """大汉 Hanweb JCMS: records in a `<recordset>` of CDATA blocks, further groups by dataproxy.jsp POST."""

    name = "hanweb"
    RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
    PROXY = re.compile(r"([\w/.-]*/module/(?:web/)?jpage/dataproxy\.jsp)")
    FIELDS = {k: re.compile(rf"[\"']?{k}[\"']?\s*[:=]\s*[\"']?([^\"'&,;\s}}<]+)", re.I)
              for k in ("webid", "columnid", "unitid", "webname", "perpage", "totalRecord", "appid", "path")}

    def detect(self, response: Response) -> bool:
        text = _text(response)
        return "<recordset>" in text or "dataproxy.jsp" in text or "/col/col" in response.url

    def _field(self, text: str, key: str) -> str | None:
        m = self.FIELDS[key].search(text)
        return m[1] if m else None

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        text = _text(response)
        records = self.RECORD.findall(text)
        for record in records:
            for a in Selector(text=record).xpath("//a[@href]"):
                title = a.xpath("@title").get() or " ".join(a.xpath(".//text()").getall()).strip()
                yield scrapy.Request(urljoin(response.url, a.xpath("@href").get()), meta={"nb_anchor": title})
        if "dataproxy.jsp" in response.url:
            return  # a group answered; the column page generated all groups
        proxy = self.PROXY.search(text)
        total = self._field(text, "totalRecord")
        if not proxy or not total:
            return
        perpage = int(self._field(text, "perpage") or 15)
        group = perpage * 3
        shown = len(records)
        columnid = self._field(text, "columnid") or (re.search(r"/col/col(\d+)", response.url) or [None, ""])[1]
        form = {
            "col": "1", "appid": self._field(text, "appid") or "1", "webid": self._field(text, "webid") or "1",
            "path": "/", "columnid": columnid or "", "unitid": self._field(text, "unitid") or "",
            "sourceContentType": "1", "webname": self._field(text, "webname") or "", "permissiontype": "0",
        }
        start = shown + 1
        while start <= int(total) and start // max(group, 1) < MAX_LIST_PAGES:
            end = min(start + group - 1, int(total))
            url = urljoin(response.url, proxy[1]) + f"?startrecord={start}&endrecord={end}&perpage={perpage}"
            yield scrapy.FormRequest(
                url, formdata=form, meta={"nb_list": True},
                headers={"X-Requested-With": "XMLHttpRequest", "Referer": response.url},
            )
            start = end + 1


class SiteServerAdapter(Adapter):
    """SiteServer: `/channels/NN.html` lists paginate as `NN_2.html`; long contents as `MMM_2.html`."""

    name = "siteserver"
    URL = re.compile(r"/(?:channels/\d+|contents/\d+/\d+)(?:_\d+)?\.html?$")
    PAGES = re.compile(r"共\s*(\d+)\s*页")

    def detect(self, response: Response) -> bool:
        text = _text(response)
        return bool(self.URL.search(urlsplit(response.url).path)) or "SiteServer" in text[:3000]

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        path = urlsplit(response.url).path
        m = re.search(r"/(\d+)(?:_(\d+))?(\.html?)$", path)
        if not m or not self.URL.search(path):
            return
        text = _text(response)
        pages = self.PAGES.search(text)
        count = int(pages[1]) if pages else 0
        siblings = [int(n) for n in re.findall(rf"{m[1]}_(\d+){re.escape(m[3])}", text)]
        count = min(max([count, *siblings]) if siblings or count else 0, MAX_LIST_PAGES)
        if count < 2 or m[2]:
            return  # single page, or a later page (the first page generated them all)
        base = response.url[: response.url.rfind("/") + 1]
        for n in range(2, count + 1):
            yield _list_request(urljoin(base, f"{m[1]}_{n}{m[3]}"))


class JsonPlatformAdapter(Adapter):
    """政府信息公开平台 pages that are empty shells filled from a JSON API (gkmlpt and the like)."""

    name = "json-platform"
    API = re.compile(r"[\"'](?P<u>[^\"'\s<>]*/api/[^\"'\s<>]*)[\"']")
    DATA_API = re.compile(r"data-(?:api|url|source)\s*=\s*[\"'](?P<u>[^\"']+)[\"']")
    GKMLPT = re.compile(r"gkmlpt/index#(\d+)")

    def detect(self, response: Response) -> bool:
        text = _text(response)
        return ("/api/" in text or "data-api" in text or "gkmlpt" in text) and "<html" in text[:2000].lower()

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        text = _text(response)
        seen: set[str] = set()
        for m in [*self.DATA_API.finditer(text), *self.API.finditer(text)]:
            url = m["u"].replace("{page}", "1").replace("${page}", "1")
            if url.endswith((".js", ".css")) or url in seen:
                continue
            seen.add(url)
            full = urljoin(response.url, url)
            if "page=" not in full:
                full += ("&" if "?" in full else "?") + "page=1"
            yield _list_request(full)
        for column in self.GKMLPT.findall(text):
            base = response.url.split("/gkmlpt/")[0] if "/gkmlpt/" in response.url else response.url.rstrip("/")
            yield _list_request(f"{base}/gkmlpt/api/all/{column}?page=1")


class JsonListAdapter(Adapter):
    """A JSON list answer: article links (url + title) and, on page 1, every further page."""

    name = "json-list"
    URL_KEYS = ("url", "link", "href", "fileUrl", "file_url", "detailUrl")
    TITLE_KEYS = ("title", "name", "articleTitle", "docTitle")
    COUNT_KEYS = ("total_pages", "totalPage", "totalPages", "pageCount", "page_count", "pages")

    def detect(self, response: Response) -> bool:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        head = response.body[:1].strip()
        return "json" in ctype or head in (b"{", b"[")

    def _walk(self, value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, dict):
            if any(isinstance(value.get(k), str) for k in self.URL_KEYS):
                yield value
            for v in value.values():
                yield from self._walk(v)
        elif isinstance(value, list):
            for v in value:
                yield from self._walk(v)

    def _page_count(self, value: Any) -> int:
        if isinstance(value, dict):
            for k in self.COUNT_KEYS:
                if isinstance(value.get(k), int):
                    return value[k]
            total, size = value.get("total"), value.get("page_size") or value.get("pageSize") or value.get("size")
            if isinstance(total, int) and isinstance(size, int) and size > 0:
                return -(-total // size)
            for v in value.values():
                if isinstance(v, dict):
                    n = self._page_count(v)
                    if n:
                        return n
        return 0

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            data = json.loads(response.body.decode(getattr(response, "encoding", None) or "utf-8", "replace"))
        except ValueError:
            return
        for entry in self._walk(data):
            url = next(entry[k] for k in self.URL_KEYS if isinstance(entry.get(k), str))
            title = next((entry[k] for k in self.TITLE_KEYS if isinstance(entry.get(k), str)), None)
            yield scrapy.Request(urljoin(response.url, url), meta={"nb_anchor": title})
        parts = urlsplit(response.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        key = next((k for k in ("page", "pageNo", "pageNum", "pageIndex", "p") if k in query), None)
        if key is None or query[key] not in ("1", "0"):
            return
        first = int(query[key])
        for n in range(first + 1, min(self._page_count(data), MAX_LIST_PAGES) + (1 if first == 1 else 0)):
            query[key] = str(n)
            yield _list_request(urlunsplit(parts._replace(query=urlencode(query))))


class GenericPagerAdapter(Adapter):
    """`?page=N` / `index_N.html` lists that say `共N页`: every page of the list, not only the next one."""

    name = "pager"
    PAGES = re.compile(r"共\s*(\d+)\s*页")
    PARAM = re.compile(r"[?&](page|pageNo|pageNum|pageIndex|curPage|currentPage|p)=(\d+)", re.I)

    def detect(self, response: Response) -> bool:
        return bool(self.PAGES.search(_text(response)))

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        text = _text(response)
        count = min(int(self.PAGES.search(text)[1]), MAX_LIST_PAGES)
        if count < 2:
            return
        hrefs = re.findall(r"href\s*=\s*[\"']([^\"']+)[\"']", text)
        for href in hrefs:
            m = self.PARAM.search(href)
            if not m:
                continue
            url = urljoin(response.url, href.replace("&amp;", "&"))
            parts = urlsplit(url)
            query = parse_qsl(parts.query, keep_blank_values=True)
            for n in range(1, count + 1):
                q = [(k, str(n) if k == m[1] else v) for k, v in query]
                yield _list_request(urlunsplit(parts._replace(query=urlencode(q))))
            return


ADAPTERS: tuple[Adapter, ...] = (
    TrsAdapter(), HanwebAdapter(), SiteServerAdapter(), JsonPlatformAdapter(), JsonListAdapter(),
    GenericPagerAdapter(),
)


def adapter_requests(response: Response) -> Iterator[tuple[str, scrapy.Request]]:
    """(adapter name, request) for every adapter that recognises the response."""
    for adapter in ADAPTERS:
        try:
            if adapter.detect(response):
                for request in adapter.requests(response):
                    yield adapter.name, request
        except (ValueError, TypeError, KeyError, IndexError):
            continue
