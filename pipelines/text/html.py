"""Main text of an HTML page: trafilatura for the main content, tables kept as rows of tab-separated
cells (merged cells expanded into a full grid), headings kept, page furniture removed, title and
publication date read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree

from pipelines.limits import limits, note_cut
from pipelines.siteserver import strip_siteserver_markers
from pipelines.text.common import clean_cell, normalize_text

_FURNITURE_ATTR = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|crumbs?|position|location|weizhi|dqwz|curpos|share|bdshare|"
    r"jiathis|print|fontsize|font-size|zihao|zh_?size|footer|foot|copyright|banquan|bottom|sidebar|"
    r"related|xgwz|xgxx|toolbar|tools?|skip|search|login|pager|pages|paging|pagination|fenye|topbar|top-bar|"
    r"banner|header|logo|guide|info|attr|source|wza|ewm|qrcode)([\s_-]|\d|$)",
    re.IGNORECASE,
)
_FURNITURE_LINE = re.compile(
    r"^\s*(?:"
    r"(?:当前位置|您(?:现在)?的?位置|所在位置)\s*[:：].*"
    r"|.*字号\s*[:：]?\s*[\[【(（]?\s*大\s*[|｜]?\s*中\s*[|｜]?\s*小.*"
    r"|.*[【\[]\s*(?:打印|关闭|打印本页|关闭窗口|打印此页|收藏|返回顶部)\s*[】\]].*"
    r"|(?:打印本页|关闭窗口|打印|关闭|返回顶部|返回|收藏|分享|分享到)[\s|｜:：]*(?:(?:打印本页|关闭窗口|打印|关闭|返回顶部|收藏)[\s|｜]*)*"
    r"|分享到\s*[:：]?.*"
    r"|.*(?:ICP备|ICP证|网站标识码|公网安备|网站识别码|政府网站找错|版权所有|主办单位\s*[:：]|承办单位\s*[:：]|技术支持\s*[:：]).*"
    r"|(?:扫一扫|微信扫一扫|在手机上查看|手机版|无障碍|适老化|上一篇|下一篇)\s*[:：]?.*"
    r")\s*$"
)
_FURNITURE_MAXLEN = 120
_META_LABELS = ("索引号", "信息分类", "发布机构", "文号", "发文字号", "发布日期", "成文日期", "生成日期", "主题分类",
                "有效性", "公开方式", "公开范围", "信息名称", "发文机关", "主题词", "体裁分类", "组配分类", "内容概述")
_DATE_LABEL = re.compile(
    r"(?:发布|发文|公开|成文|生成|更新)?(?:时间|日期)\s*[:：]?\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_META_DATE_NAMES = ("pubdate", "publishdate", "articlepublishtime", "article:published_time", "dc.date",
                    "dc.date.issued", "firstpublishedtime", "publish_time", "releasedate", "others")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
               "table", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "form", "hr", "header"}
PLACEHOLDER = "NBTBL{:04d}X"
_PLACEHOLDER_RE = re.compile(r"NBTBL(\d{4})X")


@dataclass
class HtmlText:
    text: str
    title: str | None
    published: str | None
    extractor: str
    tables: int = 0
    notes: list[str] = field(default_factory=list)


def _date(y: str, m: str, d: str) -> str | None:
    yi, mi, di = int(y), int(m), int(d)
    if 1990 <= yi <= 2100 and 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{yi:04d}-{mi:02d}-{di:02d}"
    return None


_PARSER = lxml.html.HTMLParser(huge_tree=True)


_LIBXML_MAX_DEPTH = 2000  # libxml2 with huge_tree stops nesting at 2048 levels, losing what follows
_VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])
_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)\b[^>]*?(/?)>")
_KEEP_ATTRS = ("class", "id", "href", "src", "colspan", "rowspan", "name", "content", "property", "itemprop",
               "charset", "http-equiv", "style", "align", "title", "alt")
MAX_ATTRIBUTES = 64  # per element; more are dropped (trafilatura's cost grows with their square)


def shallow_markup(html: str, max_depth: int) -> str:
    """`html` with the tags that would open beyond `max_depth` levels removed (text kept): a page of
    thousands of unclosed tags parses to a tree of bounded depth with all its text."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(html):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        keep = True
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            else:
                keep = False  # the end of a tag that was dropped (or never opened)
        elif name not in _VOID and not self_closing:
            if len(stack) >= max_depth:
                keep = False
            else:
                stack.append(name)
        out.append(html[pos:m.start()])
        if keep:
            out.append(m.group(0))
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)


