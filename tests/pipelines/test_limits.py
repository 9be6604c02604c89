"""Bounded work per document: every cap holds, and what it cut is recorded in the Document's error and
quality["cut"] (pipelines.limits; caps from the environment, as parse workers read them)."""

from __future__ import annotations

import pytest

from pipelines.limits import Limits, OverCap, bounded_inflate
from pipelines.textify import textify
from tests.support import hostile_corpus as corpus


@pytest.fixture(autouse=True)
def hostile_caps(monkeypatch):
    for name, value in corpus.HOSTILE_LIMITS.items():
        monkeypatch.setenv(name, value)


def _read(make, name: str, content_type: str | None = None):
    return textify(make(), url=f"http://example.gov.cn/{name}", content_type=content_type)


def test_defaults_come_from_settings_and_environment(monkeypatch):
    from settings import default

    monkeypatch.delenv("NIANBAO_MAX_TEXT_CHARS")
    assert Limits.from_env().text_chars == default.NIANBAO_MAX_TEXT_CHARS
    assert Limits.from_env({"NIANBAO_MAX_TEXT_CHARS": "12"}).text_chars == 12
    assert Limits.from_env({"NIANBAO_MAX_TEXT_CHARS": "lots"}).text_chars == default.NIANBAO_MAX_TEXT_CHARS
    caps = Limits.from_env({"NIANBAO_PDF_SECONDS": "2.5", "NIANBAO_OCR_MAX_PAGES": "3.0", "NIANBAO_OCR_ENGINE": "tesseract"})
    assert (caps.pdf_seconds, caps.ocr_max_pages, caps.ocr_engine) == (2.5, 3, "tesseract")


def test_every_cap_is_a_setting_of_settings_default():
    """One place for the defaults: each field of Limits names a setting declared there, with its default."""
    from dataclasses import fields

    from pipelines.limits import SETTING_NAMES
    from settings import default

    assert {f.name: f.default for f in fields(Limits)} == {
        field: getattr(default, name) for field, name in SETTING_NAMES.items()}


def test_the_caps_handed_over_are_used_not_the_environment():
    from pipelines.limits import limits, use_limits

    with use_limits(Limits(text_chars=50)):
        assert limits().text_chars == 50
        doc = textify("年报正文。".encode() * 40, url="http://example.gov.cn/a.txt", content_type="text/plain")
    assert len(doc.text) == 50 and "NIANBAO_MAX_TEXT_CHARS" in doc.error
    assert limits().text_chars == corpus.TEXT_CAP  # outside: the environment (hostile_caps)


@pytest.mark.parametrize("make", [corpus.docx_gridspan_bomb, corpus.docx_gridbefore_bomb])
def test_docx_span_bombs_are_cut_and_recorded(make):
    doc = _read(make, "bomb.docx")
    assert "某县某局" in doc.text and len(doc.text) < 10_000  # was 100,000,001 characters
    assert "NIANBAO_MAX_TABLE_COLUMNS" in doc.error and doc.quality["cut"]


def test_docx_rows_cap():
    doc = _read(corpus.docx_many_rows, "rows.docx")
    assert "NIANBAO_MAX_TABLE_ROWS" in doc.error
    assert "\n1999\t行" in doc.text and "\n2000\t行" not in doc.text


def test_docx_part_over_the_unpacked_cap_is_not_read():
    doc = _read(corpus.docx_huge_document_xml, "huge.docx")
    assert doc.text == "" and "word/document.xml unpacks to 64 MB" in doc.error and "NIANBAO_MAX_UNPACKED_MB" in doc.error


def test_pdf_flate_bomb_is_not_inflated():
    doc = _read(corpus.pdf_flate_bomb, "flate.pdf")
    assert "NIANBAO_MAX_UNPACKED_MB" in doc.error and any("page 1" in c for c in doc.quality["cut"])


def test_bounded_inflate():
    import zlib

    data = zlib.compress(b"x" * 5000)
    assert bounded_inflate(data, 5000) == b"x" * 5000
    with pytest.raises(OverCap):
        bounded_inflate(data, 4999)


def test_xlsx_dimension_bomb_reads_a_bounded_grid():
    doc = _read(corpus.xlsx_huge_dimension, "dim.xlsx")
    assert "年报" in doc.text and "NIANBAO_MAX_TABLE_ROWS" in doc.error


def test_text_length_cap():
    doc = _read(corpus.html_huge_text, "long.html", "text/html")
    assert len(doc.text) == corpus.TEXT_CAP and "NIANBAO_MAX_TEXT_CHARS" in doc.error


def test_html_table_span_bomb_is_bounded():
    doc = _read(corpus.html_table_span_bomb, "spans.html", "text/html")
    assert "NIANBAO_MAX_TABLE_CELLS" in doc.error and "某县某局" in doc.text


@pytest.mark.parametrize("make", [corpus.html_unclosed_font, corpus.html_unclosed_div, corpus.html_deep_closed])
def test_text_after_deeply_nested_tags_is_kept(make):
    """lxml's parser stops at 256 (or, huge, 2048) levels and dropped the rest of the page."""
    doc = _read(make, "deep.html", "text/html")
    assert "本年新收申请数量 7" in doc.text, doc.error
    assert doc.error is None  # nothing was lost: the flattening is noted in quality only
    assert any("NIANBAO_MAX_NESTING" in c for c in doc.quality["cut"])


def test_elements_with_thousands_of_attributes_stay_cheap():
    doc = _read(corpus.html_many_attributes, "attrs.html", "text/html")
    assert "本年新收申请数量 7" in doc.text and doc.quality["cut"]


def test_empty_docx_text_is_an_error():
    doc = _read(corpus.docx_external_entity, "xxe.docx")
    assert doc.text == "" and "no text" in doc.error and "root:" not in doc.text


def test_ole_doc_read_as_raw_bytes_is_an_error_not_text(monkeypatch):
    """A damaged OLE .doc that a converter reads as raw text stored 14,783 characters of mojibake."""
    import random

    from pipelines.text import office
    from pipelines.text.common import mojibake_reason

    noise = random.Random(7).randbytes(30_000)
    for garbage in (noise.decode("gbk", "replace"), noise.decode("cp1252", "replace")):
        assert mojibake_reason(garbage)
    assert mojibake_reason(corpus.REPORT * 40) is None
    monkeypatch.setattr(office, "word_binary_text", lambda kind, body: (noise.decode("gbk", "replace"), "catdoc", []))
    doc = textify(corpus.ole_random(), url="http://example.gov.cn/a.doc")
    assert doc.kind == "doc" and doc.text == ""
    assert "not readable text" in doc.error and doc.quality["mojibake_chars"] > 10_000


def test_stream_check_ends_at_the_end_of_the_flate_data():
    """Bytes after a Flate stream's end (the EOL before `endstream`) once kept the bomb check inflating
    nothing forever: zlib leaves them unconsumed and returns no output (a real WPS font stream did)."""
    import random
    import zlib

    from pipelines.text.pdf import _stream_over_cap

    raw = random.Random(1).randbytes(3_000_000) + b"a" * 1_383_664  # unpacks below the 16 MB test cap
    body = (b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\r\n" + zlib.compress(raw)
            + b"\r\n\nendstream\nendobj\n%%EOF\n")
    assert _stream_over_cap(body) is False
    assert _stream_over_cap(corpus.pdf_flate_bomb()) is True
