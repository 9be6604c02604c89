"""What an HTML page says about itself, for classification: title, heading, breadcrumbs, publisher."""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector

from extractor.classify import looks_like_report_title

_PUBLISHER = re.compile(r"(?:发布机构|发文机关|发布单位|信息来源|来源|公开责任部门)[:：\s　]*([^\s　<>|，,:：]{2,30})")
_NEWS = re.compile(r"新闻|动态|要闻|媒体|图片|视频")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|/|→|>>)\s*")


def _text(nodes: Any) -> str:
    return re.sub(r"\s+", " ", " ".join(nodes.getall())).strip()


def page_context(selector: Selector, url: str = "") -> dict[str, Any]:
    """A small dict (JSON-able) of the page's own title, heading, crumbs, publisher and site name."""
    title = _text(selector.xpath("//title//text()"))
    h1 = _text(selector.xpath("(//h1[not(contains(@class,'logo'))])[1]//text()"))
    site_name = (
        selector.xpath("//meta[@name='SiteName' or @name='sitename' or @property='og:site_name']/@content").get()
        or ""
    ).strip()
    column = (selector.xpath("//meta[@name='ColumnName' or @name='columnname']/@content").get() or "").strip()
    crumbs_text = _text(selector.xpath(
        "//*[contains(@class,'position') or contains(@class,'crumb') or contains(@class,'location') "
        "or contains(@class,'dqwz') or contains(@id,'position')]//text()"))
    crumbs = [c for c in _CRUMB_SPLIT.split(crumbs_text.replace("当前位置：", "").replace("当前位置:", "")) if c]
    info = _text(selector.xpath(
        "//*[contains(@class,'info') or contains(@class,'xxgk') or contains(@class,'govpublic') "
        "or contains(@class,'source')]//text()"))[:600]
    publisher = None
    m = _PUBLISHER.search(info)
    if m:
        publisher = m.group(1)
    anchors = selector.xpath("//a")
    report_links = 0
    for a in anchors[:400]:
        label = (a.xpath("@title").get() or _text(a.xpath(".//text()")))
        if label and looks_like_report_title(label):
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