_LONG_TAG = re.compile(r"<([A-Za-z][\w:.-]*)(\s[^<>]{16384,})>")


def _short_tag(m: re.Match) -> str:
    """A start tag of more than 16 KB of attributes (libxml2's duplicate check is quadratic): its first
    4 KB of them, cut at an attribute boundary."""
    attrs = m.group(2)[:4096]
    cut = max(attrs.rfind('" '), attrs.rfind("' "))
    return f"<{m.group(1)}{attrs[: cut + 1] if cut > 0 else ''}>"


def tree_depth(root: etree._Element) -> int:
    """The depth of the deepest element under `root` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        el, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in el)
    return deepest


def trim_attributes(root: etree._Element) -> int:
    """Drop all but the useful attributes of elements that carry more than MAX_ATTRIBUTES (no text lost)."""
    trimmed = 0
    for el in root.iter():
        if isinstance(el.tag, str) and len(el.attrib) > MAX_ATTRIBUTES:
            keep = {k: el.get(k) for k in _KEEP_ATTRS if el.get(k) is not None}
            el.attrib.clear()
            el.attrib.update(keep)
            trimmed += 1
    if trimmed:
        note_cut(f"{trimmed} element(s) with more than {MAX_ATTRIBUTES} attributes trimmed", lost=False)
    return trimmed


def flatten_deep(root: etree._Element, max_depth: int) -> int:
    """Unwrap every element nested deeper than `max_depth` (its text and tail stay, in order), so a page
    of hundreds of unclosed tags keeps its text and later parsers and tree walks stay within their
    limits; the cut is noted. Returns the number of elements unwrapped."""
    boundary: list[etree._Element] = []
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth == max_depth:
            if len(el):
                boundary.append(el)
            continue
        stack.extend((child, depth + 1) for child in el)
    unwrapped = 0
    for el in boundary:
        for node in reversed(list(el.iterdescendants())):
            if not isinstance(node.tag, str):  # a comment or processing instruction: keep its tail only
                _remove(node)
                continue
            if node.tag.lower() in _BLOCK_TAGS:
                node.tail = "\n" + (node.tail or "")
            node.drop_tag()
            unwrapped += 1
    if unwrapped:
        note_cut(f"{unwrapped} HTML element(s) nested deeper than {max_depth} levels flattened, text kept "
                 f"(NIANBAO_MAX_NESTING)", lost=False)
    return unwrapped


def table_rows(table: etree._Element) -> list[list[str]]:
    """The table as a full grid (rowspan/colspan expanded; a merged cell's text sits in its first
    slot, the others are empty). Rows whose cells are all empty are dropped."""
    rows = [r for r in table.iter("tr") if _owner_table(r) is table]
    grid: dict[tuple[int, int], str] = {}
    width = 0
    cap = limits()
    if len(rows) > cap.table_rows:
        note_cut(f"table cut to {cap.table_rows:,} of {len(rows):,} rows (NIANBAO_MAX_TABLE_ROWS)")
        rows = rows[: cap.table_rows]
    for ri, tr in enumerate(rows):
        if len(grid) > cap.table_cells:
            note_cut(f"table cut at row {ri:,}: more than {cap.table_cells:,} cells (NIANBAO_MAX_TABLE_CELLS)")
            rows = rows[:ri]
            break
        ci = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            while (ri, ci) in grid:
                ci += 1
            try:
                rs = max(1, min(int(cell.get("rowspan", "1") or 1), 500))
            except ValueError:
                rs = 1
            try:
                cs = max(1, min(int(cell.get("colspan", "1") or 1), 100))
            except ValueError:
                cs = 1
            text = clean_cell(_cell_text(cell)).replace("\t", " ")
            for dr in range(rs):
                for dc in range(cs):
                    if (ri + dr, ci + dc) not in grid:
                        grid[(ri + dr, ci + dc)] = text if dr == 0 and dc == 0 else ""
            ci += cs
            width = max(width, ci)
    out = []
    for ri in range(len(rows) + 1):
        row = [grid.get((ri, c), "") for c in range(width)]
        if any(row):
            out.append(row)
    return out


def _cell_text(cell: etree._Element) -> str:
    parts = []
    for node in cell.iter():
        if node is not cell and isinstance(node.tag, str) and node.tag.lower() in ("br", "p", "div") and parts:
            parts.append("\n")
        if node.text and node is not cell and isinstance(node.tag, str) and node.tag.lower() in ("script", "style"):
            continue
        if node.text:
            parts.append(node.text)
        if node is not cell and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _owner_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors():
        if isinstance(anc.tag, str) and anc.tag.lower() == "table":
            return anc
    return None


def render_table(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(r).rstrip("\t") if not any(r[1:]) else "\t".join(r) for r in rows)


def _is_meta_table(rows: list[list[str]]) -> bool:
    cells = [c for r in rows for c in r if c]
    if not cells:
        return False
    labels = sum(1 for c in cells if any(c.rstrip("：:").endswith(lab) for lab in _META_LABELS))
    return labels >= 2 and labels * 3 >= len([c for c in cells if len(c) < 12])


def _text_of(el: etree._Element) -> str:
    return clean_cell(" ".join(el.itertext()))


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def block_text(root: etree._Element) -> str:
    """Plain text of an element with a line break at every block boundary (fallback extractor)."""
    out: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript", "template"):
            if el.tail:
                out.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            out.append("\n")
        if el.text:
            out.append(el.text)
        for child in el:
            walk(child)
        if block:
            out.append("\n")
        if el.tail:
            out.append(el.tail)

    walk(root)
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in "".join(out).split("\n")]
    return "\n".join(line for line in lines if line)


def _main_container(doc: etree._Element) -> etree._Element:
    """The element holding the page's main text: the deepest element that still holds at least 70%
    of the body's text (page furniture has been removed already)."""
    body = doc.find("body")
    node = body if body is not None else doc
    total = len(_text_of(node))
    while True:
        best = None
        for child in node:
            if isinstance(child.tag, str) and len(_text_of(child)) >= 0.7 * total:
                best = child
                break
        if best is None:
            return node
        node = best


