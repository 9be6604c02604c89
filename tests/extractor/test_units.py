"""Focused tests of the extractor's parts: cell values, alignment, detection, metadata, legacy rows, HTML."""

from __future__ import annotations

import pytest

from demo_site.render import render_html_tables, render_report_html, render_report_text
from extractor import extract_report
from extractor.detect import detect_template, is_annual_report
from extractor.legacy import read_legacy
from extractor.metadata import find_agency, find_published, find_year, parse_date, title_lines
from extractor.normalise import clean_lines, parse_value, squash, to_wan_yuan
from extractor.tables import document_from_html, document_from_text, fit, identity_score
from tests.support.records import comparable, make_record


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0", (True, 0, None)),
        (" 12 ", (True, 12, None)),
        ("１２", (True, 12, None)),
        ("1,765万元", (True, 1765, "万元")),
        ("1424.4万元", (True, 1424.4, "万元")),
        ("251000元", (True, 251000, "元")),
        ("+1", (True, 1, None)),
        ("-39", (True, -39, None)),
        ("减44", (True, -44, None)),
        ("增3", (True, 3, None)),
        ("3件", (True, 3, "件")),
        ("", (True, None, None)),
        ("——", (True, None, None)),
        ("-", (True, None, None)),
        ("/", (True, None, None)),
        ("无", (True, None, None)),
        ("规章", (False, None, None)),
        ("2.重复申请", (False, None, None)),
    ],
)
def test_parse_value(cell, expected):
    assert parse_value(cell) == expected


def test_money_in_yuan_becomes_wan_yuan():
    assert to_wan_yuan(*parse_value("251000元")[1:]) == 25.1
    assert to_wan_yuan(*parse_value("17,650,000元")[1:]) == 1765
    assert to_wan_yuan(*parse_value("1765万元")[1:]) == 1765
    assert to_wan_yuan(*parse_value("190.457379")[1:]) == 190.457379
    assert to_wan_yuan(*parse_value("316441")[1:], column_in_yuan=True) == 31.6441
    assert to_wan_yuan(None, None) is None


def _score7(cells):
    return identity_score(cells[:6], cells[6])


def test_fit_drops_only_blank_padding_and_uses_the_total_identity():
    # Seed 004: only the total is filled, shifted by merged-cell padding on both sides.
    assert fit(["", "", "", "", "", "", "", "0", ""], 7, _score7) == ["", "", "", "", "", "", "0"]
    assert fit(["", "", "", "", "", "0", ""], 7, _score7) == ["", "", "", "", "", "", "0"]
    # Shanghai 2019: a blank total after colspan padding; the numbers keep their columns.
    assert fit(["", "258", "12", "", "", "1", "1", ""], 7, _score7) == ["258", "12", "", "", "1", "1", ""]
    # A full row is never moved, whatever its identity says.
    assert fit(["1", "2", "3", "4", "5", "6", "99"], 7, _score7) == ["1", "2", "3", "4", "5", "6", "99"]
    # Several zeros summing to a zero total prove nothing: no shift.
    assert fit(["0", "0", "", "0", "0", "0", ""], 7, _score7) == ["0", "0", "", "0", "0", "0", ""]
    # Numbers are never dropped; too few cells are padded at the end.
    assert fit(["5", "", "", "", "", "", "", "7"], 7, _score7)[0] == "5"
    assert fit(["1", "2"], 3) == ["1", "2", ""]
    assert fit(["7", "", ""], 1) == ["7"]


def test_template_is_told_by_labels_not_year():
    f2 = squash("信息内容 本年制发件数 本年废止件数 现行有效件数 逾期不补正 缴纳费用")
    f1 = squash("信息内容 本年新制作数量 本年新公开数量 对外公开总数量 上一年项目数量 采购项目数量")
    f0 = squash("统计指标 单位 统计数 回应解读情况 举报投诉数量 机构建设和保障经费情况")
    assert detect_template(f2, 2020) == "2021"
    assert detect_template(f1, 2023) == "2019"
    assert detect_template(f0, 2019) == "pre2019"
    assert detect_template(squash("今年我们做了很多工作"), 2021) == "unknown"


@pytest.mark.parametrize(
    "title",
    ["2021年政府工作报告", "某市卫生健康委员会2020年度部门决算", "某区2021年法治政府建设年度报告",
     "某镇2020年工作总结"],
)
def test_other_documents_are_not_reports(title):
    text = f"{title}\n\n一、主要工作\n政府信息公开工作扎实推进，主动公开政府信息300条。\n"
    record = extract_report(text)
    assert record["is_report"] is False
    assert record["template"] == "unknown"
    assert record["active"] is record["requests"] is record["review_litigation"] is record["legacy"] is None
    assert not is_annual_report([squash(title)], squash(text), "unknown")


def test_annual_report_title_variants_are_reports():
    for title in ("某局2020年政府信息公开工作年度报告", "某局2020年度政务公开工作年度报告", "区卫健委政府信息公开情况汇报"):
        assert is_annual_report([squash(title)], "", "unknown")


