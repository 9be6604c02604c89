"""Rebuild lines and table rows from positioned glyphs.

Input is a list of `Glyph`s in a top-down coordinate system (PDF characters from pdfminer or pdfium,
words from Tesseract) plus the page's vertical rules. Glyphs are grouped into lines by their vertical
centre; within a table (a cluster of vertical rules) each line becomes one row whose cells are the
intervals between the table's column rules, empty cells included, joined by tabs. Outside tables a
wide horizontal gap becomes a tab. Full pdfminer layout analysis (LAParams) is not needed for this,
which is what makes it fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from pipelines.text.common import is_cjk


@dataclass(slots=True)
class Glyph:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(0.1, self.bottom - self.top)


@dataclass(slots=True)
class Rule:
    """A vertical line segment at x from top to bottom (top < bottom)."""

    x: float
    top: float
    bottom: float


@dataclass(slots=True)
class Table:
    top: float
    bottom: float
    xs: list[float]


def tables_from_rules(rules: list[Rule], merge: float = 2.0) -> list[Table]:
    """Group vertical rules whose vertical extents overlap into tables; each table's column
    boundaries are the distinct x positions of its rules."""
    if not rules:
        return []
    rules = sorted(rules, key=lambda r: r.top)
    groups: list[list[Rule]] = []
    bottom = None
    for r in rules:
        if groups and bottom is not None and r.top <= bottom + merge:
            groups[-1].append(r)
            bottom = max(bottom, r.bottom)
        else:
            groups.append([r])
            bottom = r.bottom
    tables = []
    for g in groups:
        xs: list[float] = []
        for x in sorted(r.x for r in g):
            if not xs or x - xs[-1] > merge:
                xs.append(x)
        if len(xs) >= 2:
            tables.append(Table(min(r.top for r in g), max(r.bottom for r in g), xs))
    return tables


def _group_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    glyphs = sorted(glyphs, key=lambda g: (g.yc, g.x0))
    lines: list[list[Glyph]] = []
    centre = 0.0
    for g in glyphs:
        if lines:
            tol = 0.45 * min(g.height, median(x.height for x in lines[-1][:5]))
            if abs(g.yc - centre) <= tol:
                lines[-1].append(g)
                n = len(lines[-1])
                centre += (g.yc - centre) / n
                continue
        lines.append([g])
        centre = g.yc
    return [sorted(line, key=lambda g: g.x0) for line in lines]


def _join(glyphs: list[Glyph], tab_gap: float | None) -> str:
    """Glyphs of one run as text: a space for a word gap, a tab for a column gap (when `tab_gap`)."""
    out: list[str] = []
    prev: Glyph | None = None
    for g in glyphs:
        if prev is not None and g.text:
            gap = g.x0 - prev.x1
            size = min(g.height, prev.height)
            if tab_gap is not None and gap > tab_gap:
                out.append("\t")
            elif gap > 0.25 * size and not (is_cjk(g.text[0]) and is_cjk(prev.text[-1]) and gap < 0.9 * size):
                out.append(" ")
        out.append(g.text)
        prev = g
    return "".join(out)


def assemble(glyphs: list[Glyph], rules: list[Rule] | None = None) -> list[str]:
    """Text lines of one page, top to bottom; table rows as tab-separated cells."""
    glyphs = [g for g in glyphs if g.text and not g.text.isspace() or (g.text == " ")]
    glyphs = [g for g in glyphs if g.text.strip()]
    if not glyphs:
        return []
    tables = tables_from_rules(rules or [])
    out: list[str] = []
    for line in _group_lines(glyphs):
        yc = median(g.yc for g in line)
        table = next((t for t in tables if t.top - 1 <= yc <= t.bottom + 1), None)
        if table is None:
            size = median(g.height for g in line)
            out.append(_join(line, tab_gap=2.0 * size))
            continue
        xs = table.xs
        before = [g for g in line if (g.x0 + g.x1) / 2 < xs[0]]
        after = [g for g in line if (g.x0 + g.x1) / 2 > xs[-1]]
        cells: list[list[Glyph]] = [[] for _ in range(len(xs) - 1)]
        for g in line:
            xc = (g.x0 + g.x1) / 2
            if xs[0] <= xc <= xs[-1]:
                i = next(i for i in range(len(xs) - 1) if xc <= xs[i + 1])
                cells[i].append(g)
        parts = [_join(c, None) for c in cells]
        row = "\t".join(parts)
        if before:
            row = _join(before, None) + "\t" + row
        if after:
            row = row + "\t" + _join(after, None)
        out.append(row)
    return out
