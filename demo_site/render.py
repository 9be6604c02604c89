"""Render a report record back into documents: HTML tables with real merged cells, and text renderings.

Pure functions used by the property tests, the demo site and the text-pipeline test corpus. The
table layouts follow formats.md §2-§3 (merged cells as in the Shanghai 2019 HTML); pre-2019 legacy
rows become a 统计指标 | 单位 | 统计数 table. A null cell is drawn blank (`——` in legacy tables).

    render_html_tables(record) -> str
    render_text(record, style) -> str          # style in TEXT_STYLES
    render_report_html(record, prose=None) -> str
    render_report_text(record, style, prose=None) -> str
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass

from extractor.schema import (
    ACTIVE_BLOCKS,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
    SECTION_HEADINGS,
    SECTION_KEYS,
)

TEXT_STYLES = ("cells_per_line", "tabs", "pipes", "markdown", "page_broken")
_CN_NUM = "一二三四五六七八九十"
_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(slots=True)
class Cell:
    """One table cell as drawn: its text, spans and whether it is a header cell."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


Table = list[list[Cell]]


def format_number(value: object) -> str:
    """A cell value as printed: None blank, integral floats without `.0`."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _h(text: str, rowspan: int = 1, colspan: int = 1) -> Cell:
    return Cell(text, rowspan, colspan, header=True)


def _v(value: object, colspan: int = 1) -> Cell:
    return Cell(format_number(value), 1, colspan)


# ---------------------------------------------------------------- table models


def active_table(record: dict) -> Table:
    """Table 二 (主动公开政府信息情况) as one 4-column table holding every block."""
    template = record.get("template")
    active = record.get("active") or {}
    rows: Table = []
    for block in ACTIVE_BLOCKS.get(template, ()):
        rows.append([_h(f"第二十条第{block.item}项", colspan=4)])
        n = len(block.fields)
        if template == "2021" and n == 1:
            rows.append([_h("信息内容"), _h(block.fields[0][1], colspan=3)])
        else:
            rows.append([_h("信息内容")] + [_h(h) for _, h in block.fields] + [_h("")] * (3 - n))
        for key, label in block.rows:
            values = active.get(key) or {}
            if template == "2021" and n == 1:
                rows.append([_h(label), _v(values.get(block.fields[0][0]), colspan=3)])
            else:
                cells = [_h(label)] + [_v(values.get(f)) for f, _ in block.fields]
                rows.append(cells + [Cell("")] * (3 - n))
        for extra in active.get("extra") or []:
            if extra.get("block") == block.item:
                vals = list(extra.get("values") or [])
                rows.append([_h(extra["label"])] + [_v(v) for v in vals] + [Cell("")] * (3 - len(vals)))
    return rows


def requests_header() -> Table:
    """The three header rows of table 三."""
    cols = [label for _, label in REQUEST_COLUMNS]
    return [
        [_h(_BALANCE_NOTE, rowspan=3, colspan=3), _h("申请人情况", colspan=7)],
        [_h("自然人", rowspan=2), _h("法人或其他组织", colspan=5), _h("总计", rowspan=2)],
        [_h(c) for c in cols[1:6]],
    ]


def requests_table(record: dict) -> Table:
    """Table 三 (收到和处理政府信息公开申请情况) with its real merged label cells."""
    template = record.get("template")
    requests = record.get("requests") or {}
    layout = REQUEST_ROWS.get(template, ())
    rows: Table = requests_header()
    n_results = sum(1 for key, _, _ in layout if key not in ("new", "carried_over", "carried_forward"))
    group_sizes: dict[str, int] = {}
    for _, group, _ in layout:
        if group:
            group_sizes[group] = group_sizes.get(group, 0) + 1
    seen_groups: set[str] = set()
    results_started = False
    for key, group, label in layout:
        values = requests.get(key) or {}
        cells = [_v(values.get(c)) for c, _ in REQUEST_COLUMNS]
        if key in ("new", "carried_over", "carried_forward"):
            rows.append([_h(label, colspan=3)] + cells)
            continue
        lead: list[Cell] = []
        if not results_started:
            results_started = True
            lead.append(_h("三、本年度办理结果", rowspan=n_results))
        if group:
            if group not in seen_groups:
                seen_groups.add(group)
                lead.append(_h(group, rowspan=group_sizes[group]))
            lead.append(_h(label))
        else:
            lead.append(_h(label, colspan=2))
        rows.append(lead + cells)
    return rows


def review_table(record: dict) -> Table:
    """Table 四 (行政复议、行政诉讼): 15 numeric columns, one data row."""
    review = record.get("review_litigation") or {}
    fields = [label for _, label in REVIEW_FIELDS]
    rows: Table = [
        [_h("行政复议", colspan=5), _h("行政诉讼", colspan=10)],
        [_h(f, rowspan=2) for f in fields] + [_h("未经复议直接起诉", colspan=5), _h("复议后起诉", colspan=5)],
        [_h(f) for f in fields] * 2,
    ]
    data = []
    for group, _ in REVIEW_GROUPS:
        values = review.get(group) or {}
        data.extend(_v(values.get(f)) for f, _ in REVIEW_FIELDS)
    rows.append(data)
    return rows


def legacy_numbered_labels(legacy: list[dict]) -> list[str]:
    """Give legacy rows back their numbering (一、 （一） 1.) from their parent chain."""
    depth_of: dict[str, int] = {}
    counters = [0, 0, 0]
    out: list[str] = []
    for row in legacy:
        label = row.get("label") or ""
        parent = row.get("parent")
        depth = 0 if parent is None else depth_of.get(parent, -1) + 1
        depth_of[label] = depth
        if depth <= 2:
            counters[depth] += 1
            for deeper in range(depth + 1, 3):
                counters[deeper] = 0
            n = counters[depth]
            if depth == 0:
                prefix = _cn_numeral(n) + "、"
            elif depth == 1:
                prefix = "（" + _cn_numeral(n) + "）"
            else:
                prefix = f"{n}."
            out.append(prefix + label)
        else:
            out.append(label)
    return out


def _cn_numeral(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n - 1]
    if n < 20:
        return "十" + _CN_NUM[n - 11]
    tens, ones = divmod(n, 10)
    return _CN_NUM[tens - 1] + "十" + (_CN_NUM[ones - 1] if ones else "")


def legacy_table(record: dict) -> Table:
    """The pre-2019 政府信息公开情况统计表 (统计指标 | 单位 | 统计数)."""
    legacy = record.get("legacy") or []
    rows: Table = [[_h("统计指标"), _h("单位"), _h("统计数")]]
    for label, row in zip(legacy_numbered_labels(legacy), legacy, strict=True):
        unit = row.get("unit") or "——"
        value = row.get("value")
        rows.append([_h(label), Cell(unit), Cell("——" if value is None else format_number(value))])
    return rows


def record_tables(record: dict) -> list[tuple[str, Table]]:
    """The tables of a record, each with the section heading it belongs under."""
    template = record.get("template")
    if template in ("2019", "2021"):
        return [
            (SECTION_HEADINGS[1], active_table(record)),
            (SECTION_HEADINGS[2], requests_table(record)),
            (SECTION_HEADINGS[3], review_table(record)),
        ]
    if template == "pre2019" and record.get("legacy"):
        return [("政府信息公开情况统计表", legacy_table(record))]
    return []


# ---------------------------------------------------------------- grids and renderings


def expand_grid(table: Table) -> list[list[str]]:
    """Expand rowspan/colspan into a rectangular grid; merged positions hold ''."""
    grid: list[list[str | None]] = []
    for r, row in enumerate(table):
        while len(grid) <= r:
            grid.append([])
        c = 0
        for cell in row:
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            for dr in range(cell.rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                while len(line) < c + cell.colspan:
                    line.append(None)
                for dc in range(cell.colspan):
                    line[c + dc] = cell.text if (dr == 0 and dc == 0) else ""
            c += cell.colspan
    width = max((len(r) for r in grid), default=0)
    return [[x if x is not None else "" for x in row] + [""] * (width - len(row)) for row in grid]


def table_html(table: Table) -> str:
    """One table as HTML markup with its merged cells."""
    out = ['<table border="1">']
    for row in table:
        out.append("<tr>")
        for cell in row:
            tag = "th" if cell.header else "td"
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            text = _html.escape(cell.text) if cell.text else "&nbsp;"
            out.append(f"<{tag}{attrs}>{text}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def render_html_tables(record: dict) -> str:
    """The record's tables (national template or legacy) as HTML with real rowspan/colspan."""
    parts = []
    for heading, table in record_tables(record):
        parts.append(f"<h3>{_html.escape(heading)}</h3>")
        parts.append(table_html(table))
    return "\n".join(parts)


