"""Section headings 一…六 of a report (matched loosely by key words, in order) and their free text."""

from __future__ import annotations

import re

from extractor.normalise import squash
from extractor.schema import SECTION_KEYS

_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})[、.,:]")
_LEADS = frozenset("一二三四五六七八九十0123456789")
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("overview", re.compile(r"总体情况|基本情况|概述|总体概况|基本概况")),
    ("active", re.compile(r"主动公开政府信息|主动公开情况|主动公开工作")),
    ("requests", re.compile(r"收到和处理|依申请公开")),
    ("review_litigation", re.compile(r"行政复议|行政诉讼")),
    ("problems", re.compile(r"存在的主要问题|存在问题|问题及改进|问题和改进|改进情况|改进措施")),
    ("other", re.compile(r"其他需要报告|其它需要报告|其他事项")),
)


def find_headings(lines: list[str]) -> dict[str, int]:
    """Row index of each section heading found, in document order (a key only once)."""
    found: dict[str, int] = {}
    last = -1
    for i, line in enumerate(lines):
        if not line or len(line) > 60 or "\t" in line or line.lstrip()[:1] not in _LEADS:
            continue
        s = squash(line).strip("|")
        if not _NUMBERED.match(s) or len(s) > 40 or "。" in s or "|" in s:
            continue
        for order, (key, pattern) in enumerate(_KEYWORDS):
            if order > last and pattern.search(s):
                found[key] = i
                last = order
                break
    return found


def section_texts(raw: list[str], headings: dict[str, int]) -> dict[str, str]:
    """The text under each heading up to the next heading (absent keys for missing sections)."""
    ordered = sorted(headings.items(), key=lambda kv: kv[1])
    out: dict[str, str] = {}
    for n, (key, start) in enumerate(ordered):
        end = ordered[n + 1][1] if n + 1 < len(ordered) else len(raw)
        body = "\n".join(line.rstrip() for line in raw[start + 1 : end] if line.strip())
        out[key] = body.strip()
    return {k: out[k] for k in SECTION_KEYS if k in out}
