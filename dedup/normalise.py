"""Text normalisation for deduplication: page furniture out, then a whitespace- and punctuation-free
"skeleton" of the text (NFKC, lower case, CJK ideographs, digits and Latin letters only).

The skeleton is what the exact layer hashes and what the near layer shingles, so an HTML page and its PDF
copy (broken lines, spaced-out labels such as ``结 果 维 持``, page numbers, repeated page headers,
full-width digits) come out the same.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from extractor.schema import SECTION_HEADINGS

# SiteServer CMS pagination markers that survive text extraction.
SITESERVER_MARKER = re.compile(r"\[\s*SITESERVER_PAGE\s*\]", re.IGNORECASE)

# Lines that are nothing but a page number, in the forms PDF/DOC exports print them. A bare number on
# its own line is NOT in this list: table cells look exactly like that.
_PAGE_NUMBER_FORMS = r"""(?:
        [-—–－~_]+[\ \t\u3000]*\d{1,4}[\ \t\u3000]*[-—–－~_]+         # - 3 -   — 3 —
      | 第[\ \t\u3000]*\d{1,4}[\ \t\u3000]*页(?:[\ \t\u3000]*[,，/、]?[\ \t\u3000]*共[\ \t\u3000]*\d{1,4}[\ \t\u3000]*页)?
      | 共[\ \t\u3000]*\d{1,4}[\ \t\u3000]*页[\ \t\u3000]*第[\ \t\u3000]*\d{1,4}[\ \t\u3000]*页
      | \d{1,4}[\ \t\u3000]*/[\ \t\u3000]*\d{1,4}                       # 3/10
      | (?:page|p\.)[\ \t\u3000]*\d{1,4}(?:[\ \t\u3000]*(?:of|/)[\ \t\u3000]*\d{1,4})?  # Page 3 of 10
    )"""
_PAGE_NUMBER_LINES = re.compile(  # matched from the line break before (the text gets a leading "\n")
    r"[\n\f][\ \t\u3000]*" + _PAGE_NUMBER_FORMS + r"[\ \t\u3000]*(?=[\n\f]|\Z)",
    re.IGNORECASE | re.VERBOSE,
)
# Cheap test for the same (run on the whole text): most texts have no page furniture at all.
_MAYBE_PAGE_NUMBER = re.compile(
    r"\n[ \t\u3000]*(?:[-—–－~_]+[ \t]*\d{1,4}[ \t]*[-—–－~_]+|第[ \t]*\d{1,4}[ \t]*页|共[ \t]*\d{1,4}[ \t]*页"
    r"|\d{1,4}[ \t]*/[ \t]*\d{1,4}|(?:[Pp][Aa][Gg][Ee]|[Pp]\.)[ \t]*\d{1,4})[^\n]{0,20}(?=\n)"
)
_BARE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")
_NON_SKELETON = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff0-9a-z]+")


def _is_kept(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or (ch.isascii() and ch.isalnum())


def _build_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per BMP code point: its one-character skeleton (0 = dropped), and whether it needs the slow path
    (NFKC gives several kept characters, such as ⑩ or ㈠)."""
    table = np.zeros(0x10000, dtype=np.uint32)
    multi = np.zeros(0x10000, dtype=bool)
    for c in range(0x10000):
        if 0xD800 <= c < 0xE000:
            continue
        kept = [ch for ch in unicodedata.normalize("NFKC", chr(c)).lower() if _is_kept(ch)]
        if len(kept) == 1:
            table[c] = ord(kept[0])
        elif kept:
            multi[c] = True
    return table, multi


_SKELETON_TABLE, _SKELETON_MULTI = _build_tables()


def skeleton(text: str) -> str:
    """NFKC, lower case, and keep only CJK ideographs, digits and Latin letters."""
    return _NON_SKELETON.sub("", unicodedata.normalize("NFKC", text).lower())


