"""OCR of page images, keeping tables: RapidOCR (PP-OCR models on ONNX Runtime) or Tesseract (chi_sim).

The engine is chosen per process by `NIANBAO_OCR_ENGINE` (auto, rapidocr, tesseract; `ocr_engine`):
auto reads with RapidOCR and falls back to Tesseract when RapidOCR (or its bundled models) is not
installed; a named engine that is not installed falls back to the other one. Both engines share the
table finder: ruling lines are found in the image and every cell is a white region between them.

RapidOCR reads the whole page in one call; its text boxes are put into the table cells (box centre),
the rest grouped into lines (`ocr_boxes`). Inked cells where it found no box are read by recognition
alone. Per page the mean and the lowest box score are reported (0..100).

Tesseract: ruling lines are found in the image. Inside a ruled table every cell (a connected white region
between the rules, so merged cells come out whole) is cropped, and all non-empty cells are stacked
into one tall image that Tesseract reads in a single call; each recognised line is mapped back to its
cell, and the table is written as rows of tab-separated cells on its full column grid (a merged cell's
text in its first slot). Text outside tables is read with the tables blanked out. Words' mean
confidence is reported.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import numpy as np

from pipelines.limits import limits
from pipelines.text import ocr_boxes
from pipelines.text.layout import HRule, Rule, Table, tables_from_rules
from pipelines.text.ocr_boxes import CJK_TEXT
from pipelines.text.rapid import TextBox

_OCR_SPACE = re.compile(rf"(?<=[{CJK_TEXT}]) +| +(?=[{CJK_TEXT}])")
_NUMERIC_CELL = re.compile(r"^[+\-−]?[0-9OoIl|.,，]+$")
CELL_GAP = 32
CELL_PAD = 12
Box = tuple[int, int, int, int]  # a table cell's (top, left, bottom, right) in image pixels


def tidy_ocr_line(line: str) -> str:
    """Tesseract puts spaces between Chinese characters and around punctuation; Chinese text has none."""
    return "\t".join(_OCR_SPACE.sub("", cell).strip() for cell in line.split("\t"))


_DASHES = re.compile(r"[—–\-一_－~～]{2,4}")
_LOST_DOT = re.compile(r"^([1-9])(?=[\u4e00-\u9fff])(?![年月日个件条项人次万元])")


def _tidy_cell(text: str) -> str:
    text = tidy_ocr_line(text.replace("\t", " "))
    text = _LOST_DOT.sub(r"\1.", text)  # the small dot of "2." list numbers is often lost
    if _DASHES.fullmatch(text):
        text = "——"  # the "no value" dash, read as 一一, --, —— ...
    if _NUMERIC_CELL.match(text) and any(c.isdigit() for c in text) or text in ("O", "o", "〇", "。", "○"):
        text = text.translate(str.maketrans({"O": "0", "o": "0", "〇": "0", "。": "0", "○": "0", "I": "1", "l": "1", "|": "1", "，": ","}))
    return text


logger = logging.getLogger(__name__)
OCR_ENGINE_ENV = "NIANBAO_OCR_ENGINE"
OCR_ENGINES = ("auto", "rapidocr", "tesseract")


@dataclass
class OcrResult:
    lines: list[str]
    confidence: float  # mean word (Tesseract) or text-box (RapidOCR) confidence, 0..100
    words: int
    rotation: int = 0  # degrees clockwise the image was turned to read it upright
    min_confidence: float = 0.0  # the lowest word or box confidence, 0..100
    engine: str = "tesseract"
    sideways: float = 0.0  # share of multi-character text boxes standing upright (text running down)


def wanted_engine() -> str:
    """The engine asked for (`NIANBAO_OCR_ENGINE`, pipelines.limits), "auto" when unset or unknown."""
    value = (limits().ocr_engine or "auto").strip().lower()
    if value not in OCR_ENGINES:
        logger.warning("%s=%r is not one of %s; using auto", OCR_ENGINE_ENV, value, "|".join(OCR_ENGINES))
        return "auto"
    return value


def ocr_engine() -> str | None:
    """The engine this process reads scans with: the one asked for when it is installed, else the other
    one (auto: RapidOCR first); None when neither is."""
    wanted = wanted_engine()
    order = ("tesseract", "rapidocr") if wanted == "tesseract" else ("rapidocr", "tesseract")
    for engine in order:
        if _available(engine):
            if engine != order[0] or (wanted != "auto" and engine != wanted):
                _warn_fallback(wanted, engine)
            return engine
    return None


@cache
def _warn_fallback(wanted: str, engine: str) -> None:
    logger.warning("OCR engine %s is not installed; scans are read with %s", wanted if wanted != "auto" else "rapidocr",
                   engine)


def _available(engine: str) -> bool:
    if engine == "rapidocr":
        from pipelines.text.rapid import rapidocr_available

        return rapidocr_available()
    return tesseract_available()


def missing_engine_message() -> str:
    return ("no OCR engine is installed (RapidOCR: pip install rapidocr; Tesseract: apt-get install "
            "tesseract-ocr tesseract-ocr-chi-sim)")


@cache
def tesseract_available(lang: str = "chi_sim") -> bool:
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        return lang in pytesseract.get_languages(config="")
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


def _runs(mask_1d: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """[start, end) runs of True at least `min_len` long."""
    padded = np.concatenate(([False], mask_1d, [False]))
    diff = np.diff(padded.astype(np.int8))
    starts = np.flatnonzero(diff == 1)
    ends = np.flatnonzero(diff == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= min_len]


def find_rules(dark: np.ndarray, min_len: int) -> tuple[list[Rule], list[HRule], np.ndarray]:
    """Vertical and horizontal ruling lines (merged over their thickness) and the mask of their pixels."""
    mask = np.zeros_like(dark)
    rules: list[Rule] = []
    hrules: list[HRule] = []
    for x in np.flatnonzero(dark.sum(axis=0) >= min_len):
        for s, e in _runs(dark[:, x], min_len):
            mask[s:e, x] = True
            if rules and x - rules[-1].x <= 4 and abs(rules[-1].top - s) <= 4:
                continue
            rules.append(Rule(float(x), float(s), float(e)))
    # A horizontal rule runs from one vertical rule to another (a dash "——" inside a cell does not).
    for y in np.flatnonzero(dark.sum(axis=1) >= min_len):
        for s, e in _runs(dark[y, :], min_len):
            touching = sum(1 for r in rules if s - 6 <= r.x <= e + 6 and r.top - 6 <= y <= r.bottom + 6)
            if rules and touching < 2:
                continue
            mask[y, s:e] = True
            if any(abs(h.y - y) <= 4 and abs(h.x0 - s) <= 4 for h in hrules[-8:]):
                continue
            hrules.append(HRule(float(y), float(s), float(e)))
    return rules, hrules, mask


def _darken(crop: np.ndarray, gamma: float = 2.5) -> np.ndarray:
    """Gamma-darken a grey crop so thin light strokes (a "1", a minus sign) survive binarisation."""
    return (np.power(crop.astype(np.float32) / 255.0, gamma) * 255.0).astype(np.uint8)


def _grow(mask: np.ndarray, n: int = 1) -> np.ndarray:
    out = mask.copy()
    for _ in range(n):
        g = out.copy()
        g[:, 1:] |= out[:, :-1]
        g[:, :-1] |= out[:, 1:]
        g[1:, :] |= out[:-1, :]
        g[:-1, :] |= out[1:, :]
        out = g
    return out


def _tesseract(image, lang: str, psm: int, extra: str = "") -> dict:
    import pytesseract

    return pytesseract.image_to_data(image, lang=lang, config=f"--psm {psm} {extra}".strip(),
                                     output_type=pytesseract.Output.DICT)


def _line_strips(crop: np.ndarray) -> list[np.ndarray]:
    """The text lines of a cell crop, split at blank pixel rows."""
    inked = (crop < 200).any(axis=1)
    runs = _runs(inked, 1)
    merged: list[list[int]] = []
    for s, e in runs:
        if merged and s - merged[-1][1] < 4:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    strips = [crop[max(0, s - 2): e + 2] for s, e in merged if e - s >= 4]
    return strips or [crop]


class _TesseractWord(NamedTuple):
    """One word of Tesseract's `image_to_data` output, its box in the image read."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..100, -1 when Tesseract gives none
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line) numbers


