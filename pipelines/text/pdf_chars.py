"""A page's characters, ruling lines and images read by pdfium (pypdfium2's raw API), in the same
device space pdfminer's page aggregator gives (page rotation applied, y up, origin at the media box's
corner), so that `pdf.py` turns and assembles them exactly as it does pdfminer's.

pdfium's C text page does the font work (encodings, CMaps, ToUnicode) that pdfminer does in Python;
what is left here is two pdfium calls per character, and three per path point for the rules.

- Characters: pdfminer's `LTChar` box, from the origin to the origin plus the advance (the width of
  pdfium's loose box), and from the font's descent up by the font size, both scaled by the text
  matrix. pdfium's loose box itself is not that box: it is as tall as the font's ascent minus its
  descent (not one em), and for fonts with unusable metrics it is the glyph's own box. The font's
  size, scale, descent and direction are looked up once per font and size (`_metrics`).
  Characters pdfium inserts itself (spaces, line breaks) are left out; a space the PDF draws is
  kept, as pdfminer keeps it.
- Direction: the character's matrix (text matrix times CTM) turned by the page rotation, as
  pdfminer's `LTChar.matrix`; a character set sideways in user space gets its glyph's box.
- Shapes: every subpath of every path object (forms included, their matrices applied), as
  pdfminer's `paint_path` splits them: a closed axis-aligned four-corner subpath is a rectangle,
  anything else a line or curve boxed by its end points.

The two loops that run per character and per path point are also compiled
(`_pdfium_loops.c`, built by `pip install`): the same calls and the same double arithmetic
(`_metrics` and `_tight_box` included), handed the addresses of pypdfium2's loaded functions, five
to ten times cheaper than the Python loops below. Where the module was not built, the Python loops
run, giving the same marks
(`tests/pipelines/text/test_pdf_chars.py` compares them on every test and real PDF).
"""

from __future__ import annotations

import ctypes
from typing import Protocol

import pypdfium2.raw as pdfium_c

_VOID_P = ctypes.c_void_p


class _Handle(ctypes.c_void_p):
    """A pointer result kept as a ctypes object (a subclass is not turned into an int), so that it
    goes back to pdfium as it is."""


class _Bare:
    """The few pdfium functions called once per character or path point, without pypdfium2's
    argument types: ctypes then passes prepared pointers as they are, about four times cheaper per
    call (0.25 against 1.1 microseconds). Loaded from the library pypdfium2 itself loaded; pointer
    results are declared, everything else returns an int."""

    def __init__(self) -> None:
        from pypdfium2_raw.bindings import _libs  # the loaded libpdfium (ctypesgen's table)

        lib = ctypes.CDLL(
            _libs["pdfium"]._name
        )  # a handle of our own: pypdfium2's prototypes stay as they are
        for name in (
            "FPDFText_GetMatrix",  # these five only for the compiled loop's addresses (`char_functions`)
            "FPDFText_GetFontSize",
            "FPDFTextObj_GetFont",
            "FPDFFont_GetDescent",
            "FPDFText_GetCharBox",
            "FPDFText_GetLooseCharBox",
            "FPDFText_GetCharOrigin",
            "FPDFText_IsGenerated",
            "FPDFPage_CountObjects",
            "FPDFPageObj_GetType",
            "FPDFPageObj_GetMatrix",
            "FPDFPath_CountSegments",
            "FPDFPathSegment_GetType",
            "FPDFPathSegment_GetPoint",
            "FPDFFormObj_CountObjects",
        ):
            setattr(self, name, getattr(lib, name))
        for name in ("FPDFPage_GetObject", "FPDFPath_GetPathSegment", "FPDFFormObj_GetObject"):
            fn = getattr(lib, name)
            fn.restype = _Handle
            setattr(self, name, fn)
        self.FPDFText_GetTextObject = lib.FPDFText_GetTextObject  # an int: a key, never passed back
        self.FPDFText_GetTextObject.restype = _VOID_P
        address = self.address
        # for the compiled loops: the functions' addresses, in the order `_pdfium_loops.c` takes them
        self.char_functions = tuple(address(name) for name in (
            "FPDFText_GetLooseCharBox", "FPDFText_GetCharOrigin", "FPDFText_IsGenerated", "FPDFText_GetTextObject",
            "FPDFText_GetMatrix", "FPDFText_GetFontSize", "FPDFTextObj_GetFont", "FPDFFont_GetDescent",
            "FPDFText_GetCharBox"))
        self.object_functions = tuple(address(name) for name in (
            "FPDFPage_CountObjects", "FPDFPage_GetObject", "FPDFPageObj_GetType", "FPDFPageObj_GetMatrix",
            "FPDFPath_CountSegments", "FPDFPath_GetPathSegment", "FPDFPathSegment_GetType",
            "FPDFPathSegment_GetPoint", "FPDFFormObj_CountObjects", "FPDFFormObj_GetObject"))
        self.object_kinds = (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM,
                             pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO)

    def address(self, name: str) -> int:
        """Where pdfium function `name` is in memory."""
        return ctypes.cast(getattr(self, name), _VOID_P).value


