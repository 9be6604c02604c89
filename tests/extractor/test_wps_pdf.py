"""PDFs as Word and WPS write them (issue 12, point 4), built from made-up content, through the path of
`nianbao extract FILE` (text layer + extractor): every field of the gold right."""

from __future__ import annotations

import copy

import pytest

from extractor import extract_report
from extractor.schema import REQUEST_COLUMN_KEYS, REVIEW_FIELDS, REVIEW_GROUPS
from tests.support.records import misses
from tests.support.wps_pdf import LINE, Cell, Grid, report_pdf

pytest.importorskip("reportlab")

AGENCY, YEAR = "东屿区人民政府", 2023
N = None
REQUESTS = {  # None: the cell is printed empty
    "new": [1204, 3, 0, 1, 0, 0, 1208],
    "carried_over": [2, 0, 0, 0, 0, 0, 2],
    "granted": [905, 1, N, 0, 0, 0, 906],
    "partly_granted": [21, 1, N, 0, 0, 0, 22],
    "denied_state_secret": [0] * 7, "denied_prohibited": [0] * 7, "denied_three_safeties": [0] * 7,
    "denied_third_party": [1, 0, 0, 0, 0, 0, 1], "denied_internal_affairs": [0] * 7,
    "denied_process_info": [1, 0, 0, 0, 0, 0, 1], "denied_enforcement_files": [0] * 7, "denied_inquiry": [0] * 7,
    "unable_not_held": [230, 0, 0, 1, 0, 0, 231], "unable_needs_creation": [0] * 7, "unable_unclear": [0] * 7,
    "rejected_complaint": [40, 0, 0, 0, 0, 0, 40], "rejected_duplicate": [0] * 7,
    "rejected_publication": [0] * 7, "rejected_excessive": [0] * 7, "rejected_confirmation": [0] * 7,
    "other_overdue_correction": [3, 0, 0, 0, 0, 0, 3], "other_overdue_fee": [0] * 7, "other_other": [0] * 7,
    "total": [1201, 2, 0, 1, 0, 0, 1204],
    "carried_forward": [5, 1, 0, 0, 0, 0, 6],
}
REVIEW = [[1, 0, 0, 1, 2], [0, 1, 0, N, 1], [0, 0, 0, 0, 0]]
LABELS = {
    "granted": "（一）予以公开",
    "partly_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied_state_secret": "1.属于国家秘密", "denied_prohibited": "2.其他法律行政法规禁止公开",
    "denied_three_safeties": "3.危及“三安全一稳定”", "denied_third_party": "4.保护第三方合法权益",
    "denied_internal_affairs": "5.属于三类内部事务信息", "denied_process_info": "6.属于四类过程性信息",
    "denied_enforcement_files": "7.属于行政执法案卷", "denied_inquiry": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息", "unable_needs_creation": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确", "rejected_complaint": "1.信访举报投诉类申请",
    "rejected_duplicate": "2.重复申请", "rejected_publication": "3.要求提供公开出版物",
    "rejected_excessive": "4.无正当理由大量反复申请", "rejected_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_overdue_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "3.其他", "total": "（七）总计",
}
GROUPS = {"denied_state_secret": ("（三）不予公开", 8), "unable_not_held": ("（四）无法提供", 3),
          "rejected_complaint": ("（五）不予处理", 5), "other_overdue_correction": ("（六）其他处理", 3)}


def _num(value) -> str:
    return "" if value is None else f"{value:,}"


def _active_grid() -> Grid:
    cells, heights = [], []

    def row(*items: Cell) -> None:
        cells.extend(items)
        heights.append(LINE + 6)

    r = 0
    for block, header, rows in (
        ("（一）", ["本年制发件数", "本年废止件数", "现行有效件数"], [("规章", ["0", "0", "0"]), ("行政规范性文件", ["2", "1", "14"])]),
        ("（五）", ["本年处理决定数量"], [("行政许可", ["1,315"])]),
        ("（六）", ["本年处理决定数量"], [("行政处罚", ["2,024"]), ("行政强制", [""])]),
        ("（八）", ["本年收费金额（单位：万元）"], [("行政事业性收费", ["12,500元"])]),
    ):
        row(Cell(r, 0, f"第二十条第{block}项", colspan=4, mode="center"))
        r += 1
        row(Cell(r, 0, "信息内容", mode="justify"),
            *[Cell(r, 1 + i, h, colspan=3 if len(header) == 1 else 1, mode="center") for i, h in enumerate(header)])
        r += 1
        for label, values in rows:
            row(Cell(r, 0, label, mode="justify"),
                *[Cell(r, 1 + i, v, colspan=3 if len(values) == 1 else 1, mode="center") for i, v in enumerate(values)])
            r += 1
    return Grid([150, 110, 110, 110], heights, cells)


