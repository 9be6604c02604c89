"""SiteServer split articles: page 1 `346.html` links its later pages `346_2.html`, `346_3.html` …

The spider fetches the later pages of an article in a chain and hands page 1 on with them as parts;
`pipelines.siteserver` strips the `[SITESERVER_PAGE]` marker the CMS leaves in the joined text.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

_HREF = re.compile(r"""href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_PAGE_SUFFIX = re.compile(r"^(?P<stem>.*?)(?:_(?P<n>\d{1,4}))?(?P<ext>\.[A-Za-z0-9]+)?$")
# Lists paginate the same way (`index_2.html`, `/channels/12_2.html`): they are not split articles.
_LIST_STEM = re.compile(r"/(?:index|default|list|more|channels/\d+)$", re.IGNORECASE)
MAX_ARTICLE_PAGES = 30


def _split(url: str) -> tuple[str, str, int] | None:
    """(url without page suffix and extension, extension, page number) of a content URL."""
    parts = urlsplit(url)
    head, _, last = parts.path.rpartition("/")
    m = _PAGE_SUFFIX.match(last)
    if not m or not last:
        return None
    stem = urlunsplit((parts.scheme, parts.netloc, head + "/" + m.group("stem"), "", ""))
    return stem, m.group("ext") or "", int(m.group("n") or 1)


def _sibling_pages(html: str, url: str, stem: str, ext: str) -> list[int]:
    """The page numbers of the links in `html` to pages of the article `stem` + `ext`."""
    name = stem.rpartition("/")[2]
    if "&" not in name and name not in html:
        return []  # no link can end in `name_N.ext` or `name.ext`: no need to resolve every href
    numbers = []
    for href in _HREF.findall(html):
        href = href.replace("&amp;", "&")
        if href.startswith(("javascript:", "#", "mailto:")):
            continue
        other = _split(urljoin(url, href))
        if other is not None and other[0] == stem and other[1] == ext:
            numbers.append(other[2])
    return numbers


def siteserver_page_urls(html: str, url: str) -> list[str]:
    """The `_2, _3 ...` pages of the split article `url` that `html` links to (首页/下一页/末页 or
    page numbers), in order, with gaps up to the highest page filled in. Page 1 is not listed."""
    me = _split(url)
    if me is None or not html:
        return []
    stem, ext, _n = me
    last = max((n for n in _sibling_pages(html, url, stem, ext) if n >= 2), default=0)
    return [f"{stem}_{n}{ext}" for n in range(2, last + 1)]


def page_number(url: str) -> int:
    """The page number a content URL carries (`346_3.html` → 3, `346.html` → 1)."""
    me = _split(url)
    return me[2] if me else 1


def split_article_pages(html: str, url: str) -> list[str]:
    """The `_2 .. _n` pages to fetch and join when `url` is page 1 of a split article; [] for a
    single page, a later page, a list page or an implausible page count."""
    me = _split(url)
    if me is None or me[2] != 1 or _LIST_STEM.search(urlsplit(me[0]).path):
        return []
    pages = siteserver_page_urls(html, url)
    return pages if len(pages) < MAX_ARTICLE_PAGES else []


def first_page_of(html: str, url: str) -> str | None:
    """Page 1 of the split article when `url` is one of its later pages (`346_2.html` that links back
    to `346.html` or to a sibling page); None otherwise."""
    me = _split(url)
    if me is None or me[2] < 2 or _LIST_STEM.search(urlsplit(me[0]).path):
        return None
    stem, ext, n = me
    if any(other != n for other in _sibling_pages(html or "", url, stem, ext)):
        return f"{stem}{ext}"
    return None
