"""The pre-2019 政府信息公开情况统计表: one (label, parent, unit, value) entry per row.

Columns are 统计指标 | 单位 | 统计数 (or 本年度/历年累计, 本期实际/本年累计: the first value column is
kept). `label` is the row label without its numbering (一、 （一） 1. (1)) and white space, NFKC;
`parent` is the nearest enclosing numbered row; an un-numbered row (其中:…) takes the nearest
preceding numbered row as parent. `——` is null in 单位 and 统计数.

Regional tables (2008–2013) number only the sub-rows, after 其中 (`主动公开信息数` then
`其中：1.网站公开`, `2.政府公报公开`): the numbering is removed after 其中 too (`其中:网站公开`), and
an un-numbered row whose next row is such a `其中：1.` row is the parent of the numbered rows that
follow; from then on the table's un-numbered rows are its top level. Labels keep 其它 as printed.
"""

from __future__ import annotations

import re

from extractor.normalise import parse_value, squash
from extractor.tables import Document

_NUMBERING = (
    re.compile(r"^[一二三四五六七八九十]+[、.]"),
    re.compile(r"^\([一二三四五六七八九十]+\)"),
    re.compile(r"^\d{1,2}[.、](?!\d)"),
    re.compile(r"^\(\d{1,2}\)"),
)
_UNITS = frozenset(
    ["条", "件", "次", "人", "篇", "个", "万元", "元", "人次", "项", "家", "天", "日", "份", "期", "场", "%", "千元", "亿元", "户", "套", "本", "册", "部", "处", "批", "起", "宗", "例", "名", "页", "期次", "小时", "GB"]
)
_DASH = frozenset({"——", "—", "-", "--", "―", "――", "/"})
_HEADER = re.compile(r"^(?:统计指标|指标名称|指标)$|^(?:单位|计量单位|统计数|本年度|历年累计|本期实际|本年累计|代码|序号|\d{4}年度?|\d{4}年度?累计)$")
_VALUE_HEADER = re.compile(r"^(?:统计数|本年度|历年累计|本期实际|本年累计|\d{4}年度?|\d{4}年度?累计|累计)$")
_LETTERS = re.compile(r"^[甲乙丙丁戊]$")
_CODE = re.compile(r"^\d{2,3}$")
_END = re.compile(r"单位负责人|填报人|审核人|联系电话|填报日期|统计负责人|制表人")
_START = re.compile(r"统计指标|指标名称")
_ALL_YEARS = re.compile(r"历年|^累计|以来")  # 历年累计: the report year's column is the other one


_QIZHONG = re.compile(r"^其中[:：]?")
_WS = re.compile(r"\s+")


def _level(label: str) -> tuple[int | None, str]:
    """(numbering level or None, label without its numbering); 其中: stays in front."""
    m = _QIZHONG.match(label)
    head, body = (label[: m.end()], label[m.end() :]) if m else ("", label)
    for level, pattern in enumerate(_NUMBERING):
        n = pattern.match(body)
        if n:
            return level, (head + body[n.end() :]) if body[n.end() :] else ""
    return None, label


def _opens_group(label: str) -> int | None:
    """The level of the numbering after 其中 (`其中：1.网站公开` is 2), else None."""
    m = _QIZHONG.match(label)
    if m is None:
        return None
    level, _ = _level(label[m.end() :])
    return level


def _is_unit(cell: str) -> bool:
    s = squash(cell)
    return s in _UNITS or s in _DASH


def find_table(doc: Document) -> int | None:
    """Row index of the 统计指标 header, or None."""
    for i, row in enumerate(doc.rows):
        for cell in row.cells:
            s = squash(cell)
            if len(s) <= 12 and _START.search(s):
                return i
    return None


def _layout(cells: list[str]) -> tuple[int | None, int | None, set[int]]:
    """(unit column, first value column, code columns) named by a multi-cell header row."""
    unit = value = None
    codes: set[int] = set()
    for j, cell in enumerate(cells):
        s = squash(cell)
        if s in ("单位", "计量单位") and unit is None:
            unit = j
        elif s in ("代码", "序号"):
            codes.add(j)
        elif j > 0 and value is None and s and not _START.search(s) and not _ALL_YEARS.search(s):
            value = j
    return unit, value, codes


