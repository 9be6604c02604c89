"""Table rows from any rendering: tab or pipe rows, cells one per line, or real HTML tables.

A document becomes a list of `Row`s, one per text line. Rows from HTML `<table>` markup are `exact`:
rowspan/colspan were expanded into a full grid, so a value's column is its position. Rows from text
are split on tabs or pipes; when a document shows no multi-cell rows at all, it is read as one cell
per line (`Document.multi` is False) and the parsers rebuild rows by counting cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from extractor.normalise import clean_lines, collapse_ws, parse_value, squash

_MAX_SPAN = 200


@dataclass(slots=True)
class Row:
    """One line of the document: its normalised text and its cells."""

    text: str
    cells: list[str]
    exact: bool = False


@dataclass(slots=True)
class Document:
    """A report as rows (parallel to `raw`, the unnormalised lines used for section text)."""

    rows: list[Row]
    raw: list[str]
    multi: bool
    squashed: str = field(default="")


_NUM_TOKEN = r"(?:[+\-−]?\d[\d,]*(?:\.\d+)?(?:万元|元|件|条|个|次|人次|人|篇)?|——|—|-|/)"
_UNIT_TOKEN = r"(?:条|件|次|人次|人|篇|个|万元|元|项|——)"
_SPACED = re.compile(
    rf"^(?P<label>.*?[^\d\s,.])(?P<cells>(?:\s+{_UNIT_TOKEN})?(?:\s+{_NUM_TOKEN})+)$|^(?P<nums>{_NUM_TOKEN}(?:\s+{_NUM_TOKEN})+)$"
)


def split_cells(line: str) -> list[str]:
    """Cells of one text line: tab-separated, pipe-separated, space-separated label and numbers
    (PDF text), or the whole line."""
    if "\t" not in line and "|" not in line:
        stripped = line.strip()
        if " " in stripped and stripped[-1:].isdigit() or stripped.endswith(("元", "——", "-", "件")):
            m = _SPACED.match(stripped)
            if m:
                if m.group("nums"):
                    return m.group("nums").split()
                return [m.group("label").strip(), *m.group("cells").split()]
    if "\t" in line:
        parts = line.split("\t")
    elif "|" in line:
        parts = line.split("|")
        if parts and not parts[0].strip():
            parts = parts[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
    else:
        return [line.strip()] if line.strip() else ([""] if line else [])
    return [p.strip() for p in parts]


def _single_cell(line: str) -> list[str]:
    if not line:
        return []
    if "\t" not in line and "|" not in line and " " in line.strip():
        cells = split_cells(line)
        if len(cells) > 1:
            return cells
    return [line.replace("|", "").replace("\t", "").strip()]


def document_from_text(text: str) -> Document:
    """Rows of a plain-text rendering (tabs, pipes, Markdown or one cell per line)."""
    raw, norm = clean_lines(text)
    multi_rows = 0
    for line in norm:
        if ("\t" in line or "|" in line) and sum(1 for c in split_cells(line) if c) >= 2:
            multi_rows += 1
            if multi_rows >= 4:
                break
    multi = multi_rows >= 4
    if multi:
        rows = [Row(line, split_cells(line)) for line in norm]
    else:
        rows = [Row(line, _single_cell(line)) for line in norm]
    return Document(rows, raw, multi, squash("\n".join(norm)))


# ---------------------------------------------------------------- HTML

_BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|div|h[1-6]|li|tr|section|article|header|footer|td|th|pre|blockquote|dd|dt|ul|ol)>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = "\ue000TABLE{}\ue000"
_PLACEHOLDER_RE = re.compile("\ue000TABLE(\\d+)\ue000")


def _span(value: str | None) -> int:
    try:
        return max(1, min(_MAX_SPAN, int(str(value).strip() or 1)))
    except ValueError:
        return 1


def table_grid(table) -> list[list[str]]:
    """Expand an lxml <table> into a rectangular grid of cell texts ('' under merged cells)."""
    grid: list[list[str | None]] = []
    rows = [tr for tr in table.iter("tr")]
    for r, tr in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        line_r = grid[r]
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while c < len(line_r) and line_r[c] is not None:
                c += 1
            rs, cs = cell.get("rowspan"), cell.get("colspan")
            rowspan = 1 if rs is None else _span(rs)
            colspan = 1 if cs is None else _span(cs)
            text = "".join(cell.itertext())
            if not text.isprintable() or "  " in text or "\xa0" in text:
                text = collapse_ws(text.replace("\xa0", " "))
            else:
                text = text.strip()
            if rowspan == 1 and colspan == 1:
                while len(line_r) <= c:
                    line_r.append(None)
                line_r[c] = text
                c += 1
                continue
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                line = grid[r + dr]
                while len(line) < c + colspan:
                    line.append(None)
                for dc in range(colspan):
                    line[c + dc] = text if (dr == 0 and dc == 0) else ""
            c += colspan
    width = max((len(row) for row in grid), default=0)
    return [[x or "" for x in row] + [""] * (width - len(row)) for row in grid if row]


def _parse_html(html: str):
    from lxml import etree

    parser = etree.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(html, parser)
    except ValueError:  # an XML encoding declaration in a str
        return etree.fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", html), parser)


def document_from_html(html: str) -> tuple[Document, str]:
    """Rows of an HTML page (tables as exact grids) and the page's text (tables as tab rows)."""
    from lxml import etree

    try:
        root = _parse_html(html)
    except Exception:  # lxml raises several types on garbage; fall back to the bare text
        root = None
    if root is None:
        bare = _TAG.sub("", html)
        return document_from_text(bare), bare
    for bad in list(root.iter("script", "style", "noscript", "template")):
        bad.clear(keep_tail=True)
    grids: list[list[list[str]]] = []
    # Leaf tables hold the data; tables that contain tables are page layout and read as text.
    for table in [t for t in root.iter("table") if next(t.iterdescendants("table"), None) is None]:
        grids.append(table_grid(table))
        marker = etree.Element("div")
        marker.text = _PLACEHOLDER.format(len(grids) - 1)
        marker.tail = table.tail
        table.getparent().replace(table, marker)
    markup = etree.tostring(root, encoding="unicode", method="html")
    text = _TAG.sub("", _BLOCK_END.sub("\n", markup))
    lines: list[str] = []
    exact_lines: set[int] = set()
    for line in text.replace("\r", "").split("\n"):
        m = _PLACEHOLDER_RE.search(line)
        if m is None:
            if line.strip():
                lines.append(line.strip())
            continue
        for grid_row in grids[int(m.group(1))]:
            exact_lines.add(len(lines))
            lines.append("\t".join(grid_row))
    page_text = "\n".join(lines)
    doc = document_from_text(page_text)
    for i in exact_lines:
        row = doc.rows[i]
        row.cells = row.text.split("\t")
        row.cells = [c.strip() for c in row.cells]
        row.exact = True
    return doc, page_text


