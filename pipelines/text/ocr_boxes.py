"""Text lines and table rows rebuilt from OCR text boxes (pure geometry, no engine).

An engine such as RapidOCR returns one box per run of text. Boxes are grouped into rows by vertical
overlap and ordered by x; boxes far apart on a row are cells, separated by a tab as the rest of the
text layer writes table cells. Inside a ruled table the boxes are put into the cells found between the
ruling lines instead, so empty cells keep their column.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from pipelines.text.rapid import TextBox

CJK_TEXT = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’《》"  # Han, CJK and full-width punctuation
_CJK_EDGE = re.compile(rf"[{CJK_TEXT}]")
CELL_GAP_HEIGHTS = 1.0  # a gap wider than this many line heights between two boxes of a row: new cell
ROW_OVERLAP = 0.5  # share of the lower box's height that must overlap the row to belong to it


def _span(box: TextBox, line_height: float) -> tuple[float, float]:
    """The vertical extent a box claims in a row: a tall box (vertical text, a merged label written
    one character per line) claims only its first line."""
    if box.height > 1.8 * line_height and box.height > 1.5 * box.width:
        return box.y0, box.y0 + line_height
    return box.y0, box.y1


def line_height(boxes: Sequence[TextBox]) -> float:
    """The typical height of a text line (median of the boxes not taller than wide)."""
    flat = [b.height for b in boxes if b.height <= b.width] or [b.height for b in boxes]
    return statistics.median(flat) if flat else 0.0


def group_rows(boxes: Sequence[TextBox], height: float | None = None) -> list[list[TextBox]]:
    """Boxes grouped into rows (top to bottom) by vertical overlap, each row ordered by x."""
    if not boxes:
        return []
    height = height or line_height(boxes)
    rows: list[tuple[float, float, list[TextBox]]] = []
    for box in sorted(boxes, key=lambda b: (_span(b, height)[0] + _span(b, height)[1]) / 2):
        top, bottom = _span(box, height)
        if rows:
            r_top, r_bottom, members = rows[-1]
            overlap = min(bottom, r_bottom) - max(top, r_top)
            if overlap >= ROW_OVERLAP * min(bottom - top, r_bottom - r_top):
                members.append(box)
                rows[-1] = (min(r_top, top), max(r_bottom, bottom), members)
                continue
        rows.append((top, bottom, [box]))
    return [sorted(members, key=lambda b: b.x0) for _t, _b, members in rows]


def join_text(left: str, right: str) -> str:
    """Two pieces of one line: no space between Chinese characters, one between Latin words or numbers."""
    if not left or not right:
        return left + right
    if _CJK_EDGE.match(left[-1]) or _CJK_EDGE.match(right[0]):
        return left + right
    return f"{left} {right}"


def row_text(row: Sequence[TextBox], height: float) -> str:
    """One row's boxes as a line; a gap wider than `CELL_GAP_HEIGHTS` line heights separates cells."""
    out = ""
    for k, box in enumerate(row):
        if k and box.x0 - row[k - 1].x1 > CELL_GAP_HEIGHTS * height:
            out += "\t" + box.text
        else:
            out = join_text(out, box.text)
    return out


def text_lines(boxes: Sequence[TextBox]) -> list[tuple[float, str]]:
    """(top, line) for the boxes outside tables: rows by vertical overlap, cells tab-separated."""
    height = line_height(boxes)
    return [(min(b.y0 for b in row), row_text(row, height)) for row in group_rows(boxes, height)]


def cell_text(boxes: Sequence[TextBox]) -> str:
    """The text of one table cell: its lines in order, a wrapped Chinese label joined without a break."""
    return join_cell_lines([row_text(row, float("inf")) for row in group_rows(boxes)])


def join_cell_lines(lines: Sequence[str]) -> str:
    """The lines of one table cell as its text: a wrapped Chinese label (every line holds Chinese)
    joined without a break, anything else by spaces."""
    if all(_CJK_EDGE.search(ln) for ln in lines):
        return "".join(lines)
    return " ".join(lines)


def cell_of(box: TextBox, cells: Sequence[tuple[int, int, int, int]]) -> int | None:
    """The index of the cell (top, left, bottom, right) that holds the box's centre; for a box whose
    centre falls on a rule, the cell it overlaps most; None when it overlaps none."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    for i, (top, left, bottom, right) in enumerate(cells):
        if left <= cx <= right and top <= cy <= bottom:
            return i
    best, best_area = None, 0.0
    for i, (top, left, bottom, right) in enumerate(cells):
        w = min(box.x1, right) - max(box.x0, left)
        h = min(box.y1, bottom) - max(box.y0, top)
        if w > 0 and h > 0 and w * h > best_area:
            best, best_area = i, w * h
    return best


def cells_crossed(box: TextBox, cells: Sequence[tuple[int, int, int, int]]) -> list[int]:
    """The cells of one row that a box runs over, left to right (the page is read without its ruling
    lines, so numbers in narrow neighbouring cells can come out as one box "10 1 0 0 0"). A box
    overhanging into the next cell by less than half a character is not in it."""
    cy = (box.y0 + box.y1) / 2
    reach = 0.5 * box.height
    row = [(c[1], i) for i, c in enumerate(cells)
           if c[0] <= cy <= c[2] and min(box.x1, c[3]) - max(box.x0, c[1]) >= reach]
    return [i for _x, i in sorted(row)]


def split_by_words(box: TextBox, cells: Sequence[tuple[int, int, int, int]], crossed: list[int]) -> list[TextBox] | None:
    """The box cut at the cells it runs over when it holds as many space-separated words as cells
    (one word a cell); None otherwise."""
    words = box.text.split()
    if len(words) != len(crossed):
        return None
    return [TextBox(max(box.x0, cells[i][1]), box.y0, min(box.x1, cells[i][3]), box.y1, word, box.confidence)
            for i, word in zip(crossed, words, strict=True)]
