"""A hostile corpus, generated: corrupt, truncated, encrypted, bombs, deep nesting, wrong charsets,
hostile names. Every sample is made here from scratch (no real documents), small on disk, and sized
against the caps of `HOSTILE_LIMITS` (which the tests put in the environment) so a bomb goes off well
past a cap while the suite stays cheap."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

# The caps the hostile tests run under (pipelines.limits reads them from the environment).
HOSTILE_LIMITS = {
    "NIANBAO_MAX_UNPACKED_MB": "16",
    "NIANBAO_MAX_TEXT_CHARS": "200000",
    "NIANBAO_MAX_TABLE_CELLS": "20000",
    "NIANBAO_MAX_TABLE_COLUMNS": "200",
    "NIANBAO_MAX_TABLE_ROWS": "2000",
    "NIANBAO_MAX_NESTING": "200",
    "NIANBAO_PARSE_MEMORY_MB": "1024",
    "NIANBAO_PDF_SECONDS": "60",
    "NIANBAO_OCR_MAX_PAGES": "2",
}
TEXT_CAP = int(HOSTILE_LIMITS["NIANBAO_MAX_TEXT_CHARS"])

REPORT = ("某县某局2020年政府信息公开工作年度报告\n"
          "一、总体情况\n本年度主动公开政府信息123条。\n二、收到和处理政府信息公开申请情况\n本年新收申请数量 7\n")


@dataclass(frozen=True)
class Sample:
    name: str  # the kind of hostility, unique
    filename: str  # as written to disk / served
    body: bytes
    content_type: str = "application/octet-stream"


def _rng(name: str) -> random.Random:
    return random.Random(name)  # the same bytes on every run


# ------------------------------------------------------------------------------------------ DOCX
CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                 b'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 b'wordprocessingml.document.main+xml"/></Types>')
RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(body_xml: str | bytes, *, extra: dict[str, bytes] | None = None, declared: dict[str, int] | None = None,
         prolog: str = "") -> bytes:
    """A minimal DOCX whose document body is `body_xml`."""
    xml = body_xml.encode() if isinstance(body_xml, str) else body_xml
    document = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document {W_NS}><w:body>'.encode()
                + xml + b"</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", document)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _table(rows: list[str]) -> str:
    return "<w:tbl>" + "".join(rows) + "</w:tbl>"


def _cell(text: str, span: int | None = None) -> str:
    props = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span else ""
    return f"<w:tc>{props}{_para(text)}</w:tc>"


def docx_gridspan_bomb() -> bytes:
    return docx(_para(REPORT) + _table([f"<w:tr>{_cell('数量', 100_000_000)}{_cell('7')}</w:tr>"] * 3))


def docx_gridbefore_bomb() -> bytes:
    row = '<w:tr><w:trPr><w:gridBefore w:val="200000000"/></w:trPr>' + _cell("7") + "</w:tr>"
    return docx(_para(REPORT) + _table([row] * 3))


def docx_many_spans() -> bytes:  # many cells each spanning the cap: the row, not one cell, is the bomb
    return docx(_table(["<w:tr>" + _cell("x", 150) * 400 + "</w:tr>"] * 40))


def docx_many_rows() -> bytes:
    return docx(_para(REPORT) + _table([f"<w:tr>{_cell(str(i))}{_cell('行')}</w:tr>" for i in range(6000)]))


def docx_huge_document_xml() -> bytes:
    """document.xml that unpacks to 64 MB (the cap is 16 MB) from a few hundred KB."""
    chunk = _para("年报" * 50).encode()
    return docx(chunk * (64 * 2**20 // len(chunk)))


def docx_many_huge_parts() -> bytes:  # a zip bomb beside the document: each part alone over the cap
    filler = b"\0" * (20 * 2**20)
    return docx(_para(REPORT), extra={f"word/media/x{i}.bin": filler for i in range(3)})


def docx_deep_sdt() -> bytes:
    depth = 3000
    return docx("<w:sdt><w:sdtContent>" * depth + _para(REPORT) + "</w:sdtContent></w:sdt>" * depth)


def docx_deep_tables() -> bytes:
    depth = 400
    open_ = "<w:tbl><w:tr><w:tc>"
    return docx(open_ * depth + _para(REPORT) + "</w:tc></w:tr></w:tbl>" * depth)


def docx_billion_laughs() -> bytes:
    ents = '<!ENTITY a0 "笑笑笑笑笑笑笑笑笑笑">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    return docx(_para("&a9;"), prolog=f"<!DOCTYPE w:document [{ents}]>")


def docx_external_entity() -> bytes:
    return docx(_para("&xxe;"), prolog='<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')


def docx_truncated() -> bytes:
    whole = docx(_para(REPORT * 20))
    return whole[: len(whole) // 2]


def docx_not_a_zip() -> bytes:
    return b"PK\x03\x04" + _rng("docx").randbytes(4000)


def docx_no_document() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
    return buf.getvalue()


def docx_zip_path_traversal() -> bytes:  # member names that would escape a folder if ever extracted
    return docx(_para(REPORT), extra={"../../../../tmp/nianbao-escape.txt": b"escaped", "/etc/evil.xml": b"<x/>"})


# ------------------------------------------------------------------------------------ OLE / DOC / XLS
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def ole_random() -> bytes:
    """An OLE compound file header followed by random sectors: LibreOffice and catdoc read it as text."""
    rng = _rng("ole")
    header = bytearray(OLE_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(490))
    return bytes(header[:512]) + rng.randbytes(64 * 1024)


def ole_truncated() -> bytes:
    return OLE_MAGIC + b"\0" * 100


def ole_encrypted_package() -> bytes:  # what an encrypted DOCX is: an OLE file with an EncryptedPackage
    body = bytearray(ole_random())
    name = "EncryptedPackage".encode("utf-16-le")
    body[1024:1024 + len(name)] = name
    return bytes(body)


def xls_corrupt() -> bytes:
    return OLE_MAGIC + _rng("xls").randbytes(8192)


def xlsx_huge_dimension() -> bytes:
    """A sheet claiming A1:XFD1048576 with two cells set far apart."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr">'
             b'<is><t>\xe5\xb9\xb4\xe6\x8a\xa5</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>7</v></c>'
             b'</row></sheetData></worksheet>')
    workbook = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
               b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
             b'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
             b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def ofd_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OFD.xml", b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        zf.writestr("Doc_0/Pages/Page_0/Content.xml", b"<a>" + b" " * (40 * 2**20) + b"</a>")
    return buf.getvalue()


