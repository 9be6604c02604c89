"""The fast content-stream reader (`pipelines.text.pdf_content`) gives exactly what pdfminer's own
`PDFContentParser` gives, on hand-written edge cases, random token soup and real PDFs; where it
hands over to pdfminer's parser mid-stream, the whole still reads and renders the same."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTContainer
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, stream_value
from pdfminer.psparser import PSEOF, PSKeyword, PSLiteral

from pipelines.text.pdf_content import ContentPageInterpreter, Unsupported, content_objects, iter_content
from tests.support.documents import convert_with_soffice, docx_bytes, scanned_pdf, soffice, text_pdf


def reference(data: bytes) -> list:
    """pdfminer's own reading of one content stream: its top-level objects in order."""
    try:
        parser = PDFContentParser([PDFStream({}, data)])
    except PSEOF:
        return []
    out = []
    while True:
        try:
            _, obj = parser.nextobject()
        except PSEOF:
            return out
        out.append(obj)


def canon(obj):
    """A comparable form that tells True from 1 and a keyword from a name."""
    if isinstance(obj, PSKeyword):
        return ("op", obj.name)
    if isinstance(obj, PSLiteral):
        return ("name", obj.name)
    if isinstance(obj, list):
        return ("array", [canon(o) for o in obj])
    if isinstance(obj, dict):
        return ("dict", sorted((k, canon(v)) for k, v in obj.items()))
    return (type(obj).__name__, obj)


def same_as_pdfminer(data: bytes) -> list:
    """The fast reader alone (no hand-over) reads `data` as pdfminer does."""
    ours = list(iter_content(data))
    assert [canon(o) for o in ours] == [canon(o) for o in reference(data)], data
    return ours


EDGE_CASES = [
    b"BT /F1 12 Tf 72 712 Td (Hello, world) Tj ET",
    b"1 -2 +3 .5 -.5 1. 1.5.3 - + . -. 12abc 007 1-2 +-5",
    rb"(a\(b\)c\\d\n\t\r\b\f\101\0123\q\8) Tj",
    b"(ab\\\r\ncd) (ab\\\ncd) (ab\\\rcd) (a\r\nb) ()",
    b"<48656C6C6F> <4 8 6> <ABC> > <> <e4B8ad> Tj <41 x",
    b"<< /A <41> /B 2 >>",
    b"/Name /A#42C /A#4 /A#zz /# /Empty# / /\xe4\xb8\xad /\xff\xfe [/a/b]",
    b"[1 [2 3] (x) /N true false] TJ << /A 1 /B [2] /C << /D true >> /E (s) >> BDC EMC",
    b"(a) ' 1 2 (b) \" T* d0 d1 Tj12",
    b"% a comment\n1 0 0 1 0 0 cm % trailing comment\r0 g",
    b"1\x002 m\x00 l",
    b"\xff 1 a#b ) * 2",
    b"q 0.5 0 0 0.5 10 10 cm /Im0 Do Q",
    b"",
    b"  \n\t ",
    b"1 0 0 RG <4e2d",  # a hex string cut off by the end is dropped
    b"/N < \n",
    b"/A#41B /C#4",  # so is a name whose #xx escape is cut off
    b"[(\xe4\xb8\xad) -250 <4e2d> 120.5] TJ",
]


@pytest.mark.parametrize("data", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_read_as_pdfminer_reads_them(data):
    same_as_pdfminer(data)


def test_objects_have_pdfminer_types():
    objs = same_as_pdfminer(b"/F1 12 Tf [(a) 1.5] TJ << /K true >> <4e2d> Tj")
    assert isinstance(objs[0], PSLiteral) and objs[0].name == "F1"
    assert objs[1] == 12 and type(objs[1]) is int
    assert isinstance(objs[2], PSKeyword) and objs[2].name == b"Tf"
    assert objs[3] == [b"a", 1.5]
    assert objs[5] == {"K": True}
    assert objs[6] == b"\x4e\x2d" and objs[7].name == b"Tj"


@pytest.mark.parametrize("data", [
    b"(a(b)c) Tj",  # nested parentheses
    b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI",  # inline image
    b"ID",
    b"{ 1 2 }",
    b"1 ] 2",
    b"<ABC>> Tj",  # a hex string's '>' read as the end of a dictionary never opened
    b"<< /A >>",
    b"[1 2",
    b"<< /A [1 >>",
    rb"(\777) Tj",
    b"(unterminated",
])
def test_what_it_leaves_to_pdfminer_is_handed_over(data):
    with pytest.raises(Unsupported):
        list(iter_content(data))
    assert_reads_as_pdfminer(b"0 g " + data)


@pytest.mark.parametrize(("data", "offset"), [
    (b"1 0 0 RG [1 (a(b)c)] TJ", 9),
    (b"BT << /A [1 { 2 } ] >> BDC", 3),
    (b"q (x(y)) Tj", 2),
    (b"q BI /W 1 ID", 2),
    (b"q << /A 1 /B >> BDC", 2),
    (b"1 2 [3", 4),
    (b"q (\\777) Tj", 2),
])
def test_hand_over_starts_at_the_top_level_object(data, offset):
    with pytest.raises(Unsupported) as info:
        list(iter_content(data))
    assert info.value.offset == offset


FRAGMENTS = st.one_of(
    st.integers(-10**6, 10**6).map(lambda n: str(n).encode()),
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda f: f"{f:.3f}".encode()),
    st.sampled_from([b"Tj", b"TJ", b"Tf", b"cm", b"re", b"T*", b"'", b'"', b"true", b"false", b"BT", b"ET",
                     b"d0", b"[", b"]", b"<<", b">>", b">", b"-", b"+", b".", b"#", b")", b"*"]),
    st.binary(max_size=6).map(lambda b: b"/" + b.replace(b"(", b"").replace(b")", b"")),
    st.text("0123456789abcdefABCDEF \n", max_size=9).map(lambda s: b"<" + s.encode() + b">"),
    st.binary(max_size=8).map(lambda b: b"(" + b.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"),
    st.sampled_from([rb"(\n\t\\)", rb"(\101\12x\0)", b"(a\\\r\nb)", rb"(\q)", b"%c\n"]),
    st.binary(min_size=1, max_size=3),
)
SEPARATORS = st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b"", b"\x00", b"  "])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(FRAGMENTS, SEPARATORS), max_size=30))
def test_random_content_reads_as_pdfminer_reads_it(parts):
    assert_reads_as_pdfminer(b"".join(f + s for f, s in parts))


