"""Build PDFs whose tables are drawn the way Word and WPS export them (issue 12, point 4): every cell
draws its own borders (neighbours' borders a little apart), merged cells span rows and columns,
justified labels are spread character by character over the cell width (text extraction sees
`一 、 本 年 新 收 …`), long labels wrap over two or three lines with the row's numbers on one line
only, a merged vertical label is written one character per line, and empty cells stay empty.

The content is made up for the tests (tests/extractor/test_wps_pdf.py)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from tests.support.documents import FONT, register_font, wrap_lines

SIZE = 7.5
LINE = SIZE + 2.5


@dataclass
class Cell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    mode: str = "left"  # left | justify | vertical | center


@dataclass
class Grid:
    widths: list[float]
    heights: list[float]
    cells: list[Cell]


def _draw_grid(c, grid: Grid, left: float, top: float, jitter: float) -> float:
    """Draw `grid` with its top-left corner at (left, top); returns the bottom y."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    xs = [left]
    for w in grid.widths:
        xs.append(xs[-1] + w)
    ys = [top]
    for h in grid.heights:
        ys.append(ys[-1] - h)
    c.setLineWidth(0.5)
    for n, cell in enumerate(grid.cells):
        x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
        y0, y1 = ys[cell.row], ys[cell.row + cell.rowspan]
        # each cell its own borders; right borders drift by 0, 1.1, 2.2 pt from cell to cell (a
        # chain of near positions that is one column edge)
        shift = jitter * (n % 3)
        c.line(x0, y0, x1, y0)
        c.line(x0, y1, x1, y1)
        c.line(x0, y0, x0, y1)
        c.line(x1 + shift, y0, x1 + shift, y1)
        if not cell.text:
            continue
        c.setFont(FONT, SIZE)
        inner = x1 - x0 - 4
        if cell.mode == "vertical":
            chars = list(cell.text)
            block = len(chars) * LINE
            y = (y0 + y1) / 2 + block / 2 - LINE + 2
            for ch in chars:
                c.drawCentredString((x0 + x1) / 2, y, ch)
                y -= LINE
            continue
        lines = wrap_lines(cell.text, inner, SIZE)
        block = len(lines) * LINE
        y = (y0 + y1) / 2 + block / 2 - LINE + 2.5
        for line in lines:
            if cell.mode == "justify" and len(line) > 1:
                # distributed alignment: the characters spread evenly over the whole cell
                used = sum(stringWidth(ch, FONT, SIZE) for ch in line)
                gap = (inner - used) / (len(line) - 1)
                x = x0 + 2
                for ch in line:
                    c.drawString(x, y, ch)
                    x += stringWidth(ch, FONT, SIZE) + gap
            elif cell.mode == "center":
                c.drawCentredString((x0 + x1) / 2, y, line)
            else:
                c.drawString(x0 + 2, y, line)
            y -= LINE
    return ys[-1]


def report_pdf(paragraphs_before: list[str], grids: list[tuple[list[str], Grid]], paragraphs_after: list[str],
               *, jitter: float = 1.1) -> bytes:
    """A PDF: paragraphs, then for each grid its heading lines and the grid (one grid per page when
    it does not fit), then the closing paragraphs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    left, top, bottom = 40, height - 50, 50
    y = top

    def para(text: str) -> None:
        nonlocal y
        for line in wrap_lines(text, width - 2 * left, 11):
            if y < bottom + 14:
                c.showPage()
                y = top
            c.setFont(FONT, 11)
            c.drawString(left, y, line)
            y -= 16

    for text in paragraphs_before:
        para(text)
    for headings, grid in grids:
        if y - sum(grid.heights) - 16 * len(headings) < bottom:
            c.showPage()
            y = top
        for text in headings:
            para(text)
        y = _draw_grid(c, grid, left, y - 4, jitter) - 14
    for text in paragraphs_after:
        para(text)
    c.save()
    return buf.getvalue()


def rows_grid(widths: list[float], rows: list[list[Cell]], heights: list[float]) -> Grid:
    return Grid(widths, heights, [cell for row in rows for cell in row])