# ------------------------------------------------------------------------------------------- PDF
def pdf(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"", eof: bool = True) -> bytes:
    """A PDF made of numbered `objects` (1-based) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R ".encode() + trailer_extra + b">>\n"
    out += f"startxref\n{xref}\n".encode() + (b"%%EOF\n" if eof else b"")
    return bytes(out)


def _stream(data: bytes, filters: bytes = b"") -> bytes:
    return b"<< /Length " + str(len(data)).encode() + filters + b" >>\nstream\n" + data + b"\nendstream"


def _page_pdf(content: bytes, filters: bytes = b"", *, eof: bool = True) -> bytes:
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>",
                _stream(content, filters),
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"], eof=eof)


TEXT_OPS = b"BT /F1 12 Tf 72 720 Td (Annual report 2020: 123 items) Tj ET"


def pdf_flate_bomb() -> bytes:
    """A content stream of 64 MB of spaces in ~64 KB of Flate (the cap is 16 MB)."""
    comp = zlib.compressobj(9)
    data = comp.compress(TEXT_OPS + b"\n")
    block = b" " * 2**20
    for _ in range(64):
        data += comp.compress(block)
    data += comp.flush()
    return _page_pdf(data, b" /Filter /FlateDecode")


def pdf_plain() -> bytes:
    return _page_pdf(TEXT_OPS)


def pdf_truncated() -> bytes:
    whole = pdf_plain()
    return whole[: len(whole) * 2 // 3]


def pdf_no_eof() -> bytes:
    return _page_pdf(TEXT_OPS, eof=False)


def pdf_header_only() -> bytes:
    return b"%PDF-1.4\n"


def pdf_garbage() -> bytes:
    return b"%PDF-1.4\n" + _rng("pdf").randbytes(20000)


def pdf_page_tree_loop() -> bytes:
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>"])


def pdf_xref_prev_loop() -> bytes:
    whole = pdf_plain()
    xref = whole.rindex(b"startxref")
    start = int(whole[xref:].split()[1])
    return whole.replace(b"/Root 1 0 R ", b"/Root 1 0 R /Prev " + str(start).encode() + b" ")


def pdf_deep_arrays() -> bytes:
    return _page_pdf(b"[" * 200_000 + b"]" * 200_000 + b"\n" + TEXT_OPS)


def pdf_many_operators() -> bytes:  # a million text-show operators: bounded by the text cap and budget
    ops = b"BT /F1 1 Tf " + b"(x) Tj " * 300_000 + b"ET"
    return _page_pdf(zlib.compress(ops), b" /Filter /FlateDecode")


def pdf_encrypted() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption("secret-user", "secret-owner", strength=128)
    c = canvas.Canvas(buf, encrypt=enc)
    c.drawString(72, 720, "Annual report 2020")
    c.save()
    return buf.getvalue()


def pdf_bad_filter() -> bytes:
    return _page_pdf(b"not really flate" * 100, b" /Filter /FlateDecode")


# ------------------------------------------------------------------------------------------ HTML
def _html(body: str, charset: str = "utf-8") -> str:
    return f'<html><head><meta charset="{charset}"><title>某县2020年政府信息公开工作年度报告</title></head><body>{body}</body></html>'


def html_unclosed_font() -> bytes:
    return _html("<p>开头</p>" + "<font>" * 300 + f"<p>{REPORT}</p>").encode()


def html_unclosed_div() -> bytes:
    return _html("<div>" * 5000 + f"<p>{REPORT}</p>").encode()


def html_deep_closed() -> bytes:
    return _html("<span>" * 20000 + REPORT + "</span>" * 20000).encode()


def html_table_span_bomb() -> bytes:
    cells = '<td rowspan="500" colspan="100">x</td>' * 50
    return _html(f"<p>{REPORT}</p><table>" + f"<tr>{cells}</tr>" * 200 + "</table>").encode()


def html_huge_text() -> bytes:
    return _html(f"<p>{REPORT}</p>" + "<p>" + "填充文字" * 300_000 + "</p>").encode()


def html_wrong_charset() -> bytes:  # says UTF-8, is GBK
    return _html(f"<p>{REPORT}</p>", "utf-8").encode("gbk")


def html_mixed_encoding() -> bytes:
    return _html(f"<p>{REPORT}</p>").encode() + f"<p>{REPORT}</p>".encode("gbk")


def html_utf16_no_bom() -> bytes:
    return _html(f"<p>{REPORT}</p>", "utf-16").encode("utf-16-le")


def html_nul_bytes() -> bytes:
    return _html(f"<p>{REPORT}</p>").encode().replace(b"<p>", b"<p>\0\0\0")


def html_entity_flood() -> bytes:
    return _html("<p>" + "&#x5e74;&#0;&#xD800;&#99999999;" * 100_000 + "</p>").encode()


def html_binary_garbage() -> bytes:
    return b"<html>" + _rng("html").randbytes(100_000)


def html_comment_bomb() -> bytes:
    return _html("<!--" * 100_000 + REPORT).encode()


def html_many_attributes() -> bytes:
    attrs = " ".join(f'a{i}="{i}"' for i in range(50_000))
    return _html(f"<p {attrs}>{REPORT}</p>").encode()


# ------------------------------------------------------------------------------------- text / other
def txt_bom_conflict() -> bytes:  # a UTF-8 BOM in front of GBK text
    return b"\xef\xbb\xbf" + REPORT.encode("gbk")


def txt_gb18030_four_byte() -> bytes:
    return (REPORT + "𠀀𠀁𪚥\n").encode("gb18030")


def empty() -> bytes:
    return b""


def png_bomb() -> bytes:
    """A PNG header claiming 100,000 x 100,000 pixels (PIL refuses it as a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1_000_000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


GENERATORS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "docx_gridspan_bomb": ("gridspan.docx", docx_gridspan_bomb),
    "docx_gridbefore_bomb": ("gridbefore.docx", docx_gridbefore_bomb),
    "docx_many_spans": ("spans.docx", docx_many_spans),
    "docx_many_rows": ("rows.docx", docx_many_rows),
    "docx_huge_document_xml": ("huge.docx", docx_huge_document_xml),
    "docx_many_huge_parts": ("parts.docx", docx_many_huge_parts),
    "docx_deep_sdt": ("sdt.docx", docx_deep_sdt),
    "docx_deep_tables": ("nested.docx", docx_deep_tables),
    "docx_billion_laughs": ("laughs.docx", docx_billion_laughs),
    "docx_external_entity": ("xxe.docx", docx_external_entity),
    "docx_truncated": ("truncated.docx", docx_truncated),
    "docx_not_a_zip": ("notzip.docx", docx_not_a_zip),
    "docx_no_document": ("nodoc.docx", docx_no_document),
    "docx_zip_path_traversal": ("traversal.docx", docx_zip_path_traversal),
    "doc_random_ole": ("random.doc", ole_random),
    "doc_truncated_ole": ("truncated.doc", ole_truncated),
    "docx_encrypted_ole": ("encrypted.docx", ole_encrypted_package),
    "wps_random_ole": ("random.wps", ole_random),
    "xls_corrupt": ("corrupt.xls", xls_corrupt),
    "xlsx_huge_dimension": ("dimension.xlsx", xlsx_huge_dimension),
    "ofd_bomb": ("bomb.ofd", ofd_bomb),
    "pdf_flate_bomb": ("flate.pdf", pdf_flate_bomb),
    "pdf_truncated": ("truncated.pdf", pdf_truncated),
    "pdf_no_eof": ("noeof.pdf", pdf_no_eof),
    "pdf_header_only": ("header.pdf", pdf_header_only),
    "pdf_garbage": ("garbage.pdf", pdf_garbage),
    "pdf_page_tree_loop": ("treeloop.pdf", pdf_page_tree_loop),
    "pdf_xref_prev_loop": ("xrefloop.pdf", pdf_xref_prev_loop),
    "pdf_deep_arrays": ("arrays.pdf", pdf_deep_arrays),
    "pdf_many_operators": ("operators.pdf", pdf_many_operators),
    "pdf_encrypted": ("encrypted.pdf", pdf_encrypted),
    "pdf_bad_filter": ("badfilter.pdf", pdf_bad_filter),
    "html_unclosed_font": ("font.html", html_unclosed_font),
    "html_unclosed_div": ("div.html", html_unclosed_div),
    "html_deep_closed": ("span.html", html_deep_closed),
    "html_table_span_bomb": ("spanbomb.html", html_table_span_bomb),
    "html_huge_text": ("hugetext.html", html_huge_text),
    "html_wrong_charset": ("charset.html", html_wrong_charset),
    "html_mixed_encoding": ("mixed.html", html_mixed_encoding),
    "html_utf16_no_bom": ("utf16.html", html_utf16_no_bom),
    "html_nul_bytes": ("nul.html", html_nul_bytes),
    "html_entity_flood": ("entities.html", html_entity_flood),
    "html_binary_garbage": ("garbage.html", html_binary_garbage),
    "html_comment_bomb": ("comments.html", html_comment_bomb),
    "html_many_attributes": ("attrs.html", html_many_attributes),
    "txt_bom_conflict": ("bom.txt", txt_bom_conflict),
    "txt_gb18030_four_byte": ("gb18030.txt", txt_gb18030_four_byte),
    "empty_pdf": ("empty.pdf", empty),
    "png_bomb": ("bomb.png", png_bomb),
    # hostile names: the bytes are harmless, the file names are not
    "name_traversal": ("..%2F..%2Fescape 年报.html", lambda: _html(f"<p>{REPORT}</p>").encode()),
    "name_newline_rtl": ("line\nbreak\u202egnp.html", lambda: _html(f"<p>{REPORT}</p>").encode()),
    "name_very_long": ("年" * 80 + ".html", lambda: _html(f"<p>{REPORT}</p>").encode()),
}

CONTENT_TYPES_BY_EXT = {"html": "text/html", "txt": "text/plain; charset=gbk", "pdf": "application/pdf",
                        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        "doc": "application/msword", "wps": "application/kswps", "xls": "application/vnd.ms-excel",
                        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        "ofd": "application/ofd", "png": "image/png"}


def hostile_samples() -> list[Sample]:
    out = []
    for name, (filename, make) in GENERATORS.items():
        ext = filename.rsplit(".", 1)[-1]
        out.append(Sample(name, filename, make(), CONTENT_TYPES_BY_EXT.get(ext, "application/octet-stream")))
    return out
