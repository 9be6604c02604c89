"""Demo sub-sites whose lists appear only when their scripts run (a browser's view of the site).

* `jpage`: a 大汉-style column page carrying only a `jpage({...})` call (proxyUrl, ajaxParam,
  perPage, groupSize) and no record set and no total: a small loader (jQuery from Debian's
  libjs-jquery) POSTs to `dataproxy.jsp`, whose first answer reports the total; 下一页 loads the next group.
* `fetchjson`: a column page whose script `fetch()`es its list with a POST JSON body
  (`{channelCode, pageNo, pageSize}`), the channel named in a config object elsewhere in the page; the
  rows carry only an id, the detail URL is built by the script; no total: pages until one is empty.
* `spa`: a single-page app: an empty `<div id="app">` and a bundle (an external script) that reads
  `api/list?page=N&size=K` relative to the page and renders links to `articles/ID.html`.
* `challenge`: a sub-site behind a JavaScript cookie challenge: without its cookie every path under the
  prefix answers 200 with a script that sets the cookie and reloads; with it, a plain paged list.

The scripts are written for the demo site; jQuery is served from the Debian package's file
(`JQUERY_FILES`), never committed. API answers: `api_answer`; the cookie gate: `gate_answer`.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo_site.templates import chrome, renderer

if TYPE_CHECKING:
    from demo_site.platforms import _Builder
    from demo_site.site import Page, Site

JQUERY_FILES = ("/usr/share/javascript/jquery/jquery.min.js", "/usr/share/javascript/jquery/jquery.js")
JQUERY_PATH = "/module/jslib/jquery/jquery.min.js"


def jquery_bytes() -> bytes | None:
    """Debian's jQuery (package libjs-jquery), or None when it is not installed."""
    for name in JQUERY_FILES:
        path = Path(name)
        if path.is_file():
            return path.read_bytes()
    return None


# ---------------------------------------------------------------- builders (demo_site.platforms.expand)


def _documents(b: _Builder, report_path: Any, distractor_path: Any) -> tuple[list[str], list[str]]:
    """The sub-site's reports (one a year, HTML) and its distractor articles, at the paths the two
    functions of (index, year) make; their paths in order."""
    from demo_site.platforms import _distractors, _report

    reports = []
    for i, year in enumerate(b.years()):
        path = report_path(i, year)
        _report(b, year, path)
        reports.append(path)
    return reports, _distractors(b, distractor_path)


def build_jpage(b: _Builder) -> None:
    p, col = b.prefix, int(b.e.get("column", 3301))
    records, distractors = _documents(
        b, lambda i, y: f"{p}/art/{y + 1}/3/{2 + i}/art_{col}_{b.next_id()}.html",
        lambda i, y: f"{p}/art/{y + 1}/4/{2 + i}/art_{col + 1}_{b.next_id()}.html")
    common = {"perpage": int(b.e.get("perpage", 4)), "group": int(b.e.get("group", 2)),
              "webid": b.e.get("webid", 41), "unitid": b.e.get("unitid", 90211)}
    b.page(path=f"{p}/col/col{col}/index.html", kind="list", template="hanweb_jpage", title="政府信息公开年报",
           items=records, column=col, **common)
    b.page(path=f"{p}/col/col{col + 1}/index.html", kind="list", template="hanweb_jpage", title="法定主动公开内容",
           items=distractors, column=col + 1, **common)
    b.page(path=f"{p}/module/jslib/jpage/jpage.lite.js", kind="script", template="script", title="jpage.lite.js",
           source="jpage")
    b.channel([["政府信息公开年报", f"{p}/col/col{col}/index.html"],
               ["法定主动公开内容", f"{p}/col/col{col + 1}/index.html"]])


def build_fetchjson(b: _Builder) -> None:
    p = b.prefix
    reports, distractors = _documents(
        b, lambda i, y: f"{p}/xxgk/detail.html?id={b.next_id()}",
        lambda i, y: f"{p}/xxgk/detail.html?id={b.next_id()}")
    api = f"{p}/gkapi/articles"
    size = int(b.e.get("page_size", 4))
    b.endpoints.append({"path": api, "kind": "post_json", "lists": {"ndbg": reports, "fdzdgk": distractors}})
    for code, title, items in (("ndbg", "政府信息公开年报", reports), ("fdzdgk", "法定主动公开内容", distractors)):
        b.page(path=f"{p}/xxgk/{code}.html", kind="list", template="fetch_column", title=title, items=items,
               channel=code, api=api, page_size=size)
    b.channel([["政府信息公开年报", f"{p}/xxgk/ndbg.html"], ["法定主动公开内容", f"{p}/xxgk/fdzdgk.html"]])


def build_spa(b: _Builder) -> None:
    p = b.prefix
    reports, distractors = _documents(
        b, lambda i, y: f"{p}/app/articles/{b.next_id()}.html",
        lambda i, y: f"{p}/app/articles/{b.next_id()}.html")
    items = reports[:3] + distractors[:3] + reports[3:] + distractors[3:]
    b.endpoints.append({"path": f"{p}/app/api/list", "kind": "get_list", "lists": {"": items}})
    b.page(path=f"{p}/app/index.html", kind="list", template="spa_shell", title="政府信息公开年报", items=items)
    b.page(path=f"{p}/app/static/app.js", kind="script", template="script", title="app.js", source="spa",
           page_size=int(b.e.get("page_size", 5)))
    b.channel([["政府信息公开年报", f"{p}/app/index.html"]])