# ---------------------------------------------------------------- logical rows

HEADER = "\x00header"
"""Key of the pseudo-rows that report a header cell's payload (e.g. the block of table 二)."""

Classify = Callable[[str], tuple[str, object]]
"""Cell classifier: ('label', key) | ('header', payload) | ('text', None) | ('value', None)."""


@dataclass(slots=True)
class LogicalRow:
    """A labelled row's value cells; `offset`/`width` place them in their physical row (-1: unknown)."""

    key: str
    values: list[str]
    exact: bool = False
    offset: int = -1
    width: int = -1


def value_kind(cell: str) -> bool:
    return cell.startswith(GLUED) or parse_value(cell)[0]


GLUED = "\x01"
"""Prefix of a value cell that was glued to its label with no separator (`规章000`): its digits
still have to be split into columns (`unglue`)."""

_NUMBERED = re.compile(r"^\s*(?:[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+、|\d{1,2}[.、．])")
_SENTENCE = re.compile(r"[，。；,;]|共|达到")  # prose with a number at its end, not a glued row
_GLUED_CELL = re.compile(r"^(?P<label>.*[^\d\s.,])(?P<digits>\d{1,24})$")


def _split_glued(cell: str, classify: Classify) -> list[str] | None:
    """`规章000` -> ['规章', GLUED + '000'] when the part before the digits is a known row label."""
    if not cell or not cell[-1].isdigit() or len(cell) > 60:
        return None
    m = _GLUED_CELL.match(cell.strip())
    if m is None or _SENTENCE.search(m.group("label")):
        return None
    kind, payload = classify(m.group("label"))
    if kind != "label" or str(payload).startswith("extra:"):
        return None
    return [m.group("label"), GLUED + m.group("digits")]


