"""Renderers for the demo site's page templates, by name (`template` in data/site.toml).

A renderer takes (site, page) and returns the page's HTML text (or bytes with a content type for
binary pages). Adding a CMS family means adding its pages to the description and, when its markup
differs, one renderer registered in `RENDERERS`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from demo_site.render import render_html_tables, render_report_html
from demo_site.seeds import SITESERVER_PAGE, Seed, legacy_rows, load_seed

if TYPE_CHECKING:
    from demo_site.site import Page, Site

Renderer = Callable[["Site", "Page"], "str | tuple[bytes, str]"]
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[name] = fn
        return fn

    return register


def render_page(site: Site, page: Page) -> tuple[bytes, str]:
    """The bytes and Content-Type of `page`."""
    try:
        fn = RENDERERS[page.template]
    except KeyError:
        raise ValueError(f"demo site: page {page.path} names unknown template {page.template!r}") from None
    out = fn(site, page)
    if isinstance(out, tuple):
        body, ctype = out
        return body, page.extra.get("content_type", ctype)
    ctype = "text/html"
    if page.header_charset:
        ctype += f"; charset={page.encoding}"
    return out.encode(page.encoding), ctype


# ---------------------------------------------------------------- helpers


def href(from_path: str, to: str) -> str:
    """TRS-style relative link (./202101/t….html, ../index.html) within one column, else absolute."""
    if not to.startswith("/") or to == "/":
        return to
    src_dir = posixpath.dirname(from_path)
    if src_dir != "/" and to.startswith(src_dir + "/"):
        rel = "./" + posixpath.relpath(to, src_dir)
        return rel + "/" if to.endswith("/") and not rel.endswith("/") else rel
    return to


def a(from_path: str, to: str, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_")}="{escape(v)}"' for k, v in attrs.items())
    return f'<a href="{escape(href(from_path, to))}"{extra}>{escape(text)}</a>'


def breadcrumbs(site: Site, page: Page) -> list[tuple[str, str]]:
    """(title, path) of the home page and every ancestor directory that has an index page."""
    crumbs = [("首页", "/")]
    parts = page.path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        index = "/" + "/".join(parts[:i]) + "/index.html"
        if index in site.pages and index != page.path:
            crumbs.append((site.pages[index].title, index))
    return crumbs


def _meta_charset(page: Page) -> str:
    cs = page.declared_charset
    return f'<meta charset="{cs}">' if cs else ""


def chrome(site: Site, page: Page, main: str, head_extra: str = "") -> str:
    """The portal furniture around `main`: header, navigation, breadcrumbs, footer."""
    s = site.settings
    name = page.extra.get("site_name") or site.name
    if page.extra.get("generator"):
        head_extra = f'<meta name="generator" content="{escape(page.extra["generator"])}">\n' + head_extra
    nav = "".join(f"<li>{a(page.path, p, t)}</li>" for t, p in s.get("nav", []))
    crumbs = " &gt; ".join(a(page.path, p, t) for t, p in breadcrumbs(site, page))
    if page.path != "/":
        crumbs += f" &gt; <span>{escape(page.title if page.kind in ('list', 'channel') else '正文')}</span>"
    title = page.title if page.path == "/" else f"{page.title}_{name}"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{_meta_charset(page)}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="SiteName" content="{escape(name)}">
<meta name="SiteDomain" content="{escape(s.get("host_name", ""))}">
<meta name="SiteIDCode" content="{escape(s.get("site_code", ""))}">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/css/style.css">
{head_extra}</head>
<body>
<div class="top-bar"><span>欢迎访问{escape(site.name)}门户网站</span> <a href="javascript:void(0)">无障碍浏览</a> <a href="javascript:void(0)">长者模式</a></div>
<div class="header"><h1 class="logo">{escape(site.name)}</h1>
<form class="search" action="javascript:void(0)"><input type="text" name="searchword" placeholder="请输入关键字"><button type="submit">搜索</button></form></div>
<ul class="nav">{nav}</ul>
<div class="position">当前位置：{crumbs}</div>
<div class="main">
{main}
</div>
<div class="footer">
<p>主办单位：{escape(site.name)}办公室　承办单位：{escape(site.name)}办公室政务公开科　联系电话：0871-6612345</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">{escape(s.get("icp", ""))}</a>　{escape(s.get("police", ""))}　网站标识码：{escape(s.get("site_code", ""))}</p>
<p><a href="javascript:void(0)">网站地图</a> | <a href="javascript:void(0)">联系我们</a> | <a href="javascript:void(0)">隐私声明</a></p>
</div>
</body>
</html>
"""


