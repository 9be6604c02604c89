"""Is it an annual report at all, and which national format do its tables follow (labels, not year).

`judge_report` decides report-or-not from the title and, as real pages often carry no title in their
text, from the body alone: the statutory preamble (根据《条例》…编制本报告, 现公布…年度报告, 统计期限),
the report's own section headings, the statutory table labels. Look-alikes are recognised by what they
say (部门决算/预算, 政府工作报告, 法治政府建设, 工作要点/通知, 总结, 通报, 统计公报, placeholders of a
blank template or 范文, list pages). The verdict names the evidence that decided it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_F1 = tuple(
    re.compile(p)
    for p in (r"本年新制作数量", r"本年新公开数量", r"对外公开总数量", r"上一年项目数量", r"本年增/?减",
              r"采购项目数量", r"采购总金额", r"第二十条第\(九\)项")
)
_F2 = tuple(
    re.compile(p)
    for p in (r"本年制发件数", r"本年废止件数", r"现行有效件数", r"逾期不补正", r"缴纳费用", r"本年收费金额",
              r"本年处理决定数量")
)
_F0 = tuple(
    re.compile(p)
    for p in (r"统计指标", r"指标名称", r"回应解读情况", r"举报投诉数量", r"机构建设和保障经费", r"主动公开政府信息数",
              r"收到申请数", r"申请答复数", r"同意公开答复数", r"政府信息公开情况统计表")
)
_REQUEST_ROWS = tuple(
    re.compile(p)
    for p in (r"本年新收", r"上年结转", r"予以公开", r"国家秘密", r"不掌握", r"重复申请", r"其他处理", r"结转下年度")
)
_REPORT_TITLE = re.compile(
    r"政府信息公开.{0,8}(?:年度报告|年报|工作报告|情况报告|统计表|情况汇报|报告)|政务公开.{0,6}年度报告|信息公开年度报告"
)
_OTHER_TITLE = re.compile(
    r"政府工作报告|决算|预算|法治政府建设|法治建设|工作总结|工作要点|工作计划|统计公报|审计工作报告|述职|履职|"
    r"国民经济和社会发展|实施方案|通知|意见"
)
_SECTION_EVIDENCE = (re.compile(r"主动公开政府信息情况"), re.compile(r"收到和处理政府信息公开申请"))
# A title naming a blank format, a model essay or a sample: never a report, whatever else it says.
_TEMPLATE_TITLE = re.compile(r"模板|范文|范本|样本|样表|报告格式|格式文本")
# Words before the report phrase that make a title news, a notice or a cover letter about a report.
_NEWS_TITLE = re.compile(r"(?:发布|印发|转发|关于做好|关于报送|关于印发|通知|召开|开展|部署|检查|通报|解读|点评|评估|第三方|报送)"
                         r".{0,30}政府信息公开")
# The statutory preamble and the statistics period sentence of a report.
_PREAMBLE = re.compile(
    r"(?:根据|依据|按照)《中华人民共和国政府信息公开条例》.{0,120}?(?:编制本(?:年度)?报告|本(?:年度)?报告|报告如下|(?:现|特)(?:将|公布|发布|向社会公布))"
    r"|本(?:年度)?(?:报告|年报)(?:是)?(?:由|根据|依据|按照)"
    r"|编制(?:了|完成)?本(?:年度)?报告"
    r"|(?:现将|现公布|现发布|现公开|现通过.{0,16}公布|特向社会公布|现特向社会公布|特编制|本机关编制了)"
    r".{0,40}?(?:政府信息公开|政务公开|信息公开).{0,16}?(?:报告|年报)"
    r"|(?:报告|年报).{0,16}(?:统计期限|统计时限|统计期|统计数据|数据统计)"
    r"|(?:统计期限|统计时限)(?:为|自|从|是)"
)
# The report's own section headings (2019/2021 format and the pre-2019 ones).
_SECTIONS = tuple(
    re.compile(p)
    for p in (
        r"主动公开政府信息(?:的)?情况",
        r"收到和处理政府信息公开申请|依申请公开政府信息(?:和不予公开政府信息)?(?:的)?情况|依申请公开(?:工作)?情况",
        r"政府信息公开(?:的)?行政复议|因政府信息公开.{0,10}行政复议|政府信息公开(?:类)?(?:行政)?复议[、,和]?(?:行政)?诉讼",
        r"存在的主要问题(?:及|和)改进|主要问题和改进措施|存在问题(?:及|和)改进",
        r"其他需要报告的事项",
        r"政府信息公开的?收费及减免",
    )
)
# What look-alikes say of themselves (kind, pattern); tested on the body.
_LOOKALIKES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("final_accounts", re.compile(r"收入支出决算总表|决算情况说明|部门决算公开|单位决算公开|财政拨款收入支出决算|决算草案")),
    ("budget", re.compile(r"收支预算总表|部门预算表|预算情况说明|部门预算公开|支出预算表")),
    ("government_work_report", re.compile(r"各位代表|向大会报告(?:政府)?工作|请予审议")),
    ("rule_of_law_report", re.compile(r"法治建设第一责任人|推进法治政府建设的主要|法治政府建设(?:情况|工作)?报告如下")),
    ("notice", re.compile(r"印发给你们|现印发|通知如下|请认真贯彻执行|请结合实际认真贯彻|请认真抓好贯彻落实|现就有关事项通知")),
    ("summary", re.compile(r"总结如下")),
    ("bulletin", re.compile(r"通报如下|现将.{0,30}情况通报")),
    ("statistical_bulletin", re.compile(r"初步核算|地区生产总值|国内生产总值|统计公报")),
    ("performance_review", re.compile(r"履职情况报告如下|绩效管理年终考评|绩效任务全部完成|绩效自评报告")),
    ("guide", re.compile(r"编制本指南")),
    ("audit_report", re.compile(r"审计情况报告如下")),
    ("reply", re.compile(r"申请人[:：]|答复如下|申请答复书")),
    ("plan", re.compile(r"制定本(?:实施)?方案|实施方案如下")),
    ("news", re.compile(r"记者从|本报记者|本报讯|记者获悉|新华社|\d日电")),
)
# Placeholders of a blank template or a model essay: (文字描述), XX, X条, *次 ...
_PLACEHOLDER = re.compile(
    r"\(文字描述|\(略\)|(?<![A-Za-z0-9.])(?:[XＸ×*＊]{1,3}(?:条|件|次|名|场|人|个|项|万元|区|县|市|镇|乡|局|委)"
    r"|(?:XX|xx)(?=[\u4e00-\u9fff]))"
)
_TITLE_LINE = re.compile(r"(?:政府信息公开|政务公开|信息公开).{0,10}(?:年度报告|年报)")


@dataclass(frozen=True)
class Verdict:
    """Report or not, and the evidence that decided (`is_report_evidence` of the record)."""

    is_report: bool
    evidence: tuple[str, ...]


def body_evidence(squashed: str, template: str) -> list[str]:
    """What in the body says 'annual report': preamble, section headings, statutory tables."""
    found = []
    if _PREAMBLE.search(squashed[:8000]):  # the preamble opens the report (or its cover letter)
        found.append("preamble")
    sections = sum(1 for p in _SECTIONS if p.search(squashed))
    if sections >= 3:
        found.append("sections")
    if template != "unknown":
        found.append("tables")
    return found


def lookalike_kinds(squashed: str) -> list[str]:
    """The look-alike kinds whose wording the body carries (a real report may mention a few)."""
    return [kind for kind, p in _LOOKALIKES if p.search(squashed)]


def placeholders(squashed: str, enough: int = 2) -> int:
    """How many placeholders the text holds (counting stops at `enough`)."""
    n = 0
    for _ in _PLACEHOLDER.finditer(squashed):
        n += 1
        if n >= enough:
            break
    return n


def report_title_lines(lines: list[str]) -> int:
    """Short lines that read as report titles: three or more make a list page."""
    return sum(1 for s in lines if len(s) <= 90 and _TITLE_LINE.search(s) and not _SENTENCE_END.search(s))


_SENTENCE_END = re.compile(r"[。;；]")


# Look-alikes whose own wording outweighs a report's preamble and section names (a notice that
# prints the report format, a final-accounts report): only tables holding figures outweigh them.
_OVERRIDING = frozenset({"notice", "government_work_report", "final_accounts", "budget", "statistical_bulletin"})


def judge_report(heads: list[str], squashed: str, template: str, *, lines: list[str] | None = None,
                 has_values: bool = True, titles: int | None = None) -> Verdict:
    """Report or not from the title, then from the body; the evidence names what decided.
    `has_values`: whether the statutory tables (when any) hold figures; `titles`: how many of `heads`
    are titles given with the document (the rest are its first lines: evidence `heading`)."""
    if placeholders(squashed) >= 2:
        return Verdict(False, ("placeholders",))
    body = body_evidence(squashed, template)
    if lines is not None and not (set(body) & {"sections", "tables"}) and \
            report_title_lines([re.sub(r"\s+", "", line) for line in lines[:120]]) >= 3:
        return Verdict(False, ("list",))
    for i, s in enumerate(heads[:3]):
        where = "title" if titles is None or i < titles else "heading"
        if _TEMPLATE_TITLE.search(s):
            return Verdict(False, (f"{where}:template",))
        if _REPORT_TITLE.search(s) and not _NEWS_TITLE.search(s):
            return Verdict(True, (where, *body))
        other = _OTHER_TITLE.search(s)
        if other and "政府信息公开" not in s:
            return Verdict(False, (f"{where}:{other.group(0)}",))
    kinds = lookalike_kinds(squashed[:3000])
    tables = "tables" in body and has_values
    overriding = [k for k in kinds if k in _OVERRIDING]
    if overriding and not tables:
        return Verdict(False, tuple(f"lookalike:{k}" for k in overriding))
    strong = tables or ("preamble" in body and "sections" in body)
    if kinds and not strong:
        return Verdict(False, tuple(f"lookalike:{k}" for k in kinds))
    if body:
        return Verdict(True, tuple(body))
    if all(p.search(squashed) for p in _SECTION_EVIDENCE):
        return Verdict(True, ("sections",))
    return Verdict(False, ("no_evidence",))


def format_scores(squashed: str) -> tuple[int, int, int]:
    """Distinct discriminating labels found for (F0 pre2019, F1 2019, F2 2021)."""
    return (
        sum(1 for p in _F0 if p.search(squashed)),
        sum(1 for p in _F1 if p.search(squashed)),
        sum(1 for p in _F2 if p.search(squashed)),
    )


def request_rows_found(squashed: str) -> int:
    return sum(1 for p in _REQUEST_ROWS if p.search(squashed))


def detect_template(squashed: str, year: int | None) -> str:
    """'2019', '2021', 'pre2019' or 'unknown', from the labels of the tables."""
    f0, f1, f2 = format_scores(squashed)
    national = f1 + f2
    if f0 >= 3 and national < 2:
        return "pre2019"
    if national >= 2 or (national and request_rows_found(squashed) >= 4):
        if f2 > f1:
            return "2021"
        if f1 > f2:
            return "2019"
        return "2021" if (year or 0) >= 2021 else "2019"
    if request_rows_found(squashed) >= 5:
        return "2021" if (year or 0) >= 2021 else "2019"
    if f0 >= 2:
        return "pre2019"
    return "unknown"


def is_annual_report(heads: list[str], squashed: str, template: str) -> bool:
    """Judged from the title first, then from the body's preamble, sections and tables."""
    return judge_report(heads, squashed, template).is_report
