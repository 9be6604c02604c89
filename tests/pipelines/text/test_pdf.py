"""PDF extraction: tables across pages, unmapped glyphs, scanned pages, broken files."""

from __future__ import annotations

import io

import pytest

from pipelines.text import rapid
from pipelines.text.ocr import ocr_engine, tesseract_available
from pipelines.text.pdf import extract_pdf, join_page_lines
from pipelines.textify import textify
from tests.support.documents import (
    FONT,
    TABLE,
    register_font,
    scanned_pdf,
    text_pdf,
    turned_pdf,
    unmapped_pdf,
)


def test_table_split_over_pages_is_joined_without_repeated_header():
    doc = textify(text_pdf(TABLE, rows_per_page=9, header="某某区人民政府信息公开"))
    assert doc.kind == "pdf" and doc.error is None and doc.quality["pages"] >= 4
    lines = doc.text.splitlines()
    rows = [ln for ln in lines if ln.count("\t") == 3]
    assert rows[0] == "项目\t自然人\t商业企业\t总计"
    assert rows.count("项目\t自然人\t商业企业\t总计") == 1  # repeated header rows dropped
    assert len(rows) == 31
    for i in range(1, 31):  # wrapped label cells stay in their row, rows stay in order, no gaps
        assert (
            rows[i] == f"{i}.第{i}类申请的处理结果说明文字较长需要在单元格内换行显示\t{i}\t{i * 2}\t{i * 3}"
        )
    start = lines.index(rows[0])
    assert all("\t" in ln for ln in lines[start : start + 31])  # no blank line or furniture inside the table
    assert "某某区人民政府信息公开" not in doc.text and "- 2 -" not in doc.text


def test_join_page_lines_keeps_separate_tables_apart():
    assert join_page_lines([["a", "x\t1"], ["y\t2"]]) == "a\nx\t1\ny\t2"
    assert join_page_lines([["a"], ["b"]]) == "a\n\nb"


def test_unmapped_glyphs_are_detected_and_recovered():
    body = unmapped_pdf()
    from pdfminer.high_level import extract_text

    assert "(cid:" in extract_text(io.BytesIO(body))  # the trap is real
    doc = textify(body)
    assert doc.quality["unmapped_pages"] == 1
    assert "(cid:" not in doc.text
    if ocr_engine():
        assert doc.extractor == ocr_engine() and "政府信息公开工作年度报告" in doc.text
        assert doc.quality["ocr_confidence"] > 70
    else:
        assert doc.error


def _use_engine(engine: str, monkeypatch) -> None:
    """Read scans with `engine` (NIANBAO_OCR_ENGINE); skip when it is not installed."""
    if engine == "tesseract" and not tesseract_available():
        pytest.skip("tesseract-ocr-chi-sim not installed")
    if engine == "rapidocr" and not rapid.rapidocr_available():
        pytest.skip("RapidOCR not installed")
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", engine)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rapidocr", "tesseract"])
def test_scanned_pdf_is_ocred_with_confidence(engine, monkeypatch):
    _use_engine(engine, monkeypatch)
    source = "政府信息公开工作年度报告\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t12\t——\t305\n行政规范性文件\t-3\t7\t1424"
    doc = textify(scanned_pdf(text_pdf(source), dpi=200))
    assert doc.extractor == engine and doc.quality["ocr_pages"] == 1 and doc.quality["ocr_engine"] == engine
    assert doc.quality["ocr_confidence"] >= 80
    assert "规章\t12\t——\t305" in doc.text
    assert "行政规范性文件\t-3\t7\t1424" in doc.text


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["rapidocr", "tesseract"])
@pytest.mark.parametrize("angle", [90, 180])
def test_sideways_and_upside_down_scans_are_read_upright(angle, engine, monkeypatch):
    """A landscape table scanned sideways, or a page fed upside down: it reads badly (or its text
    stands on its side) as it is, so Tesseract's orientation detection turns it, and the turned page
    is read instead."""
    import re

    import pypdfium2 as pdfium

    _use_engine(engine, monkeypatch)
    source = "\n".join(TABLE.splitlines()[:14])
    pdf = pdfium.PdfDocument(text_pdf(source))
    image = pdf[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    pdf.close()
    buf = io.BytesIO()
    image.rotate(angle, expand=True, fillcolor=255).save(buf, format="PDF", resolution=200)
    doc = textify(buf.getvalue())
    assert doc.extractor == engine and doc.quality["turned_pages"] == 1
    assert doc.quality["ocr_confidence"] >= 80
    assert "项目\t自然人\t商业企业\t总计" in doc.text
    rows = [
        i for i in range(1, 13) if re.search(rf"^{i}\.第{i}类申请.*\t{i}\t{2 * i}\t{3 * i}$", doc.text, re.M)
    ]
    assert len(rows) >= 11


def test_encrypted_pdf_with_user_password_is_an_error():
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.setFont(FONT, 12)
    c.drawString(60, 760, "年度报告")
    c.save()
    doc = textify(buf.getvalue(), url="http://x.gov.cn/locked.pdf")
    assert doc.kind == "pdf" and doc.text == ""
    assert doc.error and "encrypted" in doc.error


def test_owner_password_only_pdf_still_opens():
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption("", ownerPassword="owner", canPrint=0, canCopy=0))
    c.setFont(FONT, 12)
    c.drawString(60, 760, "政府信息公开工作年度报告")
    c.save()
    doc = textify(buf.getvalue())
    assert doc.error is None and "政府信息公开工作年度报告" in doc.text