_bare: _Bare | None = None

try:
    from pipelines.text import _pdfium_loops as compiled
except ImportError:  # not built (no C compiler at install): the Python loops
    compiled = None


def _lib() -> _Bare:
    global _bare
    if _bare is None:
        _bare = _Bare()
    return _bare


def _address(pointer) -> ctypes.c_void_p:
    """A pypdfium2 handle (a typed ctypes pointer) as a plain pointer argument."""
    return _VOID_P(ctypes.cast(pointer, _VOID_P).value)


class Marks(Protocol):
    chars: list[tuple[float, float, float, float, str, int]]
    shapes: list[tuple[float, float, float, float, bool]]
    images: int


Matrix = tuple[float, float, float, float, float, float]


def _mul(m1: Matrix, m0: Matrix) -> Matrix:
    """`m1` then `m0` (pdfminer's `mult_matrix` order)."""
    a1, b1, c1, d1, e1, f1 = m1
    a0, b0, c0, d0, e0, f0 = m0
    return (
        a0 * a1 + c0 * b1,
        b0 * a1 + d0 * b1,
        a0 * c1 + c0 * d1,
        b0 * c1 + d0 * d1,
        a0 * e1 + c0 * f1 + e0,
        b0 * e1 + d0 * f1 + f0,
    )


def page_ctm(mediabox: tuple[float, float, float, float], rotation: int) -> Matrix:
    """The matrix from user space to pdfminer's device space (`PDFPageInterpreter.process_page`)."""
    x0, y0, x1, y1 = mediabox
    if rotation == 90:
        return (0, -1, 1, 0, -y0, x1)
    if rotation == 180:
        return (-1, 0, 0, -1, x1, y1)
    if rotation == 270:
        return (0, 1, -1, 0, y1, -x0)
    return (1, 0, 0, 1, -x0, -y0)


