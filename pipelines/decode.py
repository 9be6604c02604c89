"""The encoding ladder: which charset a fetched HTML/text body is really in, and why.

Order of evidence: byte-order mark, HTTP header, `<meta>` (and `<?xml encoding?>`), then the bytes.
Every declaration is checked against the bytes before it is believed, which catches the usual lies:
a UTF-8 header on GBK bytes, `gb2312` on GBK/GB18030 text, an ISO-8859-1 default, a GBK label on
Big5 bytes. GB labels are always decoded as GB18030 (their superset).
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import chardet


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str
    source: str  # "bom" | "header" | "meta" | "detected" | "default"
    evidence: dict = field(default_factory=dict)
    replacement_ratio: float = 0.0


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB_LABELS = {
    "gb2312", "gbk", "gb18030", "x-gbk", "gb_2312", "gb_2312-80", "gb2312-80", "cp936", "ms936",
    "windows-936", "euc-cn", "csgb2312", "chinese", "iso-ir-58", "csiso58gb231280", "x-euc-cn", "936",
    "hz-gb-2312-not",
}
_GB_COMPACT = {lab.replace("-", "").replace("_", "") for lab in _GB_LABELS}
_BIG5_LABELS = {"big5", "big-5", "cn-big5", "csbig5", "x-x-big5", "big5-hkscs", "big5hkscs", "cp950", "ms950"}
# Declarations that carry no information about Chinese text: the HTTP default and its cousins.
_WEAK_LABELS = {"iso-8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252", "iso8859-1"}

# Below this, a clean decode is still mojibake (a single-byte codec reading CJK bytes, say).
MIN_PLAUSIBILITY = 0.4

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE | re.DOTALL
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*\bencoding\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)


def normalize_label(label: str | None) -> str | None:
    """A declared charset label as the Python codec we decode with (GB labels -> gb18030)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower().replace("_", "-")
    compact = label.replace("-", "")
    if compact in _GB_COMPACT or compact.startswith("gb2312"):
        return "gb18030"
    if label in _BIG5_LABELS:
        return "big5"
    if label in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if label in ("unicode", "utf-16", "ucs-2"):
        return "utf-16"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares for itself: `<meta charset>`, `<meta http-equiv content=...charset=>`
    or `<?xml encoding=?>`, read tolerantly from the first 16 KiB (unquoted, odd spacing, uppercase)."""
    head = body[:16384]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head[:512])
    return m.group(1).decode("ascii", "ignore") if m else None


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """Hanzi that real Chinese text is made of: GB2312 level 1 (3755 simplified) and Big5 level 1
    (5401 traditional). Mojibake from decoding with the wrong CJK codec lands mostly outside it."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes((lead, trail)).decode("gb2312"))
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes((lead, trail)).decode("big5"))
    return frozenset(c for c in chars if len(c) == 1)


def plausibility(text: str) -> float:
    """How much the non-ASCII part of `text` looks like real Chinese (or Latin) text, in [-1, 1]."""
    common = _common_hanzi()
    total = 0.0
    n = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        n += 1
        if ch in common or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or o in (0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0xB7, 0x2022, 0xA0):
            total += 1.0
        elif 0x4E00 <= o <= 0x9FFF:
            total += 0.25
        elif 0xC0 <= o <= 0xFF:
            total += 0.6
        elif o == 0xFFFD or unicodedata.category(ch) in ("Cc", "Co", "Cn"):
            total -= 1.0
    return total / n if n else 1.0


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _variants(encoding: str) -> tuple[str, ...]:
    if encoding == "big5":
        return ("big5", "cp950", "big5hkscs")
    return (encoding,)


def _try(body: bytes, encoding: str) -> tuple[str, str] | None:
    for enc in _variants(encoding):
        text = _strict(body, enc)
        if text is not None:
            return enc, text
    return None


def replacement_ratio(text: str) -> float:
    non_ascii = sum(1 for c in text if ord(c) >= 0x80)
    bad = text.count("\ufffd")
    return round(bad / non_ascii, 6) if non_ascii else 0.0


def detect_encoding(body: bytes, content_type: str | None = None) -> EncodingDecision:
    """Decide the charset of `body` (an HTML or text response) with the evidence used. Declarations
    that disagree with the decision are listed under `evidence["lie"]`."""
    decision = _detect(body, content_type)
    lies = []
    for source in ("header", "meta"):
        label = decision.evidence.get(source)
        if label and decision.source != "bom" or label and source == "header":
            enc = normalize_label(label)
            if enc != decision.encoding and not (enc == "big5" and decision.encoding in _variants("big5")):
                lies.append(f"{source}={label}")
    if lies and decision.replacement_ratio == 0:
        evidence = dict(decision.evidence)
        evidence["lie"] = ", ".join(lies) + f"; bytes are {decision.encoding}"
        return EncodingDecision(decision.encoding, decision.source, evidence, decision.replacement_ratio)
    return decision


