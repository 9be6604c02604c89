"""pdfium's characters and ruling lines (`pipelines.text.pdf_chars`) against pdfminer's: the same
rows and cells from the row builder, page by page; pdfminer for the pages pdfium cannot read."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

import pipelines.text.pdf as pdf
from pipelines.text.pdf_chars import read_page
from tests.support.documents import FONT, TABLE, register_font, text_pdf, turned_pdf, unmapped_pdf
from tests.support.spec import SHARED

REALDOCS = SHARED / "realdocs" / "files"


def _both_readers(body: bytes) -> tuple[list[pdf._Page], list[pdf._Page]]:
    budget = pdf._Budget(600.0, 0)
    mined = pdf._pdfminer_pages(body, [], budget)
    doc = pdfium.PdfDocument(body)
    try:
        read = []
        for i in range(len(doc)):
            marks = pdf._Marks()
            height = read_page(doc, i, marks)
            read.append(pdf._page_from_marks(marks, height, "pdfium"))
    finally:
        doc.close()
    return mined, read


def _sideways_label_pdf() -> bytes:
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
    "sideways label": _sideways_label_pdf,
}


@pytest.mark.parametrize("case", list(CASES))
def test_pdfium_gives_pdfminers_rows_cells_and_turns(case):
    mined, read = _both_readers(CASES[case]())
    assert len(read) == len(mined) >= 1
    for a, b in zip(mined, read, strict=True):
        assert b.lines == a.lines
        assert b.rotation == a.rotation
        assert b.chars == a.chars
        assert len(b.rules) == len(a.rules) and len(b.hrules) == len(a.hrules)
    if case.startswith("turned"):
        # a page turned by /Rotate r runs its text at 360 - r degrees: read turned back upright
        assert {p.rotation for p in read} == {(360 - int(case.split()[1])) % 360}
    assert any("\t" in line for p in read for line in p.lines)  # the ruled tables came out as cells


@pytest.mark.parametrize("name", ["hongze-2023.pdf"])
def test_real_wps_pdf_reads_the_same_with_pdfium(name):
    path = REALDOCS / name
    if not path.exists():
        pytest.skip(f"real documents not found at {REALDOCS} (../shared/realdocs beside the checkout)")
    mined, read = _both_readers(path.read_bytes())
    assert [p.lines for p in read] == [p.lines for p in mined]
    doc = pdf.extract_pdf(path.read_bytes(), ocr=False)
    assert doc.quality["pages_by_extractor"] == {"pdfium": len(read)}


def test_unmapped_page_is_read_again_by_pdfminer():
    body = unmapped_pdf()
    doc = pdf.extract_pdf(body, ocr=False)
    assert doc.quality["unmapped_pages"] == 1
    # pdfium's reading was unusable, pdfminer's no better: pdfminer's `(cid:N)` is kept, which the
    # quality figures count (and OCR, when on, replaces)
    assert doc.quality["pages_by_extractor"] == {"pdfminer": 1}
    assert "(cid:" in doc.text


def test_a_page_pdfium_fails_on_is_read_by_pdfminer(monkeypatch):
    body = text_pdf(TABLE, rows_per_page=9)
    expected = pdf.extract_pdf(body, ocr=False)
    import pipelines.text.pdf_chars as pdf_chars

    real = pdf_chars.read_page

    def failing(doc, index, marks):
        if index == 1:
            raise RuntimeError("broken content stream")
        return real(doc, index, marks)

    monkeypatch.setattr(pdf_chars, "read_page", failing)
    doc = pdf.extract_pdf(body, ocr=False)
    pages = expected.quality["pages"]
    assert doc.quality["pages_by_extractor"] == {"pdfium": pages - 1, "pdfminer": 1}
    assert doc.text == expected.text
    assert "page 2: pdfium failed" in doc.error


def test_without_pdfium_every_page_is_read_by_pdfminer(monkeypatch):
    body = text_pdf(TABLE, rows_per_page=9)
    expected = pdf.extract_pdf(body, ocr=False)
    monkeypatch.setattr(pdf, "_open_pdfium", lambda body, errors: None)
    doc = pdf.extract_pdf(body, ocr=False)
    assert doc.quality["pages_by_extractor"] == {"pdfminer": expected.quality["pages"]}
    assert doc.text == expected.text and doc.error is None


def test_a_budget_spent_before_the_pdfminer_reread_leaves_the_page_unread(monkeypatch):
    calls = []

    def spent(self):  # the budget holds for pdfium's pass over the one page, then runs out
        calls.append(1)
        return len(calls) > 1

    monkeypatch.setattr(pdf._Budget, "spent", spent)
    doc = pdf.extract_pdf(unmapped_pdf(), ocr=False)
    assert doc.quality["unread_pages"] == doc.quality["pages"] == 1
    assert "NIANBAO_PDF_SECONDS" in doc.error and "(cid:" not in doc.text