def _box(ctm: Matrix, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = ctm
    xs = (a * x0 + c * y0 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x1 + d * y1 + f)
    return min(xs), min(ys), max(xs), max(ys)


def _direction(a: float, b: float) -> int:
    return 0 if a > abs(b) else 180 if -a > abs(b) else 90 if b > 0 else 270


def page_size(page) -> tuple[float, float, Matrix]:
    """Width and height of the page in device space, and the matrix into it."""
    mediabox = page.get_mediabox()
    rotation = page.get_rotation() % 360
    ctm = page_ctm(mediabox, rotation)
    x0, y0, x1, y1 = _box(ctm, *mediabox)
    return abs(x1 - x0), abs(y1 - y0), ctm


def read_chars(textpage, ctm: Matrix, marks: Marks, *, loops=compiled) -> None:
    """The page's characters (pdfium's own spaces and line breaks left out) into `marks.chars`
    (by the compiled `loops`, or in Python when None)."""
    handle = textpage.raw
    count = pdfium_c.FPDFText_CountChars(handle)
    if count <= 0:
        return
    buffer = (ctypes.c_ushort * (count + 1))()
    got = pdfium_c.FPDFText_GetText(handle, 0, count, buffer)
    text = bytes(buffer)[: max(0, got - 1) * 2].decode("utf-16-le", errors="replace")
    if len(text) != count:  # control characters or characters outside the BMP: one at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(handle, i)) for i in range(count))
    lib = _lib()
    if loops is not None:
        page = ctypes.cast(handle, _VOID_P).value
        loops.read_chars(lib.char_functions, page, text, tuple(map(float, ctm)), marks.chars)
        return
    rect = pdfium_c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    rect_p, ox_p, oy_p = (_VOID_P(ctypes.addressof(v)) for v in (rect, ox, oy))
    page_p = _address(handle)
    loose_box, origin, is_generated = (
        lib.FPDFText_GetLooseCharBox,
        lib.FPDFText_GetCharOrigin,
        lib.FPDFText_IsGenerated,
    )
    a, b, c, d, e, f = ctm
    upright = ctm[:4] == (1, 0, 0, 1)
    # pdfium's loose box against its origin -> pdfminer's box against the origin; the same for every
    # character of one font at one size and scale (pdfium's loose box of a font with unusable metrics
    # is the glyph's own box, which only costs more look-ups)
    metrics: dict[tuple[int, int], _Metrics | None] = {}
    by_object: dict[int | None, _Metrics | None] = {}  # the same by pdfium text object
    text_object_of = lib.FPDFText_GetTextObject
    out = marks.chars
    for i, ch in enumerate(text):
        if ch.isspace():  # a space the PDF draws counts as a character (as in pdfminer); pdfium's own do not
            if ch in "\r\n" or is_generated(page_p, i):
                continue
        elif ch == "\x00":
            continue
        if not loose_box(page_p, i, rect_p) or not origin(page_p, i, ox_p, oy_p):
            continue
        x, y = ox.value, oy.value
        left, right, bottom, top = rect.left, rect.right, rect.bottom, rect.top
        key = (int((top - y) * 1024.0), int((bottom - y) * 1024.0))  # float32 noise is far below 1/1024 pt
        m = metrics.get(key, _MISSING)
        if m is _MISSING:  # a new font or size, or a font whose loose boxes are its glyphs' own boxes
            text_object = text_object_of(page_p, i)
            m = by_object.get(text_object, _MISSING)
            if m is _MISSING:
                m = by_object[text_object] = _metrics(handle, i, right - left, a, b, c, d)
            metrics[key] = m
        if m is None:
            continue
        if m.tight:
            box = _tight_box(handle, i)
            if box is None:
                continue
            left, right, bottom, top = box
        elif m.vertical:
            left, right, bottom, top = x, x + m.height, y, y + m.height
        else:
            bottom = y + m.descent
            left, right, top = x, x + (right - left), bottom + m.height
        if upright:
            out.append((left + e, bottom + f, right + e, top + f, ch, m.direction))
        else:
            x0, y0, x1, y1 = _box(ctm, left, bottom, right, top)
            out.append((x0, y0, x1, y1, ch, m.direction))


class _Metrics:
    """How pdfminer boxes the characters of one font at one size and matrix."""

    __slots__ = ("descent", "direction", "height", "tight", "vertical")

    def __init__(self, descent: float, height: float, direction: int, tight: bool, vertical: bool) -> None:
        self.descent, self.height, self.direction, self.tight, self.vertical = (
            descent,
            height,
            direction,
            tight,
            vertical,
        )


_MISSING = _Metrics(0.0, 0.0, 0, False, False)


def _metrics(
    handle, index: int, loose_width: float, a: float, b: float, c: float, d: float
) -> _Metrics | None:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFText_GetMatrix(handle, index, ctypes.byref(matrix)):
        return None
    size = pdfium_c.FPDFText_GetFontSize(handle, index)
    ma, mb, md = matrix.a, matrix.b, matrix.d
    direction = _direction(ma * a + mb * c, ma * b + mb * d)
    text_object = pdfium_c.FPDFText_GetTextObject(handle, index)
    font = pdfium_c.FPDFTextObj_GetFont(text_object) if text_object else None
    descent = ctypes.c_float(0.0)
    if font:
        pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), ctypes.byref(descent))
    height = size * md
    # sideways or upside down in user space (pdfium's loose box assumes upright text): the glyph's box
    tight = not (ma > abs(mb)) or height <= 0
    # a font written top to bottom (Identity-V): pdfium's loose box is one unscaled font size wide
    # there; pdfminer boxes such a character as a square of the scaled size at pdfium's origin
    vertical = abs(loose_width - size) < 0.01 and abs(size - height) > 0.01
    return _Metrics(descent.value * height / 1000.0, height, direction, tight, vertical)


def _tight_box(handle, index: int) -> tuple[float, float, float, float] | None:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    if not pdfium_c.FPDFText_GetCharBox(
        handle, index, ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top)
    ):
        return None
    return left.value, right.value, bottom.value, top.value


