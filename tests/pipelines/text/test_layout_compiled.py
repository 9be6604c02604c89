"""The compiled layout steps (`_pdfium_loops.join`, `group_lines`, `cells`) against their Python
references (`layout._join_python`, `_group_lines_python`, `_cells_python`): the same answers on
random glyphs (NaN, infinities, ints, empty and CJK texts, ties), and the same page text on every
compared PDF with the compiled steps on and off."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipelines.text.layout as layout
from pipelines.text.layout import Glyph

pytestmark = pytest.mark.skipif(layout._compiled is None, reason="the compiled loops are not built here")

TEXTS = st.sampled_from(["年", "报", "公", "a", "B", "1", "12", "（", "）", "、", "。", "", "x y", "开放"])
FIGURES = st.one_of(
    st.floats(min_value=-50, max_value=900, allow_nan=False, width=32).map(float),
    st.sampled_from([0.0, -0.0, 100.0, 100.5, 3.0]),  # ties
)
ODD = st.one_of(FIGURES, st.just(math.nan), st.just(math.inf), st.integers(-5, 600))


@st.composite
def glyphs(draw, figures=FIGURES, max_size=25):
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        x0, top = draw(figures), draw(figures)
        out.append(Glyph(x0, x0 + draw(st.floats(0, 20)) if isinstance(x0, float) else x0 + 5, top,
                         top + draw(st.floats(0, 15)) if isinstance(top, float) else top + 9, draw(TEXTS)))
    return out


@st.composite
def text_lines(draw, max_size=25):
    """Glyphs set as text is: left to right with small gaps (word, CJK and column gaps), on a few
    baselines, now and then overlapping or out of order."""
    out, x = [], draw(st.floats(0, 100))
    baselines = draw(st.lists(st.floats(50, 700), min_size=1, max_size=4))
    for _ in range(draw(st.integers(0, max_size))):
        width, height = draw(st.floats(1, 12)), draw(st.floats(0, 12))
        top = draw(st.sampled_from(baselines)) + draw(st.floats(-3, 3))
        x += draw(st.one_of(st.floats(-3, 4), st.floats(0, 40)))
        out.append(Glyph(x, x + width, top, top + height, draw(TEXTS)))
        x += width
    if out and draw(st.booleans()):
        out = draw(st.permutations(out))
    return out


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - both must fail alike
        return ("error", type(exc))


@settings(max_examples=400, deadline=None)
@given(st.one_of(text_lines(), glyphs(ODD)), st.one_of(st.none(), st.floats(0, 40)))
def test_join(line, tab_gap):
    compiled = _outcome(layout._compiled.join, line, tab_gap)
    assert compiled == _outcome(layout._join_python, line, tab_gap)


@settings(max_examples=400, deadline=None)
@given(st.one_of(text_lines(max_size=40), glyphs(ODD, max_size=40)))
def test_group_lines(page):
    got = layout._compiled.group_lines(page)
    if got is None:  # a figure Python's sort must order: left to Python
        assert any(not isinstance(v, float) or math.isnan(v) for g in page for v in (g.top, g.bottom, g.x0)) or any(
            math.isnan((g.top + g.bottom) / 2) for g in page)
        return
    expected = layout._group_lines_python(page)
    assert [[id(g) for g in line] for line in got] == [[id(g) for g in line] for line in expected]


@settings(max_examples=400, deadline=None)
@given(st.one_of(text_lines(), glyphs(ODD)), st.lists(FIGURES, min_size=1, max_size=6).map(sorted), st.data())
def test_cells(line, xs, data):
    open_edges = data.draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=max(0, len(xs) - 2),
                                                          max_size=max(0, len(xs) - 2))))
    got = _outcome(layout._compiled.cells, line, xs, open_edges)
    if got == ("ok", None):
        return  # not floats, or NaN: left to Python
    assert got == _outcome(layout._cells_python, line, xs, open_edges)


def test_the_compiled_steps_leave_odd_figures_to_python():
    ints = [Glyph(1, 5, 10, 20, "年"), Glyph(6, 9, 10, 20, "报")]
    nan = [Glyph(math.nan, 5.0, 10.0, 20.0, "年")]
    assert layout._compiled.group_lines(ints) is None and layout._compiled.group_lines(nan) is None
    assert layout._compiled.cells(ints, [0.0, 10.0], None) is None
    assert layout._group_lines(ints) == layout._group_lines_python(ints)


def test_page_text_is_the_same_with_the_compiled_steps_off(monkeypatch):
    """Every page of the compared PDFs (test_pdf_chars) through `pdf.extract_pdf`, compiled steps on
    and off."""
    import pipelines.text.pdf as pdf
    from pipelines.text import pdf_chars
    from tests.support.pdf_cases import COMPARED, compared_pdf

    bodies = [compared_pdf(name) for name in COMPARED]
    compiled = [pdf.extract_pdf(body, ocr=False) for body in bodies]
    monkeypatch.setattr(layout, "_compiled", None)
    monkeypatch.setattr(pdf_chars, "compiled", None)
    for name, body, got in zip(COMPARED, bodies, compiled, strict=True):
        want = pdf.extract_pdf(body, ocr=False)
        assert (got.text, got.error, got.quality) == (want.text, want.error, want.quality), name