def _article_head(site: Site, page: Page, source: str | None = None) -> str:
    source = source or site.name
    return f"""<div class="article">
<h1 class="article-title">{escape(page.title)}</h1>
<div class="article-info">发布时间：{escape(page.date)}　来源：{escape(source)}　浏览次数：<span id="hits">--</span>
<span class="font-size">【字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>
"""


_ARTICLE_TAIL = """<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
"""


def paragraphs(paras: list[str] | tuple[str, ...]) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in paras)


def _links(page: Page) -> str:
    if not page.links:
        return ""
    return '<ul class="related">' + "".join(f"<li>{a(page.path, p, t)}</li>" for t, p in page.links) + "</ul>"


# ---------------------------------------------------------------- portal pages


@renderer("robots")
def robots(site: Site, page: Page) -> tuple[bytes, str]:
    return b"User-agent: *\nDisallow: /test/\n", "text/plain; charset=utf-8"


@renderer("css")
def css(site: Site, page: Page) -> tuple[bytes, str]:
    rules = "body{font-family:'Microsoft YaHei',SimSun,sans-serif}.nav li{display:inline;margin:0 1em}table{border-collapse:collapse}\n"
    return rules.encode(), "text/css"


@renderer("home")
def home(site: Site, page: Page) -> str:
    news = "".join(
        f'<li>{a(page.path, p, site.pages[p].title)}<span class="date">{site.pages[p].date}</span></li>'
        for p in page.items
    )
    main = f"""<div class="banner">{escape(site.name)}欢迎您</div>
<div class="box news"><h2>{a(page.path, "/xwzx/index.html", "政务动态")}</h2><ul>{news}</ul></div>
<div class="box xxgk"><h2>{a(page.path, "/zwgk/xxgk/index.html", "政府信息公开")}</h2>{_links(page)}</div>
<div class="box"><h2>政务服务</h2><p>{a(page.path, "/zwfw/index.html", "网上办事大厅")}　{a(page.path, "/hdjl/index.html", "区长信箱")}</p></div>"""
    return chrome(site, page, main)


@renderer("channel")
def channel(site: Site, page: Page) -> str:
    main = f'<div class="column"><h2 class="column-title">{escape(page.title)}</h2>{_links(page)}</div>'
    return chrome(site, page, main)


def _page_name(index: int) -> str:
    return "index.html" if index == 0 else f"index_{index}.html"


