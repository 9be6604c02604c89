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
    """大汉 Hanweb JCMS: records in a `<recordset>` of CDATA blocks, further groups by dataproxy.jsp POST.

    The column page declares its list in a `jpage({...})` call: `proxyUrl`, `perPage`, `groupSize`,
    the POST parameters (an `ajaxParam` object, or `webid`/`columnid`/`unitid` … of their own) and,
    on some releases, `totalRecord`. With a total, every group after the records shown is asked for;
    without one, the first group (`startrecord=1`) is asked for and its answer's total pages on.
    """

    name = "hanweb"
    RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
    PROXY = re.compile(r"([\w/.-]*/module/(?:web/)?jpage/dataproxy\.jsp)")
    TOTAL = re.compile(r"<total(?:record|Record|count)?>\s*(\d+)\s*</total|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
    FIELDS = {k: re.compile(rf"[\"']?{k}[\"']?\s*[:=]\s*[\"']?([^\"'&,;\s}}<]+)", re.I)
              for k in ("webid", "columnid", "unitid", "webname", "perpage", "totalRecord", "appid", "path")}
    FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
                 "permissiontype")

    def detect(self, response: Response) -> bool:
        text = _text(response)
        return "<recordset>" in text or "dataproxy.jsp" in text or "/col/col" in response.url or ".jpage(" in text

    def _field(self, text: str, key: str) -> str | None:
        m = self.FIELDS[key].search(text)
        return m[1] if m else None

    def config(self, text: str, url: str) -> dict[str, Any] | None:
        """The list the page declares: proxy URL, POST form, page size, group size, total (or None)."""
        from crawler.discovery.scripts import page_variables, parse_object, resolve

        options: dict[str, Any] = {}
        m = re.search(r"\.jpage\s*\(\s*\{", text)
        if m:
            from crawler.discovery.scripts import balanced

            brace = m.end() - 1
            options = parse_object(text[brace:balanced(text, brace)])
            options = resolve(options, page_variables(text))
        proxy = options.get("proxyUrl") or options.get("proxyurl") or options.get("url")
        if not isinstance(proxy, str):
            found = self.PROXY.search(text)
            proxy = found[1] if found else None
        if not proxy:
            return None
        proxy_url = urljoin(url, proxy)
        declared = dict(parse_qsl(urlsplit(proxy_url).query, keep_blank_values=True))
        proxy_url = urlunsplit(urlsplit(proxy_url)._replace(query=""))
        ajax = options.get("ajaxParam") or options.get("ajaxparam") or options.get("param")
        columnid = (self._field(text, "columnid") or declared.get("columnid")
                    or (re.search(r"/col/col(\d+)", url) or [None, ""])[1])
        form = {"col": "1", "appid": self._field(text, "appid") or "1", "webid": self._field(text, "webid") or "1",
                "path": "/", "columnid": columnid or "", "unitid": self._field(text, "unitid") or "",
                "sourceContentType": "1", "webname": self._field(text, "webname") or "", "permissiontype": "0"}
        for key in self.FORM_KEYS:
            if isinstance(options.get(key), (str, int)):
                form[key] = str(options[key])
        form.update({k: v for k, v in declared.items() if k not in ("startrecord", "endrecord", "perpage", "page")})
        if isinstance(ajax, dict):
            form = {k: str(v) for k, v in ajax.items() if v is not None}  # the page's own parameters, exactly
        perpage = options.get("perPage") or options.get("perpage") or self._field(text, "perpage") or 15
        group = options.get("groupSize") or options.get("groupsize") or 3
        total = options.get("totalRecord") or options.get("totalrecord")
        if total is None:
            t = self.TOTAL.search(text)
            total = (t[1] or t[2]) if t else None
        try:
            perpage, group = max(int(perpage), 1), max(int(group), 1)
            total = int(total) if total is not None else None
        except (TypeError, ValueError):
            return None
        return {"proxy": proxy_url, "form": form, "perpage": perpage, "group": group, "total": total}

    def _group(self, config: dict[str, Any], start: int, end: int, referer: str, probe: bool) -> scrapy.Request:
        url = config["proxy"] + f"?startrecord={start}&endrecord={end}&perpage={config['perpage']}"
        return scrapy.FormRequest(
            url, formdata=config["form"], meta={"nb_list": True, "nb_hanweb": {**config, "probe": probe, "end": end}},
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": referer},
        )

    def _groups(self, config: dict[str, Any], start: int, total: int, referer: str) -> Iterator[scrapy.Request]:
        size = config["perpage"] * config["group"]
        count = 0
        while start <= total and count < MAX_LIST_PAGES:
            end = min(start + size - 1, total)
            yield self._group(config, start, end, referer, probe=False)
            start, count = end + 1, count + 1

    def requests(self, response: Response, declared: bool = True) -> Iterator[scrapy.Request]:
        text = _text(response)
        records = self.RECORD.findall(text)
        for record in records:
            for a in Selector(text=record).xpath("//a[@href]"):
                title = a.xpath("@title").get() or " ".join(a.xpath(".//text()").getall()).strip()
                yield scrapy.Request(urljoin(response.url, a.xpath("@href").get()), meta={"nb_anchor": title})
        if "dataproxy.jsp" in response.url:
            state = response.meta.get("nb_hanweb") if response.request is not None else None
            t = self.TOTAL.search(text)
            if state and state.get("probe") and t:  # the first group answered: its total pages on
                referer = response.request.headers.get("Referer", b"").decode("latin-1") or response.url
                yield from self._groups(state, int(state["end"]) + 1, int(t[1] or t[2]), referer)
            return  # a later group answered; the column page (or the probe) generated all groups
        config = self.config(text, response.url)
        if config is None:
            return
        size = config["perpage"] * config["group"]
        if config["total"] is None:  # no total on the page: ask for the first group, page by its answer
            if not declared:
                return
            yield self._group(config, 1, size, response.url, probe=True)
            return
        yield from self._groups(config, len(records) + 1, config["total"], response.url)


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


