"""The national report formats as data: table 二 blocks, table 三 rows and columns, table 四 groups.

Everything the renderer draws and the extractor looks for comes from here (formats.md §2-§3), so the
two cannot drift apart. Labels are the official wording; the extractor matches them by key phrases.
"""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATES = ("2019", "2021", "pre2019", "unknown")


@dataclass(frozen=True, slots=True)
class ActiveBlock:
    """One 第二十条第（X）项 block of table 二: its rows (key, label) and value columns (field, header)."""

    item: str
    rows: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, str], ...]


_PREV = (("prev_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))

ACTIVE_BLOCKS: dict[str, tuple[ActiveBlock, ...]] = {
    "2019": (
        ActiveBlock(
            "（一）",
            (("rules", "规章"), ("normative_documents", "规范性文件")),
            (("made", "本年新制作数量"), ("published", "本年新公开数量"), ("total", "对外公开总数量")),
        ),
        ActiveBlock("（五）", (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")), _PREV),
        ActiveBlock("（六）", (("penalty", "行政处罚"), ("coercion", "行政强制")), _PREV),
        ActiveBlock("（八）", (("fees", "行政事业性收费"),), _PREV[:2]),
        ActiveBlock(
            "（九）",
            (("procurement", "政府集中采购"),),
            (("projects", "采购项目数量"), ("amount_wan_yuan", "采购总金额")),
        ),
    ),
    "2021": (
        ActiveBlock(
            "（一）",
            (("rules", "规章"), ("normative_documents", "行政规范性文件")),
            (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")),
        ),
        ActiveBlock("（五）", (("licensing", "行政许可"),), (("decisions", "本年处理决定数量"),)),
        ActiveBlock(
            "（六）", (("penalty", "行政处罚"), ("coercion", "行政强制")), (("decisions", "本年处理决定数量"),)
        ),
        ActiveBlock("（八）", (("fees", "行政事业性收费"),), (("amount_wan_yuan", "本年收费金额（单位：万元）"),)),
    ),
}

REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
REQUEST_COLUMN_KEYS = tuple(k for k, _ in REQUEST_COLUMNS)

# (key, group label (rowspan cell inside 三、本年度办理结果) or "", own label)
_REQ_HEAD = (
    ("new", "", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "", "二、上年结转政府信息公开申请数量"),
    ("granted", "", "（一）予以公开"),
    ("partly_granted", "", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("denied_state_secret", "（三）不予公开", "1.属于国家秘密"),
    ("denied_prohibited", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("denied_three_safeties", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("denied_third_party", "（三）不予公开", "4.保护第三方合法权益"),
    ("denied_internal_affairs", "（三）不予公开", "5.属于三类内部事务信息"),
    ("denied_process_info", "（三）不予公开", "6.属于四类过程性信息"),
    ("denied_enforcement_files", "（三）不予公开", "7.属于行政执法案卷"),
    ("denied_inquiry", "（三）不予公开", "8.属于行政查询事项"),
    ("unable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("unable_needs_creation", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("unable_unclear", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("rejected_complaint", "（五）不予处理", "1.信访举报投诉类申请"),
    ("rejected_duplicate", "（五）不予处理", "2.重复申请"),
    ("rejected_publication", "（五）不予处理", "3.要求提供公开出版物"),
    ("rejected_excessive", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("rejected_confirmation", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
)
_REQ_TAIL = (
    ("total", "", "（七）总计"),
    ("carried_forward", "", "四、结转下年度继续办理"),
)
REQUEST_ROWS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "2019": _REQ_HEAD + (("other", "", "（六）其他处理"),) + _REQ_TAIL,
    "2021": _REQ_HEAD
    + (
        ("other_overdue_correction", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("other_overdue_fee", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("other_other", "（六）其他处理", "3.其他"),
    )
    + _REQ_TAIL,
}
# The record of a 2021 report also carries `other` (the total of （六）).
REQUEST_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "2019": tuple(k for k, _, _ in REQUEST_ROWS["2019"]),
    "2021": tuple(k for k, _, _ in REQUEST_ROWS["2021"][:20])
    + ("other", "other_overdue_correction", "other_overdue_fee", "other_other", "total", "carried_forward"),
}
# Rows summed by the results-total identity (（一） through （六）).
OUTCOME_ROWS: dict[str, tuple[str, ...]] = {
    "2019": REQUEST_ROW_KEYS["2019"][2:21],
    "2021": REQUEST_ROW_KEYS["2021"][2:20] + ("other_overdue_correction", "other_overdue_fee", "other_other"),
}

REVIEW_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_review", "复议后起诉"),
)
REVIEW_FIELDS: tuple[tuple[str, str], ...] = (
    ("maintained", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)

SECTION_KEYS = ("overview", "active", "requests", "review_litigation", "problems", "other")
SECTION_HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


def empty_active(template: str) -> dict:
    """The `active` object of a template with every field null."""
    out: dict = {}
    for block in ACTIVE_BLOCKS[template]:
        for key, _ in block.rows:
            out[key] = {f: None for f, _ in block.fields}
    out["extra"] = []
    return out


def empty_requests(template: str) -> dict:
    """The `requests` object of a template with every cell null."""
    return {row: dict.fromkeys(REQUEST_COLUMN_KEYS) for row in REQUEST_ROW_KEYS[template]}


def empty_review() -> dict:
    """The `review_litigation` object with every cell null."""
    return {g: {f: None for f, _ in REVIEW_FIELDS} for g, _ in REVIEW_GROUPS}
