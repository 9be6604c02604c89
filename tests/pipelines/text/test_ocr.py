"""OCR of scans: the engine choice and its fallback, table rows rebuilt from RapidOCR's text boxes,
confidence in the Document's quality, and field accuracy on a real report scanned at 150 dpi."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import sys

import pytest

from pipelines.text import ocr, rapid
from pipelines.text.ocr_boxes import cell_of, cell_text, cells_crossed, group_rows, split_by_words, text_lines
from pipelines.text.rapid import TextBox
from pipelines.textify import textify
from tests.support.documents import jpeg_pdf, pdftoppm_jpegs, text_pdf
from tests.support.spec import SHARED

REALDOCS = SHARED / "realdocs"

# A table of made-up figures with what scans get wrong: long numbers, a minus sign, decimals, the
# "no value" dash, an empty cell, a label wrapped over two lines.
TABLE_SOURCE = "\n".join([
    "二、主动公开政府信息情况",
    "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
    "规章\t12\t——\t305",
    "行政规范性文件\t-3\t7\t1424",
    "行政许可\t8096\t0\t57.25",
    "行政处罚\t\t46\t1",
    "其他对外管理服务事项的办理情况说明文字较长需要在单元格内换行\t240\t19\t608",
])
TABLE_ROWS = [line for line in TABLE_SOURCE.splitlines() if "\t" in line]


def _needs(engine: str) -> None:
    if engine == "rapidocr" and not rapid.rapidocr_available():
        pytest.skip("RapidOCR is not installed (pip install rapidocr)")
    if engine == "tesseract" and not ocr.tesseract_available():
        pytest.skip("tesseract-ocr-chi-sim not installed")


def _pdftoppm() -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: cannot render scans")


def _scan(pdf: bytes, dpi: int, tmp_path, **pages) -> bytes:
    """The PDF as a scanner would give it: grey JPEG pages (pdftoppm) in an image-only PDF."""
    return jpeg_pdf(pdftoppm_jpegs(pdf, dpi, str(tmp_path), **pages), dpi)


# Rows rebuilt from text boxes (no engine needed)

def _box(x0, y0, x1, y1, text, conf=99.0):
    return TextBox(x0, y0, x1, y1, text, conf)


def test_boxes_group_into_rows_by_vertical_overlap_and_order_by_x():
    boxes = [
        _box(400, 102, 440, 128, "305"),  # slightly lower than its row's label: same row
        _box(20, 100, 200, 126, "规章"),
        _box(250, 99, 280, 125, "12"),
        _box(20, 140, 200, 166, "行政规范性文件"),
        _box(250, 141, 270, 167, "7"),
    ]
    rows = group_rows(boxes)
    assert [[b.text for b in row] for row in rows] == [["规章", "12", "305"], ["行政规范性文件", "7"]]
    assert [line for _y, line in text_lines(boxes)] == ["规章\t12\t305", "行政规范性文件\t7"]


def test_close_boxes_of_one_line_are_joined_and_far_ones_are_cells():
    boxes = [_box(0, 0, 100, 20, "本年新收"), _box(104, 0, 200, 20, "申请数量"),  # a gap inside a label
             _box(300, 0, 320, 20, "21"), _box(330, 1, 350, 21, "3"),  # close numbers: one cell "21 3"
             _box(500, 0, 560, 20, "Page"), _box(566, 0, 580, 20, "2")]
    assert text_lines(boxes) == [(0, "本年新收申请数量\t21 3\tPage 2")]


def test_a_tall_box_claims_only_its_first_line():
    """A merged label written one character per line down its cell: it must not pull the rows it
    spans into one."""
    boxes = [_box(0, 0, 24, 200, "三本年度办理结果"), _box(60, 2, 200, 22, "予以公开"), _box(60, 60, 200, 80, "部分公开")]
    assert [[b.text for b in row] for row in group_rows(boxes)] == [["三本年度办理结果", "予以公开"], ["部分公开"]]


def test_cell_text_joins_a_wrapped_label_and_boxes_find_their_cell():
    assert cell_text([_box(0, 30, 90, 50, "需要在单元格内"), _box(0, 0, 200, 20, "说明文字较长")]) == "说明文字较长需要在单元格内"
    assert cell_text([_box(0, 0, 30, 20, "57"), _box(0, 30, 30, 50, "25")]) == "57 25"
    cells = [(0, 0, 40, 100), (0, 100, 40, 200)]
    assert cell_of(_box(110, 5, 150, 30, "12"), cells) == 1
    assert cell_of(_box(90, 5, 105, 30, "1"), cells) == 0  # centre on the rule: the cell it overlaps most
    assert cell_of(_box(300, 5, 340, 30, "x"), cells) is None


def test_a_box_over_several_narrow_cells_is_cut_at_the_cells():
    """Read without its ruling lines, a row of narrow number cells can come out as one box."""
    cells = [(0, 0, 40, 50), (0, 50, 40, 100), (0, 100, 40, 150), (40, 0, 80, 150)]
    box = _box(10, 8, 120, 30, "10 1 0")
    assert cells_crossed(box, cells) == [0, 1, 2]
    parts = split_by_words(box, cells, [0, 1, 2])
    assert [(p.text, p.x0, p.x1) for p in parts] == [("10", 10, 50), ("1", 50, 100), ("0", 100, 120)]
    assert split_by_words(_box(10, 8, 120, 30, "结果结果"), cells, [0, 1, 2]) is None  # read again instead
    assert cells_crossed(_box(10, 8, 58, 30, "12"), cells) == [0]  # overhangs the next cell by a hair


# Engine choice and fallback

def test_the_setting_names_the_engine(monkeypatch):
    _needs("rapidocr")
    _needs("tesseract")
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "tesseract")
    assert ocr.ocr_engine() == "tesseract"
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    assert ocr.ocr_engine() == "rapidocr"
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", " Auto ")
    assert ocr.ocr_engine() == "rapidocr"
    monkeypatch.delenv("NIANBAO_OCR_ENGINE")
    assert ocr.ocr_engine() == "rapidocr"


def test_an_unknown_engine_name_is_auto_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "paddle")
    with caplog.at_level(logging.WARNING, logger="pipelines.text.ocr"):
        assert ocr.wanted_engine() == "auto"
    assert "NIANBAO_OCR_ENGINE='paddle'" in caplog.text


@pytest.fixture
def rapidocr_broken(monkeypatch):
    """RapidOCR's import fails (not installed), in a fresh engine state."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    monkeypatch.setattr(rapid, "_engine", None)
    monkeypatch.setattr(rapid, "_engine_error", None)
    ocr._warn_fallback.cache_clear()
    yield
    ocr._warn_fallback.cache_clear()


