"""Agency, reporting year and signature date of a report (title, heading, body, signature, 填报单位).

The agency comes from the strongest source that names one: the title, then what the body says of
itself (现公布XX2021年…年度报告, 由XX编制, XX是主管…的部门, the lead sentence), the signature block,
填报单位, 请与XX联系, the page's 来源/发布机构 line. Short forms (区公安分局, 市卫健委, 我局) are
completed from the page context (site name, seed agency, the other names found), and among the forms
of that one agency the fullest wins; the portal's name never stands in for a department.
`published` comes from the signed date, else the page's 发布日期/时间 line, else meta PubDate, and
`find_published_source` says which.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

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
_GENERIC_AGENCY = frozenset({"政府", "人民政府", "本机关", "本单位", "本局", "我局", "我委", "我单位", "我区", "我县", "我市",
                             "我乡", "我镇", "我办", "我厅", "本委", "我街道", "全县", "全区", "全市", "各单位", "本部门"})
_LEAD_TITLE_YEAR = re.compile(r"^(?:关于)?(?:19|20)\d\d年度?")
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
_CN_DATE = re.compile(r"([〇○◯零OoＯ0一二三四五六七八九]{4})年([十一二三四五六七八九]{1,3})月([十一二三四五六七八九]{1,4})日")
_DATE_LABEL = re.compile(r"(?:填报日期|发布日期|发布时间|发表日期|发文日期|成文日期|公文生成日期|生成日期|更新时间|日期|时间)[::]?")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {c: 0 for c in "○◯零OoＯ0"}
_SENTENCE = re.compile(r"[。,;!?]")
_AGENCY_STOP = ("政府信息公开", "报告", "统计表", "情况", "附件")
_NOTE_LEAD = re.compile(r"^[(【\[][^()【】\[\]]{1,8}[)】\]]")  # (图解), 【全文】 before a title
_JUNK_LEAD = re.compile(r"^(?:第[一二三四五六七八九十\d]+[条章节部分项]|[一二三四五六七八九十]+、|\d+[.、])")


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


def title_lines(lines: list[str], title: str | None, limit: int = 6, extra: list[str] | tuple[str, ...] = ()
                ) -> list[str]:
    """The given title(s) and the first few short non-empty lines (the document's heading)."""
    out = [squash(t) for t in (title, *extra) if t]
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
    s = _JUNK_LEAD.sub("", _NOTE_LEAD.sub("", s).strip("()|:"))
    if s[:1] in "本我全各该其":
        return None
    if s.startswith("关于"):
        s = s[2:]
    s = re.sub(r"关于(?:印发|公布|发布|公开)?$", "", s)
    if len(s) < 2 or s in _GENERIC_AGENCY or any(stop in s for stop in _AGENCY_STOP) or re.search(r"\d", s) or _FURNITURE.search(s):
        return None
    return s


@dataclass
class PageContext:
    """What surrounds a document: its URL, the site's name, the seed's agency, other titles for it
    (list anchor, meta ArticleTitle), the page's meta author/source and publication date."""

    url: str | None = None
    site_name: str | None = None
    seed_agency: str | None = None
    titles: list[str] = field(default_factory=list)
    author: str | None = None
    source: str | None = None
    pub_date: str | None = None


# What the body says of its own agency (group `a`), strongest statements first.
_AGENCY_NAME = r"(?P<a>[\u4e00-\u9fff()]{2,40}?)"
_STATEMENTS = (
    re.compile(r"(?:现将|现公布|现发布|现公开|现特向社会公布|特向社会公布|特编制|现通过.{0,16}?(?:公布|发布)|制定了)"
               r"《?(?:(?:19|20)\d\d年度?)?" + _AGENCY_NAME + r"(?:(?:19|20)\d\d年度?)?(?:的)?(?:政府信息公开|政务公开|信息公开)"),
    re.compile(r"(?:本(?:年度)?(?:报告|年报)(?:是)?(?:根据.{0,80}?)?|要求[,，]|规定[,，])由" + _AGENCY_NAME
               + r"(?:根据|依据|按照|综合|汇总|负责|编制|组织)"),
    re.compile(r"(?:^|[。,，])" + _AGENCY_NAME + r"(?:是|作为)(?:主管|负责)", re.MULTILINE),
)
_CONTACT = re.compile(r"(?:请与|可与|直接与|请联系|联系单位[:：]?|咨询)" + r"(?P<a>[\u4e00-\u9fff()]{2,50}?)(?:联系|[,，(（:：。;；]|电话|$)", re.MULTILINE)
_PAGE_SOURCE = re.compile(r"(?:信息来源|文章来源|来源|发布机构|发文机关|发文机构|编制单位|发布单位)[:：]?(?P<a>[\u4e00-\u9fff()]{2,30})")
_LEAD = re.compile(
    r"^(?:(?:19|20)\d\d年(?:度|以来|来)?[,，]?)?(?P<a>[\u4e00-\u9fff()]{2,30}?" + _SUFFIX + r")"
    r"(?:认真|深入|坚持|严格|按照|根据|全面|高度|继续|积极|始终|扎实|紧紧|以|在|不断|切实|进一步|围绕|聚焦|持续|立足|牢固|坚决|紧扣|着力|主动|共|全年|累计|通过|依法|结合|贯彻|落实|强化|加强|大力|把|及时|依托|依据|突出|注重|全力|精心|紧密|统筹|深化|规范|做好|按|对|共计|于)"
)
# A sub-unit after the agency in a contact or editor (办公室, 政务公开办公室, 保密与电子政务处 ...).
_SUBUNIT = re.compile(
    r"^(?P<a>.{2,40}?(?:人民政府|政府|管理委员会|管委会|委员会|办事处|分局|局|委|厅|署|院|街道|镇|乡))"
    r"(?:[\u4e00-\u9fff]{0,14}(?:办公室|办公厅|办|处|科|股|室|中心|小组))$"
)
# What a name found in running text must end with to be taken for an agency (not 一年来, 有关情况).
_NAMES_AGENCY = re.compile(r"(?:" + _SUFFIX[3:-1] + r"|[省市区县旗州盟])$")
_FIELD_LABEL = re.compile(r"发布|时间|日期|作者|浏览|点击|字号|访问|编辑|索引|成文|主题|文号|公文|有效|分类|责任")
_LEVELS = "省市州盟区县旗镇乡"
_NOT_SHORT = re.compile(r"^(?:市场|市政|区域|县域|州立)")
_SELF = re.compile(r"(?:我|本)(局|委|办|厅|署|院|中心|乡|镇|街道|区|县|市|州|旗|分局|机关|单位|部门)")
_KIND_SUFFIXES = (
    ("人民政府办公室", "办"), ("人民政府办公厅", "办"), ("政府办公室", "办"), ("政府办", "办"), ("办公室", "办"),
    ("办公厅", "办"), ("人民政府", "政府"), ("政府", "政府"), ("管理委员会", "委"), ("管委会", "委"), ("委员会", "委"),
    ("委", "委"), ("办事处", "街道"), ("街道", "街道"), ("分局", "分局"),
)


def agency_kind(name: str) -> str:
    """The kind of body a name ends with (委员会 and 委 alike, 人民政府 and 政府 alike)."""
    for suffix, kind in _KIND_SUFFIXES:
        if name.endswith(suffix):
            return kind
    return name[-1:]


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def is_form_of(short: str, long: str) -> bool:
    """Whether `short` is a shorter way of writing the agency `long` (市卫健委 → 某市卫生健康委员会)."""
    return len(short) <= len(long) and agency_kind(short) == agency_kind(long) and _subsequence(short, long)


def _regions(name: str) -> list[str]:
    """Place prefixes of a full name: 福州市晋安区人民政府 → [福州市, 福州市晋安区]."""
    return [name[: i + 1] for i, ch in enumerate(name) if ch in _LEVELS and i >= 1]


def _is_short(name: str) -> bool:
    return name[:1] in _LEVELS and len(name) <= 14 and not _NOT_SHORT.match(name)


def complete_short(name: str, references: list[str]) -> str | None:
    """区公安分局 + a reference naming 某某区 → 某某区公安分局 (the longest place ending at that level)."""
    level = name[0]
    places = [r for ref in references for r in _regions(ref) if r.endswith(level)]
    if not places:
        return None
    return max(places, key=len) + name[1:]


def _trim_subunit(name: str) -> str:
    if name.endswith("办事处"):
        return name
    m = _SUBUNIT.match(name)
    return m.group("a") if m and len(m.group("a")) >= 3 else name


def agency_candidates(lines: list[str], title: str | None, heads: list[str], *, given: int | None = None
                      ) -> list[tuple[str, str]]:
    """(source, name) of every agency name the document gives, strongest source first. The first
    `given` heads are titles from outside the text (default: 1 when `title` is given); a bare agency
    name there is the portal's page title, not the report's agency, and is skipped."""
    given = (1 if title else 0) if given is None else given
    out: list[tuple[str, str]] = []

    def add(source: str, value: str | None, *, trim: bool = False) -> None:
        agency = _clean_agency(value or "")
        if agency and trim:
            agency = _trim_subunit(agency)
        if agency and (source in ("title", "signature", "filler") or _NAMES_AGENCY.search(agency)):
            out.append((source, agency))

    for i, s in enumerate(heads):
        page_title = _LEAD_TITLE_YEAR.sub("", re.split(r"[_|—-]", s, maxsplit=1)[0])
        m = _TITLE.match(page_title) if _REPORT_WORD.search(page_title) else None
        if m:
            add("title", m.group("agency"))
        elif i >= given and _AGENCY_LINE.match(_LEAD_TITLE_YEAR.sub("", s)):
            add("title", _LEAD_TITLE_YEAR.sub("", s))
    head = [squash(line) for line in lines[:60] if line.strip()]
    head_text = "\n".join(head)  # patterns never cross a line: one search per pattern
    for pattern in _STATEMENTS:
        m = pattern.search(head_text)
        if m:
            add("body", m.group("a"), trim=True)
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
            add("signature", s)
    for line in lines:
        if "填报单位" in line:
            m = _FILLER.search(squash(line))
            if m:
                add("filler", m.group(1))
    for s in head[:12]:
        if _NUMBERED_HEAD.match(s):
            continue
        m = _LEAD.match(s)
        if m:
            add("lead", m.group("a"))
            break
    ends = "\n".join([head_text, *(squash(line) for line in lines[-12:])])
    if "联系" in ends or "咨询" in ends:
        for m in _CONTACT.finditer(ends):
            add("contact", m.group("a"), trim=True)
    for m in _PAGE_SOURCE.finditer("\n".join(head[:15])):
        add("page", _FIELD_LABEL.split(m.group("a"))[0])
    return out


_NUMBERED_HEAD = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})[、.]|^\([一二三四五六七八九十\d]+\)")