def test_truncated_and_corrupt_pdfs_give_errors_and_partial_text():
    full = text_pdf(TABLE)
    truncated = full[: int(len(full) * 0.7)]
    doc = extract_pdf(truncated, ocr=False)
    assert doc.error and "truncated" in doc.error
    corrupt = extract_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF", ocr=False)
    assert corrupt.error
    assert extract_pdf(b"not a pdf at all").error == "not a PDF (no %PDF header)"


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_sideways_and_upside_down_pages_are_read_upright(rotation):
    """A table printed sideways on a portrait page (or a page upside down): pdfminer's characters run
    up, down or right to left; the page is turned so that rows and cells come out as on an upright page."""
    upright = text_pdf(TABLE, rows_per_page=9, header="某某区人民政府信息公开")
    expected = textify(upright)
    turned = textify(turned_pdf(upright, rotation))
    assert turned.error is None and "turned_pages" not in expected.quality
    assert turned.text == expected.text
    assert turned.quality["turned_pages"] == turned.quality["pages"] >= 4
    assert "项目\t自然人\t商业企业\t总计" in turned.text


def test_a_few_sideways_labels_do_not_turn_the_page():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(FONT, 12)
    for i, row in enumerate(["项目\t自然人\t总计", "申请数\t3\t5", "办结数\t3\t5"]):
        for j, cell in enumerate(row.split("\t")):
            c.drawString(100 + 150 * j, 700 - 20 * i, cell)
    c.saveState()
    c.translate(60, 640)
    c.rotate(90)
    c.drawString(0, 0, "备注")  # a label set sideways beside the table
    c.restoreState()
    c.showPage()
    c.save()
    doc = textify(buf.getvalue())
    assert "turned_pages" not in doc.quality
    assert "项目\t自然人\t总计" in doc.text and "申请数\t3\t5" in doc.text


def test_a_pdf_over_its_time_budget_keeps_its_pages_as_unread(monkeypatch):
    monkeypatch.setenv("NIANBAO_PDF_SECONDS", "0")
    doc = textify(text_pdf(TABLE, rows_per_page=9), url="http://x.gov.cn/big.pdf")
    assert doc.kind == "pdf" and doc.text == ""
    assert doc.quality["unread_pages"] == doc.quality["pages"] >= 4
    assert "NIANBAO_PDF_SECONDS" in doc.error and "nianbao reprocess" in doc.error


def test_a_bad_budget_value_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("NIANBAO_PDF_SECONDS", "ten minutes")
    doc = textify(text_pdf(TABLE, rows_per_page=9))
    assert doc.error is None and "unread_pages" not in doc.quality
    assert "项目\t自然人\t商业企业\t总计" in doc.text


