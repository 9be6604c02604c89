"""DOCX (merged cells), XLSX, XLS, DOC/WPS and OFD text."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipelines.parse import parse_text
from pipelines.textify import textify
from tests.support.documents import convert_with_soffice, soffice


def _merged_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("某局2021年政府信息公开工作年度报告")
    t = d.add_table(rows=4, cols=4)
    t.cell(0, 0).merge(t.cell(0, 3)).text = "第二十条第（五）项"
    t.cell(1, 0).text = "信息内容"
    t.cell(1, 1).merge(t.cell(1, 3)).text = "本年处理决定数量"
    t.cell(2, 0).merge(t.cell(3, 0)).text = "行政处罚"
    t.cell(2, 1).text = "12"
    t.cell(3, 1).text = "7"
    d.add_paragraph("五、存在的主要问题及改进情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_tables_expand_merged_cells_in_document_order():
    doc = textify(_merged_docx(), url="http://x.gov.cn/download.jsp?id=9")
    assert doc.kind == "docx" and doc.extractor == "python-docx" and doc.error is None
    lines = [ln for ln in doc.text.splitlines() if ln.strip()]
    assert lines == [
        "某局2021年政府信息公开工作年度报告",
        "第二十条第（五）项\t\t\t",
        "信息内容\t本年处理决定数量\t\t",
        "行政处罚\t12\t\t",
        "\t7\t\t",
        "五、存在的主要问题及改进情况",
    ]


def test_xlsx_sheets_as_tab_rows():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws.append(["统计指标", "单位", "统计数"])
    ws.append(["主动公开政府信息数", "条", 297])
    ws.append(["政府信息公开专项经费", "万元", 1.5])
    buf = io.BytesIO()
    wb.save(buf)
    doc = textify(buf.getvalue(), url="http://x.gov.cn/a.xlsx")
    assert doc.kind == "xlsx" and doc.extractor == "openpyxl"
    assert "统计指标\t单位\t统计数\n主动公开政府信息数\t条\t297\n政府信息公开专项经费\t万元\t1.5" in doc.text


def _ofd() -> bytes:
    content = """<?xml version="1.0" encoding="UTF-8"?>
<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>
<ofd:TextObject ID="1" Boundary="20 20 100 6" Size="5"><ofd:TextCode X="0" Y="5">政府信息公开工作年度报告</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="2" Boundary="20 40 100 6" Size="5"><ofd:TextCode X="0" Y="5">收到申请44件</ofd:TextCode></ofd:TextObject>
</ofd:Layer></ofd:Content></ofd:Page>"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        zf.writestr("Doc_0/Document.xml", "<ofd:Document xmlns:ofd='http://www.ofdspec.org/2016'/>")
        zf.writestr("Doc_0/Pages/Page_0/Content.xml", content)
    return buf.getvalue()


def test_ofd_text_objects_in_reading_order():
    doc = textify(_ofd(), url="http://x.gov.cn/a.ofd")
    assert doc.kind == "ofd" and doc.error is None
    assert doc.text.splitlines()[:2] == ["政府信息公开工作年度报告", "收到申请44件"]


def test_corrupt_office_files_record_errors():
    broken = _merged_docx()[:2000]
    doc = textify(broken, url="http://x.gov.cn/a.docx")
    assert doc.error and doc.kind in ("docx", "zip", "other")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert textify(ole, url="http://x.gov.cn/a.doc").error


@pytest.mark.slow
def test_doc_and_wps_through_libreoffice_keep_merged_cells():
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed; DOC/WPS fixtures need it (make deb)")
    doc_bytes = convert_with_soffice(_merged_docx(), "docx", "doc:MS Word 97")
    for url, kind in (("http://x.gov.cn/a.doc", "doc"), ("http://x.gov.cn/P020210120.wps", "wps")):
        doc = textify(doc_bytes, url=url, content_type="application/octet-stream")
        assert doc.kind == kind and doc.extractor == "soffice+python-docx" and doc.error is None
        assert "行政处罚\t12\t\t" in doc.text and "信息内容\t本年处理决定数量\t\t" in doc.text


def _legacy_statistics_xls() -> tuple[bytes, dict]:
    """A pre-2019 政府信息公开情况统计表 as an Excel 97 workbook (merged title rows, numbers as floats),
    built from seed 002's table, and that seed's gold record."""
    import xlwt

    from demo_site.seeds import legacy_rows, load_seed

    seed = load_seed("002_491099f9f0af2def")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("统计表")
    ws.write_merge(0, 0, 0, 2, "政府信息公开情况统计表")
    ws.write_merge(1, 1, 0, 2, "（2018年度）")
    ws.write_merge(2, 2, 0, 2, "填报单位（盖章）：" + seed.gold["agency"])
    for col, head in enumerate(("统 计 指 标", "单位", "统计数")):
        ws.write(3, col, head)
    for row, (label, unit, value) in enumerate(legacy_rows(seed.text), start=4):
        ws.write(row, 0, label)
        ws.write(row, 1, unit)
        ws.write(row, 2, float(value) if value.replace(".", "", 1).isdigit() else value)
    wb.add_sheet("说明").write(0, 0, "本表数据截至2018年12月31日。")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), seed.gold


def test_xls_statistics_table_via_xlrd():
    """An .xls 统计表 served from a download.jsp URL as octet-stream: routed by its magic bytes, read
    with xlrd (integers without `.0`), and the extractor recovers the seed's legacy table exactly."""
    body, gold = _legacy_statistics_xls()
    assert body[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE2 compound file, like DOC and WPS
    doc = textify(body, url="http://x.gov.cn/download.jsp?fileid=7", content_type="application/octet-stream")
    assert doc.kind == "xls" and doc.extractor == "xlrd" and doc.error is None
    lines = doc.text.splitlines()
    assert lines[:3] == ["统计表", "政府信息公开情况统计表", "（2018年度）"]
    assert "(一)收到申请数\t件\t0" in lines and "4.政务微信公开政府信息数\t条\t50" in lines
    assert ".0" not in doc.text and "本表数据截至2018年12月31日。" in lines
    record = parse_text(doc)
    assert record is not None
    assert (record["agency"], record["year"], record["template"]) == (gold["agency"], gold["year"], "pre2019")
    assert record["legacy"] == gold["legacy"]


def test_corrupt_xls_is_a_recorded_error():
    body, _ = _legacy_statistics_xls()
    doc = textify(body[: len(body) // 3], url="http://x.gov.cn/tjb.xls")
    assert doc.kind == "xls" and doc.error and "xls" in doc.error.lower()
    assert doc.text == ""