@renderer("list")
def list_page(site: Site, page: Page) -> str:
    """A TRS column list: relative item links, createPageHTML() script and plain page links."""
    items = "\n".join(
        f"<li>{a(page.path, p, site.pages[p].title, title=site.pages[p].title, target='_blank')}"
        f'<span class="date">{site.pages[p].date}</span></li>'
        for p in page.items
    )
    count = int(page.extra.get("page_count", 1))
    cur = int(page.extra.get("page_index", 0))
    pager = ""
    if count > 1:
        plain = []
        if cur > 0:
            plain.append(f'<a href="./{_page_name(0)}">首页</a> <a href="./{_page_name(cur - 1)}">上一页</a>')
        if cur < count - 1:
            plain.append(
                f'<a href="./{_page_name(cur + 1)}">下一页</a> <a href="./{_page_name(count - 1)}">尾页</a>'
            )
        pager = f"""<div class="page">
<script type="text/javascript">
var currentPage = {cur};//所在页从0开始
var countPage = {count}//共多少页
createPageHTML({count}, {cur}, "index", "html");
</script>
<noscript>{" ".join(plain)}</noscript>
<span class="page-links">{" ".join(plain)}</span>
</div>"""
    main = f"""<div class="column"><h2 class="column-title">{escape(page.title)}</h2>
<ul class="list">
{items}
</ul>
{pager}</div>"""
    head = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex < _nPageCount-1){
    document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex+1) + "."+_sPageExt+"\\">下一页</a> ");
  }
}
</script>
"""
    return chrome(site, page, main, head)


@renderer("article")
def article(site: Site, page: Page) -> str:
    main = (
        _article_head(site, page)
        + f'<div class="article-content" id="zoom">\n{paragraphs(page.body)}\n{_links(page)}\n</div>\n'
        + _ARTICLE_TAIL
    )
    return chrome(site, page, main)


# ---------------------------------------------------------------- report pages


def tables_html(seed: Seed) -> str:
    """The record's tables as HTML with real merged cells (`demo_site.render`)."""
    return render_html_tables(seed.gold)


def _signature(seed: Seed) -> str:
    out = f'<p style="text-align:right">{escape(seed.agency)}</p>'
    if seed.gold.get("published"):
        y, m, d = (int(x) for x in seed.gold["published"].split("-"))
        out += f'<p style="text-align:right">{y}年{m}月{d}日</p>'
    return out


def report_body_html(seed: Seed) -> str:
    """Sections 一, the tables, 五 and 六 of a 2019/2021-template report, then its signature."""
    h = seed.headings
    parts = [
        f"<h3>一、{escape(h.get('overview', '总体情况'))}</h3>",
        paragraphs(seed.prose.get("overview", [])),
    ]
    parts.append(tables_html(seed))
    for num, key, default in (
        ("五", "problems", "存在的主要问题及改进情况"),
        ("六", "other", "其他需要报告的事项"),
    ):
        if key in seed.prose:
            parts.append(f"<h3>{num}、{escape(h.get(key, default))}</h3>")
            parts.append(paragraphs(seed.prose[key]))
    parts.append(_signature(seed))
    return "\n".join(parts)


def _info_table(page: Page, seed: Seed, index_no: str) -> str:
    return f"""<table class="xxgk-info">
<tr><th>索引号：</th><td>{escape(index_no)}</td><th>信息分类：</th><td>政府信息公开年报</td></tr>
<tr><th>发布机构：</th><td>{escape(seed.agency)}</td><th>发布日期：</th><td>{escape(page.date)}</td></tr>
<tr><th>名　　称：</th><td colspan="3">{escape(page.title)}</td></tr>
</table>
"""


def _index_no(page: Page) -> str:
    digits = "".join(ch for ch in page.path if ch.isdigit())[-7:]
    return f"11530399MB{page.date[:4]}-{digits}"


def _attachments(page: Page) -> str:
    if not page.attachments:
        return ""
    items = "".join(
        f"<li>{a(page.path, p, t, OLDSRC=p.rsplit('/', 1)[-1], title=t)}</li>" for t, p in page.attachments
    )
    return f'<div class="attachments"><p>附件：</p><ul>{items}</ul></div>'


@renderer("report_html")
def report_html(site: Site, page: Page) -> str:
    seed = load_seed(page.seed or "")
    editor = page.extra.get("editor")
    editor_html = f'<p class="editor">责任编辑：{escape(editor)}</p>' if editor else ""
    main = (
        _article_head(site, page, seed.agency)
        + _info_table(page, seed, _index_no(page))
        + f'<div class="article-content TRS_Editor" id="zoom">\n<h2 style="text-align:center">{escape(seed.agency)}</h2>\n'
        + f'<h2 style="text-align:center">{escape(page.title.removeprefix(seed.agency))}</h2>\n'
        + report_body_html(seed)
        + "\n</div>\n"
        + _attachments(page)
        + editor_html
        + _ARTICLE_TAIL
    )
    return chrome(site, page, main)


