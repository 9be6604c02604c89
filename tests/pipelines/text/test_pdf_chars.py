"""pdfium's characters and ruling lines (`pipelines.text.pdf_chars`) against pdfminer's: the same
rows and cells from the row builder, page by page; pdfminer for the pages pdfium cannot read."""

from __future__ import annotations

import io
import math
import os

import pypdfium2 as pdfium
import pytest

import pipelines.text.pdf as pdf
from pipelines.text import pdf_chars
from pipelines.text.pdf_chars import read_page
from tests.support import hostile_corpus
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


def _drawn_pdf() -> bytes:
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


def _same_marks(a: list[tuple], b: list[tuple]) -> bool:
    """Equal tuples, floats bit for bit (the sign of a zero and NaN included)."""
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b, strict=True):
        for u, v in zip(row_a, row_b, strict=True):
            if type(u) is not type(v):
                return False
            if isinstance(u, float):
                if math.copysign(1.0, u) != math.copysign(1.0, v) or not (u == v or (u != u and v != v)):
                    return False
            elif u != v:
                return False
    return True


HOSTILE = ("pdf_plain", "pdf_truncated", "pdf_no_eof", "pdf_bad_filter", "pdf_deep_arrays")
COMPARED = [*CASES, "drawn", "unmapped", *HOSTILE, *(p.name for p in sorted(REALDOCS.glob("*.pdf")))]


def _compared_pdf(name: str) -> bytes:
    if name in CASES:
        return CASES[name]()
    if name == "drawn":
        return _drawn_pdf()
    if name == "unmapped":
        return unmapped_pdf()
    if name in HOSTILE:
        return getattr(hostile_corpus, name)()
    return (REALDOCS / name).read_bytes()


def test_the_compiled_loops_are_built_where_ci_runs():
    """`pip install -e .` builds `_pdfium_loops` (gcc and the Python headers are on the machine);
    elsewhere the Python loops run and the rest of this module still checks them."""
    if pdf_chars.compiled is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pipelines/text/_pdfium_loops was not built: `pip install -e .` with a C compiler")
        pytest.skip("the compiled loops are not built here (no C compiler at install)")
    assert callable(pdf_chars.compiled.read_chars) and callable(pdf_chars.compiled.read_objects)


@pytest.mark.parametrize("name", COMPARED)
def test_compiled_loops_give_the_python_loops_marks(name):
    if pdf_chars.compiled is None:
        pytest.skip("the compiled loops are not built here")
    body = _compared_pdf(name)
    try:
        doc = pdfium.PdfDocument(body)
    except pdfium.PdfiumError:
        pytest.skip(f"pdfium cannot open {name}")
    pages = 0
    try:
        for i in range(len(doc)):
            by_python, compiled = pdf._Marks(), pdf._Marks()
            try:
                height = read_page(doc, i, by_python, loops=None)
            except Exception as exc:  # noqa: BLE001 - the compiled loops must fail the same way
                with pytest.raises(type(exc)):
                    read_page(doc, i, compiled)
                continue
            assert read_page(doc, i, compiled) == height
            assert _same_marks(compiled.chars, by_python.chars), f"page {i + 1}: characters differ"
            assert _same_marks(compiled.shapes, by_python.shapes), f"page {i + 1}: shapes differ"
            assert compiled.images == by_python.images
            pages += 1
    finally:
        doc.close()
    if name == "drawn":  # the drawing reached every branch: curves, forms, an image, turned text
        assert pages == 2


def _same_objects(a: list, b: list) -> bool:
    """The same dataclass objects, field by field, of the same types."""
    return len(a) == len(b) and all(
        type(u) is type(v) and _same_marks([tuple(getattr(u, f) for f in u.__slots__)],
                                           [tuple(getattr(v, f) for f in v.__slots__)])
        for u, v in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("name", COMPARED)
def test_compiled_orientation_gives_the_python_glyphs_and_rules(name):
    """`orient_upright` (C) against `pdf._oriented` at rotation 0, on every page of the same PDFs."""
    from pipelines.text.layout import Glyph, HRule, Rule

    if pdf_chars.compiled is None:
        pytest.skip("the compiled loops are not built here")
    try:
        doc = pdfium.PdfDocument(_compared_pdf(name))
    except pdfium.PdfiumError:
        pytest.skip(f"pdfium cannot open {name}")
    try:
        for i in range(len(doc)):
            marks = pdf._Marks()
            try:
                height = read_page(doc, i, marks)
            except Exception:  # noqa: BLE001 - a page pdfium cannot read has nothing to orient
                continue
            expected = pdf._oriented(marks, 0, height)
            got = pdf_chars.compiled.orient_upright(marks.chars, marks.shapes, height, Glyph, Rule, HRule)
            for kind, want, have in zip(("glyphs", "rules", "hrules"), expected, got, strict=True):
                assert _same_objects(have, want), f"page {i + 1}: {kind} differ"
    finally:
        doc.close()