def _published(doc: etree._Element, info_texts: list[str], html: str, url: str) -> str | None:
    for text in info_texts:
        m = _DATE_LABEL.search(text)
        if m and (d := _date(*m.groups())):
            return d
    for meta in doc.iter("meta"):
        name = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        if name in _META_DATE_NAMES:
            m = re.search(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})", meta.get("content") or "")
            if m and (d := _date(*m.groups())):
                return d
    try:
        from htmldate import find_date

        found = find_date(html, url=url or None, extensive_search=False, original_date=True)
        if found:
            return found[:10]
    except Exception:  # noqa: BLE001 - htmldate is a best-effort fallback
        return None
    return None


_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜)\s*|\s+[-—–－]+\s+")


def _title(doc: etree._Element) -> str | None:
    """The document's own title, not the portal's name.

    Portals put their name in a logo `<h1>` before the article's heading and append it to `<title>`
    (`某局2020年报_某区人民政府`); so: the meta titles CMSs write, else the longest heading that the
    page title also contains, else the page title less its site-name part, else the first heading."""
    def texts(xp: str) -> list[str]:
        out = []
        for item in doc.xpath(xp):
            text = clean_cell(item if isinstance(item, str) else " ".join(item.itertext()))
            if text:
                out.append(text)
        return out

    for xp in ("//meta[@name='ArticleTitle']/@content", "//meta[@property='og:title']/@content"):
        found = texts(xp)
        if found:
            return found[0]
    site = set(texts("//meta[@name='SiteName']/@content"))
    page_title = next(iter(texts("//title")), None)
    headings = [h for h in texts("//h1") + texts("//h2") if h not in site]
    squeezed = re.sub(r"\s+", "", page_title or "")
    in_title = [h for h in headings if squeezed and re.sub(r"\s+", "", h) in squeezed
                and (re.sub(r"\s+", "", h) != squeezed or len(headings) == 1)]
    parts = [p for p in _TITLE_SEPARATORS.split(page_title or "") if p]
    own_parts = [p for p in parts if p not in site and not any(p in h or h in p for h in site)] if len(parts) > 1 else []
    if in_title or own_parts:
        return max(in_title + own_parts, key=len)
    h1 = [h for h in texts("//h1") if h not in site]
    rest = [h for h in h1 if re.sub(r"\s+", "", h) != squeezed] or h1  # a page title that is the site's name
    return rest[0] if rest else page_title


