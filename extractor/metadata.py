"""Agency, reporting year and signature date of a report (title, heading, signature, 填报单位)."""

from __future__ import annotations

import re
from collections import Counter

from extractor.normalise import squash

_SUFFIX = (
    r"(?:人民政府办公室|人民政府办公厅|人民政府|委员会|管理委员会|管委会|办公室|办公厅|办事处|街道|局|委|厅|署|院|"
    r"中心|镇|乡|部|处|所|站|队|馆|会|公司|集团|监狱|学校|医院|政府|法院|检察院)"
)
_AGENCY_LINE = re.compile(r"^[\u4e00-\u9fff()]{2,40}" + _SUFFIX + r"$")
_TITLE = re.compile(
    r"^(?:关于)?(?P<agency>[\u4e00-\u9fff()]{2,40}?)(?:关于(?:印发|公布|发布|公开)?)?(?:\d{4}年度?)?"
    r"(?:政府信息公开|政务公开|信息公开|政府信息)"
)
# Words that stand where an agency would but name none (`关于2018年政府信息公开…` has no agency).
_GENERIC_AGENCY = frozenset({"政府", "人民政府", "本机关", "本单位", "本局", "我局", "我委", "我单位", "我区", "我县", "我市"})
_LEAD_TITLE_YEAR = re.compile(r"^(?:关于)?(?:19|20)\d\d年度?")
_LEAD_AGENCY = re.compile(
    r"^(?:(?:19|20)\d\d年度?[,，]?)?([\u4e00-\u9fff()]{2,30}?" + _SUFFIX + r")(?:认真|深入|坚持|严格|按照|根据|全面|高度|继续|积极|始终|扎实|紧紧|以)"
)
_FURNITURE = re.compile(r"版权|主办|承办|技术支持|备案|网站|联系")
_REPORT_WORD = re.compile(r"报告|年报|统计表|汇报")
_TITLE_YEAR = re.compile(r"((?:19|20)\d\d)年?度?(?:政府信息公开|政务公开|信息公开|政府信息|年度报告|年报|工作报告)")
_PAREN_YEAR = re.compile(r"\(((?:19|20)\d\d)年度?\)")
_REPORT_YEAR = re.compile(r"现将.{0,12}?((?:19|20)\d\d)年")
_LEAD_YEAR = re.compile(r"^((?:19|20)\d\d)年(?:度)?[,，以]")
_ANY_YEAR = re.compile(r"((?:19|20)\d\d)年")
_FILLER = re.compile(r"填报单位(?:\(盖章\))?[::]?([\u4e00-\u9fff()]{2,40})")
_DATE = re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日")
_DATE_ISO = re.compile(r"((?:19|20)\d\d)[-./](\d{1,2})[-./](\d{1,2})")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([十一二三四五六七八九]{1,3})月([十一二三四五六七八九]{1,4})日")
_DATE_LABEL = re.compile(r"(?:填报日期|发布日期|发布时间|成文日期|日期)[::]?")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_SENTENCE = re.compile(r"[。,;!?]")
_AGENCY_STOP = ("政府信息公开", "年度报告", "工作报告", "统计表", "情况", "附件")


def _cn_number(s: str) -> int:
    if "十" not in s:
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    tens, _, ones = s.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _iso(y: int, m: int, d: int) -> str | None:
    if 1 <= m <= 12 and 1 <= d <= 31 and 1990 <= y <= 2100:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def parse_date(s: str) -> str | None:
    """A date written 2021年1月5日, 二〇二一年一月五日 or 2021-01-05 as YYYY-MM-DD."""
    m = _DATE.search(s)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _CN_DATE.search(s)
    if m:
        try:
            return _iso(_cn_number(m.group(1)), _cn_number(m.group(2)), _cn_number(m.group(3)))
        except KeyError:
            return None
    m = _DATE_ISO.search(s)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _standalone_date(line: str) -> str | None:
    s = squash(line).strip("|")
    if not s or len(s) > 16:
        return None
    for pattern in (_DATE, _CN_DATE, _DATE_ISO):
        m = pattern.fullmatch(s)
        if m:
            return parse_date(s)
    return None


def title_lines(lines: list[str], title: str | None, limit: int = 6) -> list[str]:
    """The given title and the first few short non-empty lines (the document's heading)."""
    out = [squash(title)] if title else []
    for line in lines:
        s = squash(line)
        if not s:
            continue
        if len(s) <= 60 and not _SENTENCE.search(s):
            out.append(s)
        limit -= 1
        if limit <= 0:
            break
    return out


