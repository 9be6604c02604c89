"""Endless pages a portal generates by itself: an event calendar and a tag cloud (a link farm).

They are not pages of the site description (they never end); the server answers them by pattern.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="position">当前位置：<a href="/">首页</a> &gt; {title}</div><div class="main">{body}</div></body></html>"""


def _html(title: str, body: str) -> tuple[int, bytes, str, list[tuple[str, str]]]:
    return 200, _PAGE.format(title=title, body=body).encode("utf-8"), "text/html; charset=utf-8", []


def trap_answer(path: str) -> tuple[int, bytes, str, list[tuple[str, str]]] | None:
    """(status, body, content type, headers) for a trap path, or None."""
    parts = urlsplit(path)
    if parts.path == "/hdjl/calendar.jsp":
        query = dict(parse_qsl(parts.query))
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", query.get("date", "2021-03"))
        year, month = (int(m[1]), int(m[2])) if m else (2021, 3)
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        days = "".join(f'<a href="/hdjl/calendar.jsp?date={year}-{month:02d}&amp;day={d}">{d}</a> ' for d in range(1, 29))
        body = (f'<h2>办事日历 {year}年{month}月</h2><p><a href="/hdjl/calendar.jsp?date={prev_y}-{prev_m:02d}">上个月</a> '
                f'<a href="/hdjl/calendar.jsp?date={next_y}-{next_m:02d}">下个月</a></p><p>{days}</p>')
        return _html("办事日历", body)
    m = re.fullmatch(r"/tags/(?:index|t(\d+))\.html", parts.path)
    if m:
        n = int(m[1] or 0)
        links = "".join(f'<li><a href="/tags/t{n * 31 + k + 1}.html">热词{n * 31 + k + 1}</a></li>' for k in range(30))
        return _html(f"热门标签{n}", f"<ul>{links}</ul>")
    return None