def _splits(digits: str, k: int) -> Iterator[list[str]]:
    """Every way to cut `digits` into k numbers written without leading zeros."""
    if k == 1:
        if digits and (digits == "0" or digits[0] != "0"):
            yield [digits]
        return
    first_max = 1 if digits[:1] == "0" else len(digits) - k + 1
    for i in range(1, first_max + 1):
        for rest in _splits(digits[i:], k - 1):
            yield [digits[:i], *rest]


def unglue(cells: list[str], n: int, score: Callable[[list[str]], int] | None = None) -> tuple[list[str], bool]:
    """Split the glued digits among `cells` into the columns they must fill (`n` minus the other
    values). Only a unique split is kept (with `score`, the unique one whose identity holds);
    otherwise the glued cell's columns are blank and the second item is True (ambiguous)."""
    first = next((j for j, c in enumerate(cells) if c.startswith(GLUED)), None)
    if first is None:
        return cells, False
    # the glued cell and the other values (blank padding dropped: the digits fill those columns)
    trimmed = [c for j, c in enumerate(cells) if j == first or not (c.startswith(GLUED) or _blank(c))]
    at = sum(1 for j in range(first) if not (cells[j].startswith(GLUED) or _blank(cells[j])))
    k = max(1, n - (len(trimmed) - 1))
    digits = cells[first][1:]

    def row_of(parts: list[str]) -> list[str]:
        return trimmed[:at] + parts + trimmed[at + 1 :]

    options: list[list[str]] = []
    if len(digits) <= 24 and k <= 12:
        for parts in _splits(digits, k):
            options.append(parts)
            if len(options) > 5000:
                break
    if len(options) > 1 and score is not None:
        options = [p for p in options if len(row_of(p)) == n and score(row_of(p)) == 2] or options
    if len(options) == 1:
        return row_of(options[0]), False
    return row_of([""] * k), True


