"""OCR of page images with Tesseract (chi_sim), keeping table rows: ruling lines are found in the
image, erased before recognition, and used as column boundaries when the words are laid out."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import numpy as np

from pipelines.text.layout import Glyph, Rule, assemble


@dataclass
class OcrResult:
    lines: list[str]
    confidence: float  # mean word confidence, 0..100
    words: int


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


def find_rules(dark: np.ndarray, min_len: int) -> tuple[list[Rule], np.ndarray, np.ndarray]:
    """Vertical rules (as `Rule`s) and the masks of vertical and horizontal line pixels."""
    h, w = dark.shape
    vmask = np.zeros_like(dark)
    hmask = np.zeros_like(dark)
    rules: list[Rule] = []
    cols = np.flatnonzero(dark.sum(axis=0) >= min_len)
    for x in cols:
        for s, e in _runs(dark[:, x], min_len):
            vmask[s:e, x] = True
            rules.append(Rule(float(x), float(s), float(e)))
    rows = np.flatnonzero(dark.sum(axis=1) >= min_len)
    for y in rows:
        for s, e in _runs(dark[y, :], min_len):
            hmask[y, s:e] = True
    return rules, vmask, hmask


def ocr_image(image, lang: str = "chi_sim") -> OcrResult:
    """Recognise one page image (PIL) into text lines, table rows as tab-separated cells."""
    import pytesseract

    gray = np.asarray(image.convert("L"))
    dark = gray < 140
    h, w = dark.shape
    min_len = max(30, int(min(h, w) * 0.03))
    rules, vmask, hmask = find_rules(dark, min_len)
    # Erase ruling lines (with a pixel of margin) so they are not read as 丨 or 一.
    lines_mask = vmask | hmask
    if lines_mask.any():
        grown = lines_mask.copy()
        grown[:, 1:] |= lines_mask[:, :-1]
        grown[:, :-1] |= lines_mask[:, 1:]
        grown[1:, :] |= lines_mask[:-1, :]
        grown[:-1, :] |= lines_mask[1:, :]
        cleaned = gray.copy()
        cleaned[grown] = 255
    else:
        cleaned = gray
    from PIL import Image

    data = pytesseract.image_to_data(
        Image.fromarray(cleaned), lang=lang, config="--psm 6 -c preserve_interword_spaces=1",
        output_type=pytesseract.Output.DICT,
    )
    glyphs: list[Glyph] = []
    confs: list[float] = []
    for text, left, top, width, height, conf in zip(
        data["text"], data["left"], data["top"], data["width"], data["height"], data["conf"], strict=True
    ):
        text = (text or "").strip()
        if not text:
            continue
        try:
            c = float(conf)
        except ValueError:
            c = -1.0
        if c >= 0:
            confs.append(c)
        glyphs.append(Glyph(float(left), float(left + width), float(top), float(top + height), text))
    # Merge rules that are the same line several pixels thick.
    merged: list[Rule] = []
    for r in sorted(rules, key=lambda r: (round(r.top / 4), r.x)):
        if merged and abs(r.x - merged[-1].x) <= 4 and abs(r.top - merged[-1].top) <= 4:
            continue
        merged.append(r)
    lines = assemble(glyphs, merged)
    mean = sum(confs) / len(confs) if confs else 0.0
    return OcrResult(lines, round(mean, 2), len(glyphs))