@renderer("report_attachment")
def report_attachment(site: Site, page: Page) -> str:
    """A report published only as an attachment: a short notice and the file link."""
    seed = load_seed(page.seed or "")
    main = (
        _article_head(site, page, seed.agency)
        + _info_table(page, seed, _index_no(page))
        + f'<div class="article-content" id="zoom"><p>{escape(page.title)}详见附件。</p></div>\n'
        + _attachments(page)
        + _ARTICLE_TAIL
    )
    return chrome(site, page, main)


@renderer("report_siteserver")
def report_siteserver(site: Site, page: Page) -> str:
    """A SiteServer (SS.GovPublic) content page whose body still carries [SITESERVER_PAGE] markers."""
    seed = load_seed(page.seed or "")
    paras: list[str] = []
    markers = 0
    for p in seed.prose.get("overview", []):
        if p.strip() == SITESERVER_PAGE:
            # The FCKeditor "nextpage" button wraps the marker in a yellow span; later edits lose the span.
            paras.append(
                f'<p><span style="background-color:#ffff00">{SITESERVER_PAGE}</span></p>'
                if markers == 0
                else f"<p>{SITESERVER_PAGE}</p>"
            )
            markers += 1
        else:
            paras.append(f"<p>{escape(p)}</p>")
    main = f"""<div class="stl-content">
<table class="govpublic" border="1" cellspacing="0">
<tr><td>索引号：</td><td>{escape(_index_no(page))}</td><td>信息分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{escape(seed.agency)}</td><td>文号：</td><td></td></tr>
<tr><td>发布日期：</td><td>{escape(page.date)}</td><td>关键词：</td><td>年度报告</td></tr>
</table>
<h1>{escape(page.title)}</h1>
<div class="content" id="zoom">
{chr(10).join(paras)}
{_signature(seed)}
<p>附件1</p>
{tables_html(seed)}
</div>
<div class="article-tools"><a href="javascript:window.print()">【打印】</a> <a href="javascript:window.close()">【关闭】</a></div>
</div>"""
    return chrome(site, page, main, '<meta name="generator" content="SiteServer CMS">\n')


@renderer("pdf_report")
def pdf_report(site: Site, page: Page) -> tuple[bytes, str]:
    from demo_site.pdf import render_report_pdf

    seed = load_seed(page.seed or "")
    labels = [r[0] for r in legacy_rows(seed.text)] if seed.template == "pre2019" else None
    return render_report_pdf(seed.gold, seed.prose, page.title, seed.headings, labels), "application/pdf"


# ---------------------------------------------------------------- generated sub-sites (demo_site.platforms)


def _gen(page: Page) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from demo_site.platforms import make_record, prose

    g = page.extra["gen"]
    return make_record(g["template"], g["agency"], g["year"], g["published"]), prose(g["agency"], g["year"])


def _legacy_labels() -> list[str]:
    return [r[0] for r in legacy_rows(load_seed("002_491099f9f0af2def").text)]


@renderer("gen_report")
def gen_report(site: Site, page: Page) -> str:
    """A generated report as an HTML article (title, sections 一…六 with the tables, signature)."""
    record, sections = _gen(page)
    body = _report_body(record, sections)
    main = (
        _article_head(site, page, record["agency"])
        + _gen_info(page, record)
        + f'<div class="article-content TRS_Editor" id="zoom">\n<h2 style="text-align:center">{escape(page.title)}</h2>\n'
        + body + "\n</div>\n" + _ARTICLE_TAIL
    )
    return chrome(site, page, main)


def _report_body(record: dict[str, Any], sections: dict[str, list[str]]) -> str:
    """The inner HTML of a generated report (sections 一…六 with the tables, signature), without its <h1>."""
    import re

    full = render_report_html({**record, "sections": {k: "\n".join(v) for k, v in sections.items()}},
                              "\n".join(sections["overview"]))
    m = re.search(r"<body[^>]*>(.*)</body>", full, re.S)
    return re.sub(r"<h1>.*?</h1>", "", m.group(1) if m else full, count=1, flags=re.S)


