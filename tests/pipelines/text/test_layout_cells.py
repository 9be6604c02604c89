"""layout: column edges drawn a little apart and cells merged over columns (WPS/Word PDFs)."""

from __future__ import annotations

from pipelines.text.layout import Glyph, HRule, Rule, assemble, tables_from_rules


def _glyphs(text: str, x: float, top: float, step: float = 10.0) -> list[Glyph]:
    return [Glyph(x + i * step, x + i * step + 8, top, top + 8, ch) for i, ch in enumerate(text)]


def test_borders_a_little_apart_are_one_column_edge():
    # each cell draws its own right border: 100.0, 101.1, 102.2 are one edge (a chain), 150 another
    rules = [Rule(0, 0, 40), Rule(100.0, 0, 20), Rule(101.1, 20, 40), Rule(102.2, 0, 40), Rule(150, 0, 40)]
    (table,) = tables_from_rules(rules, chain=True)
    assert table.xs == [0, 100.0, 150]
    assert len(tables_from_rules(rules)[0].xs) == 4  # OCR's grouping (no chain): 102.2 is an edge of its own


def test_a_cell_merged_over_columns_is_one_cell_in_the_first_column():
    # row 1 (y 0-20): one label cell over columns 1-3, then a value; row 2: every column ruled
    rules = [Rule(0, 0, 40), Rule(60, 20, 40), Rule(120, 20, 40), Rule(180, 0, 40), Rule(220, 0, 40)]
    hrules = [HRule(0, 0, 220), HRule(20, 0, 220), HRule(40, 0, 220)]
    glyphs = _glyphs("一、本年新收申请数量", 5, 6, step=17) + _glyphs("7", 190, 6)
    glyphs += _glyphs("甲", 5, 26) + _glyphs("乙", 65, 26) + _glyphs("丙", 125, 26) + _glyphs("9", 190, 26)
    lines = assemble(glyphs, rules, hrules)
    first = lines[0].split("\t")
    assert first[0] == "一 、 本 年 新 收 申 请 数 量"  # spread (justified), but one cell
    assert first[1:] == ["", "", "7"]
    assert lines[1].split("\t") == ["甲", "乙", "丙", "9"]