def read_objects(page, ctm: Matrix, marks: Marks, *, loops=compiled) -> None:
    """Path subpaths into `marks.shapes` and images into `marks.images`, forms included (by the
    compiled `loops`, or in Python when None)."""
    lib = _lib()
    if loops is not None:
        page_address = ctypes.cast(page.raw, _VOID_P).value
        marks.images += loops.read_objects(lib.object_functions, lib.object_kinds, page_address,
                                           tuple(map(float, ctm)), marks.shapes)
        return
    page_p = _address(page.raw)
    objects = [lib.FPDFPage_GetObject(page_p, i) for i in range(lib.FPDFPage_CountObjects(page_p))]
    _objects(lib, objects, ctm, marks)


def _objects(lib: _Bare, objects: list[_Handle], ctm: Matrix, marks: Marks) -> None:
    fs = pdfium_c.FS_MATRIX()
    fs_p = _VOID_P(ctypes.addressof(fs))
    x, y = ctypes.c_float(), ctypes.c_float()
    points = (x, y, _VOID_P(ctypes.addressof(x)), _VOID_P(ctypes.addressof(y)))
    get_type, get_matrix = lib.FPDFPageObj_GetType, lib.FPDFPageObj_GetMatrix
    path_kind, image_kind, form_kind = (
        pdfium_c.FPDF_PAGEOBJ_PATH,
        pdfium_c.FPDF_PAGEOBJ_IMAGE,
        pdfium_c.FPDF_PAGEOBJ_FORM,
    )
    for obj in objects:
        kind = get_type(obj)
        if kind == path_kind:
            if get_matrix(obj, fs_p):
                _path(lib, obj, _mul((fs.a, fs.b, fs.c, fs.d, fs.e, fs.f), ctm), marks, points)
        elif kind == image_kind:
            marks.images += 1
        elif kind == form_kind and get_matrix(obj, fs_p):
            inner = _mul((fs.a, fs.b, fs.c, fs.d, fs.e, fs.f), ctm)
            _objects(
                lib,
                [lib.FPDFFormObj_GetObject(obj, i) for i in range(lib.FPDFFormObj_CountObjects(obj))],
                inner,
                marks,
            )


def _path(lib: _Bare, obj: _Handle, ctm: Matrix, marks: Marks, points: tuple) -> None:
    """One path object's subpaths. pdfium closes a subpath with an explicit point back to its start
    (as pdfminer reads `h`), so the end points alone give pdfminer's boxes."""
    get_segment, get_type, get_point = (
        lib.FPDFPath_GetPathSegment,
        lib.FPDFPathSegment_GetType,
        lib.FPDFPathSegment_GetPoint,
    )
    moveto, bezierto = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
    x, y, xp, yp = points
    a, b, c, d, e, f = ctm
    shapes = marks.shapes
    subpath: list[tuple[float, float]] = []
    bezier = 0
    for i in range(lib.FPDFPath_CountSegments(obj)):
        seg = get_segment(obj, i)
        kind = get_type(seg)
        if kind == bezierto:
            bezier += 1
            if bezier % 3:  # a control point (pdfminer boxes curves by their end points)
                continue
        if not get_point(seg, xp, yp):
            continue
        px, py = x.value, y.value
        point = (a * px + c * py + e, b * px + d * py + f)
        if kind == moveto:
            if len(subpath) > 1:
                shapes.append(_subpath_box(subpath))
            subpath = [point]
            bezier = 0
        else:
            subpath.append(point)
    if len(subpath) > 1:
        shapes.append(_subpath_box(subpath))


def _subpath_box(points: list[tuple[float, float]]) -> tuple[float, float, float, float, bool]:
    """The box of a subpath's points, and whether it is a rectangle (four axis-aligned corners, closed)."""
    if len(points) == 5 and points[0] == points[4]:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
        is_rect = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        return (min(x0, x1, x2, x3), min(y0, y1, y2, y3), max(x0, x1, x2, x3), max(y0, y1, y2, y3), is_rect)
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        # min() and max() of two, written out (hot): the same values, NaN and signed zeros included
        return (
            x1 if x1 < x0 else x0,
            y1 if y1 < y0 else y0,
            x1 if x1 > x0 else x0,
            y1 if y1 > y0 else y0,
            False,
        )
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys), False


def read_page(pdf, index: int, marks: Marks, *, loops=compiled) -> float:
    """Page `index` of an open `pypdfium2.PdfDocument` into `marks`; returns its height in device space."""
    page = pdf[index]
    try:
        _width, height, ctm = page_size(page)
        textpage = page.get_textpage()
        try:
            read_chars(textpage, ctm, marks, loops=loops)
        finally:
            textpage.close()
        read_objects(page, ctm, marks, loops=loops)
        return height
    finally:
        page.close()
