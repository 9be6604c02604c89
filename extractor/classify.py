"""Crawl-side report classification: is a document a 政府信息公开工作年度报告, for whom, for which year.

The extractor (`extractor.extract_report`) judges title and body; this module adds what only the
crawl knows (the report's own title strictly parsed, anchor text, the page around it: breadcrumbs,
发布机构, site name; the seed's agency) and rejects what the crawl can tell is not a report: news
items and list pages that merely mention one, and the usual distractors (政府工作报告, 预算/决算,
绩效自评, 法治政府建设年度报告, 工作要点, 指南/目录, 统计公报, 工作总结).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from extractor.metadata import fits_self_reference

_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DISCLOSURE = r"(?:政府|政务)?(?:信息)?公开"
_REPORT_WORD = r"(?:工作)?(?:年度报告|年报|工作报告|情况的?报告|报告|情况统计表|统计表|年度工作报告)"
# "<agency><year>年(度)<disclosure>(工作)<report word>"
_TITLE_MAIN = re.compile(
    r"^(?P<agency>.*?)" + _YEAR + r"\s*年?\s*度?\s*(?:的)?\s*(?:度)?" + _DISCLOSURE + r"(?:工作)?" + _REPORT_WORD
    + r"(?P<rest>.*)$"
)
# "关于<year>年(度)政府信息公开(工作)情况的报告"
_TITLE_ABOUT = re.compile(
    r"^(?P<agency>.*?)关于" + _YEAR + r"\s*年\s*度?\s*" + _DISCLOSURE + r"(?:工作)?(?:情况|工作情况)?的?(?:报告|年报)(?P<rest>.*)$"
)
# "<agency>政府信息公开工作年度报告（<year>年度）"
_TITLE_YEAR_AFTER = re.compile(
    r"^(?P<agency>.*?)" + _DISCLOSURE + r"(?:工作)?(?:年度报告|年报|情况统计表)\s*[（(\[【]?\s*" + _YEAR
    + r"\s*年?度?\s*[)）\]】]?(?P<rest>.*)$"
)
# What may follow the report words in a real title: format notes, file extensions, dates.
_ALLOWED_REST = re.compile(
    r"^[\s　]*([（(【\[]?\s*(pdf|PDF|word|Word|WPS|全文|正文|附件|修订版?|更正版?|图解|文字版|[PD]?DF版|PDF版本|版)?\s*[)）】\]]?"
    r"|\.(pdf|docx?|wps|html?|xlsx?|ofd)|[_\-—|｜].*|\s*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)*[\s　]*$",
    re.I,
)
# Prefixes that make a title a news item or a notice about reports, not a report.
_NEWS_PREFIX = re.compile(r"完成|发布|印发|转发|关于做好|关于报送|关于印发|通知|召开|开展|部署|检查|通报|解读|点评|评估|第三方")
DISTRACTOR = re.compile(
    r"(?<!信息公开)政府工作报告|预算|决算|绩效|自评|法治政府|依法行政|工作要点|公开指南|公开目录|公开制度|统计公报|"
    r"国民经济|工作总结|述职|审计|履职|社会责任|质量报告|环境状况|年鉴|指引|实施方案"
)
_AGENCY_SUFFIX = (
    r"(?:人民政府办公室|人民政府办公厅|人民政府|委员会|管理委员会|管委会|办事处|办公室|办公厅|局|厅|委|院|署|中心|"
    r"政府|集团|公司|站|所|馆|会|处|办|部|队|街道|镇|乡)"
)
_AGENCY_AT_END = re.compile(_AGENCY_SUFFIX + r"$")
_STRONG_SUFFIX = re.compile(
    r"(?:人民政府办公室|人民政府办公厅|人民政府|委员会|管委会|办事处|办公室|办公厅|局|厅|院|署|中心|集团|公司)"
)
_LEADING_JUNK = re.compile(r"^[\s　\[【（(“\"'《]*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2})?[\s　\]】）)”\"'》:：·•]*")


@dataclass(frozen=True)
class TitleMatch:
    """A title that reads as an annual report: the agency it names (or None) and the year reported on."""

    agency: str | None
    year: int


def normalise_title(title: str) -> str:
    title = re.sub(r"\s+", "", title or "")
    title = re.sub(r"\.(pdf|docx?|wps|xlsx?|ofd)$", "", title, flags=re.I)
    return _LEADING_JUNK.sub("", title)


def parse_report_title(title: str | None) -> TitleMatch | None:
    """Parse a title as `<agency><year>年…政府信息公开工作年度报告` (and variants); None when it is not one."""
    if not title:
        return None
    text = normalise_title(title)
    if not text or len(text) > 80:
        return None
    for pattern in (_TITLE_ABOUT, _TITLE_MAIN, _TITLE_YEAR_AFTER):
        m = pattern.match(text)
        if not m:
            continue
        rest = m.group("rest")
        if rest and not _ALLOWED_REST.match(rest):
            continue
        agency = clean_agency(m.group("agency"))
        raw_prefix = m.group("agency")
        if raw_prefix and _NEWS_PREFIX.search(raw_prefix):
            return None
        if DISTRACTOR.search(text):
            return None
        return TitleMatch(agency, int(m.group("year")))
    return None


def looks_like_report_title(text: str | None) -> bool:
    """A quick test for anchors and titles (no year needed: `政府信息公开工作年度报告` anchors count)."""
    if not text:
        return False
    if parse_report_title(text):
        return True
    t = normalise_title(text)
    return bool(re.search(r"(信息公开|政务公开).{0,6}(年度报告|年报)$", t)) and not _NEWS_PREFIX.search(t) \
        and not DISTRACTOR.search(t) and len(t) <= 60 and bool(re.search(r"\d{4}", t))


def is_distractor_title(title: str | None) -> bool:
    return bool(title) and bool(DISTRACTOR.search(normalise_title(title or "")))


def clean_agency(value: str | None) -> str | None:
    """An agency name, with sentence fragments cut (`上城区卫生健康局高度重视` → `上城区卫生健康局`)."""
    if not value:
        return None
    text = re.sub(r"[\s　]+", "", value)
    text = _LEADING_JUNK.sub("", text)
    text = re.sub(r"^(关于|我(局|委|办|区|县|市)|本(局|委|机关))", "", text)
    text = text.strip("：:，,。、（）()【】[]“”\"'《》-—_|")
    if not text:
        return None
    if _AGENCY_AT_END.search(text):
        return text if 2 <= len(text) <= 40 else None
    ends = [m.end() for m in _STRONG_SUFFIX.finditer(text)]
    if ends and len(text) - ends[-1] <= 12:
        cut = text[: ends[-1]]
        return cut if len(cut) >= 3 else None
    return None


# Where the extractor found an agency in the document's own words (see extractor.metadata).
_OWN_SOURCES = frozenset({"title", "signature", "filler", "body", "lead"})


@dataclass(frozen=True)
class Decision:
    is_report: bool
    agency: str | None
    year: int | None
    reason: str


def _sections(record: dict[str, Any]) -> int:
    sections = record.get("sections") or {}
    return sum(1 for v in sections.values() if v)


def _body_confirms(record: dict[str, Any]) -> bool:
    """The body has the report's shape: a national table template, or most of the six sections (the
    extractor's `is_report_evidence` names the report's section headings or statutory tables)."""
    if record.get("template") in ("2019", "2021", "pre2019") and (
        record.get("active") or record.get("requests") or record.get("legacy")
    ):
        return True
    if set(record.get("is_report_evidence") or ()) & {"sections", "tables"}:  # the extractor's body evidence
        return True
    return _sections(record) >= 4


def classify(record: dict[str, Any] | None, *, titles: list[str | None], url: str,
             context: dict[str, Any] | None = None, seed_agency: str | None = None) -> Decision:
    """The crawl's verdict on one document the extractor has parsed.

    `titles`: the document's own title first, then other names for it (anchor text, Content-Disposition
    file name, the page heading). `context`: what the page around it says (see `context.page_context`).
    """
    context = context or {}
    if not record or not record.get("is_report"):
        return Decision(False, None, None, "extractor: not a report")
    own = [t for t in titles if t]
    match = next((m for m in (parse_report_title(t) for t in own) if m), None)
    if match is None:
        if any(is_distractor_title(t) for t in own[:2]):
            return Decision(False, None, None, "distractor title")
        if own and _NEWS_PREFIX.search(normalise_title(own[0])):
            return Decision(False, None, None, "news item mentioning a report")
        if context.get("is_news"):
            return Decision(False, None, None, "news page")
        if int(context.get("report_links") or 0) >= 3:
            return Decision(False, None, None, "list page")
        if not _body_confirms(record):
            return Decision(False, None, None, "title is not a report title and the body does not confirm")
    elif not _body_confirms(record) and context.get("is_news") and not context.get("report_attachment"):
        return Decision(False, None, None, "news page")
    body = _body_confirms(record)
    stated = record.get("agency_source") in _OWN_SOURCES  # the document names itself there
    portal = [name for name in (clean_agency(context.get("site_name")), seed_agency)
              if fits_self_reference(record.get("agency_self"), name)]  # never the portal for a 我局 report
    agency = (
        (match.agency if match else None)
        or next((m.agency for m in (parse_report_title(t) for t in own[1:]) if m and m.agency), None)
        or (clean_agency(record.get("agency")) if body or stated else None)
        or clean_agency(context.get("publisher"))
        or clean_agency(context.get("breadcrumb_agency"))
        or clean_agency(record.get("agency"))
        or next(iter(portal), None)
    )
    year = match.year if match else record.get("year")
    return Decision(True, agency, year, "title" if match else "body")