def test_agency_is_the_fullest_form_and_year_the_year_reported_on():
    text = "\n".join([
        "2020年度上城区卫生健康局政府信息公开工作年度报告", "", "一、总体情况",
        "2020年，上城区卫生健康局认真贯彻落实条例。", "", "六、其他需要报告的事项", "无。", "",
        "杭州市上城区卫生健康局", "二〇二一年一月五日",
    ])
    lines = [line for line in clean_lines(text)[1]]
    heads = title_lines(lines, None)
    assert find_agency(lines, None, heads) == "杭州市上城区卫生健康局"
    assert find_published(lines) == "2021-01-05"
    assert find_year(lines, heads, "2021-01-05") == 2020


def test_year_falls_back_to_the_statistics_table_period_then_the_signature():
    lines = ["政府信息公开情况统计表", "(2017年度)", "填报单位:某县教育局", "填报日期:2018年2月1日"]
    assert find_year(lines, title_lines(lines, None), None) == 2017
    assert find_published(lines) == "2018-02-01"
    assert find_year(["工作做得很好"], [], "2022-01-20") == 2021


def test_parse_date_forms():
    assert parse_date("2021年1月5日") == "2021-01-05"
    assert parse_date("二〇二二年十二月三十一日") == "2022-12-31"
    assert parse_date("2023-02-14") == "2023-02-14"
    assert parse_date("2021年13月5日") is None


def test_legacy_parent_is_the_enclosing_or_preceding_numbered_row():
    text = "\n".join([
        "统 计 指 标 | 单位 | 统计数 |",
        "一、主动公开情况 | —— | 78 |",
        "(一)主动公开政府信息数 | 条 | 78 |",
        "其中:主动公开规范性文件数 | 条 | 0 |",
        "制发规范性文件总数 | 件 | —— |",
        "1.政府公报公开政府信息数 | | 5 |",
        "其中:主要负责同志参加 次数 | 次 | 2 |",
        "二、回应解读情况 | —— | —— |",
        "单位负责人:某某 填报人:某某 |",
    ])
    rows = read_legacy(document_from_text(text))
    assert rows == [
        {"label": "主动公开情况", "parent": None, "unit": None, "value": 78},
        {"label": "主动公开政府信息数", "parent": "主动公开情况", "unit": "条", "value": 78},
        {"label": "其中:主动公开规范性文件数", "parent": "主动公开政府信息数", "unit": "条", "value": 0},
        {"label": "制发规范性文件总数", "parent": "主动公开政府信息数", "unit": "件", "value": None},
        {"label": "政府公报公开政府信息数", "parent": "主动公开政府信息数", "unit": None, "value": 5},
        {"label": "其中:主要负责同志参加次数", "parent": "政府公报公开政府信息数", "unit": "次", "value": 2},
        {"label": "回应解读情况", "parent": None, "unit": None, "value": None},
    ]


def test_report_tables_nested_in_a_layout_table_are_read():
    record = make_record("2021", seed=31)
    inner = render_report_html(record).split("<body>")[1].split("</body>")[0]
    page = (
        "<html><head><title>年报</title></head><body><table class='layout'><tr><td>"
        "<a href='/'>首页</a></td></tr><tr><td>" + inner + "</td></tr></table></body></html>"
    )
    out = extract_report(html=page)
    assert out["requests"] == record["requests"]
    assert out["active"] == record["active"]
    assert out["review_litigation"] == record["review_litigation"]


