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
from dataclasses import dataclass
from functools import cache

import numpy as np

from pipelines.limits import limits
from pipelines.text.layout import HRule, Rule, Table, tables_from_rules

_CJKP = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’《》"
_OCR_SPACE = re.compile(rf"(?<=[{_CJKP}]) +| +(?=[{_CJKP}])")
_NUMERIC_CELL = re.compile(r"^[+\-−]?[0-9OoIl|.,，]+$")
CELL_GAP = 32
CELL_PAD = 12


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


def _read_rows(crops: list[np.ndarray], lang: str, psm: int, extra: str = "", per_row: int = 10):
    """Lay short one-line crops side by side, `per_row` to a line with wide gaps, so that Tesseract
    reads them as lines of text (a lone character is read far better in a line than alone); yield
    (crop index, word, line key, left, confidence)."""
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
    data = _tesseract(Image.fromarray(canvas), lang, psm, extra)
    for text, left, top, wd, ht, conf, key in _words(data):
        r = min(len(rows) - 1, max(0, int((top + ht / 2 - gap / 2) // (h + gap))))
        j = max(0, bisect.bisect_right(starts[r], left + wd / 2) - 1)
        yield rows[r][j], text, key, left, conf


def _read_stack(crops: list[np.ndarray], lang: str, psm: int, extra: str = ""):
    """Stack crops vertically with wide gaps, read them in one Tesseract call and yield
    (crop index, word, line key, left, confidence)."""
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
    data = _tesseract(Image.fromarray(canvas), lang, psm, extra)
    for text, left, top, _wd, ht, conf, key in _words(data):
        i = max(0, bisect.bisect_right(starts, top + ht / 2 + CELL_GAP / 2) - 1)
        yield i, text, key, left, conf


def _words(data: dict):
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            conf = -1.0
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        yield text, data["left"][i], data["top"][i], data["width"][i], data["height"][i], conf, key


def _table_cells(table: Table, lines_mask: np.ndarray):
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


def _best_per_crop(passes: list[list[tuple]], n: int, index: list[int]) -> list[tuple]:
    """From several readings of the same crops, each crop's words from the pass whose words are
    surest (mean confidence); `index` maps crop positions to strip numbers."""
    grouped = []
    for words_ in passes:
        g: dict[int, list] = {}
        for j, *rest in words_:
            g.setdefault(j, []).append(rest)
        grouped.append(g)
    out: list[tuple] = []
    for j in range(n):
        options = [g[j] for g in grouped if j in g]
        if options:
            best = max(options, key=lambda ws: sum(w[3] for w in ws) / len(ws))
            out += [(index[j], *w) for w in best]
    return out


def _vote_numbers(indexes: list[int], crops: list[np.ndarray], cell_text: dict, cell_conf: dict) -> None:
    """Short one-line cells are mostly numbers, which chi_sim alone misreads (-1 as 本, 305 as 35).
    Read them twice more with the Latin model restricted to number characters (side by side and
    stacked) and keep the reading most passes agree on (ties: the surest)."""
    readings: dict[int, list[tuple[str, float]]] = {}
    for reader in (_read_rows, _read_stack):
        got: dict[int, list[tuple[str, float]]] = {}
        for j, text, _key, _left, conf in reader(crops, "eng", 6, _DIGITS_ONLY):
            got.setdefault(indexes[j], []).append((text, conf))
        for i, parts in got.items():
            readings.setdefault(i, []).append(("".join(t for t, _c in parts), min(c for _t, c in parts)))
    for i, numeric in readings.items():
        chi = "".join(t for _k, t in sorted(cell_text.get(i, [])))
        chi_conf = min(cell_conf.get(i, [0.0]))
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
            cell_text[i] = [((0, (0, 0, 0), 0), winner)]


def _page_tables(gray: np.ndarray) -> tuple[list[Table], np.ndarray]:
    """The ruled tables of a grey page image and the mask of its ruling lines."""
    dark = gray < 150
    h, w = dark.shape
    min_len = max(30, int(min(h, w) * 0.03))
    rules, hrules, lines_mask = find_rules(dark, min_len)
    tables = [t for t in tables_from_rules(rules, hrules, merge=4.0) if len(t.ys) >= 2]
    return tables, lines_mask


def _cell_stack(gray: np.ndarray, tables: list[Table], lines_mask: np.ndarray, cells: dict[int, list]):
    """Every inked cell of the tables as (crop trimmed to its ink, darkened, rules blanked; table; cell box)."""
    ink = (gray < 200) & ~_grow(lines_mask, 2)  # light strokes (thin dashes) count as ink
    grown = _grow(lines_mask, 2)
    stack: list[tuple[np.ndarray, Table, tuple[int, int, int, int]]] = []
    for table in tables:
        for box in cells[id(table)]:
            top, left, bottom, right = box
            cell_ink = ink[top:bottom, left:right]
            if cell_ink.sum() < 8:
                continue
            ys = np.flatnonzero(cell_ink.any(axis=1))
            xs = np.flatnonzero(cell_ink.any(axis=0))
            crop = gray[top + ys[0]: top + ys[-1] + 1, left + xs[0]: left + xs[-1] + 1].copy()
            crop[grown[top + ys[0]: top + ys[-1] + 1, left + xs[0]: left + xs[-1] + 1]] = 255
            stack.append((_darken(crop), table, box))
    return stack


def _bare_dash(crop: np.ndarray, typical: float) -> str | None:
    """A cell holding only a flat bar: the "no value" dash, which OCR engines do not read."""
    if crop.shape[0] <= 0.35 * typical and crop.shape[1] >= 2 * crop.shape[0]:
        return "——" if crop.shape[1] >= 1.4 * typical else "—"
    return None


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
    def of(cls, cells: list[tuple[int, int, int, int]]) -> _Grid:
        return cls(_edges([c[0] for c in cells]), _edges([c[1] for c in cells]))

    def slot(self, box: tuple[int, int, int, int]) -> tuple[int, int]:
        """Row and column of a cell box (a merged cell: its first slot)."""
        top, left, _bottom, _right = box
        ri = max((k for k, y in enumerate(self.ys) if y <= top + GRID_TOLERANCE), default=0)
        ci = max((k for k, x in enumerate(self.xs) if x <= left + GRID_TOLERANCE), default=0)
        return ri, ci


def _table_lines(tables: list[Table], grids: dict[int, _Grid],
                 by_table: dict[int, dict[tuple[int, int], str]]) -> list[tuple[float, str]]:
    """(y, row) for every non-empty row of every table: tab-separated cells on the full column grid."""
    placed = []
    for table in tables:
        grid = grids[id(table)]
        slots = _restore_numbering(by_table.get(id(table), {}))
        for ri, y in enumerate(grid.ys):
            row = [slots.get((ri, ci), "") for ci in range(len(grid.xs))]
            if any(row):
                placed.append((float(y), "\t".join(row)))
    return placed


def _cells_and_grids(tables: list[Table], lines_mask: np.ndarray) -> tuple[dict[int, list], dict[int, _Grid]]:
    cells = {id(t): _table_cells(t, lines_mask) for t in tables}
    return cells, {k: _Grid.of(v) for k, v in cells.items()}


def ocr_image(image, lang: str = "chi_sim") -> OcrResult:
    """Recognise one page image (PIL) with Tesseract into text lines, table rows as tab-separated cells."""
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    tables, lines_mask = _page_tables(gray)
    confs: list[float] = []
    words = 0
    placed: list[tuple[float, str]] = []  # (y, line) for the page, sorted at the end

    # 1. Tables: crop each inked cell, stack them, read them in one call.
    cells, grids = _cells_and_grids(tables, lines_mask)
    stack = _cell_stack(gray, tables, lines_mask, cells)
    cell_text: dict[int, list[tuple[tuple, str]]] = {}
    cell_conf: dict[int, list[float]] = {}
    strips: list[tuple[int, int, np.ndarray]] = []  # (cell index, line number, image)
    heights = [c.shape[0] for c, _t, _b in stack if c.shape[0] > 8]
    typical = float(np.median(heights)) if heights else 30.0
    for i, (crop, _t, _b) in enumerate(stack):
        dash = _bare_dash(crop, typical)
        if dash:
            cell_text[i] = [((0, (0, 0, 0), 0), dash)]
            continue
        for n, strip in enumerate(_line_strips(crop)):
            strips.append((i, n, strip))
    if strips:
        heights_ = [st.shape[0] for _i, _n, st in strips]
        line_h = float(np.median(heights_))
        counts: dict[int, int] = {}
        for i, _n, _st in strips:
            counts[i] = counts.get(i, 0) + 1
        # one-line cells of a few characters (units, numbers) are read side by side in lines
        small = [k for k, (i, _n, st) in enumerate(strips) if counts[i] == 1 and st.shape[1] <= 4 * line_h]
        small_set = set(small)
        large = [k for k in range(len(strips)) if k not in small_set]
        readings = []
        if large:
            readings += [(large[j], *rest) for j, *rest in _read_stack([strips[k][2] for k in large], lang, 6)]
        if small:
            # read twice (side by side, and stacked); per cell keep the surer reading
            crops = [strips[k][2] for k in small]
            passes = [list(_read_rows(crops, lang, 6)), list(_read_stack(crops, lang, 6))]
            readings += _best_per_crop(passes, len(crops), small)
        for k, text, key, left, conf in readings:
            i, n, _st = strips[k]
            cell_text.setdefault(i, []).append(((n, key, left), text))
            cell_conf.setdefault(i, []).append(conf)
            words += 1
            if conf >= 0:
                confs.append(conf)
        read = {i for i, _n, _st in strips}
        short = [i for i, (c, _t, _b) in enumerate(stack)
                 if i in read and c.shape[0] <= 1.5 * line_h and c.shape[1] <= 6 * c.shape[0]]
        if short:
            _vote_numbers(short, [stack[i][0] for i in short], cell_text, cell_conf)
    by_table: dict[int, dict[tuple[int, int], str]] = {}
    for i, (_crop, table, box) in enumerate(stack):
        parts = sorted(cell_text.get(i, []))
        lines: list[str] = []
        last_key = None
        for (n, key, _left), text in parts:
            if (n, key) != last_key:
                lines.append("")
                last_key = (n, key)
            lines[-1] += (" " if lines[-1] else "") + text
        text = _tidy_cell("".join(lines) if all(re.search(f"[{_CJKP}]", ln) for ln in lines) else " ".join(lines))
        by_table.setdefault(id(table), {})[grids[id(table)].slot(box)] = text
    placed += _table_lines(tables, grids, by_table)

    # 2. Text outside the tables.
    rest = gray.copy()
    for table in tables:
        rest[int(table.top): int(table.bottom) + 1, int(table.xs[0]): int(table.xs[-1]) + 1] = 255
    rest[_grow(lines_mask, 2)] = 255
    if (rest < 150).sum() > 20:
        data = _tesseract(Image.fromarray(rest), lang, 6 if not tables else 4)
        line_words: dict[tuple, list[tuple[int, int, int, int, str]]] = {}
        for text, left, top, wd, ht, conf, key in _words(data):
            line_words.setdefault(key, []).append((left, top, wd, ht, text))
            words += 1
            if conf >= 0:
                confs.append(conf)
        for ws in line_words.values():
            ws.sort()
            height = float(np.median([w[3] for w in ws]))
            parts: list[str] = []
            for k, (left, _top, _wd, _ht, text) in enumerate(ws):
                if k:
                    gap = left - (ws[k - 1][0] + ws[k - 1][2])
                    parts.append("\t" if gap > 2.0 * height else " ")
                parts.append(text)
            text = tidy_ocr_line("".join(parts))
            if text.strip():
                placed.append((min(w[1] for w in ws), text))
    placed.sort(key=lambda p: p[0])
    mean = sum(confs) / len(confs) if confs else 0.0
    return OcrResult([line for _y, line in placed], round(mean, 2), words,
                     min_confidence=round(min(confs), 2) if confs else 0.0)


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
    from pipelines.text import ocr_boxes
    from pipelines.text.rapid import TextBox, read_boxes, read_crops

    gray = np.asarray(image.convert("L"))
    tables, lines_mask = _page_tables(gray)
    cells_of, grids = _cells_and_grids(tables, lines_mask)
    stack = _cell_stack(gray, tables, lines_mask, cells_of)
    heights = [c.shape[0] for c, _t, _b in stack if c.shape[0] > 8]
    typical = float(np.median(heights)) if heights else 30.0
    by_table: dict[int, dict[tuple[int, int], str]] = {}
    for crop, table, box in stack:  # the "no value" dash: a flat bar, which OCR reads as 一 or not at all
        dash = _bare_dash(crop, typical)
        if dash:
            by_table.setdefault(id(table), {})[grids[id(table)].slot(box)] = dash
    # The page without its ruling lines: a rule beside a number is read as a digit, or hides one.
    clean = gray.copy()
    clean[_grow(lines_mask, 1)] = 255
    boxes = read_boxes(clean)
    confs = [b.confidence for b in boxes]
    cells = [(table, box) for table in tables for box in cells_of[id(table)]]
    in_cell: dict[int, list] = {}
    outside = []
    cell_boxes = [c for _t, c in cells]
    recut: list[tuple[int, TextBox]] = []  # a box over several cells, cut at the cells and read again
    for box in boxes:
        crossed = ocr_boxes.cells_crossed(box, cell_boxes) if cells else []
        if len(crossed) > 1:
            parts = ocr_boxes.split_by_words(box, cell_boxes, crossed)
            if parts:
                for i, part in zip(crossed, parts, strict=True):
                    in_cell.setdefault(i, []).append(part)
            else:
                recut += [(i, TextBox(max(box.x0, cell_boxes[i][1]), box.y0, min(box.x1, cell_boxes[i][3]),
                                      box.y1, "", box.confidence)) for i in crossed]
            continue
        i = crossed[0] if crossed else (ocr_boxes.cell_of(box, cell_boxes) if cells else None)
        if i is None:
            outside.append(box)
        else:
            in_cell.setdefault(i, []).append(box)
    crops = [clean[int(b.y0): int(b.y1) + 1, int(b.x0): int(b.x1) + 1] for _i, b in recut]
    for (i, b), (text, conf) in zip(recut, read_crops(crops), strict=True):
        if text:
            in_cell.setdefault(i, []).append(TextBox(b.x0, b.y0, b.x1, b.y1, text, conf))
            confs.append(conf)
    for i, members in in_cell.items():
        table, box = cells[i]
        slot = grids[id(table)].slot(box)
        if slot not in by_table.get(id(table), {}):
            by_table.setdefault(id(table), {})[slot] = _tidy_cell(ocr_boxes.cell_text(members))
    # Inked cells without a box (a lone small character that detection missed), or read as a lone
    # symbol (a 7 as >): read again by recognition alone, on the cell's own ink.
    unread = []
    for crop, table, box in stack:
        slot = grids[id(table)].slot(box)
        text = by_table.get(id(table), {}).get(slot)
        if (text is None or _LONE_SYMBOL.fullmatch(text)) and crop.shape[0] >= 6 and crop.shape[1] >= 3:
            unread.append((crop, table, slot))
    for (_crop, table, slot), (text, conf) in zip(unread, read_crops([c for c, _t, _s in unread]), strict=True):
        slots = by_table.setdefault(id(table), {})
        if text and (slot not in slots or _NUMBER.fullmatch(_tidy_cell(text))):
            slots[slot] = _tidy_cell(text)
            confs.append(conf)
    placed = _table_lines(tables, grids, by_table) + ocr_boxes.text_lines(outside)
    placed.sort(key=lambda p: p[0])
    multi = [b for b in boxes if len(b.text) >= 2]
    sideways = sum(1 for b in multi if b.height > 1.5 * b.width) / len(multi) if multi else 0.0
    mean = sum(confs) / len(confs) if confs else 0.0
    return OcrResult([line for _y, line in placed], round(mean, 2), len(boxes) + len(unread),
                     min_confidence=round(min(confs), 2) if confs else 0.0, engine="rapidocr",
                     sideways=round(sideways, 3))


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