def _requests_grid() -> Grid:
    widths = [20, 50, 120] + [37] * 7
    cells: list[Cell] = []
    heights = [LINE * 2 + 4, LINE + 6, LINE * 3 + 4]
    cells += [Cell(0, 0, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
              Cell(0, 3, "申请人情况", colspan=7, mode="center"),
              Cell(1, 3, "自然人", rowspan=2, mode="center"), Cell(1, 4, "法人或其他组织", colspan=5, mode="center"),
              Cell(1, 9, "总计", rowspan=2, mode="center")]
    cells += [Cell(2, 4 + i, h, mode="center") for i, h in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])]
    r = 3

    def values(key: str, row: int) -> list[Cell]:
        return [Cell(row, 3 + i, _num(v), mode="center") for i, v in enumerate(REQUESTS[key])]

    for key, label in (("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")):
        cells += [Cell(r, 0, label, colspan=3, mode="justify"), *values(key, r)]
        heights.append(LINE + 6)
        r += 1
    first = r
    for key, label in LABELS.items():
        lines = 1 + (len(label) > 15) + (len(label) > 30)
        heights.append(LINE * lines + 4)
        if key in ("granted", "partly_granted", "total"):
            cells.append(Cell(r, 1, label, colspan=2))
        else:
            if key in GROUPS:
                group, span = GROUPS[key]
                cells.append(Cell(r, 1, group, rowspan=span))
            cells.append(Cell(r, 2, label))
        cells += values(key, r)
        r += 1
    cells.append(Cell(first, 0, "三、本年度办理结果", rowspan=r - first, mode="vertical"))
    cells += [Cell(r, 0, "四、结转下年度继续办理", colspan=3, mode="justify"), *values("carried_forward", r)]
    heights.append(LINE + 6)
    return Grid(widths, heights, cells)


def _review_grid() -> Grid:
    cells = [Cell(0, 0, "行政复议", colspan=5, mode="center"), Cell(0, 5, "行政诉讼", colspan=10, mode="center")]
    for i, h in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]):
        cells.append(Cell(1, i, h, rowspan=2, mode="center"))
    cells += [Cell(1, 5, "未经复议直接起诉", colspan=5, mode="center"), Cell(1, 10, "复议后起诉", colspan=5, mode="center")]
    for g in range(2):
        cells += [Cell(2, 5 + g * 5 + i, h, mode="center") for i, h in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])]
    cells += [Cell(3, i, _num(v), mode="center") for i, v in enumerate(v for g in REVIEW for v in g)]
    return Grid([31] * 15, [LINE + 6, LINE * 2 + 4, LINE * 2 + 4, LINE + 6], cells)


def _document() -> bytes:
    before = [f"{AGENCY}{YEAR}年政府信息公开工作年度报告",
              f"本报告根据《中华人民共和国政府信息公开条例》编制，所列数据的统计期限自{YEAR}年1月1日起至{YEAR}年12月31日止。",
              "一、总体情况", f"{YEAR}年，本区依照条例要求推进政府信息公开，门户网站栏目每周巡检。"]
    grids = [(["二、主动公开政府信息情况"], _active_grid()),
             (["三、收到和处理政府信息公开申请情况"], _requests_grid()),
             (["四、政府信息公开行政复议、行政诉讼情况"], _review_grid())]
    after = ["五、存在的主要问题及改进情况", "依申请公开答复的规范性还需提高，下一步将统一答复文书格式。",
             "六、其他需要报告的事项", "本年度未收取信息处理费。", AGENCY, f"{YEAR + 1}年1月22日"]
    return report_pdf(before, grids, after)


def _gold() -> dict:
    rows = {k: dict(zip(REQUEST_COLUMN_KEYS, v, strict=True)) for k, v in REQUESTS.items()}
    subs = ("other_overdue_correction", "other_overdue_fee", "other_other")
    rows["other"] = {c: sum(rows[k][c] for k in subs) for c in REQUEST_COLUMN_KEYS}
    return {
        "is_report": True, "agency": AGENCY, "year": YEAR, "template": "2021", "published": f"{YEAR + 1}-01-22",
        "active": {"rules": {"issued": 0, "repealed": 0, "in_force": 0},
                   "normative_documents": {"issued": 2, "repealed": 1, "in_force": 14},
                   "licensing": {"decisions": 1315}, "penalty": {"decisions": 2024}, "coercion": {"decisions": None},
                   "fees": {"amount_wan_yuan": 1.25}},
        "requests": copy.deepcopy(rows),
        "review_litigation": {g: dict(zip((f for f, _ in REVIEW_FIELDS), REVIEW[i], strict=True))
                              for i, (g, _) in enumerate(REVIEW_GROUPS)},
        "legacy": None,
    }


@pytest.fixture(scope="module")
def pdf_text() -> str:
    from pipelines.textify import textify

    doc = textify(_document(), url="wps-style.pdf")
    assert doc.text, getattr(doc, "error", None)
    return doc.text


def test_wps_style_pdf_extracts_every_field(pdf_text):
    assert misses(_gold(), extract_report(pdf_text)) == []


def test_the_pdf_really_has_the_quirks(pdf_text):
    """The text layer shows what real WPS PDFs show, so the extraction above is tested on them."""
    lines = pdf_text.splitlines()
    assert "四 、 结 转 下 年 度 继 续 办 理" in pdf_text  # a justified label spread character by character
    assert "行 政 规 范 性 文 件" in pdf_text
    assert "1,315" in pdf_text and "12,500元" in pdf_text  # thousands separators, an amount in 元
    # the merged vertical label: one character per line, interleaved with the rows beside it
    singles = [line.split("\t")[0] for line in lines if line.split("\t")[0] in set("三、本年度办理结果")]
    assert "".join(singles).startswith("三、本年度办理结果")
    # a wrapped label whose numbers stand on a line of their own
    at = next(i for i, line in enumerate(lines) if "部分公开" in line)
    assert not any(c.strip() for c in lines[at].split("\t")[3:]) and "22" in lines[at + 1]
    # the empty cell of table 四 keeps its column
    data = next(line for line in lines if line.startswith("1\t0\t0\t1\t2"))
    assert data.split("\t")[8] == "" and len(data.split("\t")) == 15