@pytest.mark.slow
def test_ocr_stops_at_its_page_limit(monkeypatch):
    if not ocr_engine():
        pytest.skip("no OCR engine installed")
    monkeypatch.setenv("NIANBAO_OCR_MAX_PAGES", "1")
    scan = scanned_pdf(text_pdf("\n".join(TABLE.splitlines()[:25]), rows_per_page=9), dpi=100)
    doc = textify(scan)
    assert doc.quality["ocr_pages"] == 1 and doc.quality["unread_pages"] == doc.quality["pages"] - 1 >= 1
    assert "NIANBAO_OCR_MAX_PAGES" in doc.error
    assert "收到和处理政府信息公开申请情况" in doc.text  # the first page was read


def test_bomb_check_finds_a_stream_inside_what_looked_like_one(monkeypatch):
    """The word `stream` in a comment before a Flate bomb starts a span (up to the next `endstream`)
    that holds the bomb's own stream. That span is not Flate; the bomb inside it is still found."""
    from pipelines.text.pdf import _stream_over_cap
    from tests.support import hostile_corpus as corpus

    for name, value in corpus.HOSTILE_LIMITS.items():
        monkeypatch.setenv(name, value)
    bomb = corpus.pdf_flate_bomb()
    header = bomb.index(b"\n") + 1
    body = bomb[:header] + b"% a comment that says stream\n" + bomb[header:]
    assert _stream_over_cap(body) is True
    assert (
        _stream_over_cap(b"%PDF-1.4\n% a comment that says stream\n" + corpus.pdf_plain()[header:]) is False
    )


def _standard_inflater():
    import zlib

    return zlib.decompressobj(), zlib.error


@pytest.mark.parametrize("inflater", ["isal", "zlib"])
def test_bomb_check_answers_the_same_with_either_inflater(monkeypatch, inflater):
    """ISA-L's inflate (when installed) and zlib's: the same verdict on a bomb, on a large stream of
    ordinary data, on data that is not Flate, on a cut-off stream and on data after a stream's end."""
    import os
    import zlib

    import pipelines.text.pdf as pdf_module

    if inflater == "isal":
        pytest.importorskip("isal")
    else:
        monkeypatch.setattr(pdf_module, "_inflater", _standard_inflater)
    cap = 1 << 20
    bomb = zlib.compress(b"\0" * (cap + 1), 9)
    ordinary = zlib.compress(os.urandom(cap // 2) + b"\0" * (cap // 2 - 1))  # exactly the cap: not past it
    assert pdf_module._inflates_past(memoryview(bomb), cap) is True
    assert pdf_module._inflates_past(memoryview(ordinary), cap) is False
    assert pdf_module._inflates_past(memoryview(os.urandom(50_000)), cap) is False
    assert pdf_module._inflates_past(memoryview(bomb[: len(bomb) // 2]), cap) is False  # cut before the cap
    assert pdf_module._inflates_past(memoryview(ordinary + bomb), cap) is False  # only the first stream counts


def test_bomb_check_finds_a_bomb_in_a_cut_off_file_and_after_ordinary_streams(monkeypatch):
    """Spans: the bomb after two ordinary streams is found, and so is one whose file was cut off
    before its `endstream` (the span runs to the end of the file). A file of ordinary streams passes."""
    import os
    import zlib

    from pipelines.text.pdf import _stream_over_cap
    from tests.support import hostile_corpus as corpus

    for name, value in corpus.HOSTILE_LIMITS.items():
        monkeypatch.setenv(name, value)
    from pipelines.limits import limits

    cap = limits().unpacked_bytes
    ordinary = zlib.compress(os.urandom(cap // 4))
    bomb = zlib.compress(b"\0" * (cap + 1), 9)

    def obj(n: int, data: bytes, end: bytes = b"\nendstream\nendobj\n") -> bytes:
        return b"%d 0 obj\n<</Length %d/Filter/FlateDecode>>\nstream\r\n" % (n, len(data)) + data + end

    head = b"%PDF-1.4\n" + obj(1, ordinary) + obj(2, ordinary)
    assert _stream_over_cap(head) is False
    assert _stream_over_cap(head + obj(3, bomb)) is True
    assert _stream_over_cap(head + obj(3, bomb, end=b"")) is True