def skeleton_codes(text: str) -> np.ndarray:
    """`skeleton(text)` as uint32 code points, computed with a lookup table (about 10x faster)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    bmp = codes[codes < 0x10000]
    if len(bmp) != len(codes) or _SKELETON_MULTI[bmp].any():
        return np.frombuffer(skeleton(text).encode("utf-32-le"), dtype=np.uint32)
    mapped = _SKELETON_TABLE[bmp]
    return mapped[mapped != 0]


def _first_line(page: str) -> str:
    cut = page.find("\n")
    return (page if cut < 0 else page[:cut]).strip()


def _last_line(page: str) -> str:
    return page[page.rfind("\n") + 1 :].strip()


class LazySkeleton:
    """The skeleton of a text, computed on first use (for the rare "does the text name this agency" test)."""

    __slots__ = ("_text", "_skel")

    def __init__(self, text: str | None) -> None:
        self._text = text or ""
        self._skel: str | None = None

    def __str__(self) -> str:
        if self._skel is None:
            self._skel = skeleton(self._text)
        return self._skel

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __bool__(self) -> bool:
        return bool(self._text)


def codes_to_str(codes: np.ndarray) -> str:
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")


def text_hash(codes: np.ndarray) -> int:
    """A 63-bit hash of a skeleton given as code points (the exact-text key)."""
    data = np.ascontiguousarray(codes, dtype=np.uint32).tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") >> 1


@dataclass
class NormaliseStats:
    documents: int = 0
    chars_in: int = 0
    chars_out: int = 0
    siteserver_markers: int = 0
    page_number_lines: int = 0
    furniture_lines: int = 0
    empty: int = 0


@dataclass
class TextNormaliser:
    """Removes page furniture and reduces a text to its skeleton; counts what it removed."""

    stats: NormaliseStats = field(default_factory=NormaliseStats)

    def strip_furniture(self, text: str) -> str:
        """Drop SiteServer markers, page-number lines and page headers/footers repeated across pages.

        Works on page edges only (first and last line of each page), so its cost grows with the number
        of pages, not of lines."""
        text, markers = SITESERVER_MARKER.subn("\n", text)
        self.stats.siteserver_markers += markers
        # Page numbers become page breaks.
        text = "\n" + text.replace("\r\n", "\n").replace("\r", "\n")
        text, page_numbers = _PAGE_NUMBER_LINES.subn("\n\f", text)
        pages = [p for p in (x.strip() for x in text.split("\f")) if p]
        if len(pages) > 1:
            for i, page in enumerate(pages):  # a bare number ending a page and equal to its number
                cut = page.rfind("\n")
                last = page[cut + 1 :].strip()
                if cut > 0 and _BARE_NUMBER.match(last) and int(last) in (i, i + 1):
                    pages[i] = page[:cut].rstrip()
                    page_numbers += 1
            edges: Counter[str] = Counter()
            for page in pages:
                edges.update({_first_line(page), _last_line(page)})
            # Lines at a page edge on 2+ pages, with some letters in them (not a lone table value).
            furniture = {ln for ln, n in edges.items() if n >= 2 and len(skeleton(ln)) >= 4}
            if furniture:
                seen: set[str] = set()
                for i, page in enumerate(pages):
                    first = _first_line(page)
                    if first in furniture:
                        if first in seen:
                            cut = page.find("\n")
                            page = page[cut + 1 :].lstrip() if cut >= 0 else ""
                            self.stats.furniture_lines += 1
                        else:
                            seen.add(first)  # keep the first occurrence: it is usually the title
                    last = _last_line(page)
                    if page and last in furniture:
                        if last in seen:
                            cut = page.rfind("\n")
                            page = page[:cut].rstrip() if cut >= 0 else ""
                            self.stats.furniture_lines += 1
                        else:
                            seen.add(last)
                    pages[i] = page
        self.stats.page_number_lines += page_numbers
        return "\n".join(pages)

    def has_furniture(self, text: str) -> bool:
        return (
            "\f" in text
            or "SITESERVER" in text.upper()
            or _MAYBE_PAGE_NUMBER.search("\n" + text + "\n") is not None
        )

    def normalise_codes(self, text: str) -> np.ndarray:
        """The skeleton of `text` after removing page furniture, as uint32 code points."""
        self.stats.documents += 1
        self.stats.chars_in += len(text)
        if self.has_furniture(text):
            text = self.strip_furniture(text)
        codes = skeleton_codes(text)
        self.stats.chars_out += len(codes)
        if not len(codes):
            self.stats.empty += 1
        return codes

    def normalise(self, text: str) -> str:
        """The skeleton of `text` after removing page furniture."""
        return codes_to_str(self.normalise_codes(text))


# Labels of the national templates (2019, 2021, pre-2019 tables) and the standard section headings.
# Every report of a template carries them, so they say nothing about which report a text is: the
# near layer drops the shingles that lie inside them (see `shingles.ShingleHasher`).
TEMPLATE_PHRASES: tuple[str, ...] = (
    "政府信息公开工作年度报告",
    "政府信息公开情况统计表",
    "中华人民共和国政府信息公开条例",
    "政府信息公开条例",
    *SECTION_HEADINGS,
    "政府信息公开工作存在的主要问题及改进情况",
    "因政府信息公开工作被申请行政复议、提起行政诉讼情况",
    "第二十条第（一）项",
    "第二十条第（五）项",
    "第二十条第（六）项",
    "第二十条第（八）项",
    "第二十条第（九）项",
    "信息内容",
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "规章",
    "行政规范性文件",
    "规范性文件",
    "上一年项目数量",
    "本年增/减",
    "处理决定数量",
    "本年处理决定数量",
    "行政许可",
    "其他对外管理服务事项",
    "行政处罚",
    "行政强制",
    "行政事业性收费",
    "采购项目数量",
    "采购总金额",
    "政府集中采购",
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年收费金额（单位：万元）",
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "申请人情况",
    "自然人",
    "法人或其他组织",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "三、本年度办理结果",
    "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "（四）无法提供",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "（五）不予处理",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
    "（七）总计",
    "四、结转下年度继续办理",
    "行政复议",
    "行政诉讼",
    "结果维持",
    "结果纠正",
    "其他结果",
    "尚未审结",
    "未经复议直接起诉",
    "复议后起诉",
    "统计指标",
    "单位",
    "统计数",
    "主动公开情况",
    "依申请公开情况",
    "主动公开政府信息数",
    "收到申请数",
    "申请办结数",
    "申请答复数",
    "行政复议数量",
    "行政诉讼数量",
    "举报投诉数量",
    "依申请公开信息收取的费用",
    "机构建设和保障经费情况",
    "政府信息公开会议和培训情况",
)