def test_html_grid_expands_rowspan_and_colspan():
    doc, _ = document_from_html(
        "<table><tr><td rowspan='2'>a</td><td colspan='2'>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    )
    rows = [r.cells for r in doc.rows if r.exact]
    assert rows == [["a", "b", ""], ["", "c", "d"]]


def test_statistics_come_from_html_while_text_gives_metadata():
    record = make_record("2019", seed=32)
    text = render_report_text(record, "cells_per_line")
    broken_text = text.replace("（七）总计", "(七)总")  # the text's copy of table 三 is damaged
    out = extract_report(broken_text, html=render_html_tables(record))
    assert out["requests"] == record["requests"]
    assert out["agency"] == record["agency"] and out["published"] == record["published"]


def test_traditional_characters_are_converted_before_matching():
    from opencc import OpenCC

    record = make_record("2019", seed=33)
    text = OpenCC("s2t").convert(render_report_text(record, "tabs"))
    assert "總計" in text
    assert comparable(extract_report(text)) == record


def test_pdf_labels_split_over_lines_still_match():
    record = make_record("2019", seed=34)
    text = render_report_text(record, "cells_per_line")
    for label, split in (
        ("3.要求提供公开出版物", "3.要求提供公开出\n版物"),
        ("2.重复申请", "2.重复申\n请"),
        ("1.属于国家秘密", "1.属于国家秘\n密"),
        ("5.属于三类内部事务信息", "5.属于三类内部事\n务信息"),
    ):
        assert label in text
        text = text.replace(label, split)
    assert comparable(extract_report(text)) == record


def test_page_furniture_and_repeated_headers_are_dropped():
    record = make_record("2021", seed=35)
    text = render_report_text(record, "page_broken")
    assert "- 2 -" in text
    text = text.replace("\t（三）不予公开", "第 4 页 共 9 页\n\t（三）不予公开", 1)
    assert comparable(extract_report(text)) == record


def test_blank_and_dash_cells_are_null_never_zero():
    record = make_record("2019", seed=36)
    record["requests"]["new"] = dict.fromkeys(record["requests"]["new"])
    text = render_report_text(record, "tabs")
    out = extract_report(text.replace("一、本年新收政府信息公开申请数量\t\t", "一、本年新收政府信息公开申请数量\t——\t"))
    assert set(out["requests"]["new"].values()) == {None}
    assert not any(c["name"] == "requests.total_column.new" for c in out["checks"])


def test_empty_and_garbage_input():
    for text in ("", "   \n\n", "<<<>>>", "0\n0\n0"):
        record = extract_report(text)
        assert record["is_report"] is False and record["template"] == "unknown"
        assert record["checks"] == [] and record["requests"] is None
    assert extract_report(html="")["is_report"] is False
    assert extract_report(html="<html><body><table><tr><td>x</td></tr></table>")["template"] == "unknown"


@pytest.mark.parametrize("template", ["2019", "2021", "pre2019"])
def test_pdf_text_with_space_separated_cells(template):
    """PDF text often separates cells by spaces and loses the empty ones (merged-cell padding)."""
    record = make_record(template, seed=41)
    tabs = render_report_text(record, "tabs")
    text = "\n".join(" ".join(c for c in line.split("\t") if c) for line in tabs.split("\n"))
    assert "\t" not in text
    assert comparable(extract_report(text)) == record


def test_merged_label_text_takes_the_most_specific_row():
    record = make_record("2021", seed=42)
    text = render_report_text(record, "tabs").replace("（六）其他处理\t1.申请人", "（六）其他处理 1.申请人")
    assert comparable(extract_report(text)) == record


def test_signature_date_beats_a_later_page_date_and_lead_sentence_names_the_agency():
    lines = [
        "2021年，某县市场监督管理局认真贯彻落实《条例》。", "一、总体情况", "……", "六、其他需要报告的事项", "无。",
        "某县市场监督管理局", "2022年1月18日", "版权所有 某县人民政府", "2024年3月1日",
    ]
    assert find_published(lines) == "2022-01-18"
    assert find_agency(lines, None, []) == "某县市场监督管理局"
    assert find_agency(["2021年，某县市场监督管理局认真贯彻落实《条例》。"], None, []) == "某县市场监督管理局"


def test_extractor_is_a_pure_library_without_scrapy():
    import subprocess
    import sys

    code = (
        "import sys, extractor; extractor.extract_report('x'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', 'crawler', 'pipelines')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_format_mix_keeps_the_other_total_from_its_sub_rows():
    record = make_record("2021", seed=43)
    text = render_report_text(record, "tabs").replace("本年制发件数", "本年新制作数量").replace(
        "本年废止件数", "本年新公开数量").replace("现行有效件数", "对外公开总数量").replace(
        "本年收费金额（单位：万元）", "上一年项目数量")
    out = extract_report(text)
    assert out["template"] == "2019"
    assert out["requests"]["other"] == record["requests"]["other"]


def test_lost_cells_put_a_matching_last_value_in_the_total_column():
    assert fit(["3", "3"], 7, _score7, tail_total=True) == ["3", "", "", "", "", "", "3"]
    assert fit(["2", "1", "3"], 7, _score7, tail_total=True) == ["2", "1", "", "", "", "", "3"]
    assert fit(["2", "5"], 7, _score7, tail_total=True) == ["2", "5", "", "", "", "", ""]  # no evidence
    assert fit(["0", "0"], 7, _score7, tail_total=True) == ["0", "0", "", "", "", "", ""]
    assert fit(["3", "3"], 7, _score7) == ["3", "3", "", "", "", "", ""]


@pytest.mark.parametrize("style", ["tabs", "cells_per_line", "pipes", "html"])
def test_rows_a_report_adds_to_table_two_are_kept_in_extra(style):
    record = make_record("2019", seed=44)
    record["active"]["extra"] = [{"block": "（一）", "label": "其他主动公开文件", "values": [3, 2, 9]}]
    out = extract_report(html=render_report_html(record)) if style == "html" else extract_report(
        render_report_text(record, style))
    assert out["active"] == record["active"]


@pytest.mark.parametrize(
    ("title", "agency"),
    [
        ("云溪区财政局关于2019年政府信息公开工作年度报告", "云溪区财政局"),
        ("南京市人民政府关于2018年政府信息公开工作情况的报告", "南京市人民政府"),
        ("某县人民政府办公室关于印发2020年政府信息公开工作年度报告的通知", "某县人民政府办公室"),
        ("某市教育局关于公布2021年度政府信息公开工作年度报告的公告", "某市教育局"),
        ("关于2018年政府信息公开工作情况的报告", None),  # no agency named: the page or seed says it
        ("2019年政府信息公开工作年度报告", None),
    ],
)
def test_agency_from_a_guanyu_title(title: str, agency: str | None) -> None:
    lines = [title, "详见附件。"]
    assert find_agency(lines, title, title_lines(lines, title)) == agency
