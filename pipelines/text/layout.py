"""Rebuild lines and table rows from positioned glyphs.

Input is a list of `Glyph`s in a top-down coordinate system (PDF characters from pdfminer or pdfium,
words from Tesseract) plus the page's vertical rules. Glyphs are grouped into lines by their vertical
centre; within a table (a cluster of vertical rules) each line becomes one row whose cells are the
intervals between the table's column rules, empty cells included, joined by tabs. Outside tables a
wide horizontal gap becomes a tab. Full pdfminer layout analysis (LAParams) is not needed for this,
which is what makes it fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from operator import attrgetter

from pipelines.text.common import is_cjk

try:
    from pipelines.text import _pdfium_loops as _compiled
except ImportError:  # not built (no C compiler at install): `_join` in Python
    _compiled = None


@dataclass(slots=True)
class Glyph:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(0.1, self.bottom - self.top)


@dataclass(slots=True)
class Rule:
    """A vertical line segment at x from top to bottom (top < bottom)."""

    x: float
    top: float
    bottom: float


@dataclass(slots=True)
class HRule:
    """A horizontal line segment at y from x0 to x1."""

    y: float
    x0: float
    x1: float


@dataclass(slots=True)
class Table:
    top: float
    bottom: float
    xs: list[float]
    ys: list[float] = field(default_factory=list)  # row boundaries (horizontal rules), top to bottom
    rules: list[Rule] = field(default_factory=list)  # the vertical rules, to tell merged cells apart
    spans: list[tuple[float, float]] = field(default_factory=list)  # x extent of each boundary's rules
    _crossings: dict[float, list[_Crossings]] = field(default_factory=dict, repr=False, compare=False)

    def open_edges(self, yc: float, merge: float = 2.0) -> list[bool]:
        """For each inner column boundary, whether no rule crosses height `yc` there (the cells
        on both sides are one merged cell on this line)."""
        if not self.rules or len(self.spans) != len(self.xs):
            return [False] * max(0, len(self.xs) - 2)
        crossings = self._crossings.get(merge)
        if crossings is None:
            crossings = self._crossings[merge] = [
                _Crossings([r for r in self.rules if lo - merge <= r.x <= hi + merge])
                for lo, hi in self.spans[1:-1]
            ]
        return [not c.crosses(yc) for c in crossings]


class _Crossings:
    """The vertical extents (1 pt of slack each way) of the rules at one column boundary, sorted so
    that whether any of them crosses a height is two look-ups (hot: once per boundary per row)."""

    __slots__ = ("reach", "tops")

    def __init__(self, rules: list[Rule]) -> None:
        spans = sorted((r.top - 1, r.bottom + 1) for r in rules)
        self.tops = [top for top, _bottom in spans]
        self.reach: list[float] = []  # the lowest bottom among the spans up to each one
        for _top, bottom in spans:
            self.reach.append(bottom if not self.reach or bottom > self.reach[-1] else self.reach[-1])

    def crosses(self, y: float) -> bool:
        i = bisect_right(self.tops, y)
        return i > 0 and self.reach[i - 1] >= y


COLUMN_MIN = 3.0
"""Rules closer than this (pt) are one column edge."""


def tables_from_rules(
    rules: list[Rule], hrules: list[HRule] | None = None, merge: float = 2.0, chain: bool = False
) -> list[Table]:
    """Group vertical rules whose vertical extents overlap into tables; each table's column
    boundaries are the distinct x positions of its rules, its row boundaries the horizontal rules
    that cross it. With `chain` (PDF text), rules in a chain of steps up to max(merge, COLUMN_MIN)
    are one boundary (cell borders Word/WPS draw a little apart); otherwise within `merge` of the
    boundary's first rule (OCR's behaviour, unchanged)."""
    if not rules:
        return []
    rules = sorted(rules, key=lambda r: r.top)
    groups: list[list[Rule]] = []
    bottom = None
    for r in rules:
        if groups and bottom is not None and r.top <= bottom + merge:
            groups[-1].append(r)
            bottom = max(bottom, r.bottom)
        else:
            groups.append([r])
            bottom = r.bottom
    tables = []
    for g in groups:
        # chained: the borders of neighbouring cells that Word/WPS draw a little apart
        # (310.0, 311.0, 312.1) are one column boundary, not a thin empty column
        clusters: list[list[float]] = []
        for x in sorted(r.x for r in g):
            if clusters and (
                x - clusters[-1][-1] <= max(merge, COLUMN_MIN) if chain else x - clusters[-1][0] <= merge
            ):
                clusters[-1].append(x)
            else:
                clusters.append([x])
        xs = [c[0] for c in clusters]
        spans = [(c[0], c[-1]) for c in clusters]
        if len(xs) >= 2:
            top, bottom = min(r.top for r in g), max(r.bottom for r in g)
            ys: list[float] = []
            for y in sorted(
                h.y
                for h in hrules or ()
                if top - merge <= h.y <= bottom + merge
                and h.x0 <= xs[0] + merge * 2
                and h.x1 >= xs[0] + merge
            ):
                if not ys or y - ys[-1] > merge:
                    ys.append(y)
            tables.append(Table(top, bottom, xs, ys, g, spans))
    return tables


def _group_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into text lines: a glyph joins the current line when its vertical extent lies
    mostly inside the line's (so low punctuation such as 、。， stays on its line). Hot: compiled
    where `_pdfium_loops` was built (for float figures without NaN, whose order C sorts the same)."""
    if _compiled is not None:
        lines = _compiled.group_lines(glyphs)
        if lines is not None:
            return lines
    return _group_lines_python(glyphs)


