"""What an HTML page says about itself, for classification: title, heading, breadcrumbs, publisher."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from parsel import Selector

from crawler.discovery.scoring import report_like

_PUBLISHER = re.compile(r"(?:发布机构|发文机关|发布单位|信息来源|来源|公开责任部门)[:：\s　]*([^\s　<>|，,:：]{2,30})")
_NEWS = re.compile(r"新闻|动态|要闻|媒体|图片|视频")
_SPACES = re.compile(r"\s+")
_CRUMB_CLASSES = re.compile("position|crumb|location|dqwz")  # in a class; or "position" in an id
_INFO_CLASSES = re.compile("info|xxgk|govpublic|source")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|/|→|>>)\s*")


def _text(strings: Iterable[Any]) -> str:
    return _SPACES.sub(" ", " ".join(strings)).strip()


def _first(values: list[Any]) -> str:
    return str(values[0]).strip() if values else ""


def _marked_texts(root: Any) -> tuple[list[str], list[str]]:
    """The text of the breadcrumb elements and of the info block (marked by class or id), each in document
    order: what `//*[contains(@class,'crumb') or …]//text()` selects, found in one walk of the tree."""
    crumbs: list[Any] = []
    info: list[Any] = []
    for element in root.iter(etree.Element):  # elements only: no comment, no processing instruction
        classes = element.get("class") or ""
        if _CRUMB_CLASSES.search(classes) or "position" in (element.get("id") or ""):
            crumbs.append(element)
        if classes and _INFO_CLASSES.search(classes):
            info.append(element)
    return _texts_of(crumbs), _texts_of(info)


def _texts_of(elements: list[Any]) -> list[str]:
    """The text nodes under `elements` (in document order), each once though one holds another."""
    if not elements:
        return []
    chosen = set(elements)
    texts: list[str] = []
    for element in elements:
        if not any(parent in chosen for parent in element.iterancestors()):
            texts.extend(element.xpath(".//text()"))
    return texts


def page_context(selector: Selector, url: str = "") -> dict[str, Any]:
    """A small dict (JSON-able) of the page's own title, heading, crumbs, publisher and site name.

    Read from the lxml tree the selector already holds, with no Selector per node."""
    root = selector.root
    title = _text(root.xpath("//title//text()"))
    h1 = _text(root.xpath("(//h1[not(contains(@class,'logo'))])[1]//text()"))
    site_name = _first(root.xpath("//meta[@name='SiteName' or @name='sitename' or @property='og:site_name']/@content"))
    column = _first(root.xpath("//meta[@name='ColumnName' or @name='columnname']/@content"))
    crumbs_marked, info_marked = _marked_texts(root)
    crumbs_text = _text(crumbs_marked)
    crumbs = [c for c in _CRUMB_SPLIT.split(crumbs_text.replace("当前位置：", "").replace("当前位置:", "")) if c]
    info = _text(info_marked)[:600]
    publisher = None
    m = _PUBLISHER.search(info)
    if m:
        publisher = m.group(1)
    report_links = 0
    for a in root.xpath("//a")[:400]:
        label = a.get("title") or _text(a.itertext())
        if label and report_like(label):
            report_links += 1
    is_news = bool(_NEWS.search(" ".join(crumbs[1:]) + column)) and not re.search("年报|年度报告", " ".join(crumbs))
    breadcrumb_agency = next((c for c in reversed(crumbs) if re.search(r"(局|委|办|政府|院|中心)$", c)), None)
    return {
        "title": title or None,
        "h1": h1 or None,
        "site_name": site_name or None,
        "column": column or None,
        "crumbs": crumbs[:8],
        "publisher": publisher,
        "breadcrumb_agency": breadcrumb_agency,
        "report_links": report_links,
        "is_news": is_news,
        "url": url,
    }