def build_challenge(b: _Builder) -> None:
    p = b.prefix
    reports, distractors = _documents(
        b, lambda i, y: f"{p}/nb/{y + 1}/t{y + 1}0215_{b.next_id()}.html",
        lambda i, y: f"{p}/gk/{y + 1}/t{y + 1}0301_{b.next_id()}.html")
    items = reports[:2] + distractors[:1] + reports[2:] + distractors[1:]
    size = int(b.e.get("page_size", 5))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    for n, chunk in enumerate(chunks):
        b.page(path=f"{p}/nb/list.jsp?page={n + 1}", kind="list", template="generic_list", title="政府信息公开年报",
               items=chunk, page_count=len(chunks), page_index=n, base=f"{p}/nb/list.jsp")
    b.channel([["政府信息公开年报", f"{p}/nb/list.jsp?page=1"]])
    b.gates.append({"prefix": p + "/", "cookie": str(b.e.get("cookie", "gk_clearance")),
                    "value": str(b.e.get("token", "5f3a91c2"))})


BUILDERS = {"jpage": build_jpage, "fetchjson": build_fetchjson, "spa": build_spa, "challenge": build_challenge}


# ---------------------------------------------------------------- pages


@renderer("hanweb_jpage")
def hanweb_jpage(site: Site, page: Page) -> str:
    """A Hanweb column with only its jpage configuration: the list comes from dataproxy.jsp when it runs."""
    prefix = page.path.split("/col/")[0]
    col, x = page.extra["column"], page.extra
    main = f"""<div class="column"><h2 class="column-title">{escape(page.title)}</h2>
<div id="div{col}" class="jpage-list"><p class="loading">加载中…</p></div>
</div>
<script type="text/javascript" src="{JQUERY_PATH}"></script>
<script type="text/javascript" src="{prefix}/module/jslib/jpage/jpage.lite.js"></script>
<script type="text/javascript">
$(function () {{
  $('#div{col}').jpage({{
    proxyUrl: '{prefix}/module/web/jpage/dataproxy.jsp',
    perPage: {x["perpage"]},
    groupSize: {x["group"]},
    ajaxParam: {{ col: 1, appid: 1, webid: {x["webid"]}, path: '/', columnid: {col}, sourceContentType: 1,
      unitid: {x["unitid"]}, webname: '{escape(page.extra.get("site_name", ""))}', permissiontype: 0 }},
    barPosition: 'bottom'
  }});
}});
</script>"""
    head = f'<meta name="ColumnName" content="{escape(page.title)}">\n'
    return chrome(site, page, main, head)


@renderer("fetch_column")
def fetch_column(site: Site, page: Page) -> str:
    """A column filled by `fetch()` with a POST JSON body; the channel is named in a config object."""
    x = page.extra
    main = f"""<div class="column"><h2 class="column-title">{escape(page.title)}</h2>
<ul class="list" id="rows"></ul>
<div class="pager"><button type="button" id="more" style="display:none">下一页</button></div>
</div>
<script>
var pageNo = 1;
async function loadPage(n) {{
  const res = await fetch(GKCFG.api, {{
    method: 'POST',
    headers: {{ 'Content-Type': 'application/json' }},
    body: JSON.stringify({{ channelCode: GKCFG.channel, pageNo: pageNo, pageSize: {x["page_size"]} }})
  }});
  const json = await res.json();
  const rows = document.getElementById('rows');
  rows.innerHTML = '';
  json.data.records.forEach(function (r) {{
    rows.innerHTML += '<li><a href="' + '{page.path.rsplit("/", 1)[0]}/detail.html?id=' + r.id + '" target="_blank">'
      + r.title + '</a><span class="date">' + r.publishDate + '</span></li>';
  }});
  document.getElementById('more').style.display = json.data.records.length < {x["page_size"]} ? 'none' : 'inline';
}}
document.getElementById('more').addEventListener('click', function () {{ pageNo += 1; loadPage(pageNo); }});
document.addEventListener('DOMContentLoaded', function () {{ loadPage(pageNo); }});
</script>
<script>window.GKCFG = {{ channel: '{x["channel"]}', api: '{x["api"]}' }};</script>"""
    return chrome(site, page, main, f'<meta name="ColumnName" content="{escape(page.title)}">\n')


@renderer("spa_shell")
def spa_shell(site: Site, page: Page) -> str:
    """The shell of a single-page app: an empty mount point and its bundle."""
    prefix = page.path.rsplit("/", 1)[0]
    main = f"""<div id="app"><noscript>请开启JavaScript</noscript></div>
<script type="module" src="{prefix}/static/app.js"></script>"""
    return chrome(site, page, main, f'<meta name="ColumnName" content="{escape(page.title)}">\n')