def logical_rows(
    doc: Document,
    start: int,
    end: int,
    classify: Classify,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[LogicalRow]:
    """The labelled rows between rows `start` and `end`.

    Multi-cell rows: the values are the cells after the last text cell of the row holding the
    label (or of the next row, when the label row has none); header rows go to `on_header`.
    One cell per line: the values are the value cells that follow the label, up to the next text.
    """
    pending: str | None = None
    pending_blank = False
    current: str | None = None
    values: list[str] = []
    for i in range(start, min(end, len(doc.rows))):
        row = doc.rows[i]
        cells = row.cells
        if not cells:
            continue
        if any(c and c[-1:].isdigit() and not value_kind(c) for c in cells):
            split: list[str] = []
            for c in cells:
                parts = _split_glued(c, classify) if c and c[-1:].isdigit() and not value_kind(c) else None
                split.extend(parts or [c])
            cells = split
        if row.exact or (doc.multi and len(cells) > 1):
            if current is not None:
                if values:
                    yield LogicalRow(current, values)
                else:
                    pending = current
                current, values = None, []
            kinds = [classify(c) if c and c[0] != GLUED else ("value", None) for c in cells]
            headers = [p for k, p in kinds if k == "header"]
            if headers:
                pending = None
                if on_header is not None:
                    on_header(cells)
                for payload in headers:
                    if payload is not None:
                        yield LogicalRow(HEADER, [str(payload)], row.exact)
                continue
            last_text = -1
            key = None
            for j, (kind, payload) in enumerate(kinds):
                if kind in ("label", "text"):
                    last_text = j
                if kind == "label":
                    key = payload
            vals = cells[last_text + 1 :]
            if key is not None:
                # a PDF label wrapped over lines: its values may stand on a later line of the row
                if vals and (row.exact or any(vals)):
                    yield LogicalRow(key, vals, row.exact, last_text + 1, len(cells))
                    pending = None
                else:
                    pending, pending_blank = key, bool(vals)
            elif pending is not None and any(c and value_kind(c) for c in vals):
                # after a row of blank cells, a numbered row the classifier missed (a typo in its
                # label) is a row of its own, not the rest of a wrapped label
                if not (pending_blank and any(_NUMBERED.match(c) for c in cells[: last_text + 1] if c)):
                    yield LogicalRow(pending, vals, row.exact, last_text + 1, len(cells))
                pending = None
            continue
        for cell in cells:
            kind, payload = classify(cell) if cell and cell[0] != GLUED else ("value", None)
            if kind == "label":
                if current is not None and values:
                    yield LogicalRow(current, values)
                current, values = payload, []  # type: ignore[assignment]
            elif kind == "value":
                if current is not None:
                    values.append(cell)
            elif kind == "header":
                if current is not None and values:
                    yield LogicalRow(current, values)
                current, values = None, []
                if payload is not None:
                    yield LogicalRow(HEADER, [str(payload)])
            elif current is not None and values:
                yield LogicalRow(current, values)
                current, values = None, []
    if current is not None and values:
        yield LogicalRow(current, values)


def identity_score(parts: list[str], total: str) -> int:
    """+2 when `total` equals the sum of `parts` (blank parts count 0), -2 when it does not, 0 when
    the total is blank. A row of several zeros that sums to a zero total proves nothing (0)."""
    total_value = parse_value(total)[1]
    if total_value is None:
        return 0
    values = [parse_value(c)[1] for c in parts]
    if abs(sum(v or 0 for v in values) - total_value) >= 1e-6:
        return -2
    if total_value == 0 and any(v is not None for v in values) and not any(values):
        return 0
    return 2


def _blank(cell: str) -> bool:
    ok, value, _ = parse_value(cell)
    return ok and value is None


def fit(
    cells: list[str],
    n: int,
    score: Callable[[list[str]], int] | None = None,
    hint: int | None = None,
    max_shift: int = 2,
    tail_total: bool = False,
) -> list[str]:
    """Fit a row's value cells to the `n` columns of the template.

    Only blank cells are ever dropped. By default surplus blanks (merged-cell padding) go from the
    end first, then from the start, and too few cells are padded at the end. With a `score` (an
    identity such as total = sum of parts: +2 holds, -2 fails, 0 not evaluable), every window that
    drops only blanks competes; `hint` (the window the table's header columns point at) earns +1.
    Windows shifted past the row's own cells must make the identity hold. With `tail_total`, a
    short row whose last value is the sum of the others puts that value in the last column.
    """
    length = len(cells)
    if length == n and not _blank(cells[0]) and not _blank(cells[-1]):
        return cells
    blank = [_blank(c) for c in cells]
    if length <= n:
        preferred = 0
    else:
        k = length
        while k > n and blank[k - 1]:
            k -= 1
        s = 0
        while k - s > n and blank[s]:
            s += 1
        preferred = s

    def window(o: int) -> list[str]:
        return [cells[i] if 0 <= i < length else "" for i in range(o, o + n)]

    if score is None:
        return window(preferred)
    if tail_total and 2 <= length < n and not blank[-1]:
        # Cells lost rather than blank (one value per paragraph): when the last value is the
        # total of the others, it belongs in the total column.
        tail = cells[:-1] + [""] * (n - length) + [cells[-1]]
        if score(tail) == 2 and parse_value(cells[-1])[1]:
            return tail
    base_hi = max(0, length - n)
    best, best_key = preferred, None
    for o in range(-max_shift, base_hi + max_shift + 1):
        if not all(blank[i] for i in range(0, min(max(o, 0), length))):
            continue
        if not all(blank[i] for i in range(max(o + n, 0), length)):
            continue
        value = score(window(o))
        if (o < 0 or o > base_hi) and value < 2:
            continue
        if o == hint:
            value += 1
        key = (value, o == preferred, -abs(o - preferred))
        if best_key is None or key > best_key:
            best, best_key = o, key
    return window(best)