def _table_text(table: Table, style: str, *, page_break_at: int | None = None) -> str:
    if style == "cells_per_line":
        lines: list[str] = []
        for row in table:
            for cell in row:
                lines.append(cell.text if cell.text else "\u3000")
            lines.append("")
        return "\n".join(lines)
    grid = expand_grid(table)
    if style == "tabs":
        return "\n".join("\t".join(row) for row in grid)
    if style in ("pipes", "markdown"):
        lines = ["| " + " | ".join(row) + " |" for row in grid]
        if style == "markdown" and lines:
            lines.insert(1, "|" + "---|" * len(grid[0]))
        return "\n".join(lines)
    raise ValueError(f"unknown text style {style!r}; expected one of {TEXT_STYLES}")


def _page_broken(heading: str, table: Table, page: list[int]) -> str:
    """A tab rendering damaged like PDF text: split labels, repeated headers, page numbers."""
    grid = expand_grid(table)
    lines: list[str] = []
    if heading == SECTION_HEADINGS[2]:
        header_rows = 3
        break_at = header_rows + 9
        for i, row in enumerate(grid):
            row = list(row)
            if i == break_at:
                page[0] += 1
                lines.append("")
                lines.append(f"- {page[0]} -")
                lines.append("")
                lines.extend("\t".join(h) for h in grid[:header_rows])
            if row and row[0] == "三、本年度办理结果":
                row[0] = "三、本年 度办 理结 果"
            continuation = None
            for j, text in enumerate(row):
                if len(text) > 12 and text[:1].isdigit():
                    row[j], continuation = text[:9], text[9:]
            lines.append("\t".join(row))
            if continuation:
                lines.append("\t" * 2 + continuation + "\t" * 7)
        return "\n".join(lines)
    if heading == SECTION_HEADINGS[3]:
        for i, row in enumerate(grid):
            if i in (1, 2):
                row = [" ".join(text) if text else "" for text in row]
            lines.append("\t".join(row))
        return "\n".join(lines)
    return "\n".join("\t".join(row) for row in grid)