def extract_html(html: str, url: str = "") -> HtmlText:
    """The main text of one decoded HTML page: parse it, take out the page furniture (noting what it
    said, for the publication date), set the data tables aside, let trafilatura (or the block text)
    find the main content, and put the tables back into it."""
    html = strip_siteserver_markers(html or "")
    if not html.strip():
        return HtmlText("", None, None, "none", notes=["empty page"])
    html, markup = _defused(html)
    try:
        doc = _parse(markup)
    except (etree.ParserError, ValueError) as exc:
        return HtmlText("", None, None, "none", notes=[f"unparseable HTML: {exc}"])
    trim_attributes(doc)
    title = _title(doc)
    _drop_non_content(doc)
    info_texts = _remove_furniture(doc) + _remove_link_lists(doc)
    tables = _set_tables_aside(doc, info_texts)
    info_texts += _date_line(doc)
    published = _published(doc, info_texts, html, url)
    extracted, extractor, notes = _main_text(doc, url, len(tables))
    text = _put_tables_back(_without_furniture_lines(extracted), tables)
    head = re.sub(r"\s+", "", text[:300])
    if title and re.sub(r"\s+", "", title) not in head and doc.xpath("//h1"):
        text = title + "\n" + text  # trafilatura keeps the headline as metadata only
    return HtmlText(normalize_text(text), title, published, extractor, len(tables), notes)


def _defused(html: str) -> tuple[str, str]:
    """The page and the markup lxml parses: without an XML declaration, start tags of more than 16 KB
    of attributes shortened. When tags were shortened, the page itself is the shortened markup
    (htmldate parses it again: not with the hostile tags)."""
    markup = _LONG_TAG.sub(_short_tag, re.sub(r"^\s*<\?xml[^>]*>", "", html))
    if len(markup) < len(html) - 64:
        note_cut("tags longer than 16 KB shortened to their first attributes", lost=False)
        return markup, markup
    return html, markup


def _parse(markup: str) -> etree._Element:
    """The document tree, no deeper than `limits().nesting` levels, all text kept.

    huge_tree: libxml2 otherwise stops at 256 levels of (unclosed) tags and drops the rest of the page;
    the depth is bounded here instead. Raises etree.ParserError or ValueError on unparseable markup."""
    doc = lxml.html.document_fromstring(markup, parser=_PARSER)
    if tree_depth(doc) >= _LIBXML_MAX_DEPTH:
        # libxml2 dropped what came after its own (huge) depth limit: drop the excess tags, read again
        doc = lxml.html.document_fromstring(shallow_markup(markup, limits().nesting), parser=_PARSER)
        note_cut(f"tags opened deeper than {limits().nesting} levels dropped, text kept (NIANBAO_MAX_NESTING)",
                 lost=False)
    flatten_deep(doc, limits().nesting)
    return doc


def _drop_non_content(doc: etree._Element) -> None:
    """Remove scripts, styles, embedded objects, navigation, footers, form selects and comments."""
    for el in doc.xpath("//script|//style|//noscript|//iframe|//object|//embed|//template|//nav|//footer|//select"):
        _remove(el)
    for comment in doc.xpath("//comment()"):
        _remove(comment)


