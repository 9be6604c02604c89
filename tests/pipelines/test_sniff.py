import io
import zipfile

import pytest

from pipelines.sniff import attachment_filename, sniff_kind
from tests.support.documents import docx_bytes, text_pdf


def _zip(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in names.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_pdf_by_magic_even_with_html_headers():
    body = text_pdf("报告")
    assert sniff_kind(body, content_type="text/html", url="http://x.gov.cn/a.html") == "pdf"


def test_docx_and_xlsx_and_ofd_by_zip_contents():
    assert sniff_kind(docx_bytes("年度报告"), url="http://x/download.jsp?id=1") == "docx"
    assert sniff_kind(_zip({"[Content_Types].xml": b"spreadsheetml", "xl/workbook.xml": b""})) == "xlsx"
    assert sniff_kind(_zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b""})) == "ofd"
    assert sniff_kind(_zip({"a.txt": b"x"})) == "zip"


def _ole(stream: str) -> bytes:
    """A minimal OLE compound file whose directory names one stream."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[30:32] = (9).to_bytes(2, "little")
    header[44:48] = (1).to_bytes(4, "little")  # one FAT sector
    header[48:52] = (1).to_bytes(4, "little")  # directory starts at sector 1
    for i in range(109):
        header[76 + 4 * i: 80 + 4 * i] = (0xFFFFFFFF).to_bytes(4, "little")
    header[76:80] = (0).to_bytes(4, "little")  # FAT in sector 0
    fat = bytearray(b"\xff" * 512)
    fat[0:4] = (0xFFFFFFFD).to_bytes(4, "little")
    fat[4:8] = (0xFFFFFFFE).to_bytes(4, "little")
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", stream)):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128: i * 128 + len(raw)] = raw
        directory[i * 128 + 64: i * 128 + 66] = len(raw).to_bytes(2, "little")
    return bytes(header + fat + directory)


@pytest.mark.parametrize(
    ("stream", "url", "kind"),
    [
        ("WordDocument", "http://x/a.doc", "doc"),
        ("WordDocument", "http://x/P0201.wps", "wps"),
        ("WordDocument", "http://x/down.jsp?id=3", "doc"),
        ("Workbook", "http://x/a.doc", "xls"),
        ("WpsContent", "http://x/a.doc", "wps"),
    ],
)
def test_ole_streams_decide(stream, url, kind):
    assert sniff_kind(_ole(stream), url=url) == kind


def test_html_and_text_and_images():
    assert sniff_kind(b"\xef\xbb\xbf<!DOCTYPE html><html>") == "html"
    assert sniff_kind("  <meta charset=gbk><div>报告</div>".encode("gbk")) == "html"
    assert sniff_kind("年度报告全文".encode("gbk"), content_type="text/plain") == "txt"
    assert sniff_kind(b"\x89PNG\r\n\x1a\n....") == "image"
    assert sniff_kind(b"\x00\x01\x02\x03garbage", url="http://x/a.pdf") == "other"
    assert sniff_kind(b"") == "other"


def test_attachment_filename_forms():
    name = "2020年政府信息公开工作年度报告.pdf"
    assert attachment_filename("attachment; filename*=UTF-8''" + "%E5%B9%B4%E6%8A%A5.pdf", None) == "年报.pdf"
    raw_gbk = name.encode("gbk").decode("latin-1")
    assert attachment_filename(f'attachment; filename="{raw_gbk}"', None) == name
    raw_utf8 = name.encode("utf-8").decode("latin-1")
    assert attachment_filename(f"attachment; filename={raw_utf8}", None) == name
    assert attachment_filename("attachment; filename=%C4%EA%B1%A8.doc", None) == "年报.doc"
    assert attachment_filename(None, "http://x/upload/%C4%EA%B1%A8.wps") == "年报.wps"
    assert attachment_filename(None, "http://x/module/download/downfile.jsp?classid=0&filename=abc.pdf") == "abc.pdf"
    assert attachment_filename(None, "http://x/") is None