@pytest.mark.slow
def test_tesseract_reads_when_rapidocr_cannot_be_imported(rapidocr_broken, monkeypatch, caplog, tmp_path):
    _needs("tesseract")
    _pdftoppm()
    assert not rapid.rapidocr_available()
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    with caplog.at_level(logging.WARNING, logger="pipelines.text.ocr"):
        assert ocr.ocr_engine() == "tesseract"
    assert "rapidocr is not installed" in caplog.text
    monkeypatch.delenv("NIANBAO_OCR_ENGINE")
    doc = textify(_scan(text_pdf(TABLE_SOURCE), 200, tmp_path))
    assert doc.extractor == "tesseract" and doc.quality["ocr_engine"] == "tesseract"
    assert "规章\t12\t——\t305" in doc.text


def test_no_engine_at_all_is_a_clear_error(rapidocr_broken, monkeypatch, tmp_path):
    _pdftoppm()
    monkeypatch.setattr(ocr, "tesseract_available", lambda lang="chi_sim": False)
    doc = textify(_scan(text_pdf("政府信息公开工作年度报告"), 100, tmp_path))
    assert doc.text == "" and "no OCR engine is installed" in doc.error and "page 1" in doc.error


def test_the_scrapy_setting_is_the_engine_the_parse_workers_use(monkeypatch, tmp_path):
    from scrapy.utils.test import get_crawler

    from pipelines.documents import DocumentPipeline
    from pipelines.limits import use_limits

    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "auto")
    crawler = get_crawler(settings_dict={"NIANBAO_OCR_ENGINE": "tesseract",
                                         "NIANBAO_DATABASE_URL": f"sqlite:///{tmp_path}/n.db",
                                         "NIANBAO_DATA_DIR": str(tmp_path)})
    caps = DocumentPipeline.from_crawler(crawler).parse_settings.limits
    with use_limits(caps):  # as in a parse worker (pipelines.parse)
        assert ocr.wanted_engine() == "tesseract"
    import os

    assert os.environ["NIANBAO_OCR_ENGINE"] == "auto" and ocr.wanted_engine() == "auto"  # nothing exported


