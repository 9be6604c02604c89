"""The demo site's link graph as a perfect crawler sees it (what each page leads to, JavaScript included)."""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demo_site.site import Page, Site


def _list_key(path: str) -> str | None:
    """Pages of one list share a key: index/index_N, channels/N/N_K, ?page=K."""
    for pattern in (r"/index(?:_\d+)?\.html$", r"(/channels/\d+)(?:_\d+)?\.html$", r"([?&]page=)\d+$"):
        if re.search(pattern, path):
            return re.sub(pattern, lambda m: (m.group(1) if m.groups() else "/index") + "#", path)
    return None


def out_links(site: Site, page: Page) -> list[str]:
    """Every page `page` leads to: links, list items, attachments, further list pages, API pages."""
    out = [h for _t, h in page.links] + list(page.items) + [h for _t, h in page.attachments]
    out += [h for _t, h in site.settings.get("nav", [])]
    if page.extra.get("preview"):
        out.append(page.extra["preview"])
    key = _list_key(page.path)
    if key and page.kind in ("list", "api"):
        out += [p for p in site.pages if p != page.path and _list_key(p) == key]
    if page.template == "json_shell":
        prefix = page.path.rsplit("/", 1)[0]
        col = int(page.extra.get("column", 0))
        out += [f"{prefix}/api/column/{col}?page=1", f"{prefix}/api/column/{col + 1}?page=1"]
    resolved = []
    for href in out:
        href = re.sub(r";jsessionid=[^?#/]*", "", href.split("#", 1)[0])
        target = site.page(href)
        if target is not None:
            resolved.append(target.path)
        else:  # a redirect hop (downfile.jsp → /attach/…): follow the declared behaviour
            b = site.behaviour(href)
            if b is not None and b.redirect and site.page(b.redirect) is not None:
                resolved.append(site.page(b.redirect).path)  # type: ignore[union-attr]
    return resolved


def shortest_paths(site: Site) -> dict[str, str | None]:
    """Breadth-first parents from the home page: path → the page it is first reached from."""
    parents: dict[str, str | None] = {"/": None}
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        for nxt in out_links(site, site.pages[path]):
            if nxt not in parents:
                parents[nxt] = path
                queue.append(nxt)
    return parents
