"""Normalise report text before matching: markup, artefacts, Traditional characters, full-width forms.

`clean_lines(text)` returns two parallel line lists: `raw` (artefacts removed, original characters,
for the free text of sections) and `norm` (NFKC, Simplified, for label matching and numbers).
`parse_value(cell)` reads one table cell: a number (signs, units, thousands separators), a blank
(empty, `——`, `-`, `/`, `无`) or text.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from functools import lru_cache

_ARTEFACTS = re.compile(
    r"\[bookmark:[^\]]*\]|\[SITESERVER_PAGE\]|</?(?:b|strong|i|em|u|span|font|br|p|div|sup|sub)\b[^>]{0,80}>"
    r"|\*\*|__",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PAGE_FURNITURE = re.compile(
    r"^\s*(?:[-—–]{1,2}\s*\d{1,3}\s*[-—–]{1,2}|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3}|P(?:age)?\.?\s*\d{1,3}(?:\s*[-—–].*)?)\s*$",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")

# Characters that exist only in Traditional Chinese and are common in these reports.
_TRADITIONAL = re.compile(
    "[總計結轉請處務報關開與為們發機構權個網區縣鄉鎮數據應對聯實產會過進這時後動見學經當來說國議辦條項規範費統書訊資眾準審歸復覆訴訟維糾調謀]"
)
_TRADITIONAL_MIN = 8


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional to Simplified when the text is visibly Traditional (cheap check first)."""
    for hits, _ in enumerate(_TRADITIONAL.finditer(text), start=1):
        if hits >= _TRADITIONAL_MIN:
            return _t2s().convert(text)
    return text


def clean_text(text: str) -> str:
    """Remove markup and export artefacts; unify line ends. Original characters are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if "&" in text:
        text = _html.unescape(text)
    text = text.replace("\xa0", " ")
    text = _ARTEFACTS.sub("", text)
    text = _MD_HEADING.sub("", text)
    return to_simplified(text)


def clean_lines(text: str) -> tuple[list[str], list[str]]:
    """(raw, norm) line lists of the same length; page furniture and Markdown rules become ''."""
    cleaned = clean_text(text)
    raw = cleaned.split("\n")
    if unicodedata.is_normalized("NFKC", cleaned):
        return raw, list(raw)
    norm = unicodedata.normalize("NFKC", cleaned).split("\n")
    if len(norm) != len(raw):  # NFKC never adds line breaks, but stay safe
        norm = [unicodedata.normalize("NFKC", line) for line in raw]
    for i, line in enumerate(norm):
        if line and (_PAGE_FURNITURE.match(line) or _MD_RULE.match(line)):
            norm[i] = ""
            raw[i] = ""
    return raw, norm


_ALL_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Remove all white space and unify 其它 to 其他 (labels are matched squashed)."""
    if len(text) > 120:
        return _ALL_WS.sub("", text).replace("其它", "其他")
    return _squash_short(text)


@lru_cache(maxsize=1 << 16)
def _squash_short(text: str) -> str:
    return _ALL_WS.sub("", text).replace("其它", "其他")


def norm_label(text: str) -> str:
    """NFKC, Simplified, white space removed (for labels written into records)."""
    return squash(unicodedata.normalize("NFKC", text))


# ---------------------------------------------------------------- values

_BLANKS = frozenset({"", "—", "——", "———", "-", "--", "/", "无", "–", "――", "―", "\\", "—-", "/-"})
_NUMBER = re.compile(
    r"^(?P<sign>[+\-−]|增加?|减少?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<unit>万元|元|件|条|个|项|次|人次|人|篇|家|份|场|期|天|%)?$"
)


@lru_cache(maxsize=1 << 16)
def parse_value(cell: str) -> tuple[bool, int | float | None, str | None]:
    """(is_value, number or None for blank, unit suffix or None) of one table cell."""
    s = squash(cell)
    if s in _BLANKS:
        return True, None, None
    m = _NUMBER.match(s)
    if m is None:
        return False, None, None
    num = m.group("num").replace(",", "")
    value: int | float = float(num) if "." in num else int(num)
    sign = m.group("sign")
    if sign and sign[0] in "-−减":
        value = -value
    return True, value, m.group("unit")


def is_value(cell: str) -> bool:
    """Whether the cell reads as a number or a blank."""
    return parse_value(cell)[0]


def to_wan_yuan(value: int | float | None, unit: str | None, column_in_yuan: bool = False) -> int | float | None:
    """Money in 万元: `元` amounts (or bare numbers in a 元 column) are divided by 10 000."""
    if value is None:
        return None
    if unit == "元" or (unit is None and column_in_yuan):
        value = value / 10000
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return round(value, 6)
    return value


def collapse_ws(text: str) -> str:
    """Runs of white space become one space."""
    return _WS.sub(" ", text).strip()