def _styled_table(heading: str, table: Table, style: str, page: list[int]) -> str:
    """One table in a text style; `page_broken` numbers its pages on from `page[0]`."""
    if style == "page_broken":
        return _page_broken(heading, table, page)
    return _table_text(table, style)


def render_text(record: dict, style: str) -> str:
    """The tables part of a report in one text rendering (see TEXT_STYLES)."""
    if style not in TEXT_STYLES:
        raise ValueError(f"unknown text style {style!r}; expected one of {TEXT_STYLES}")
    parts = []
    page = [1]
    for heading, table in record_tables(record):
        parts.append(heading)
        parts.append(_styled_table(heading, table, style, page))
        parts.append("")
    return "\n".join(parts)


# ---------------------------------------------------------------- whole reports


def _title(record: dict) -> str:
    agency = record.get("agency") or ""
    year = record.get("year")
    year_part = f"{year}年" if year else ""
    return f"{agency}{year_part}政府信息公开工作年度报告"


def _date_cn(published: str | None) -> str | None:
    if not published:
        return None
    y, m, d = published.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def _section_texts(record: dict, prose: str | None) -> dict[str, str]:
    sections = dict(record.get("sections") or {})
    defaults = {
        "overview": prose or "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政府信息公开工作。",
        "problems": "政府信息公开工作仍存在公开内容不够全面等问题，下一步将进一步加强。",
        "other": "无。",
    }
    return {key: sections.get(key) or defaults.get(key, "") for key in SECTION_KEYS}