class _CropWord(NamedTuple):
    """One word read from one of several crops read together (`_read_rows`, `_read_stack`)."""

    crop: int  # the crop's position in the list read
    text: str
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line) numbers
    left: int
    confidence: float


def _read_rows(crops: list[np.ndarray], lang: str, psm: int, extra: str = "",
               per_row: int = 10) -> Iterator[_CropWord]:
    """Lay short one-line crops side by side, `per_row` to a line with wide gaps, so that Tesseract
    reads them as lines of text (a lone character is read far better in a line than alone)."""
    import bisect

    from PIL import Image

    h = max(c.shape[0] for c in crops)
    gap = 2 * h
    rows = [list(range(i, min(i + per_row, len(crops)))) for i in range(0, len(crops), per_row)]
    width = max(sum(crops[i].shape[1] + gap for i in row) for row in rows) + gap
    canvas = np.full((len(rows) * (h + gap) + gap, width), 255, dtype=np.uint8)
    starts: list[list[int]] = []
    for r, row in enumerate(rows):
        y = gap + r * (h + gap)
        x = gap
        xs = []
        for i in row:
            c = crops[i]
            top = y + (h - c.shape[0]) // 2
            canvas[top: top + c.shape[0], x: x + c.shape[1]] = c
            xs.append(x)
            x += c.shape[1] + gap
        starts.append(xs)
    for word in _words(_tesseract(Image.fromarray(canvas), lang, psm, extra)):
        r = min(len(rows) - 1, max(0, int((word.top + word.height / 2 - gap / 2) // (h + gap))))
        j = max(0, bisect.bisect_right(starts[r], word.left + word.width / 2) - 1)
        yield _CropWord(rows[r][j], word.text, word.line, word.left, word.confidence)


def _read_stack(crops: list[np.ndarray], lang: str, psm: int, extra: str = "") -> Iterator[_CropWord]:
    """Stack crops vertically with wide gaps and read them in one Tesseract call."""
    import bisect

    from PIL import Image

    width = max(c.shape[1] for c in crops) + 2 * CELL_PAD
    height = sum(c.shape[0] + CELL_GAP for c in crops) + CELL_GAP
    canvas = np.full((height, width), 255, dtype=np.uint8)
    starts = []
    y = CELL_GAP
    for crop in crops:
        canvas[y: y + crop.shape[0], CELL_PAD: CELL_PAD + crop.shape[1]] = crop
        starts.append(y)
        y += crop.shape[0] + CELL_GAP
    for word in _words(_tesseract(Image.fromarray(canvas), lang, psm, extra)):
        i = max(0, bisect.bisect_right(starts, word.top + word.height / 2 + CELL_GAP / 2) - 1)
        yield _CropWord(i, word.text, word.line, word.left, word.confidence)


def _words(data: dict) -> Iterator[_TesseractWord]:
    """The non-empty words of Tesseract's `image_to_data` output, in its order."""
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            conf = -1.0
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        yield _TesseractWord(text, data["left"][i], data["top"][i], data["width"][i], data["height"][i], conf, key)


def _table_cells(table: Table, lines_mask: np.ndarray) -> list[Box]:
    """Cells of a ruled table as (top, left, bottom, right) boxes: white regions between rules."""
    from scipy import ndimage

    x0, x1 = int(table.xs[0]), int(table.xs[-1])
    y0, y1 = int(table.top), int(table.bottom)
    region = ~_grow(lines_mask[y0:y1 + 1, x0:x1 + 1], 1)
    # closed at the table's edges: where a scan lost the bottom rule (or the page cut the table),
    # the last row's cells must not run into one another below it
    region[0, :] = region[-1, :] = False
    region[:, 0] = region[:, -1] = False
    labels, n = ndimage.label(region)
    boxes = ndimage.find_objects(labels)
    cells = []
    for sl in boxes:
        if sl is None:
            continue
        top, bottom = sl[0].start + y0, sl[0].stop + y0
        left, right = sl[1].start + x0, sl[1].stop + x0
        if bottom - top < 6 or right - left < 6:
            continue
        cells.append((top, left, bottom, right))
    return cells


_NUMBER = re.compile(r"[+\-]?\d+(?:\.\d+)?%?")
_LONE_SYMBOL = re.compile(r"[^\w\u3400-\u9fff—\-]")  # one character that is no digit, letter, CJK or dash
_DIGITS_ONLY = "-c tessedit_char_whitelist=0123456789.-+%"


_CN_NUMBERED = re.compile(r"^([一二三四五六七八九十]{1,3})、")
_CN_BARE = re.compile(r"^([一二三四五六七八九十]{1,3})(?=[\u4e00-\u9fff]{4})(?![是般次年月日些个项件条分])")


_CN_DIGITS = "一二三四五六七八九十"


def _restore_numbering(grid: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """Put back the small 、 of "八、" that OCR drops, when other label cells of the same column of the
    same table are numbered that way; and a numeral lost before its 、 (the flat stroke of 一 is often
    not seen), as the one before the next numbered cell of the column."""
    numbered_cols = {c for (_r, c), text in grid.items() if _CN_NUMBERED.match(text)}
    out = dict(grid)
    for (r, c), text in grid.items():
        if c in numbered_cols and not _CN_NUMBERED.match(text) and _CN_BARE.match(text):
            out[(r, c)] = _CN_BARE.sub(r"\1、", text, count=1)
    for (r, c), text in grid.items():
        if c not in numbered_cols or not re.match(r"^、[\u4e00-\u9fff]", text):
            continue
        below = sorted((rr, m.group(1)) for (rr, cc), t in out.items()
                       if cc == c and rr > r and (m := _CN_NUMBERED.match(t)))
        if below and len(below[0][1]) == 1 and below[0][1] in _CN_DIGITS[1:]:
            out[(r, c)] = _CN_DIGITS[_CN_DIGITS.index(below[0][1]) - 1] + text
    return out


def _leading_minus(crop: np.ndarray) -> bool:
    """Whether the crop starts with a separate flat bar at mid-height (a minus sign)."""
    ink = crop < 160
    cols = np.flatnonzero(ink.any(axis=0))
    if cols.size < 4:
        return False
    runs = _runs(ink.any(axis=0), 1)
    if len(runs) < 2:
        return False
    s, e = runs[0]
    rows = np.flatnonzero(ink[:, s:e].any(axis=1))
    h = crop.shape[0]
    bar_h = rows[-1] - rows[0] + 1
    mid = (rows[0] + rows[-1]) / 2
    return bar_h <= 0.25 * h and (e - s) >= 1.5 * bar_h and 0.25 * h <= mid <= 0.75 * h


GRID_TOLERANCE = 6  # pixels: cell edges closer than this are on one grid line


def _edges(values: list[int]) -> list[int]:
    out: list[int] = []
    for v in sorted(values):
        if not out or v - out[-1] > GRID_TOLERANCE:
            out.append(v)
    return out


@dataclass
class _Grid:
    """A table's full grid: the distinct top edges (rows) and left edges (columns) of its cells. Taken
    from the cells rather than from the rules that cross the whole table, as a row rule often starts
    right of a merged label column, and a scan's thin rules come out broken."""

    ys: list[int]
    xs: list[int]

    @classmethod
    def of(cls, cells: list[Box]) -> _Grid:
        return cls(_edges([c[0] for c in cells]), _edges([c[1] for c in cells]))

    def slot(self, box: Box) -> tuple[int, int]:
        """Row and column of a cell box (a merged cell: its first slot)."""
        top, left, _bottom, _right = box
        ri = max((k for k, y in enumerate(self.ys) if y <= top + GRID_TOLERANCE), default=0)
        ci = max((k for k, x in enumerate(self.xs) if x <= left + GRID_TOLERANCE), default=0)
        return ri, ci


@dataclass
class _RuledTable:
    """A ruled table of the page: its cells (white regions between the rules), their grid, and the
    text read so far for each slot (row, column) of the grid."""

    table: Table
    cells: list[Box]
    grid: _Grid
    slots: dict[tuple[int, int], str] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Table, lines_mask: np.ndarray) -> _RuledTable:
        cells = _table_cells(table, lines_mask)
        return cls(table, cells, _Grid.of(cells))

    def rows(self) -> list[tuple[float, str]]:
        """(y, row) for every non-empty row: tab-separated cells on the full column grid."""
        slots = _restore_numbering(self.slots)
        placed = []
        for ri, y in enumerate(self.grid.ys):
            row = [slots.get((ri, ci), "") for ci in range(len(self.grid.xs))]
            if any(row):
                placed.append((float(y), "\t".join(row)))
        return placed


@dataclass
class _Cell:
    """One cell of a ruled table."""

    table: _RuledTable
    box: Box

    @property
    def slot(self) -> tuple[int, int]:
        return self.table.grid.slot(self.box)


@dataclass
class _InkedCell(_Cell):
    """A table cell holding ink, and its image: trimmed to its ink, darkened, rules blanked."""

    crop: np.ndarray


def _page_tables(gray: np.ndarray) -> tuple[list[_RuledTable], np.ndarray]:
    """The ruled tables of a grey page image (with their cells) and the mask of its ruling lines."""
    dark = gray < 150
    h, w = dark.shape
    min_len = max(30, int(min(h, w) * 0.03))
    rules, hrules, lines_mask = find_rules(dark, min_len)
    tables = [t for t in tables_from_rules(rules, hrules, merge=4.0) if len(t.ys) >= 2]
    return [_RuledTable.of(t, lines_mask) for t in tables], lines_mask


def _inked_cells(gray: np.ndarray, tables: list[_RuledTable], lines_mask: np.ndarray) -> list[_InkedCell]:
    """Every cell of the tables that holds ink, in table and cell order."""
    ink = (gray < 200) & ~_grow(lines_mask, 2)  # light strokes (thin dashes) count as ink
    grown = _grow(lines_mask, 2)
    inked: list[_InkedCell] = []
    for table in tables:
        for box in table.cells:
            top, left, bottom, right = box
            cell_ink = ink[top:bottom, left:right]
            if cell_ink.sum() < 8:
                continue
            ys = np.flatnonzero(cell_ink.any(axis=1))
            xs = np.flatnonzero(cell_ink.any(axis=0))
            crop = gray[top + ys[0]: top + ys[-1] + 1, left + xs[0]: left + xs[-1] + 1].copy()
            crop[grown[top + ys[0]: top + ys[-1] + 1, left + xs[0]: left + xs[-1] + 1]] = 255
            inked.append(_InkedCell(table, box, _darken(crop)))
    return inked


def _typical_height(cells: list[_InkedCell]) -> float:
    """The median height of the inked cells' crops (taller than 8 pixels): one line of text."""
    heights = [c.crop.shape[0] for c in cells if c.crop.shape[0] > 8]
    return float(np.median(heights)) if heights else 30.0


def _bare_dash(crop: np.ndarray, typical: float) -> str | None:
    """A cell holding only a flat bar: the "no value" dash, which OCR engines do not read."""
    if crop.shape[0] <= 0.35 * typical and crop.shape[1] >= 2 * crop.shape[0]:
        return "——" if crop.shape[1] >= 1.4 * typical else "—"
    return None


def _page_lines(tables: list[_RuledTable], outside: list[tuple[float, str]]) -> list[str]:
    """The page's lines top to bottom: every table's rows and the lines outside the tables."""
    placed = [row for table in tables for row in table.rows()] + outside
    placed.sort(key=lambda p: p[0])
    return [line for _y, line in placed]


def _confidence_figures(confidences: list[float]) -> tuple[float, float]:
    """The page's mean and lowest confidence (2 decimals); 0 for a page where nothing was read."""
    if not confidences:
        return 0.0, 0.0
    return round(sum(confidences) / len(confidences), 2), round(min(confidences), 2)


# ------------------------------------------------------------------------------------------ Tesseract


@dataclass(frozen=True, order=True)
class _CellWord:
    """One word read in a table cell, ordered as the cell's text runs: by the cell's text line (strip),
    Tesseract's line within it, and x."""

    strip: int  # the cell's text line (`_line_strips`) the word was read from
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line) numbers
    left: int
    text: str
    confidence: float = -1.0

    @classmethod
    def whole(cls, text: str) -> _CellWord:
        """The whole cell's text, decided without a reading of its own (a dash, a voted number)."""
        return cls(0, (0, 0, 0), 0, text)


@dataclass
class _Strip:
    """One text line of an inked cell's crop, to be read by Tesseract."""

    cell: int  # the inked cell's position in the page's list
    line: int  # the line's number within its cell
    image: np.ndarray


@dataclass
class _Tally:
    """The words a page's reading has counted and the confidences of those that have one, in reading order."""

    words: int = 0
    confidences: list[float] = field(default_factory=list)

    def count(self, confidence: float) -> None:
        self.words += 1
        if confidence >= 0:
            self.confidences.append(confidence)


def ocr_image(image, lang: str = "chi_sim") -> OcrResult:
    """Recognise one page image (PIL) with Tesseract into text lines, table rows as tab-separated cells."""
    gray = np.asarray(image.convert("L"))
    tables, lines_mask = _page_tables(gray)
    tally = _Tally()
    cells = _inked_cells(gray, tables, lines_mask)
    for cell, words in zip(cells, _read_cells(cells, lang, tally), strict=True):
        cell.table.slots[cell.slot] = _cell_text(words)
    outside = _read_outside_tables(gray, tables, lines_mask, lang, tally)
    mean, lowest = _confidence_figures(tally.confidences)
    return OcrResult(_page_lines(tables, outside), mean, tally.words, min_confidence=lowest)


def _read_cells(cells: list[_InkedCell], lang: str, tally: _Tally) -> list[list[_CellWord]]:
    """The words of every inked cell, in as few Tesseract calls as possible: each cell's crop cut into
    its text lines (`_read_strips`), short cells voted on as numbers (`_vote_numbers`); a bare dash
    is not read. Every word read is counted in `tally`."""
    words: list[list[_CellWord]] = [[] for _ in cells]
    typical = _typical_height(cells)
    strips: list[_Strip] = []
    for i, cell in enumerate(cells):
        dash = _bare_dash(cell.crop, typical)
        if dash:
            words[i] = [_CellWord.whole(dash)]
            continue
        strips += [_Strip(i, n, image) for n, image in enumerate(_line_strips(cell.crop))]
    if not strips:
        return words
    line_h = float(np.median([st.image.shape[0] for st in strips]))
    for w in _read_strips(strips, line_h, lang):
        st = strips[w.crop]
        words[st.cell].append(_CellWord(st.line, w.line, w.left, w.text, w.confidence))
        tally.count(w.confidence)
    read = {st.cell for st in strips}
    short = [i for i, cell in enumerate(cells)
             if i in read and cell.crop.shape[0] <= 1.5 * line_h and cell.crop.shape[1] <= 6 * cell.crop.shape[0]]
    if short:
        _vote_numbers(short, [cells[i].crop for i in short], words)
    return words


def _read_strips(strips: list[_Strip], line_h: float, lang: str) -> list[_CropWord]:
    """Every strip's words (`crop`: the strip's position): the strips of multi-line or wide cells
    stacked and read in one call; one-line cells of a few characters (units, numbers) read side by
    side in lines and stacked, keeping per strip the surer reading."""
    lines_in_cell: dict[int, int] = {}
    for st in strips:
        lines_in_cell[st.cell] = lines_in_cell.get(st.cell, 0) + 1
    small = [k for k, st in enumerate(strips) if lines_in_cell[st.cell] == 1 and st.image.shape[1] <= 4 * line_h]
    small_set = set(small)
    large = [k for k in range(len(strips)) if k not in small_set]
    readings: list[_CropWord] = []
    if large:
        readings += [w._replace(crop=large[w.crop]) for w in _read_stack([strips[k].image for k in large], lang, 6)]
    if small:
        crops = [strips[k].image for k in small]
        passes = [list(_read_rows(crops, lang, 6)), list(_read_stack(crops, lang, 6))]
        readings += _best_per_crop(passes, len(crops), small)
    return readings


def _cell_text(words: list[_CellWord]) -> str:
    """A cell's words as its text: words of one line joined by spaces, lines joined without a break
    when every line holds Chinese (a wrapped label), else by a space; tidied (`_tidy_cell`)."""
    lines: list[str] = []
    last = None
    for word in sorted(words):
        if (word.strip, word.line) != last:
            lines.append("")
            last = (word.strip, word.line)
        lines[-1] += (" " if lines[-1] else "") + word.text
    return _tidy_cell(ocr_boxes.join_cell_lines(lines))


def _best_per_crop(passes: list[list[_CropWord]], n: int, index: list[int]) -> list[_CropWord]:
    """From several readings of the same crops, each crop's words from the pass whose words are
    surest (mean confidence); `index` maps crop positions to strip numbers."""
    grouped = []
    for words_ in passes:
        g: dict[int, list[_CropWord]] = {}
        for w in words_:
            g.setdefault(w.crop, []).append(w)
        grouped.append(g)
    out: list[_CropWord] = []
    for j in range(n):
        options = [g[j] for g in grouped if j in g]
        if options:
            best = max(options, key=lambda ws: sum(w.confidence for w in ws) / len(ws))
            out += [w._replace(crop=index[j]) for w in best]
    return out


def _vote_numbers(indexes: list[int], crops: list[np.ndarray], words: list[list[_CellWord]]) -> None:
    """Short one-line cells are mostly numbers, which chi_sim alone misreads (-1 as 本, 305 as 35).
    Read them twice more with the Latin model restricted to number characters (side by side and
    stacked) and keep the reading most passes agree on (ties: the surest); `words[i]` of cell
    `indexes[k]` (whose crop is `crops[k]`) is replaced by the winner."""
    readings: dict[int, list[tuple[str, float]]] = {}
    for reader in (_read_rows, _read_stack):
        got: dict[int, list[tuple[str, float]]] = {}
        for w in reader(crops, "eng", 6, _DIGITS_ONLY):
            got.setdefault(indexes[w.crop], []).append((w.text, w.confidence))
        for i, parts in got.items():
            readings.setdefault(i, []).append(("".join(t for t, _c in parts), min(c for _t, c in parts)))
    for i, numeric in readings.items():
        chi = "".join(w.text for w in sorted(words[i]))
        chi_conf = min((w.confidence for w in words[i]), default=0.0)
        votes = [(t, c) for t, c in numeric if _NUMBER.fullmatch(t) and c >= 50]
        if not votes:
            continue
        if not _NUMBER.fullmatch(chi) and chi_conf >= 90 and all(c <= chi_conf for _t, c in votes):
            continue  # a sure non-numeric reading (a word, a unit) stays
        candidates = votes + ([(chi, chi_conf)] if _NUMBER.fullmatch(chi) else [])
        tally: dict[str, tuple[int, float]] = {}
        for text, conf in candidates:
            n, best = tally.get(text, (0, 0.0))
            tally[text] = (n + 1, max(best, conf))
        winner = max(tally.items(), key=lambda kv: kv[1])[0]
        if winner[0].isdigit() and _leading_minus(crops[indexes.index(i)]):
            winner = "-" + winner  # a minus sign is a short light bar that every model tends to drop
        if winner != chi:
            words[i] = [_CellWord.whole(winner)]


def _read_outside_tables(gray: np.ndarray, tables: list[_RuledTable], lines_mask: np.ndarray, lang: str,
                         tally: _Tally) -> list[tuple[float, str]]:
    """(y, line) for the text outside the tables, read with the tables and ruling lines blanked out;
    words far apart on a line (more than twice its height) are tab-separated cells."""
    from PIL import Image

    rest = gray.copy()
    for ruled in tables:
        table = ruled.table
        rest[int(table.top): int(table.bottom) + 1, int(table.xs[0]): int(table.xs[-1]) + 1] = 255
    rest[_grow(lines_mask, 2)] = 255
    if (rest < 150).sum() <= 20:
        return []
    line_words: dict[tuple, list[_TesseractWord]] = {}
    for word in _words(_tesseract(Image.fromarray(rest), lang, 6 if not tables else 4)):
        line_words.setdefault(word.line, []).append(word)
        tally.count(word.confidence)
    placed = []
    for ws in line_words.values():
        ws.sort(key=lambda w: (w.left, w.top, w.width, w.height, w.text))
        height = float(np.median([w.height for w in ws]))
        parts: list[str] = []
        for k, word in enumerate(ws):
            if k:
                gap = word.left - (ws[k - 1].left + ws[k - 1].width)
                parts.append("\t" if gap > 2.0 * height else " ")
            parts.append(word.text)
        text = tidy_ocr_line("".join(parts))
        if text.strip():
            placed.append((min(w.top for w in ws), text))
    return placed


# An upright scan reads at 80-95 (Tesseract) or 95-99.9 (RapidOCR); a sideways or upside-down one at
# about 20 (Tesseract) or 75-82 (RapidOCR 3.x still reads the digits, which look alike turned).
UPRIGHT_CONFIDENCE = {"tesseract": 50.0, "rapidocr": 90.0}
SIDEWAYS_SHARE = 0.5  # more text boxes than this standing upright: the page lies on its side
OSD_MAX_DPI = 300  # orientation detection is unreliable below ~200 DPI, and slow above 300
OSD_MIN_CONFIDENCE = 2.0


def detect_rotation(image, dpi: float) -> int:
    """Degrees clockwise that turn a page image upright, by Tesseract's orientation detection
    (osd.traineddata); 0 when it cannot tell (too little text, low confidence, no OSD data)."""
    import pytesseract

    scale = min(1.0, OSD_MAX_DPI / dpi)
    gray = image.convert("L")
    if scale < 1.0:
        gray = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    try:
        osd = pytesseract.image_to_osd(gray, config=f"--psm 0 --dpi {int(dpi * scale)}",
                                       output_type=pytesseract.Output.DICT)
    except Exception:  # noqa: BLE001 - "too few characters" and the like: keep the page as it is
        return 0
    if float(osd.get("orientation_conf", 0.0)) < OSD_MIN_CONFIDENCE:
        return 0
    return int(osd.get("rotate", 0)) % 360


def ocr_image_rapidocr(image) -> OcrResult:
    """Recognise one page image (PIL) with RapidOCR into text lines, table rows as tab-separated cells
    on the table's full column grid (a merged cell's text in its first slot)."""
    from pipelines.text.rapid import read_boxes

    gray = np.asarray(image.convert("L"))
    tables, lines_mask = _page_tables(gray)
    inked = _inked_cells(gray, tables, lines_mask)
    typical = _typical_height(inked)
    for cell in inked:  # the "no value" dash: a flat bar, which OCR reads as 一 or not at all
        dash = _bare_dash(cell.crop, typical)
        if dash:
            cell.table.slots[cell.slot] = dash
    # The page without its ruling lines: a rule beside a number is read as a digit, or hides one.
    clean = gray.copy()
    clean[_grow(lines_mask, 1)] = 255
    boxes = read_boxes(clean)
    confs = [b.confidence for b in boxes]
    cells = [_Cell(table, box) for table in tables for box in table.cells]
    in_cell, outside, recut = _boxes_by_cell(boxes, [c.box for c in cells])
    _read_recut(clean, recut, in_cell, confs)
    for i, members in in_cell.items():
        cell = cells[i]
        if cell.slot not in cell.table.slots:
            cell.table.slots[cell.slot] = _tidy_cell(ocr_boxes.cell_text(members))
    unread = _read_unread_cells(inked, confs)
    multi = [b for b in boxes if len(b.text) >= 2]
    sideways = sum(1 for b in multi if b.height > 1.5 * b.width) / len(multi) if multi else 0.0
    mean, lowest = _confidence_figures(confs)
    return OcrResult(_page_lines(tables, ocr_boxes.text_lines(outside)), mean, len(boxes) + unread,
                     min_confidence=lowest, engine="rapidocr", sideways=round(sideways, 3))


def _boxes_by_cell(boxes: list[TextBox], cells: list[Box]
                   ) -> tuple[dict[int, list[TextBox]], list[TextBox], list[tuple[int, TextBox]]]:
    """RapidOCR's text boxes put into the table cells (by index): (the boxes of each cell, the boxes
    outside the tables, the pieces of boxes over several cells to be read again). A box over several
    cells of a row is cut at the cells: by its words when it holds one word a cell, else by geometry
    (the pieces are read again, `_read_recut`)."""
    in_cell: dict[int, list[TextBox]] = {}
    outside: list[TextBox] = []
    recut: list[tuple[int, TextBox]] = []
    for box in boxes:
        crossed = ocr_boxes.cells_crossed(box, cells) if cells else []
        if len(crossed) > 1:
            parts = ocr_boxes.split_by_words(box, cells, crossed)
            if parts:
                for i, part in zip(crossed, parts, strict=True):
                    in_cell.setdefault(i, []).append(part)
            else:
                recut += [(i, TextBox(max(box.x0, cells[i][1]), box.y0, min(box.x1, cells[i][3]),
                                      box.y1, "", box.confidence)) for i in crossed]
            continue
        i = crossed[0] if crossed else (ocr_boxes.cell_of(box, cells) if cells else None)
        if i is None:
            outside.append(box)
        else:
            in_cell.setdefault(i, []).append(box)
    return in_cell, outside, recut


def _read_recut(clean: np.ndarray, recut: list[tuple[int, TextBox]], in_cell: dict[int, list[TextBox]],
                confs: list[float]) -> None:
    """Read the pieces of cut boxes by recognition alone and add those that read to their cells."""
    from pipelines.text.rapid import read_crops

    crops = [clean[int(b.y0): int(b.y1) + 1, int(b.x0): int(b.x1) + 1] for _i, b in recut]
    for (i, b), (text, conf) in zip(recut, read_crops(crops), strict=True):
        if text:
            in_cell.setdefault(i, []).append(TextBox(b.x0, b.y0, b.x1, b.y1, text, conf))
            confs.append(conf)


def _read_unread_cells(inked: list[_InkedCell], confs: list[float]) -> int:
    """Inked cells without a box (a lone small character that detection missed), or read as a lone
    symbol (a 7 as >): read again by recognition alone, on the cell's own ink. Returns how many."""
    from pipelines.text.rapid import read_crops

    unread = []
    for cell in inked:
        text = cell.table.slots.get(cell.slot)
        if (text is None or _LONE_SYMBOL.fullmatch(text)) and cell.crop.shape[0] >= 6 and cell.crop.shape[1] >= 3:
            unread.append((cell, cell.slot))
    for (cell, slot), (text, conf) in zip(unread, read_crops([c.crop for c, _s in unread]), strict=True):
        slots = cell.table.slots
        if text and (slot not in slots or _NUMBER.fullmatch(_tidy_cell(text))):
            slots[slot] = _tidy_cell(text)
            confs.append(conf)
    return len(unread)


def _reads_upright(result: OcrResult) -> bool:
    return (result.confidence >= UPRIGHT_CONFIDENCE.get(result.engine, 50.0)
            and result.sideways <= SIDEWAYS_SHARE)


def ocr_upright(image, dpi: float, lang: str = "chi_sim", engine: str | None = None) -> OcrResult:
    """The page read by `engine` (default: `ocr_engine()`), and for a page that reads badly or whose
    text stands on its side (a landscape table scanned sideways, a page fed upside down) the page
    turned as Tesseract's orientation detection says (without Tesseract: each other way), when that
    reads better."""
    engine = engine or ocr_engine() or "tesseract"

    def read(img) -> OcrResult:
        return ocr_image_rapidocr(img) if engine == "rapidocr" else ocr_image(img, lang)

    result = read(image)
    if _reads_upright(result):
        return result
    turn = detect_rotation(image, dpi) if tesseract_available() else 0
    turns = [turn] if turn else ([] if tesseract_available() and result.sideways <= SIDEWAYS_SHARE else [90, 180, 270])
    best = result
    for turn in turns:
        turned = read(image.convert("L").rotate(-turn, expand=True, fillcolor=255))
        turned.rotation = turn
        if (_reads_upright(turned), turned.confidence) > (_reads_upright(best), best.confidence):
            best = turned
        if _reads_upright(best):
            break
    return best