# Scans read with RapidOCR

@pytest.mark.slow
@pytest.mark.parametrize("dpi", [150, 200])
def test_a_scanned_table_reads_its_rows_and_digits(dpi, monkeypatch, tmp_path):
    _needs("rapidocr")
    _pdftoppm()
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    doc = textify(_scan(text_pdf(TABLE_SOURCE), dpi, tmp_path))
    assert doc.extractor == "rapidocr" and doc.error is None
    rows = [line for line in doc.text.splitlines() if "\t" in line]
    assert rows == TABLE_ROWS
    assert "二、主动公开政府信息情况" in doc.text


@pytest.mark.slow
def test_confidence_is_recorded_per_page(monkeypatch, tmp_path):
    _needs("rapidocr")
    _pdftoppm()
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    source = TABLE_SOURCE + "\n" + "\n".join(f"第{i}段说明文字。" for i in range(60))
    doc = textify(_scan(text_pdf(source), 150, tmp_path))
    q = doc.quality
    assert q["pages"] == q["ocr_pages"] == 2 and q["ocr_engine"] == "rapidocr"
    pages = q["ocr_page_confidence"]
    assert [p["page"] for p in pages] == [1, 2] and all(p["engine"] == "rapidocr" for p in pages)
    assert all(0 < p["min"] <= p["mean"] <= 100 for p in pages)
    assert q["ocr_confidence"] == round(sum(p["mean"] for p in pages) / 2, 2) >= 90
    assert q["ocr_confidence_min"] == min(p["min"] for p in pages)


@pytest.mark.slow
def test_an_image_attachment_records_its_engine_and_confidence(monkeypatch, tmp_path):
    _needs("rapidocr")
    _pdftoppm()
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    jpeg = pdftoppm_jpegs(text_pdf(TABLE_SOURCE), 200, str(tmp_path))[0]
    doc = textify(jpeg, url="http://x.gov.cn/ndbg.jpg")
    assert doc.kind == "image" and doc.extractor == "rapidocr"
    assert doc.quality["ocr_engine"] == "rapidocr" and 0 < doc.quality["ocr_confidence_min"] <= doc.quality["ocr_confidence"]
    assert "行政许可\t8096\t0\t57.25" in doc.text


# A real report, scanned

HONGZE_FLOOR = 0.95  # measured: 212/212 fields at 150 dpi with RapidOCR (bench/bench_ocr.py); margin for models


@pytest.mark.slow
def test_a_real_report_scanned_at_150_dpi_keeps_its_fields(monkeypatch, tmp_path):
    if not (REALDOCS / "files" / "hongze-2023.pdf").exists():
        pytest.skip(f"real documents not found at {REALDOCS}")
    _needs("rapidocr")
    _pdftoppm()
    from extractor import extract_report

    spec = importlib.util.spec_from_file_location("score_record", SHARED / "spec" / "score_record.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    gold = json.loads((REALDOCS / "gold" / "hongze-2023.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("NIANBAO_OCR_ENGINE", "rapidocr")
    scan = _scan((REALDOCS / "files" / "hongze-2023.pdf").read_bytes(), 150, tmp_path)
    doc = textify(scan)
    assert doc.extractor == "rapidocr" and doc.quality["ocr_pages"] == 5
    hits, total, misses = scorer.score(gold, extract_report(doc.text))
    assert hits >= HONGZE_FLOOR * total, f"{hits}/{total} fields; first misses: {misses[:8]}"
