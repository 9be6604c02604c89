"""How promising a link is for finding annual reports, from its anchor text, `title` and URL.

Scores are small numbers: > 0 leads towards reports (the higher, the sooner it is fetched),
<= 0 is neutral or a distractor. The spider turns them into Request.priority and a follow policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from extractor.classify import looks_like_report_title

# (pattern on anchor text / title attribute, weight)
TEXT_WEIGHTS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p), w)
    for p, w in (
        (r"信息公开.{0,4}年报|公开年报|年度报告|工作年报|年报专栏|年报", 8.0),
        (r"信息公开.{0,6}(工作)?报告|统计表", 4.0),
        (r"政府信息公开|信息公开目录|政务公开|信息公开|公开目录|主动公开", 3.0),
        (r"部门(信息公开|政府信息公开|公开)|部门网站|部门|乡镇|街道|区县|县区|专题|专栏|机构", 1.0),
        (r"下一页|尾页|末页|^\s*\d{1,3}\s*$|更多|more|>>|»", 0.5),
    )
)
NEGATIVE_TEXT = re.compile(
    r"新闻|动态|要闻|图片|视频|直播|招聘|招考|互动|信箱|留言|投诉|咨询|征集|访谈|调查|登录|注册|无障碍|长者|"
    r"English|繁體|网站地图|联系我们|隐私|搜索|办事|服务大厅|一件事|天气|旅游|招商|预算|决算|绩效|法治政府|"
    r"工作要点|政府工作报告|统计公报|通知公告|公示|人事|领导|会议"
)
URL_WEIGHTS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.I), w)
    for p, w in (
        (r"zfxxgknb|bmxxgknb|xxgknb|gknb|ndbg|zfxxgkndbg|xtjdbnb|annual_?report|annualreport", 8.0),
        (r"(^|/)nb(/|_|\d|$)", 4.0),
        (r"zfxxgk|xxgk|zwgk|gkml|gkmlpt|openness|/public/column|govpublic", 3.0),
        (r"dataproxy\.jsp|/api/", 1.0),
    )
)
NEGATIVE_URL = re.compile(
    r"xwzx|xwdt|zwdt|news|tpxw|video|hdjl|zmhd|login|register|search|rss|english|/en/|mailbox|wzdt|"
    r"zwfw|bsfw|print|share",
    re.I,
)
DOCUMENT_EXTENSIONS = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar)$", re.I)


MEMO_SIZE = 1 << 16  # links and anchors remembered: a site's menus and lists repeat them on every page


@lru_cache(maxsize=MEMO_SIZE)
def report_like(text: str | None) -> bool:
    """`looks_like_report_title`, remembered: the same anchors recur on every page of a site."""
    return looks_like_report_title(text)


@dataclass(frozen=True)
class LinkScore:
    score: float
    report_like: bool = False  # the anchor/title reads like a report title: always fetch


@lru_cache(maxsize=MEMO_SIZE)
def score_link(url: str, anchor: str | None = None, title: str | None = None) -> LinkScore:
    """The score of one link (remembered); a report-like anchor or title scores highest."""
    text = " ".join(t for t in (anchor, title) if t).strip()
    if text and report_like(text):
        return LinkScore(20.0, True)
    score = 0.0
    if text:
        best = max((w for p, w in TEXT_WEIGHTS if p.search(text)), default=0.0)
        score += best
        if NEGATIVE_TEXT.search(text):
            score -= 3.0 if best < 8 else 1.0
    parts = urlsplit(url)
    path = unquote(parts.path + ("?" + parts.query if parts.query else ""))
    url_best = max((w for p, w in URL_WEIGHTS if p.search(path)), default=0.0)
    score += url_best * (0.5 if text else 1.0)
    if NEGATIVE_URL.search(parts.path):
        score -= 2.0
    is_file = DOCUMENT_EXTENSIONS.search(parts.path) or re.search(r"down(load|file)", parts.path, re.I)
    if is_file and text and re.search(r"年报|年度报告|信息公开", text):
        return LinkScore(20.0, True)  # attachments named as reports: cheap leaves, always worth a look
    return LinkScore(score)


def priority(score: float) -> int:
    """Request.priority from a score (higher first); neutral links sit at 0."""
    return int(round(score * 10))