def _context_names(context: PageContext | None) -> list[str]:
    if context is None:
        return []
    names = [context.seed_agency, context.site_name, context.author, context.source]
    return [n for n in (_clean_agency(squash(x)) if x else None for x in names) if n]


# Sources in tiers: the spec's own (title, heading, signature, 填报单位) first, then what the body says
# of itself, then contacts and page furniture, then meta tags. The fullest form is taken within a tier.
_TIERS = {"title": 0, "signature": 0, "filler": 0, "body": 1, "lead": 1, "contact": 2, "page": 2, "meta": 3}


def choose_agency(candidates: list[tuple[str, str]], lines: list[str], context: PageContext | None = None
                  ) -> tuple[str | None, str | None]:
    """(agency, source): the strongest source's agency, completed and in its fullest form."""
    references = [name for _, name in candidates if not _is_short(name)] + _context_names(context)
    names: list[tuple[str, str]] = []
    for source, name in candidates:
        names.append((source, (complete_short(name, references) or name) if _is_short(name) else name))
    if context is not None:
        for name in (context.source, context.author):
            agency = _clean_agency(squash(name)) if name else None
            if agency and not _is_short(agency) and _NAMES_AGENCY.search(agency):
                names.append(("meta", agency))
    if not names:
        own = _self_reference(lines)
        if own and context is not None:
            for ref in (context.seed_agency, context.site_name):
                agency = _clean_agency(squash(ref)) if ref else None
                if agency and _self_matches(own, agency):
                    return agency, "context"
        return None, None
    tier = min(_TIERS[source] for source, _ in names)
    source, primary = next((src, n) for src, n in names if _TIERS[src] == tier)
    forms = [n for src, n in names if _TIERS[src] == tier and (is_form_of(primary, n) or is_form_of(n, primary))]
    # from weaker sources, a fuller spelling of the same name (市卫健委 → …卫生健康委员会) but not
    # merely a higher place prefix (the title's 洪泽区人民政府 stays; 淮安市洪泽区人民政府 is the body's)
    placed = any(ch in _LEVELS for ch in primary[1:-1])
    forms += [n for _, n in names if is_form_of(primary, n) and not (placed and n.endswith(primary))]
    return max(forms, key=len), source