def _group_lines_python(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """`_group_lines` in Python (the reference and the fallback): the comparisons below are
    `min`/`max`/`abs` written out, with the line's figures kept."""
    glyphs = sorted(glyphs, key=_yc_x0)
    lines: list[list[Glyph]] = []
    line: list[Glyph] = []
    top = bottom = centre = reach = height = 0.0
    for g in glyphs:
        g_top, g_bottom = g.top, g.bottom
        if line:
            # overlap >= 0.5 * min(max(0.1, g.height), line height), centres less than 0.7 lines apart
            g_height = g_bottom - g_top
            if not g_height > 0.1:
                g_height = 0.1
            overlap = (g_bottom if g_bottom < bottom else bottom) - (g_top if g_top > top else top)
            gap = (g_top + g_bottom) / 2 - centre
            if (
                overlap >= 0.5 * (height if height < g_height else g_height)
                and (gap if gap >= 0 else -gap) < reach
            ):
                line.append(g)
                continue
        line = [g]
        lines.append(line)
        top, bottom = g_top, g_bottom
        height, centre = bottom - top, (top + bottom) / 2
        reach = 0.7 * height
    for line in lines:
        line.sort(key=_x0)
    return lines


def _height(g: Glyph) -> float:
    """`max(0.1, g.bottom - g.top)` written out (hot): the same value, NaN included (0.1)."""
    h = g.bottom - g.top
    return h if h > 0.1 else 0.1


def _yc_x0(g: Glyph) -> tuple[float, float]:
    return (g.top + g.bottom) / 2, g.x0


_x0 = attrgetter("x0")


def _median(values: list[float]) -> float:
    """`statistics.median` without its generic number handling (hot: twice per line)."""
    values.sort()
    n = len(values)
    if n % 2:
        return values[n // 2]
    return (values[n // 2 - 1] + values[n // 2]) / 2


def _join(glyphs: list[Glyph], tab_gap: float | None) -> str:
    """Glyphs of one run as text: a space for a word gap, a tab for a column gap (when `tab_gap`).
    Hot (once per cell): compiled where `pipelines/text/_pdfium_loops.c` was built."""
    if len(glyphs) < 2:  # most cells of a table row hold one glyph or none
        return glyphs[0].text if glyphs else ""
    if _compiled is not None:
        return _compiled.join(glyphs, tab_gap)
    return _join_python(glyphs, tab_gap)


def _join_python(glyphs: list[Glyph], tab_gap: float | None) -> str:
    """`_join` in Python: the reference the compiled one is tested against, and the fallback."""
    out: list[str] = []
    prev: Glyph | None = None
    prev_height = 0.0
    for g in glyphs:
        height = g.bottom - g.top
        if not height > 0.1:  # g.height, inlined: hot
            height = 0.1
        if prev is not None and g.text:
            gap = g.x0 - prev.x1
            size = height if height < prev_height else prev_height
            if tab_gap is not None and gap > tab_gap:
                out.append("\t")
            elif gap > 0.25 * size and not (is_cjk(g.text[0]) and is_cjk(prev.text[-1]) and gap < 0.9 * size):
                out.append(" ")
        out.append(g.text)
        prev, prev_height = g, height
    return "".join(out)


def _cells(line: list[Glyph], xs: list[float], open_edges: list[bool] | None = None) -> list[str]:
    """The line's text per column interval of `xs`; text left/right of the table becomes an extra cell.
    A cell merged over several columns on this line (`open_edges`: no rule between them) is one
    cell: its text goes to the first column of the span and the others stay empty, so a justified
    or spread label is not cut into pieces and the columns after it keep their positions. Hot:
    compiled where `_pdfium_loops` was built (for float figures without NaN)."""
    if _compiled is not None:
        parts = _compiled.cells(line, xs, open_edges)
        if parts is not None:
            return parts
    return _cells_python(line, xs, open_edges)


def _cells_python(line: list[Glyph], xs: list[float], open_edges: list[bool] | None = None) -> list[str]:
    """`_cells` in Python (the reference and the fallback)."""
    before: list[Glyph] = []
    after: list[Glyph] = []
    cells: list[list[Glyph]] = [[] for _ in range(len(xs) - 1)]
    first, last = xs[0], xs[-1]
    for g in line:
        xc = (g.x0 + g.x1) / 2
        if xc < first:
            before.append(g)
        elif xc > last:
            after.append(g)
        elif first <= xc:  # inside the table (and not NaN)
            i = bisect_left(xs, xc, 1) - 1  # the first column whose right rule is at or past xc
            if open_edges:  # a cell merged over columns: its text goes to the first column of the span
                while i > 0 and open_edges[i - 1]:
                    i -= 1
            cells[i].append(g)
    parts = [_join(c, None) if c else "" for c in cells]
    if before:
        parts.insert(0, _join(before, None))
    if after:
        parts.append(_join(after, None))
    return parts


def _concat(a: str, b: str) -> str:
    if not a:
        return b
    if not b:
        return a
    if is_cjk(a[-1]) or is_cjk(b[0]) or a[-1] in "（(、，.。：:" or b[0] in "）)、，。":
        return a + b
    return a + " " + b


def assemble(
    glyphs: list[Glyph], rules: list[Rule] | None = None, hrules: list[HRule] | None = None
) -> list[str]:
    """Text lines of one page, top to bottom; table rows as tab-separated cells. Inside a ruled
    table, the text lines of one row band (a cell's text wrapped over several lines) become one row."""
    glyphs = [g for g in glyphs if g.text and g.text.strip()]
    if not glyphs:
        return []
    tables = tables_from_rules(rules or [], hrules, chain=True)
    out: list[str] = []
    band_key: tuple[int, int] | None = None
    band_rows: list[list[str]] = []
    band_height = 0.0

    def flush() -> None:
        nonlocal band_rows
        if not band_rows:
            return
        heights = band_height
        if len(band_rows) > 1 and heights > 0:
            merged = [""] * max(len(r) for r in band_rows)
            for r in band_rows:
                for i, cell in enumerate(r):
                    merged[i] = _concat(merged[i], cell)
            out.append("\t".join(merged))
        else:
            out.extend("\t".join(r) for r in band_rows)
        band_rows = []

    for line in _group_lines(glyphs):
        yc = _median([(g.top + g.bottom) / 2 for g in line])  # median of g.yc
        size = _median([_height(g) for g in line])  # median of g.height
        ti = next((i for i, t in enumerate(tables) if t.top - 1 <= yc <= t.bottom + 1), None)
        if ti is None:
            flush()
            band_key = None
            out.append(_join(line, tab_gap=2.0 * size))
            continue
        table = tables[ti]
        cells = _cells(line, table.xs, table.open_edges(yc))
        bi = next((i for i in range(len(table.ys) - 1) if table.ys[i] <= yc <= table.ys[i + 1]), None)
        if bi is None:
            flush()
            band_key = None
            out.append("\t".join(cells))
            continue
        key = (ti, bi)
        if key != band_key:
            flush()
            band_key = key
            h = table.ys[bi + 1] - table.ys[bi]
            # a band much taller than a few lines is not one row (a table ruled only at top/bottom)
            band_height = h if h <= 4.5 * size * 1.6 else 0.0
        band_rows.append(cells)
    flush()
    return out
