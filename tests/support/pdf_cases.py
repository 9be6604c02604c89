"""PDFs that exercise the PDF reader's branches, by name: the pdfminer-vs-pdfium cases (a table
over pages, pages turned by /Rotate, a sideways label), a drawing with curves, forms, an image and
turned text, an unmapped font, hostile files pdfium may open, and the real PDFs under
`../shared/realdocs/files`. Used to hold the compiled loops to the Python ones."""

from __future__ import annotations

import io

from tests.support import hostile_corpus
from tests.support.documents import FONT, TABLE, register_font, text_pdf, turned_pdf, unmapped_pdf
from tests.support.spec import SHARED

REALDOCS = SHARED / "realdocs" / "files"


def sideways_label_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(FONT, 12)
    for i, row in enumerate(["项目\t自然人\t总计", "申请数\t3\t5"]):
        for j, cell in enumerate(row.split("\t")):
            c.drawString(100 + 150 * j, 700 - 20 * i, cell)
    c.rect(90, 660, 400, 60)
    c.line(240, 660, 240, 720)
    c.saveState()
    c.translate(60, 640)
    c.rotate(90)
    c.drawString(0, 0, "备注")
    c.restoreState()
    c.save()
    return buf.getvalue()


CASES = {
    "table over pages": lambda: text_pdf(TABLE, rows_per_page=9, header="某某区人民政府信息公开"),
    "turned 90": lambda: turned_pdf(text_pdf(TABLE, rows_per_page=9), 90),
    "turned 180": lambda: turned_pdf(text_pdf(TABLE, rows_per_page=9), 180),
    "turned 270": lambda: turned_pdf(text_pdf(TABLE, rows_per_page=9), 270),
    "sideways label": sideways_label_pdf,
}


def drawn_pdf() -> bytes:
    """What the per-character and per-point loops meet besides plain text: curves, a form XObject
    holding rules and text, an image, text scaled, raised, spaced, turned and upside down, a page
    turned by /Rotate, and a second page in landscape."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(FONT, 11)
    c.drawString(72, 760, "某某区人民政府信息公开工作年度报告")
    c.circle(300, 600, 40)
    c.bezier(72, 500, 120, 560, 180, 440, 240, 500)
    c.roundRect(300, 420, 120, 60, 12)
    c.beginForm("cell")
    c.rect(0, 0, 150, 40)
    c.line(75, 0, 75, 40)
    c.setFont(FONT, 9)
    c.drawString(4, 14, "收到申请")
    c.drawString(80, 14, "12")
    c.endForm()
    for k in range(3):
        c.saveState()
        c.translate(72, 300 - 45 * k)
        c.scale(1.0 + 0.25 * k, 1.0)
        c.doForm("cell")
        c.restoreState()
    text = c.beginText(320, 300)
    text.setFont(FONT, 10)
    text.setHorizScale(80)
    text.setCharSpace(1.5)
    text.textLine("主动公开 34 条")
    text.setRise(3)
    text.textLine("依申请公开")
    c.drawText(text)
    for angle in (90, 180, 45):
        c.saveState()
        c.translate(450, 200)
        c.rotate(angle)
        c.drawString(0, 0, "行政复议")
        c.restoreState()
    pixels = bytes([255, 0, 0] * 16)
    from PIL import Image

    c.drawImage(ImageReader(Image.frombytes("RGB", (4, 4), pixels)), 400, 700, 20, 20)
    c.showPage()
    c.setPageSize((842, 595))
    c.setFont(FONT, 12)
    c.drawString(72, 500, "（三）行政许可 5 件")
    c.grid([72, 200, 330], [300, 340, 380])
    c.save()
    return turned_pdf(buf.getvalue(), 90)


HOSTILE = ("pdf_plain", "pdf_no_eof", "pdf_bad_filter", "pdf_deep_arrays")  # those pdfium opens
COMPARED = [*CASES, "drawn", "unmapped", *HOSTILE, *(p.name for p in sorted(REALDOCS.glob("*.pdf")))]


def compared_pdf(name: str) -> bytes:
    if name in CASES:
        return CASES[name]()
    if name == "drawn":
        return drawn_pdf()
    if name == "unmapped":
        return unmapped_pdf()
    if name in HOSTILE:
        return getattr(hostile_corpus, name)()
    return (REALDOCS / name).read_bytes()