def assert_reads_as_pdfminer(data: bytes) -> None:
    """`content_objects` (fast reader plus hand-over) gives pdfminer's objects, or fails as it fails."""
    try:
        expected = [canon(o) for o in reference(data)]
    except Exception as exc:  # noqa: BLE001 - pdfminer fails on it: so must the interpreter
        with pytest.raises(type(exc)):
            list(content_objects(data))
        return
    assert [canon(o) for o in content_objects(data)] == expected


SYNTAX_BYTES = b"()<>[]{}/%#\\ \n\r\t\x00\x0b\x0c+-.0123456789aAeEfTj'\"*\xe4\xff"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=120), st.lists(st.sampled_from(list(SYNTAX_BYTES)), max_size=80).map(bytes)))
def test_random_bytes_read_as_pdfminer_reads_them(data):
    assert_reads_as_pdfminer(data)


# ------------------------------------------------------------------------------------ real PDFs
def _layout_dump(pdf: bytes, interpreter_class) -> list:
    rsrc = PDFResourceManager(caching=True)
    device = PDFPageAggregator(rsrc, laparams=None)
    interpreter = interpreter_class(rsrc, device)
    pages = []
    for page in PDFPage.create_pages(PDFDocument(PDFParser(io.BytesIO(pdf)))):
        interpreter.process_page(page)
        items: list = []

        def walk(container, items=items):
            for item in container:
                text = item.get_text() if isinstance(item, LTChar) else None
                items.append((type(item).__name__, tuple(round(v, 3) for v in item.bbox), text))
                if isinstance(item, LTContainer):
                    walk(item)

        walk(device.get_result())
        pages.append(items)
    return pages


def _contents(pdf: bytes) -> list[bytes]:
    doc = PDFDocument(PDFParser(io.BytesIO(pdf)))
    return [b"\n".join(stream_value(s).get_data() for s in page.contents) for page in PDFPage.create_pages(doc)]


REPORT = "\n".join(
    ["某某县卫生健康局2023年政府信息公开工作年度报告", "一、总体情况", "本机关认真贯彻落实《条例》。",
     "项目\t自然人\t商业企业\t总计"]
    + [f"{i}.第{i}类申请\t{i}\t{i * 2}\t{i * 3}" for i in range(1, 12)]
)


def _latin_pdf() -> bytes:
    """Helvetica text with parentheses, backslashes and accented letters (escaped and octal strings)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=1)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(["Report (2023) \\ section 1", "Caf\u00e9 na\u00efve \u00a7 5 (a) (b)", "[brackets] <angles> /slash"]):
        c.drawString(72, 700 - 20 * i, line)
    c.rect(70, 600, 200, 40)
    c.showPage()
    c.save()
    return buf.getvalue()


def _inline_image_pdf() -> bytes:
    """A page holding an inline image (BI … ID … EI) between two lines of text: the hand-over."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica", 11)
    c.drawString(72, 720, "before (the image)")
    c.drawInlineImage(Image.new("L", (8, 8), 128), 72, 600, 40, 40)
    c.drawString(72, 560, "after")
    c.showPage()
    c.save()
    return buf.getvalue()


PDFS = {
    "cid_tables": lambda: text_pdf(REPORT, rows_per_page=8, header="某某县人民政府信息公开"),
    "latin_escapes": _latin_pdf,
    "scanned": lambda: scanned_pdf(text_pdf(REPORT), dpi=50),
}


@pytest.mark.parametrize("name", sorted(PDFS))
def test_real_pdf_renders_exactly_as_with_pdfminers_parser(name):
    pdf = PDFS[name]()
    for data in _contents(pdf):
        same_as_pdfminer(data)  # the fast reader itself reads every page, no hand-over
    ours, theirs = _layout_dump(pdf, ContentPageInterpreter), _layout_dump(pdf, PDFPageInterpreter)
    assert ours == theirs
    assert sum(len(p) for p in ours) > 0


def test_hand_over_renders_like_pdfminer():
    pdf = _inline_image_pdf()
    with pytest.raises(Unsupported):
        list(iter_content(_contents(pdf)[0]))
    ours = _layout_dump(pdf, ContentPageInterpreter)
    assert ours == _layout_dump(pdf, PDFPageInterpreter)
    kinds = {kind for kind, _, _ in ours[0]}
    assert "LTImage" in kinds or "LTFigure" in kinds
    assert "".join(t for _, _, t in ours[0] if t) == "before (the image)after"


@pytest.mark.slow
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (make deb installs it)")
def test_libreoffice_pdf_renders_exactly_as_with_pdfminers_parser():
    pdf = convert_with_soffice(docx_bytes(REPORT), "docx", "pdf")
    for data in _contents(pdf):
        same_as_pdfminer(data)
    ours = _layout_dump(pdf, ContentPageInterpreter)
    assert ours == _layout_dump(pdf, PDFPageInterpreter)
    assert "".join(t for page in ours for _, _, t in page if t).count("第") >= 11