def _remove_furniture(doc: etree._Element) -> list[str]:
    """Remove the elements whose class or id names page furniture (unless they hold a large table or
    most of the page's text); their texts, in document order."""
    body_len = len(_text_of(doc)) or 1
    texts: list[str] = []
    for el in list(doc.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"))))
        if attrs and _FURNITURE_ATTR.search(attrs):
            if el.xpath(".//table") and len(_text_of(el)) > 300:
                continue
            if len(_text_of(el)) > 0.3 * body_len and body_len > 500:
                continue
            texts.append(_text_of(el))
            _remove(el)
    return texts


def _remove_link_lists(doc: etree._Element) -> list[str]:
    """Remove link lists (navigation bars, menus, "related articles"): short blocks made mostly of two
    or more links; their texts, in document order."""
    texts: list[str] = []
    for el in list(doc.iter("div", "ul", "ol", "td", "tr", "p", "span", "dl", "table")):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        links = el.xpath(".//a")
        if len(links) < 2:
            continue
        text = _text_of(el)
        link_text = sum(len(_text_of(a)) for a in links)
        if text and len(text) < 200 and link_text >= 0.7 * len(re.sub(r"[\s|｜>＞»·/]", "", text)):
            texts.append(text)
            _remove(el)
    return texts


def _set_tables_aside(doc: etree._Element, info_texts: list[str]) -> list[str]:
    """Data tables (no nested table, at least 2x2 or one row of 3) rendered as text and replaced by
    numbered placeholders; metadata tables (索引号, 发布机构 ...) removed, their text appended to
    `info_texts`; layout tables unwrapped into divs. Returns the rendered data tables."""
    tables: list[str] = []
    for table in list(doc.iter("table")):
        if table.xpath(".//table"):
            continue
        rows = table_rows(table)
        if _is_meta_table(rows):
            info_texts.append(" ".join(c for r in rows for c in r))
            _remove(table)
            continue
        width = max((sum(1 for c in r if c) for r in rows), default=0)
        if len(rows) >= 2 and width >= 2 or len(rows) == 1 and width >= 3:
            p = etree.Element("p")
            p.text = PLACEHOLDER.format(len(tables))
            p.tail = table.tail
            table.getparent().replace(table, p)
            tables.append(render_table(rows))
    for el in list(doc.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th")):
        el.tag = "div"
    return tables


def _date_line(doc: etree._Element) -> list[str]:
    """The first short block (of the first 400) that carries a labelled date (发布日期：...), if any."""
    for text in [_text_of(el) for el in doc.iter("p", "div", "span", "td", "li")][:400]:
        if _DATE_LABEL.search(text) and len(text) < 200:
            return [text]
    return []


def _main_text(doc: etree._Element, url: str, tables: int) -> tuple[str, str, list[str]]:
    """(text, extractor, notes): trafilatura's main content, or the block text of the main container
    when trafilatura missed the content or dropped one of the `tables` placeholders."""
    tree_html = lxml.html.tostring(doc, encoding="unicode")
    extracted = trafilatura.extract(
        tree_html, url=url or None, include_tables=True, include_comments=False, include_formatting=False,
        include_links=False, include_images=False, deduplicate=False, favor_recall=True,
    )
    fallback = block_text(_main_container(doc))
    if not extracted or len(extracted) < 0.5 * len(fallback) and len(_PLACEHOLDER_RE.findall(extracted)) < tables:
        return fallback, "lxml-blocks+lxml-tables", ["trafilatura missed the main content; used block text"]
    missing = set(range(tables)) - {int(n) for n in _PLACEHOLDER_RE.findall(extracted)}
    if missing:
        return fallback, "lxml-blocks+lxml-tables", [f"trafilatura dropped {len(missing)} table(s); used block text"]
    return extracted, "trafilatura+lxml-tables", []


def _without_furniture_lines(text: str) -> str:
    """The text without lines of page furniture (当前位置：..., 【打印本页】, ICP备 ...)."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and len(stripped) <= _FURNITURE_MAXLEN and _FURNITURE_LINE.match(stripped):
            continue
        lines.append(line)
    return "\n".join(lines)


def _put_tables_back(text: str, tables: list[str]) -> str:
    """Each placeholder replaced by its table on lines of its own (a repeated placeholder: by nothing)."""
    seen: set[int] = set()

    def put_table(m: re.Match) -> str:
        i = int(m.group(1))
        if i in seen:
            return ""
        seen.add(i)
        return "\n" + tables[i] + "\n"

    return _PLACEHOLDER_RE.sub(put_table, text)