def self_reference(lines: list[str]) -> str | None:
    """The word the document uses for itself most (我局 → 局, 我委 → 委, 我县 → 县), or None."""
    return _self_reference(lines)


def fits_self_reference(own: str | None, agency: str | None) -> bool:
    """Whether a name from outside the text (site name, seed agency) may stand for a document that
    calls itself `own` (None: the document says nothing of itself, any name may)."""
    if not agency:
        return False
    return own is None or _self_matches(own, agency)


def _self_reference(lines: list[str]) -> str | None:
    counts = Counter(m.group(1) for m in _SELF.finditer("\n".join(lines[:80])))
    return counts.most_common(1)[0][0] if counts else None


def _self_matches(own: str, agency: str) -> bool:
    """我局 fits 某县教育局, 我县 fits 某县人民政府 (the place's government), 我委 fits …委员会."""
    if own in ("机关", "单位", "部门"):
        return False
    if own in _LEVELS:
        place = re.sub(r"(?:人民政府|政府)$", "", agency)
        return agency_kind(agency) == "政府" and place.endswith(own)
    return agency_kind(agency) == agency_kind(own)


def find_agency(lines: list[str], title: str | None, heads: list[str], *, context: PageContext | None = None
                ) -> str | None:
    """The agency the document names itself by, in its fullest form (see `choose_agency`)."""
    return choose_agency(agency_candidates(lines, title, heads), lines, context)[0]


def find_published_source(lines: list[str], context: PageContext | None = None) -> tuple[str | None, str | None]:
    """(date, source): the signed date ('signature'), else the page's 发布日期/时间 line ('page'),
    else the meta PubDate ('meta')."""
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
        return signed or standalone, "signature"
    for line in lines:
        if "日期" in line or "时间" in line:
            s = squash(line)
            for m in _DATE_LABEL.finditer(s):
                rest = s[m.end() :][:20]
                if _DATE.match(rest) or _DATE_ISO.match(rest) or _CN_DATE.match(rest):
                    date = parse_date(rest)
                    if date:
                        return date, "page"
    for line in reversed(lines[-15:]):
        s = squash(line)
        m = _DATE.search(s) or _CN_DATE.search(s)
        if m and m.end() == len(s.rstrip("|")) and len(s) <= 50:
            date = parse_date(s)
            if date:
                return date, "signature"
    if context is not None and context.pub_date:
        date = parse_date(context.pub_date)
        if date:
            return date, "meta"
    return None, None


def find_published(lines: list[str]) -> str | None:
    """The signature date (a date standing alone, best right under the agency), else 发布日期 / 时间."""
    return find_published_source(lines)[0]


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
