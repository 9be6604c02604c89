"""PDF attachments with Chinese text (reportlab's built-in CID font STSong-Light, no font files).

Tables are drawn one printed row per text line with cells separated by spaces, under ruled lines,
so that text extraction (pdfminer) gives one row per line.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from demo_site.tables import report_tables

FONT = "STSong-Light"
_MARGIN = 56.0
_CELL_GAP = "  "


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


class _Writer:
    """A top-to-bottom text cursor over a reportlab canvas that starts new pages as needed."""

    def __init__(self, title: str, author: str) -> None:
        self.buf = io.BytesIO()
        # invariant=1 fixes the document id and dates so the same report gives the same bytes.
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=1)
        self.c.setTitle(title)
        self.c.setAuthor(author)
        self.width, self.height = A4
        self.y = self.height - _MARGIN
        self.page = 1

    @property
    def text_width(self) -> float:
        return self.width - 2 * _MARGIN

    def _need(self, h: float) -> None:
        if self.y - h < _MARGIN:
            self._footer()
            self.c.showPage()
            self.page += 1
            self.y = self.height - _MARGIN

    def _footer(self) -> None:
        self.c.setFont(FONT, 9)
        self.c.drawCentredString(self.width / 2, _MARGIN / 2, f"— {self.page} —")

    def line(self, text: str, size: float = 11, center: bool = False, right: bool = False) -> None:
        self._need(size * 1.6)
        self.y -= size * 1.6
        self.c.setFont(FONT, size)
        if center:
            self.c.drawCentredString(self.width / 2, self.y, text)
        elif right:
            self.c.drawRightString(self.width - _MARGIN, self.y, text)
        else:
            self.c.drawString(_MARGIN, self.y, text)

    def paragraph(self, text: str, size: float = 11) -> None:
        """Wrap by measured width (CJK text has no spaces to break on); first line indented."""
        line, indent = "", "\u3000\u3000"
        for ch in indent + text:
            if pdfmetrics.stringWidth(line + ch, FONT, size) > self.text_width:
                self.line(line, size)
                line = ""
            line += ch
        if line:
            self.line(line, size)

    def table_row(self, cells: list[str], size: float = 8.5) -> None:
        text = _CELL_GAP.join(c if c else " " for c in cells)
        while size > 5 and pdfmetrics.stringWidth(text, FONT, size) > self.text_width:
            size -= 0.5
        self.line(text, size)
        self.c.setLineWidth(0.4)
        self.c.line(_MARGIN, self.y - 3, self.width - _MARGIN, self.y - 3)

    def finish(self) -> bytes:
        self._footer()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def render_report_pdf(
    record: dict[str, Any],
    prose: dict[str, list[str]],
    title: str,
    headings: dict[str, str] | None = None,
    numbered_labels: list[str] | None = None,
) -> bytes:
    """A report as a PDF: heading, section 一 prose, the tables, sections 五 and 六, signature."""
    _register_font()
    agency = record.get("agency") or ""
    headings = headings or {}
    w = _Writer(title, agency)
    w.line(agency, 16, center=True)
    w.line(title.removeprefix(agency), 16, center=True)
    w.line("")
    w.line("一、" + headings.get("overview", "总体情况"), 12)
    for para in prose.get("overview", []):
        w.paragraph(para)
    for table_title, rows in report_tables(record, numbered_labels):
        w.line("")
        w.line(table_title, 12)
        for row in rows:
            w.table_row(row)
    if record.get("template") != "pre2019":
        for num, key, default in (
            ("五", "problems", "存在的主要问题及改进情况"),
            ("六", "other", "其他需要报告的事项"),
        ):
            if key in prose:
                w.line(f"{num}、" + headings.get(key, default), 12)
                for para in prose[key]:
                    w.paragraph(para)
    w.line("")
    w.line(agency, 11, right=True)
    if record.get("published"):
        y, m, d = (int(x) for x in record["published"].split("-"))
        w.line(f"{y}年{m}月{d}日", 11, right=True)
    return w.finish()
