"""Small text helpers shared by the extractors: whitespace, CJK joining, quality figures."""

from __future__ import annotations

import contextlib
import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_WS_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\u00a0\u3000]+(?=[{_CJK}])")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_CID = re.compile(r"\(cid:\d+\)")
_SPACES = re.compile(r"\s+")
_GARBAGE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\ufffd\ue000-\uf8ff]")  # controls that are not spaces


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


def clean_cell(text: str) -> str:
    """One table cell on one line: inner line breaks and spacing between CJK characters removed."""
    text = _ZERO_WIDTH.sub("", text or "").replace("\u00a0", " ").replace("\u3000", " ")
    text = _WS_BETWEEN_CJK.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize_text(text: str) -> str:
    """Final clean-up of an extracted text: no zero-width characters, NBSPs, trailing blanks or runs
    of empty lines."""
    text = _ZERO_WIDTH.sub("", text or "").replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" ") for line in text.split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n") + ("\n" if out.strip() else "")


def quality(text: str) -> dict:
    """CJK share of the non-space characters, `(cid:NNN)` share and U+FFFD share."""
    cids = len(_CID.findall(text))
    chars = [c for c in (_CID.sub("", text) if cids else text) if not c.isspace()]
    n = len(chars) or 1
    cjk = sum(1 for c in chars if is_cjk(c))
    return {
        "chars": len(chars),
        "cjk_ratio": round(cjk / n, 4),
        "cid_ratio": round(cids / (cids + len(chars)), 4) if cids else 0.0,
        "replacement_ratio": round(text.count("\ufffd") / n, 6),
    }


def cid_ratio(text: str) -> float:
    return quality(text)["cid_ratio"]


def garbage_ratio(text: str) -> float:
    """Share of unreadable output: `(cid:NNN)` tokens, control characters, U+FFFD and private-use
    characters (what a font without a usable ToUnicode map gives), among the non-space characters
    (counted by regular expressions: `\\s` is `str.isspace`)."""
    cids = len(_CID.findall(text))
    rest = _CID.sub("", text) if cids else text
    bad = len(_GARBAGE.findall(rest))
    total = cids + len(_SPACES.sub("", rest))
    return round((cids + bad) / total, 4) if total else 0.0


def mojibake_reason(text: str, sample: int = 20_000) -> str | None:
    """Why `text` reads as bytes decoded wrongly (a binary stream taken for text), or None.

    Real Chinese prose uses the 3,755 common characters (GB2312 level 1) for nearly every Han
    character and few symbols outside ASCII, CJK and their punctuation; random bytes decoded as GBK
    spread over all 21,000 GBK characters, and decoded as a Latin code page give accented letters and
    symbols."""
    chars = [c for c in text[:sample] if not c.isspace()]
    if len(chars) < 200:
        return None
    han = [c for c in chars if "\u4e00" <= c <= "\u9fff"]
    common = 0
    for c in han:
        with contextlib.suppress(UnicodeEncodeError):
            common += 0xB0 <= c.encode("gb2312")[0] <= 0xD7
    odd = sum(1 for c in chars if not (c.isascii() or "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"))
    if len(han) >= 100 and common / len(han) < 0.6:
        return f"{1 - common / len(han):.0%} of its Han characters are rare ones"
    if odd / len(chars) > 0.3:
        return f"{odd / len(chars):.0%} of its characters are outside Chinese and ASCII text"
    return None


def failure_message(exc: BaseException) -> str:
    """`Type: message` on one line. Native libraries (ONNX Runtime) put a whole Python traceback into
    their message; the record keeps its last line, the error itself."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:500]