def api_request(spec: dict[str, Any], page: int, referer: str | None = None) -> scrapy.Request:
    """The request a page's script makes for page `page` of its list (see `scripts.ApiCall`)."""
    params = {k: v for k, v in (spec.get("params") or {}).items() if v is not None}
    if spec.get("page_key"):
        params[spec["page_key"]] = page
    meta = {"nb_list": True, "nb_api": {**spec, "page": page}}
    headers = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json, text/javascript, */*; q=0.01"}
    if referer:
        headers["Referer"] = referer
    url = spec["url"]
    if spec.get("method") == "POST":
        if spec.get("json"):
            return scrapy.Request(url, method="POST", body=json.dumps(params, ensure_ascii=False),
                                  headers={**headers, "Content-Type": "application/json;charset=UTF-8"}, meta=meta)
        return scrapy.FormRequest(url, formdata={k: str(v) for k, v in params.items()}, headers=headers, meta=meta)
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *((k, str(v)) for k, v in params.items())]
    return scrapy.Request(urlunsplit(parts._replace(query=urlencode(query))), headers=headers, meta=meta)


def script_api_requests(text: str, base_url: str, names: dict[str, Any] | None = None) -> Iterator[scrapy.Request]:
    """Page 1 of every list the scripts in `text` ask for (URLs resolve against the page, `base_url`)."""
    from crawler.discovery.scripts import api_calls

    seen: set[str] = set()
    for call in api_calls(text, names):
        call.url = urljoin(base_url, call.url)
        key = f"{call.method} {call.url} {sorted(call.params)}"
        if key in seen:
            continue
        seen.add(key)
        yield api_request(call.as_meta(), call.first_page, base_url)


class JsonPlatformAdapter(Adapter):
    """政府信息公开平台 pages that are empty shells filled from a JSON API (gkmlpt and the like).

    The endpoint, method and parameters come from the page's own scripts (`$.ajax`, `fetch`, `axios`:
    `crawler.discovery.scripts`), with the variables they name resolved from the page; `data-api`
    attributes and `/api/` strings are read as before for the pages that only name the URL.
    """

    name = "json-platform"
    API = re.compile(r"[\"'](?P<u>[^\"'\s<>]*/api/[^\"'\s<>]*)[\"']")
    DATA_API = re.compile(r"data-(?:api|url|source)\s*=\s*[\"'](?P<u>[^\"']+)[\"']")
    GKMLPT = re.compile(r"gkmlpt/index#(\d+)")
    CALL = re.compile(r"(?:\$|jQuery)\s*\.\s*(?:ajax|get|post|getJSON)\s*\(|\bfetch\s*\(|\baxios\b")

    def detect(self, response: Response) -> bool:
        text = _text(response)
        return "<html" in text[:2000].lower() and (
            "/api/" in text or "data-api" in text or "gkmlpt" in text or bool(self.CALL.search(text)))

    def requests(self, response: Response, declared: bool = True) -> Iterator[scrapy.Request]:
        from crawler.discovery.scripts import inline_scripts, page_variables

        text = _text(response)
        seen: set[str] = set()
        if declared:
            scripts = inline_scripts(text)
            names = page_variables(text, scripts)
            for request in script_api_requests("\n".join(scripts), response.url, names):
                seen.add(urlunsplit(urlsplit(request.url)._replace(query="")))
                yield request
        for m in [*self.DATA_API.finditer(text), *self.API.finditer(text)]:
            url = m["u"].replace("{page}", "1").replace("${page}", "1")
            full = urljoin(response.url, url)
            bare = urlunsplit(urlsplit(full)._replace(query=""))
            if url.endswith((".js", ".css")) or url in seen or bare in seen:
                continue  # a script call already asks for it, with its parameters
            seen.add(url)
            if "page=" not in full:
                full += ("&" if "?" in full else "?") + "page=1"
            yield _list_request(full)
        for column in self.GKMLPT.findall(text):
            base = response.url.split("/gkmlpt/")[0] if "/gkmlpt/" in response.url else response.url.rstrip("/")
            yield _list_request(f"{base}/gkmlpt/api/all/{column}?page=1")