def _rows(doc: Document, start: int) -> list[tuple[str, str | None, str | None]]:
    """(label, unit cell, value cell) triples after the header row."""
    out: list[tuple[str, str | None, str | None]] = []
    tokens: list[str] = []
    header = doc.rows[start]
    unit_col, value_col, codes = _layout(header.cells) if len(header.cells) > 1 else (None, None, set())
    for row in doc.rows[start + 1 :]:
        cells = row.cells
        if not cells:
            continue
        joined = squash("".join(cells))
        if _END.search(joined):
            break
        if row.exact or (doc.multi and len(cells) > 1):
            cells = [c for j, c in enumerate(cells) if j not in codes]
            nonempty = list(cells)
            while nonempty and not nonempty[-1]:
                nonempty.pop()
            if not nonempty or _HEADER.match(squash(nonempty[0])) or _LETTERS.match(squash(nonempty[0])):
                continue
            label = nonempty[0]
            if not label or parse_value(label)[0]:
                continue
            if (unit_col == 1 and value_col is not None and not codes and len(cells) > value_col
                    and (not cells[1] or _is_unit(cells[1]))):
                out.append((label, cells[1] or None, cells[value_col]))
                continue
            rest = nonempty[1:]
            unit = rest[0] if rest and _is_unit(rest[0]) else None
            value_cells = rest[1:] if unit is not None else rest
            value = value_cells[0] if value_cells else None
            if unit is None and rest and not _is_unit(rest[0]) and not parse_value(rest[0])[0]:
                # an unknown unit word printed in the unit column
                unit, value = rest[0], (rest[1] if len(rest) > 1 else None)
            out.append((label, unit, value))
        else:
            tokens.extend(cells)
    if tokens:
        out.extend(_token_rows(tokens))
    return out


def _token_rows(tokens: list[str]) -> list[tuple[str, str | None, str | None]]:
    """Rows from cells one per line: label, unit, [code], values. A 代码 column's code (01, 02 …)
    is skipped; the letter row under the header (甲 乙 丙 1 2) is not a row; of several value
    columns the first that is not 历年累计 (in the header's order) is kept."""
    out: list[tuple[str, str | None, str | None]] = []
    label: str | None = None
    unit: str | None = None
    values: list[str] = []
    has_code = False
    code_seen = False
    value_headers: list[str] = []
    pick = 0

    def emit() -> None:
        if label is not None:
            out.append((label, unit, values[pick] if len(values) > pick else None))

    for tok in tokens:
        s = squash(tok)
        if _HEADER.match(s) or _LETTERS.match(s):
            has_code = has_code or s == "代码"
            if _VALUE_HEADER.match(s) and label is None:
                value_headers.append(s)
                pick = next((i for i, h in enumerate(value_headers) if not _ALL_YEARS.search(h)), 0)
            continue
        if label is not None and unit is None and not values and _is_unit(tok):
            unit = tok
            continue
        if label is not None and has_code and not code_seen and _CODE.match(s):
            code_seen = True
            continue
        if label is not None and parse_value(tok)[0]:
            values.append(tok)
            continue
        if not tok or parse_value(tok)[0]:
            continue
        emit()
        label, unit, values, code_seen = tok, None, [], False
    emit()
    return out


def read_legacy(doc: Document) -> list[dict] | None:
    """The `legacy` rows, or None when the document has no 统计表."""
    start = find_table(doc)
    if start is None:
        return None
    rows: list[dict] = []
    stack: list[tuple[float, str]] = []  # (level, label) of enclosing rows
    last_numbered: str | None = None
    anchor: float | None = None  # level of the un-numbered group rows, once the table shows them
    triples = _rows(doc, start)
    for k, (raw_label, unit_cell, value_cell) in enumerate(triples):
        s = _WS.sub("", raw_label)  # not squash(): 其它 is kept as printed
        level, bare = _level(s)
        if not bare:
            continue
        unit = squash(unit_cell) if unit_cell else None
        has_value = bool(value_cell and parse_value(value_cell)[0])
        if level is None and unit_cell is None and not has_value:
            if rows:
                break  # past the end of the table (signature, notes)
            continue
        if level is None and not _QIZHONG.match(s):
            following = _opens_group(_WS.sub("", triples[k + 1][0])) if k + 1 < len(triples) else None
            if following is not None and (anchor is None or following - 0.5 <= anchor):
                anchor = following - 0.5
        if level is None and anchor is not None and not _QIZHONG.match(s):
            while stack and stack[-1][0] >= anchor:
                stack.pop()
            parent = stack[-1][1] if stack else None
            stack.append((anchor, bare))
            last_numbered = bare
        elif level is None:
            parent = last_numbered
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack else None
            stack.append((level, bare))
            last_numbered = bare
        if unit in _DASH or not unit:
            unit = None
        value = parse_value(value_cell)[1] if value_cell and parse_value(value_cell)[0] else None
        rows.append({"label": bare, "parent": parent, "unit": unit, "value": value})
    return rows or None
