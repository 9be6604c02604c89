"""A report record's tables as flat rows of cell strings, one list per printed row.

Used to draw the PDF attachments (one text line per row) and as a plain HTML fallback. The rows
follow the national templates' labels (spec/formats.md); a null cell prints as an empty string.
"""

from __future__ import annotations

from typing import Any

Row = list[str]
Table = tuple[str, list[Row]]

ACTIVE_2019: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    (
        "第二十条第（一）项",
        ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
        [("rules", "规章"), ("normative_documents", "规范性文件")],
    ),
    (
        "第二十条第（五）项",
        ["上一年项目数量", "本年增/减", "处理决定数量"],
        [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")],
    ),
    (
        "第二十条第（六）项",
        ["上一年项目数量", "本年增/减", "处理决定数量"],
        [("penalty", "行政处罚"), ("coercion", "行政强制")],
    ),
    ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("fees", "行政事业性收费")]),
    ("第二十条第（九）项", ["采购项目数量", "采购总金额"], [("procurement", "政府集中采购")]),
]
ACTIVE_2021: list[tuple[str, list[str], list[tuple[str, str]]]] = [
    (
        "第二十条第（一）项",
        ["本年制发件数", "本年废止件数", "现行有效件数"],
        [("rules", "规章"), ("normative_documents", "行政规范性文件")],
    ),
    ("第二十条第（五）项", ["本年处理决定数量"], [("licensing", "行政许可")]),
    ("第二十条第（六）项", ["本年处理决定数量"], [("penalty", "行政处罚"), ("coercion", "行政强制")]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("fees", "行政事业性收费")]),
]

ACTIVE_FIELDS = {
    "2019": {
        "rules": ["made", "published", "total"],
        "normative_documents": ["made", "published", "total"],
        "licensing": ["prev_items", "change", "decisions"],
        "other_services": ["prev_items", "change", "decisions"],
        "penalty": ["prev_items", "change", "decisions"],
        "coercion": ["prev_items", "change", "decisions"],
        "fees": ["prev_items", "change"],
        "procurement": ["projects", "amount_wan_yuan"],
    },
    "2021": {
        "rules": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "penalty": ["decisions"],
        "coercion": ["decisions"],
        "fees": ["amount_wan_yuan"],
    },
}
REQUEST_COLUMNS = [
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other_org",
    "total",
]
REQUEST_ROWS_2019: list[tuple[str, str]] = [
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("granted", "三、本年度办理结果 （一）予以公开"),
    ("partly_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("denied_state_secret", "（三）不予公开 1.属于国家秘密"),
    ("denied_prohibited", "2.其他法律行政法规禁止公开"),
    ("denied_three_safeties", "3.危及“三安全一稳定”"),
    ("denied_third_party", "4.保护第三方合法权益"),
    ("denied_internal_affairs", "5.属于三类内部事务信息"),
    ("denied_process_info", "6.属于四类过程性信息"),
    ("denied_enforcement_files", "7.属于行政执法案卷"),
    ("denied_inquiry", "8.属于行政查询事项"),
    ("unable_not_held", "（四）无法提供 1.本机关不掌握相关政府信息"),
    ("unable_needs_creation", "2.没有现成信息需要另行制作"),
    ("unable_unclear", "3.补正后申请内容仍不明确"),
    ("rejected_complaint", "（五）不予处理 1.信访举报投诉类申请"),
    ("rejected_duplicate", "2.重复申请"),
    ("rejected_publication", "3.要求提供公开出版物"),
    ("rejected_excessive", "4.无正当理由大量反复申请"),
    ("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息"),
    ("other", "（六）其他处理"),
    ("total", "（七）总计"),
    ("carried_forward", "四、结转下年度继续办理"),
]
_OTHER_2021 = [
    (
        "other_overdue_correction",
        "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    ("other_overdue_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "3.其他"),
]
REVIEW_GROUPS = ["review", "litigation_direct", "litigation_after_review"]
REVIEW_FIELDS = ["maintained", "corrected", "other", "pending", "total"]
REVIEW_LABELS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def cell(value: Any, unit: str = "") -> str:
    """A printed cell: '' for null, integers without '.0', an optional unit suffix."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{unit}"


def request_rows(template: str) -> list[tuple[str, str]]:
    if template != "2021":
        return REQUEST_ROWS_2019
    i = [k for k, _ in REQUEST_ROWS_2019].index("other")
    return REQUEST_ROWS_2019[:i] + _OTHER_2021 + REQUEST_ROWS_2019[i + 1 :]


def active_table(record: dict[str, Any]) -> Table:
    template = "2021" if record.get("template") == "2021" else "2019"
    blocks = ACTIVE_2021 if template == "2021" else ACTIVE_2019
    active = record.get("active") or {}
    rows: list[Row] = []
    for block, headers, items in blocks:
        rows.append([block])
        rows.append(["信息内容", *headers])
        for key, label in items:
            values = active.get(key) or {}
            cells = [cell(values.get(f)) for f in ACTIVE_FIELDS[template][key]]
            rows.append([label, *cells])
    return "二、主动公开政府信息情况", rows


def requests_table(record: dict[str, Any]) -> Table:
    requests = record.get("requests") or {}
    rows: list[Row] = [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
        ["", "自然人", "法人或其他组织", "总计"],
        ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""],
    ]
    for key, label in request_rows(record.get("template") or "2019"):
        values = requests.get(key) or {}
        rows.append([label, *(cell(values.get(c)) for c in REQUEST_COLUMNS)])
    return "三、收到和处理政府信息公开申请情况", rows


def review_table(record: dict[str, Any]) -> Table:
    review = record.get("review_litigation") or {}
    rows: list[Row] = [
        ["行政复议", "行政诉讼"],
        ["", "未经复议直接起诉", "复议后起诉"],
        [*REVIEW_LABELS, *REVIEW_LABELS, *REVIEW_LABELS],
        [cell((review.get(g) or {}).get(f)) for g in REVIEW_GROUPS for f in REVIEW_FIELDS],
    ]
    return "四、政府信息公开行政复议、行政诉讼情况", rows


def legacy_table(record: dict[str, Any], numbered_labels: list[str] | None = None) -> Table:
    """The pre-2019 统计表; `numbered_labels` (from the source text) restores the row numbering."""
    rows: list[Row] = [["统计指标", "单位", "统计数"]]
    entries = record.get("legacy") or []
    for i, entry in enumerate(entries):
        label = numbered_labels[i] if numbered_labels and i < len(numbered_labels) else entry["label"]
        unit = entry.get("unit") or "——"
        value = "——" if entry.get("value") is None else cell(entry["value"])
        rows.append([label, unit, value])
    return f"政府信息公开情况统计表（{record.get('year')}年度）", rows


def report_tables(record: dict[str, Any], numbered_labels: list[str] | None = None) -> list[Table]:
    if record.get("template") == "pre2019":
        return [legacy_table(record, numbered_labels)]
    return [active_table(record), requests_table(record), review_table(record)]
