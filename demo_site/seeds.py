"""The seed reports bundled with the demo site: their text, gold records and prose sections."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

SITESERVER_PAGE = "[SITESERVER_PAGE]"

# A top-level section heading: 一、 … 六、 (or "4、" as some Word exports turn 四 into a digit).
_HEADING = re.compile(r"^\s*[#*\s]*(?P<num>[一二三四五六]|[1-6])\s*、\s*(?P<text>.*?)[*\s]*$")
_NUMS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DATE_LINE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_ARTEFACTS = re.compile(r"\[bookmark:[^\]]*\]\s*")
# What each section's heading talks about; rows inside tables reuse 一、二、四、 with other words.
_HEADING_WORDS = {1: "总体|基本情况", 2: "主动公开", 3: "申请", 4: "复议|诉讼", 5: "问题", 6: "其他"}
_SECTION_KEYS = {1: "overview", 2: "active", 3: "requests", 4: "review_litigation", 5: "problems", 6: "other"}


@dataclass(frozen=True)
class Seed:
    """One seed report: raw text, gold record and the prose of its narrative sections."""

    seed_id: str
    text: str
    gold: dict[str, Any]
    prose: dict[str, list[str]] = field(default_factory=dict)
    headings: dict[str, str] = field(default_factory=dict)

    @property
    def agency(self) -> str:
        return self.gold["agency"]

    @property
    def year(self) -> int:
        return self.gold["year"]

    @property
    def template(self) -> str:
        return self.gold["template"]


def _data(name: str) -> resources.abc.Traversable:
    return resources.files("demo_site").joinpath("data", name)


def seed_ids() -> list[str]:
    return sorted(p.name[:-4] for p in _data("seeds").iterdir() if p.name.endswith(".txt"))


def _clean(line: str) -> str:
    line = _ARTEFACTS.sub("", line)
    return line.replace("**", "").lstrip("#").strip()


def split_sections(text: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Paragraphs and heading text of sections 一 … 六, taking each heading's first occurrence in order.

    Reports repeat numbered headings inside their tables (四、结转下年度继续办理 under 三) and some
    lose a heading, so a section starts at the first later heading with a higher number whose text
    names the section's subject.
    """
    lines = text.splitlines()
    starts: list[tuple[int, int, str]] = []
    last = 0
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if not m or "\t" in m["text"]:
            continue
        num = _NUMS.get(m["num"]) or int(m["num"])
        if num > last and re.search(_HEADING_WORDS[num], m["text"]):
            starts.append((num, i, _clean(m["text"])))
            last = num
    prose: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    for k, (num, start, heading) in enumerate(starts):
        end = starts[k + 1][1] if k + 1 < len(starts) else len(lines)
        paras = [_clean(x) for x in lines[start + 1 : end]]
        prose[_SECTION_KEYS[num]] = [p for p in paras if p]
        headings[_SECTION_KEYS[num]] = heading
    return prose, headings


def _strip_signature(paras: list[str], agency: str) -> list[str]:
    """Drop the trailing signature (agency name, date) that follows section 六."""
    short = agency[-6:]
    while paras and (_DATE_LINE.match(paras[-1]) or paras[-1].endswith(short) and len(paras[-1]) <= 30):
        paras = paras[:-1]
    return paras


def legacy_prose(text: str) -> list[str]:
    """The narrative of a pre-2019 report: every line before its 统计表 attachment and date line."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("附件") or "|" in line:
            break
        line = _clean(line)
        if line and not _DATE_LINE.match(line):
            out.append(line)
    return out


def legacy_rows(text: str) -> list[tuple[str, str, str]]:
    """(label, unit, value) rows of a pre-2019 统计表 written as `label | unit | value |` lines."""
    rows: list[tuple[str, str, str]] = []
    started = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 3:
            continue
        if cells[0].replace(" ", "") == "统计指标":
            started = True
            continue
        if started and cells[1] and cells[2]:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


@cache
def load_seed(seed_id: str) -> Seed:
    text = _data("seeds").joinpath(f"{seed_id}.txt").read_text(encoding="utf-8")
    gold = json.loads(_data("gold").joinpath(f"{seed_id}.json").read_text(encoding="utf-8"))
    if gold.get("template") == "pre2019":
        prose, headings = {"overview": legacy_prose(text)}, {}
    else:
        prose, headings = split_sections(text)
        if "other" in prose:
            prose["other"] = _strip_signature(prose["other"], gold["agency"])
    return Seed(seed_id, text, gold, prose, headings)