def _report_blocks(record: dict, prose: str | None) -> list[tuple[str, object]]:
    """The report as (kind, payload) blocks: ('h', heading), ('p', text), ('t', (heading, table))."""
    blocks: list[tuple[str, object]] = [("title", _title(record))]
    template = record.get("template")
    texts = _section_texts(record, prose)
    if template in ("2019", "2021"):
        tables = dict(record_tables(record))
        for key, heading in zip(SECTION_KEYS, SECTION_HEADINGS, strict=True):
            blocks.append(("h", heading))
            if texts.get(key):
                blocks.append(("p", texts[key]))
            if heading in tables:
                blocks.append(("t", (heading, tables[heading])))
    elif template == "pre2019":
        for key, heading in (
            ("overview", "一、概述"),
            ("active", "二、主动公开政府信息情况"),
            ("problems", "三、存在的主要问题及改进措施"),
        ):
            blocks.append(("h", heading))
            if texts.get(key):
                blocks.append(("p", texts[key]))
        year = record.get("year")
        blocks.append(("p", "附件：政府信息公开情况统计表"))
        if year:
            blocks.append(("p", f"（{year}年度）"))
        if record.get("agency"):
            blocks.append(("p", f"填报单位：{record['agency']}"))
        for heading, table in record_tables(record):
            blocks.append(("t", (heading, table)))
    else:
        blocks.append(("p", prose or texts["overview"]))
    if record.get("agency"):
        blocks.append(("sig", record["agency"]))
    date = _date_cn(record.get("published"))
    if date:
        blocks.append(("sig", date))
    return blocks


def render_report_text(record: dict, style: str, prose: str | None = None) -> str:
    """A whole report (title, headings 一…六, tables, signature) as text in one rendering."""
    if style not in TEXT_STYLES:
        raise ValueError(f"unknown text style {style!r}; expected one of {TEXT_STYLES}")
    out: list[str] = []
    page = [1]
    for kind, payload in _report_blocks(record, prose):
        if kind == "title":
            out.append(f"# {payload}" if style == "markdown" else str(payload))
        elif kind == "h":
            out.append(f"## {payload}" if style == "markdown" else str(payload))
        elif kind in ("p", "sig"):
            out.append(str(payload))
        elif kind == "t":
            heading, table = payload  # type: ignore[misc]
            out.append(_styled_table(heading, table, style, page))
        out.append("")
    return "\n".join(out)


def render_report_html(record: dict, prose: str | None = None) -> str:
    """A whole report as an HTML page whose tables carry real merged cells."""
    body: list[str] = []
    for kind, payload in _report_blocks(record, prose):
        if kind == "title":
            body.append(f"<h1>{_html.escape(str(payload))}</h1>")
        elif kind == "h":
            body.append(f"<h2>{_html.escape(str(payload))}</h2>")
        elif kind == "p":
            body.append(f"<p>{_html.escape(str(payload))}</p>")
        elif kind == "sig":
            body.append(f'<p style="text-align:right">{_html.escape(str(payload))}</p>')
        elif kind == "t":
            _, table = payload  # type: ignore[misc]
            body.append(table_html(table))
    title = _html.escape(_title(record))
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        + title
        + "</title></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
