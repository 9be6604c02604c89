"""Agency names: normalisation and a conservative "same agency" test.

``区卫健委`` and ``上城区卫生健康委员会`` may be one agency; ``上城区卫生健康局`` and ``下城区卫生健康局`` never are.
"""

from __future__ import annotations

import re
import unicodedata

# Common short forms, expanded before comparison (longest first).
ABBREVIATIONS: dict[str, str] = {
    "卫健委": "卫生健康委员会",
    "卫健局": "卫生健康局",
    "卫计委": "卫生和计划生育委员会",
    "卫计局": "卫生和计划生育局",
    "发改委": "发展和改革委员会",
    "发改局": "发展和改革局",
    "人社局": "人力资源和社会保障局",
    "住建局": "住房和城乡建设局",
    "住建委": "住房和城乡建设委员会",
    "市监局": "市场监督管理局",
    "市场监管局": "市场监督管理局",
    "自规局": "自然资源和规划局",
    "资规局": "自然资源和规划局",
    "农业农村局": "农业农村局",
    "应急局": "应急管理局",
    "医保局": "医疗保障局",
    "退役军人局": "退役军人事务局",
    "教体局": "教育体育局",
    "文旅局": "文化和旅游局",
    "交通局": "交通运输局",
    "政府办": "人民政府办公室",
    "区政府办": "区人民政府办公室",
    "市政府办": "市人民政府办公室",
    "县政府办": "县人民政府办公室",
    "政府办公室": "人民政府办公室",
    "区政府": "区人民政府",
    "市政府": "市人民政府",
    "县政府": "县人民政府",
    "镇政府": "镇人民政府",
    "乡政府": "乡人民政府",
}
_ABBREV = re.compile("|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True)))
_DROP = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff0-9a-z]+")
# Characters that end the name of an administrative area.
LEVEL_CHARS = frozenset("省市区县旗州盟镇乡")
# Words that make a prefix an agency rather than a place (上城区卫生健康局 ≠ 上城区政府卫生健康局).
_AGENCY_WORDS = re.compile(r"局|委员会|办公室|政府|中心|委|厅|部|署|院|所|队|站")


def normalise_agency(name: str | None) -> str | None:
    """NFKC, no white space or punctuation, lower case, common short forms expanded; None if empty."""
    if not name:
        return None
    text = _DROP.sub("", unicodedata.normalize("NFKC", name).lower())
    text = _ABBREV.sub(lambda m: ABBREVIATIONS[m.group(0)], text).replace("人民人民", "人民")
    return text or None


def agencies_compatible(a: str | None, b: str | None, text_of_a: str | None = None) -> bool:
    """Whether two normalised agency names can name the same agency (both must be known).

    Equal names match. Otherwise the shorter must be the tail of the longer, and what the longer adds in
    front must be a place: either the shorter starts with an administrative level (``区卫生健康局`` in
    ``上城区卫生健康局``) or the added part ends with one (``卫生健康局`` in ``上城区卫生健康局``,
    ``上城区卫生健康局`` in ``杭州市上城区卫生健康局``). Failing that, the names match when the text of the
    document that uses `a` spells out `b` in full ("the text says so") and one name contains the other.
    """
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 3 or short not in long:
        return False
    if long.endswith(short):
        prefix = long[: -len(short)]
        if not _AGENCY_WORDS.search(prefix) and (short[0] in LEVEL_CHARS or prefix[-1] in LEVEL_CHARS):
            return True
    return bool(text_of_a) and len(b) > len(a) and b in text_of_a


_GOVERNMENT = re.compile(r"(人民政府办公室|人民政府|政府办公室|政府)$")


def publisher_of(publisher: str | None, agency: str | None) -> bool:
    """Whether `publisher` (normalised) is the government of the area whose `agency` this is: a county
    portal ``云溪区人民政府`` publishing ``云溪区教育局``'s report (also ``岳阳市云溪区人民政府``).

    Only evidence enough when a link says so (the report was found on the publisher's notice page)."""
    if not publisher or not agency:
        return False
    m = _GOVERNMENT.search(publisher)
    place = publisher[: m.start()] if m else ""
    if len(place) < 2 or place[-1] not in LEVEL_CHARS:
        return False
    # the place itself and each of its tails after a level character (岳阳市云溪区 → 云溪区)
    tails = [place] + [place[i + 1 :] for i, ch in enumerate(place[:-1]) if ch in LEVEL_CHARS]
    return any(len(t) >= 2 and agency.startswith(t) and len(agency) > len(t) for t in tails)