def _report_sections(record: dict[str, Any], sections: dict[str, list[str]]) -> list[str]:
    """The HTML of a generated report's body cut before every heading (一、… 六、, tables included)."""
    import re

    return [block for block in re.split(r"(?=<h2>)", _report_body(record, sections)) if block.strip()]


def split_sections(blocks: list[str], count: int) -> list[list[str]]:
    """`blocks` over `count` pages as an editor's page breaks put them: the last page opens with the
    last table's section, the sections before it are shared out evenly over the other pages."""
    if count < 2:
        return [blocks]
    last = max((i for i, b in enumerate(blocks) if "<table" in b), default=len(blocks) - 1)
    head, tail = blocks[:last], blocks[last:]
    cut = [-(-i * len(head) // (count - 1)) for i in range(count)]  # ceil: earlier pages take the odd one
    pages = [head[cut[i]:cut[i + 1]] for i in range(count - 1)]
    return [*pages, tail]


def _ss_pager(page: Page) -> str:
    """SiteServer's stl:pageItems under a split content: 首页 上一页 1 2 3 下一页 末页."""
    count, cur = int(page.extra["page_count"]), int(page.extra["page_no"])
    paths = [h for _t, h in page.links]
    items = [f'<a href="{paths[0]}">首页</a>']
    if cur > 1:
        items.append(f'<a href="{paths[cur - 2]}">上一页</a>')
    for n, path in enumerate(paths, start=1):
        items.append(f'<span class="current">{n}</span>' if n == cur else f'<a href="{path}">{n}</a>')
    if cur < count:
        items.append(f'<a href="{paths[cur]}">下一页</a>')
    items.append(f'<a href="{paths[-1]}">末页</a>')
    return '<div class="pages" id="pageContents">' + " ".join(items) + "</div>"


@renderer("gen_report_pages")
def gen_report_pages(site: Site, page: Page) -> str:
    """One page of a generated report that SiteServer split with its page break (`N.html`, `N_2.html` …):
    the same head and 信息公开 table on every page, this page's share of the sections, the pager.
    Page 1 still shows a leaked [SITESERVER_PAGE] marker where the editor's span survived."""
    record, sections = _gen(page)
    count, cur = int(page.extra["page_count"]), int(page.extra["page_no"])
    blocks = split_sections(_report_sections(record, sections), count)[cur - 1]
    content = "\n".join(blocks)
    if cur == 1:
        content = f'<h2 style="text-align:center">{escape(page.title)}</h2>\n{content}'
        content += f'\n<p><span style="background-color:#ffff00">{SITESERVER_PAGE}</span></p>'
    main = f"""<div class="stl-content">
<table class="govpublic" border="1" cellspacing="0">
<tr><td>索引号：</td><td>{escape(_index_no(site.pages[page.extra.get("first", page.path)]))}</td><td>信息分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{escape(record["agency"])}</td><td>文号：</td><td></td></tr>
<tr><td>发布日期：</td><td>{escape(page.date)}</td><td>关键词：</td><td>年度报告</td></tr>
</table>
<h1>{escape(page.title)}</h1>
<div class="content" id="zoom">
{content}
</div>
{_ss_pager(page)}
<div class="article-tools"><a href="javascript:window.print()">【打印】</a> <a href="javascript:window.close()">【关闭】</a></div>
</div>"""
    return chrome(site, page, main, '<meta name="generator" content="SiteServer CMS">\n')


def _gen_info(page: Page, record: dict[str, Any]) -> str:
    return f"""<table class="xxgk-info">
<tr><th>索引号：</th><td>{escape(_index_no(page))}</td><th>信息分类：</th><td>政府信息公开年报</td></tr>
<tr><th>发布机构：</th><td>{escape(record["agency"])}</td><th>发布日期：</th><td>{escape(page.date)}</td></tr>
</table>
"""


@renderer("gen_notice")
def gen_notice(site: Site, page: Page) -> str:
    """A report published as a file: link, PDF viewer link, iframe or percent-encoded name."""
    from urllib.parse import quote

    record, _ = _gen(page)
    name, path = page.attachments[0]
    embed = page.extra.get("embed", "link")
    if embed == "viewer":
        body = (f'<p>{escape(page.title)}，请点击 <a href="/pdfjs/web/viewer.html?file={quote(path, safe="")}" '
                f'target="_blank">在线阅读</a>。</p>')
    elif embed == "iframe":
        body = f'<iframe src="{escape(path)}" width="100%" height="800" frameborder="0"></iframe>'
    else:
        body = f"<p>{escape(page.title)}详见附件。</p>" + _attachments(page)
    if page.extra.get("preview"):
        body += f'<p><a href="{escape(page.extra["preview"])}" target="_blank">在线预览</a></p>'
    main = (_article_head(site, page, record["agency"]) + _gen_info(page, record)
            + f'<div class="article-content" id="zoom">{body}</div>\n' + _ARTICLE_TAIL)
    return chrome(site, page, main)


@renderer("gen_pdf")
def gen_pdf(site: Site, page: Page) -> tuple[bytes, str]:
    from demo_site.pdf import render_report_pdf

    record, sections = _gen(page)
    labels = _legacy_labels() if record["template"] == "pre2019" else None
    return render_report_pdf(record, sections, page.title, {}, labels), "application/pdf"


def _record_li(site: Site, path: str) -> str:
    p = site.pages[path]
    return (f'<li><a href="{escape(path)}" title="{escape(p.title)}" target="_blank">{escape(p.title)}</a>'
            f'<span class="bt_time">{p.date}</span></li>')


@renderer("hanweb_column")
def hanweb_column(site: Site, page: Page) -> str:
    """A Hanweb JCMS column: the list is an XML datastore (first group only) read by jpage JavaScript."""
    perpage = int(page.extra.get("perpage", 15))
    col = page.extra.get("column")
    prefix = page.path.split("/col/")[0]
    first = page.items[: perpage * 3]
    records = "\n".join(f"<record><![CDATA[{_record_li(site, p)}]]></record>" for p in first)
    main = f"""<div class="column"><h2 class="column-title">{escape(page.title)}</h2>
<div id="{col}">
<script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{prefix}/module/web/jpage/dataproxy.jsp?page=1&webid={page.extra.get("webid")}&path=/&columnid={col}&unitid={page.extra.get("unitid")}&webname=&permissiontype=0"></a>]]></nextgroup>
<recordset>
{records}
</recordset>
</datastore></script>
</div>
<script type="text/javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>
<script>$(function(){{ $('#{col}').jpage({{dataStore: dataStore, proxyUrl: '{prefix}/module/web/jpage/dataproxy.jsp',
 perPage: {perpage}, totalRecord: {len(page.items)}, webid: '{page.extra.get("webid")}', columnid: '{col}',
 unitid: '{page.extra.get("unitid")}', groupSize: 3, barPosition: 'bottom', showMode: 'full'}}); }});</script>
</div>"""
    head = f'<meta name="ColumnName" content="{escape(page.title)}">\n<meta name="ColumnType" content="信息公开">\n'
    return chrome(site, page, main, head)


def hanweb_dataproxy(site: Site, path: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, bytes, str]:
    """The dataproxy.jsp answer: the records startrecord..endrecord of the column named in the POST form."""
    prefix = path.split("/module/")[0]
    col = form.get("columnid") or query.get("columnid")
    page = site.pages.get(f"{prefix}/col/col{col}/index.html") if col else None
    if page is None:
        return 200, b'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>0</totalrecord></datastore>', \
            "text/xml; charset=UTF-8"
    try:
        start, end = int(query.get("startrecord", "1")), int(query.get("endrecord", "0"))
    except ValueError:
        return 400, b"bad request", "text/plain"
    chosen = page.items[max(start - 1, 0): end]
    records = "".join(f"<record><![CDATA[{_record_li(site, p)}]]></record>\n" for p in chosen)
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<totalrecord>{len(page.items)}</totalrecord>\n'
           f"<recordset>\n{records}</recordset>\n</datastore>")
    return 200, xml.encode("utf-8"), "text/xml; charset=UTF-8"


@renderer("siteserver_channel")
def siteserver_channel(site: Site, page: Page) -> str:
    """A SiteServer channel list with stl:pageItems links (共N页, 下一页, 末页)."""
    ch = page.extra.get("channel")
    count, cur = int(page.extra.get("page_count", 1)), int(page.extra.get("page_index", 0))
    items = "\n".join(_record_li(site, p) for p in page.items)

    def name(i: int) -> str:
        return f"{ch}.html" if i == 0 else f"{ch}_{i + 1}.html"

    pager = ""
    if count > 1:
        links = [f"共{count}页", f'<a href="{name(0)}">首页</a>']
        if cur > 0:
            links.append(f'<a href="{name(cur - 1)}">上一页</a>')
        if cur < count - 1:
            links.append(f'<a href="{name(cur + 1)}">下一页</a>')
        links.append(f'<a href="{name(count - 1)}">末页</a>')
        pager = '<div class="pagination">' + " ".join(links) + "</div>"
    main = f'<div class="column"><h2 class="column-title">{escape(page.title)}</h2><ul class="list">{items}</ul>{pager}</div>'
    return chrome(site, page, main, '<meta name="generator" content="SiteServer CMS">\n')


@renderer("json_list")
def json_list(site: Site, page: Page) -> tuple[bytes, str]:
    import json

    articles = [{"id": i, "title": site.pages[p].title, "url": p, "date": site.pages[p].date,
                 "publisher": site.pages[p].extra.get("gen", {}).get("agency")} for i, p in enumerate(page.items)]
    data = {"classify": {"id": page.extra.get("column"), "name": "政府信息公开年报"}, "total": page.extra.get("total"),
            "page_size": page.extra.get("page_size"), "articles": articles}
    return json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"


@renderer("json_shell")
def json_shell(site: Site, page: Page) -> str:
    """A 政府信息公开平台 column page: an empty shell that script fills from the JSON API."""
    prefix = page.path.rsplit("/", 1)[0]
    col = page.extra.get("column")
    main = f"""<div class="gkml">
<div class="gkml-tree"><ul><li class="active">政府信息公开年报</li><li>法定主动公开内容</li></ul></div>
<div id="app" data-api="{prefix}/api/column/{col}?page={{page}}"><p class="loading">正在加载……</p></div>
</div>
<script>window._CONFIG = {{SID: "{col}", TREE: [{{id: {col}, name: "政府信息公开年报", api: "{prefix}/api/column/{col}?page={{page}}"}},
 {{id: {int(col) + 1}, name: "法定主动公开内容", api: "{prefix}/api/column/{int(col) + 1}?page=1"}}]}};</script>
<script src="{prefix}/js/gkml.js"></script>"""
    return chrome(site, page, main)


@renderer("generic_list")
def generic_list(site: Site, page: Page) -> str:
    """A JSP list paginated with ?page=N and a 共N页 pager."""
    count, cur = int(page.extra.get("page_count", 1)), int(page.extra.get("page_index", 0))
    base = page.extra.get("base")
    items = "\n".join(_record_li(site, p) for p in page.items)
    pager = f'<div class="pages">共{count}页 当前第{cur + 1}页 '
    if cur < count - 1:
        pager += f'<a href="{base}?page={cur + 2}">下一页</a>'
    pager += "</div>"
    main = f'<div class="column"><h2 class="column-title">{escape(page.title)}</h2><ul class="list">{items}</ul>{pager}</div>'
    return chrome(site, page, main)


from demo_site import scripted as _scripted  # noqa: E402,F401 - registers the scripted platforms' renderers