class ScriptFileAdapter(Adapter):
    """A page's own script file (fetched because its list page showed nothing): the list requests it
    makes, resolved against the page that loads it (`meta["nb_script_of"]`: its URL and variables)."""

    name = "script-file"

    def detect(self, response: Response) -> bool:
        return bool(response.request is not None and response.meta.get("nb_script_of"))

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        owner = response.meta["nb_script_of"]
        text = response.body.decode(getattr(response, "encoding", None) or "utf-8", "replace")
        from crawler.discovery.scripts import page_variables

        names = {**page_variables("<script>" + text + "</script>"), **(owner.get("names") or {})}
        yield from script_api_requests(text, owner["url"], names)


class JsonListAdapter(Adapter):
    """A JSON list answer: article links (url + title, or an id and the script's detail URL pattern)
    and, on page 1, every further page (by the total it reports, or one page at a time until empty)."""

    name = "json-list"
    URL_KEYS = ("url", "link", "href", "fileUrl", "file_url", "detailUrl", "linkUrl", "pageUrl", "articleUrl",
                "docUrl", "infoUrl", "redirectUrl")
    TITLE_KEYS = ("title", "name", "articleTitle", "docTitle", "infoTitle", "subject", "fileName")
    COUNT_KEYS = ("total_pages", "totalPage", "totalPages", "pageCount", "page_count", "pages", "pageTotal",
                  "totalPageNum", "pageNum_total")
    TOTAL_KEYS = ("total", "totalCount", "totalRecord", "totalRecords", "totalElements", "recordCount",
                  "totalNum", "totalSize", "count", "totalRow", "records_total")
    SIZE_KEYS = ("page_size", "pageSize", "size", "perPage", "limit", "pagesize")

    def detect(self, response: Response) -> bool:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        head = response.body[:1].strip()
        return "json" in ctype or head in (b"{", b"[")

    def _walk(self, value: Any, keys: tuple[str, ...], nested: bool = True) -> Iterator[dict[str, Any]]:
        if isinstance(value, dict):
            if any(isinstance(value.get(k), (str, int)) and value.get(k) not in ("", None) for k in keys):
                yield value
                if not nested:
                    return
            for v in value.values():
                yield from self._walk(v, keys, nested)
        elif isinstance(value, list):
            for v in value:
                yield from self._walk(v, keys, nested)

    def _page_count(self, value: Any, size_hint: int = 0) -> int:
        if isinstance(value, dict):
            for k in self.COUNT_KEYS:
                if isinstance(value.get(k), int) and not isinstance(value.get(k), bool):
                    return value[k]
            total = next((value[k] for k in self.TOTAL_KEYS if isinstance(value.get(k), int)), None)
            size = next((value[k] for k in self.SIZE_KEYS if isinstance(value.get(k), int) and value[k] > 0),
                        size_hint)
            if isinstance(total, int) and size > 0:
                return -(-total // size)
            for v in value.values():
                if isinstance(v, dict):
                    n = self._page_count(v, size_hint)
                    if n:
                        return n
        return 0

    def _rows(self, data: Any, response: Response, spec: dict[str, Any] | None) -> Iterator[scrapy.Request]:
        linked = set()
        for entry in self._walk(data, self.URL_KEYS):
            url = next(str(entry[k]) for k in self.URL_KEYS if isinstance(entry.get(k), (str, int)) and entry.get(k) != "")
            title = next((entry[k] for k in self.TITLE_KEYS if isinstance(entry.get(k), str)), None)
            linked.add(id(entry))
            base = spec.get("referer") if spec and spec.get("referer") else response.url
            yield scrapy.Request(urljoin(base, url), meta={"nb_anchor": title})
        detail = spec.get("detail") if spec else None
        if detail:
            prefix, key, suffix = detail
            for entry in self._walk(data, (key,), nested=False):
                if id(entry) in linked or not any(isinstance(entry.get(k), str) for k in self.TITLE_KEYS):
                    continue  # a row has a title; a nested {"id": …} of a category is not a row
                title = next((entry[k] for k in self.TITLE_KEYS if isinstance(entry.get(k), str)), None)
                yield scrapy.Request(urljoin(spec.get("referer") or response.url, f"{prefix}{entry[key]}{suffix}"),
                                     meta={"nb_anchor": title})

    def requests(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            data = json.loads(response.body.decode(getattr(response, "encoding", None) or "utf-8", "replace"))
        except ValueError:
            return
        spec = response.meta.get("nb_api") if response.request is not None else None
        if spec is not None:
            referer = response.request.headers.get("Referer", b"").decode("latin-1") or None
            spec = {**spec, "referer": referer}
        rows = list(self._rows(data, response, spec))
        yield from rows
        if spec is not None and spec.get("page_key"):
            yield from self._api_pages(data, spec, len(rows))
            return
        parts = urlsplit(response.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        key = next((k for k in ("page", "pageNo", "pageNum", "pageIndex", "p") if k in query), None)
        if key is None or query[key] not in ("1", "0"):
            return
        first = int(query[key])
        for n in range(first + 1, min(self._page_count(data), MAX_LIST_PAGES) + (1 if first == 1 else 0)):
            query[key] = str(n)
            yield _list_request(urlunsplit(parts._replace(query=urlencode(query))))

    def _api_pages(self, data: Any, spec: dict[str, Any], rows: int) -> Iterator[scrapy.Request]:
        """Further pages of a script-declared list: all of them from page 1 when a total is reported,
        else the next one while pages come back with rows."""
        page, first = int(spec.get("page", 1)), int(spec.get("first", 1))
        size = spec.get("params", {}).get(spec.get("size_key")) if spec.get("size_key") else None
        count = self._page_count(data, int(size) if isinstance(size, int) or str(size).isdigit() else 0)
        referer = spec.get("referer")
        clean = {k: v for k, v in spec.items() if k not in ("page", "referer")}
        if count:
            if page == first:
                last = count if first == 1 else count - 1
                for n in range(first + 1, min(last, MAX_LIST_PAGES) + 1):
                    yield api_request(clean, n, referer)
            return
        if rows and page - first + 1 < MAX_LIST_PAGES:
            yield api_request(clean, page + 1, referer)


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
    TrsAdapter(), HanwebAdapter(), SiteServerAdapter(), JsonPlatformAdapter(), ScriptFileAdapter(),
    JsonListAdapter(), GenericPagerAdapter(),
)


DECLARATION_READERS = ("hanweb", "json-platform")


def adapter_requests(response: Response, *, declared: bool = True) -> Iterator[tuple[str, scrapy.Request]]:
    """(adapter name, request) for every adapter that recognises the response.

    `declared=False` leaves out what reading the page's scripts adds (the Hanweb first-group probe,
    script calls, script files): the crawl's "browser only" mode, for comparison."""
    for adapter in ADAPTERS:
        if not declared and adapter.name == "script-file":
            continue
        try:
            if adapter.detect(response):
                found = (adapter.requests(response, declared=False)  # type: ignore[call-arg]
                         if not declared and adapter.name in DECLARATION_READERS else adapter.requests(response))
                for request in found:
                    yield adapter.name, request
        except (ValueError, TypeError, KeyError, IndexError):
            continue