def _detect(body: bytes, content_type: str | None) -> EncodingDecision:
    body = body or b""
    evidence: dict = {}
    for bom, enc in _BOMS:
        if body.startswith(bom):
            evidence["bom"] = enc
            h = header_charset(content_type)
            if h:
                evidence["header"] = h
            text = body[len(bom):].decode(enc, "replace")
            return EncodingDecision(enc, "bom", evidence, replacement_ratio(text))

    declared: list[tuple[str, str, str]] = []  # (source, label, codec)
    h = header_charset(content_type)
    if h:
        evidence["header"] = h
        declared.append(("header", h, normalize_label(h) or ""))
    m = meta_charset(body)
    if m:
        evidence["meta"] = m
        declared.append(("meta", m, normalize_label(m) or ""))

    if all(b < 0x80 for b in body):
        # Pure ASCII: every ASCII-compatible declaration is right; none changes a character.
        for source, _label, enc in declared:
            if enc and enc not in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
                return EncodingDecision(enc, source, evidence, 0.0)
        return EncodingDecision("utf-8" if not declared else "utf-8", "default", evidence, 0.0)

    # Score every candidate codec that decodes the bytes without error.
    candidates: dict[str, tuple[str, float]] = {}  # codec -> (actual codec, plausibility)
    order = [enc for _s, _l, enc in declared if enc and enc not in _WEAK_LABELS]
    order += ["utf-8", "gb18030", "big5"]
    guess = chardet.detect(body[:65536])
    guess_enc = normalize_label(guess.get("encoding")) if guess else None
    evidence["chardet"] = {"encoding": guess.get("encoding") if guess else None,
                           "confidence": round(float(guess.get("confidence") or 0.0), 3) if guess else 0.0}
    if guess_enc and guess_enc not in order:
        order.append(guess_enc)
    for enc in order:
        if enc in candidates:
            continue
        tried = _try(body, enc)
        if tried is not None:
            actual, text = tried
            candidates[enc] = (actual, plausibility(text))
    evidence["strict_ok"] = {k: round(v[1], 3) for k, v in candidates.items()}

    # Strictly valid multi-byte UTF-8 almost never happens by accident: it outranks any declaration.
    if "utf-8" in candidates and candidates["utf-8"][1] > 0.5:
        for source, _label, enc in declared:
            if enc == "utf-8":
                return EncodingDecision("utf-8", source, evidence, 0.0)
        return EncodingDecision("utf-8", "detected", evidence, 0.0)

    best = max(candidates.items(), key=lambda kv: kv[1][1]) if candidates else None
    for source, label, enc in declared:
        if enc in candidates:
            actual, score = candidates[enc]
            # Believe a declaration that decodes cleanly unless another codec reads far more naturally.
            if best is None or score >= best[1][1] - 0.15:
                return EncodingDecision(actual, source, evidence, 0.0)
            evidence.setdefault("mojibake", []).append(f"{source}={label} reads as mojibake ({score:.2f} vs {best[0]} {best[1][1]:.2f})")
        elif enc:
            evidence.setdefault("rejected", []).append(f"{source}={label}")
    if best is not None and best[1][1] >= MIN_PLAUSIBILITY:
        return EncodingDecision(best[1][0], "detected", evidence, 0.0)

    # Nothing decodes cleanly and naturally: a really mixed page. Keep the codec whose reading is most
    # natural (U+FFFD counts against it) and record how much was lost.
    scored = []
    for enc in order:
        for variant in _variants(enc):
            try:
                text = body.decode(variant, "replace")
            except LookupError:
                continue
            scored.append((plausibility(text), -replacement_ratio(text), variant))
    if scored:
        _p, neg_ratio, enc = max(scored)
        ratio = -neg_ratio
    else:
        ratio, enc = 1.0, "gb18030"
    source = "default"
    for s, _l, d in declared:
        if d and enc in _variants(d):
            source = s
            break
    evidence["mixed"] = True
    return EncodingDecision(enc, source, evidence, ratio)


def decode_body(body: bytes, decision: EncodingDecision) -> str:
    data = body or b""
    for bom, enc in _BOMS:
        if decision.source == "bom" and data.startswith(bom) and enc == decision.encoding:
            data = data[len(bom):]
            break
    return data.decode(decision.encoding, "replace")


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, EncodingDecision]:
    """The page as text, decoded by the ladder of `detect_encoding`."""
    decision = detect_encoding(body, content_type)
    return decode_body(body, decision), decision