_JPAGE_JS = r"""/* jpage.lite: the demo site's own small jpage loader (POSTs to dataproxy.jsp, renders records). */
(function ($) {
  $.fn.jpage = function (o) {
    var el = this, size = o.perPage * (o.groupSize || 3), total = null;
    function load(start) {
      var end = start + size - 1;
      $.ajax({ url: o.proxyUrl + '?startrecord=' + start + '&endrecord=' + end + '&perpage=' + o.perPage,
        type: 'POST', data: o.ajaxParam, dataType: 'text',
        success: function (xml) {
          var m = /<totalrecord>(\d+)<\/totalrecord>/.exec(xml), re = /<record><!\[CDATA\[([\s\S]*?)\]\]><\/record>/g,
            out = [], r;
          if (m) { total = parseInt(m[1], 10); }
          while ((r = re.exec(xml)) !== null) { out.push(r[1]); }
          var bar = '<div class="jpage-bar">共' + total + '条';
          if (end < total) { bar += ' <a href="javascript:;" class="next">下一页</a>'; }
          el.html('<ul class="list">' + out.join('') + '</ul>' + bar + '</div>');
          el.find('a.next').on('click', function () { load(end + 1); });
        } });
    }
    load(1);
    return this;
  };
})(jQuery);
"""

_SPA_JS = r"""// The demo site's single-page app: list from the API, rendered into #app, paged by 下一页.
const API = 'api/list';
const SIZE = __SIZE__;
let current = 1;
async function show(page) {
  const res = await fetch(`${API}?page=${page}&size=${SIZE}`, { headers: { Accept: 'application/json' } });
  const data = await res.json();
  const app = document.getElementById('app');
  const items = data.items.map(item => `<li><a href="articles/${item.id}.html">${item.name}</a> <span>${item.date}</span></li>`);
  const more = page * SIZE < data.total ? '<button type="button" id="next">下一页</button>' : '';
  app.innerHTML = `<h2 class="column-title">政府信息公开年报</h2><ul class="list">${items.join('')}</ul>${more}`;
  const next = document.getElementById('next');
  if (next) { next.addEventListener('click', () => { current += 1; show(current); }); }
}
show(current);
"""


@renderer("script")
def script(site: Site, page: Page) -> tuple[bytes, str]:
    source = {"jpage": _JPAGE_JS, "spa": _SPA_JS.replace("__SIZE__", str(page.extra.get("page_size", 5)))}
    return source[page.extra["source"]].encode("utf-8"), "application/javascript; charset=utf-8"


# ---------------------------------------------------------------- the server's side


def _row(site: Site, index: int, path: str) -> dict[str, Any]:
    page = site.pages[path]
    return {"id": int(path.rsplit("=", 1)[-1]) if "=" in path else int(path.rsplit("/", 1)[-1].split(".")[0]),
            "title": page.title, "name": page.title, "publishDate": page.date, "date": page.date, "seq": index}


def api_answer(site: Site, endpoint: dict[str, Any], method: str, query: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
    """The JSON a scripted list's API answers: POST JSON `{channelCode, pageNo, pageSize}` or GET `?page&size`."""
    ctype = "application/json; charset=utf-8"
    if endpoint["kind"] == "post_json":
        if method != "POST":
            return 405, b'{"code":405,"msg":"method not allowed"}', ctype
        try:
            args = json.loads(body.decode("utf-8") or "{}")
            items = endpoint["lists"][args["channelCode"]]
            page, size = int(args["pageNo"]), int(args["pageSize"])
        except (ValueError, KeyError, TypeError):
            return 400, b'{"code":400,"msg":"bad request"}', ctype
        chosen = items[(page - 1) * size: page * size] if page >= 1 and 0 < size <= 50 else []
        data = {"code": 0, "data": {"records": [_row(site, i, p) for i, p in enumerate(chosen)]}}
        return 200, json.dumps(data, ensure_ascii=False).encode("utf-8"), ctype
    try:
        page, size = int(query.get("page", "")), int(query.get("size", ""))
    except ValueError:
        return 400, b'{"error":"page and size are required"}', ctype
    items = endpoint["lists"][""]
    chosen = items[(page - 1) * size: page * size] if page >= 1 and 0 < size <= 50 else []
    rows = [{k: v for k, v in _row(site, i, p).items() if k in ("id", "name", "date")} for i, p in enumerate(chosen)]
    return 200, json.dumps({"items": rows, "total": len(items)}, ensure_ascii=False).encode("utf-8"), ctype


def gate_answer(gate: dict[str, str], cookie_header: str) -> bytes | None:
    """The challenge page when the request lacks the gate's cookie, else None (serve the page)."""
    wanted = f"{gate['cookie']}={gate['value']}"
    if any(part.strip() == wanted for part in cookie_header.split(";")):
        return None
    half = len(gate["value"]) // 2
    return (f'<html><head><meta charset="utf-8"><script>document.cookie = "{gate["cookie"]}=" + "{gate["value"][:half]}" + '
            f'"{gate["value"][half:]}" + "; path=/; max-age=3600"; location.reload();</script></head>'
            f"<body></body></html>").encode()