def _clean_agency(s: str) -> str | None:
    s = s.strip("()|:")
    if s.startswith("关于"):
        s = s[2:]
    s = re.sub(r"关于(?:印发|公布|发布|公开)?$", "", s)
    if len(s) < 2 or s in _GENERIC_AGENCY or any(stop in s for stop in _AGENCY_STOP) or re.search(r"\d", s) or _FURNITURE.search(s):
        return None
    return s


def find_agency(lines: list[str], title: str | None, heads: list[str]) -> str | None:
    """The fullest agency name found in the title, heading, signature and 填报单位."""
    candidates: list[str] = []
    for s in heads:
        page_title = _LEAD_TITLE_YEAR.sub("", re.split(r"[_|—-]", s, maxsplit=1)[0])
        m = _TITLE.match(page_title) if _REPORT_WORD.search(page_title) else None
        if m:
            agency = _clean_agency(m.group("agency"))
            if agency:
                candidates.append(agency)
        elif _AGENCY_LINE.match(s):
            agency = _clean_agency(s)
            if agency:
                candidates.append(agency)
    tail: list[str] = []
    for line in reversed(lines):
        if len(tail) >= 10:
            break
        if line.strip() and len(line) <= 60:
            tail.append(squash(line).strip("|"))
        elif line.strip():
            tail.append("")
    for s in reversed(tail):
        m = _DATE.search(s) or _CN_DATE.search(s)
        if m and m.start() > 0:
            s = s[: m.start()]
        if _AGENCY_LINE.match(s):
            agency = _clean_agency(s)
            if agency:
                candidates.append(agency)
    for line in lines:
        if "填报单位" in line:
            m = _FILLER.search(squash(line))
            if m:
                agency = _clean_agency(m.group(1))
                if agency:
                    candidates.append(agency)
    if not candidates:
        first = next((squash(line) for line in lines if line.strip()), "")
        m = _LEAD_AGENCY.match(first)
        if m:
            agency = _clean_agency(m.group(1))
            if agency:
                candidates.append(agency)
    if not candidates:
        return None
    return max(candidates, key=len)


def find_published(lines: list[str]) -> str | None:
    """The signature date (a date standing alone, best right under the agency), else 填报日期 / 发布日期."""
    signed: str | None = None
    standalone: str | None = None
    previous = ""
    for line in lines:
        if not line.strip():
            continue
        date = _standalone_date(line) if len(line) < 60 else None
        if date:
            if signed is None and _AGENCY_LINE.match(previous) and not _FURNITURE.search(previous):
                signed = date
            standalone = date
        previous = squash(line).strip("|") if len(line) <= 60 else ""
    if signed or standalone:
        return signed or standalone
    for line in lines:
        if "日期" in line or "发布时间" in line:
            m = _DATE_LABEL.search(squash(line))
            if m:
                date = parse_date(squash(line)[m.end() :][:20])
                if date:
                    return date
    for line in reversed(lines[-15:]):
        s = squash(line)
        m = _DATE.search(s) or _CN_DATE.search(s)
        if m and m.end() == len(s.rstrip("|")) and len(s) <= 50:
            return parse_date(s)
    return None


def find_year(lines: list[str], heads: list[str], published: str | None) -> int | None:
    """The year reported on: title, (XXXX年度), 现将…年, the lead sentence, else signature year - 1."""
    for s in heads:
        m = _TITLE_YEAR.search(s)
        if m:
            return int(m.group(1))
    for line in lines:
        if "年" in line and "(" in line:
            m = _PAREN_YEAR.search(squash(line))
            if m:
                return int(m.group(1))
    first = next((squash(line) for line in lines if line.strip()), "")
    m = _LEAD_YEAR.match(first)
    if m:
        return int(m.group(1))
    for line in lines[:60]:
        if "现将" in line:
            m = _REPORT_YEAR.search(squash(line))
            if m:
                return int(m.group(1))
    if published:
        return int(published[:4]) - 1
    counts: Counter[int] = Counter()
    for line in lines[:80]:
        for m in _ANY_YEAR.finditer(line):
            counts[int(m.group(1))] += 1
    return counts.most_common(1)[0][0] if counts else None
