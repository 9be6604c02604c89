"""Is it an annual report at all, and which national format do its tables follow (labels, not year)."""

from __future__ import annotations

import re

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
    """Judged from the title first, then from the body's sections and tables."""
    for s in heads[:3]:
        if _REPORT_TITLE.search(s):
            return True
        if _OTHER_TITLE.search(s) and "政府信息公开" not in s:
            return False
    if template != "unknown":
        return True
    return all(p.search(squashed) for p in _SECTION_EVIDENCE)
