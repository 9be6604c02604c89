"""pdfium's characters and ruling lines (`pipelines.text.pdf_chars`) against pdfminer's: the same
rows and cells from the row builder, page by page; pdfminer for the pages pdfium cannot read."""

from __future__ import annotations

import math
import os

import pypdfium2 as pdfium
import pytest

import pipelines.text.pdf as pdf
from pipelines.text import pdf_chars
from pipelines.text.pdf_chars import read_page
from tests.support.documents import TABLE, text_pdf, unmapped_pdf
from tests.support.pdf_cases import CASES, COMPARED, REALDOCS, compared_pdf


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
    body = compared_pdf(name)
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
        doc = pdfium.PdfDocument(compared_pdf(name))
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
