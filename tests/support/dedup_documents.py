"""A real report (seed 000, 杭州市上城区卫生健康局 2020) as DedupDocuments, and the copies and
look-alikes built from it the way real sites and text extractors produce them."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

from dedup import DedupDocument

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"


def load_seed(n: str) -> tuple[str, dict]:
    return (DATA / f"seed_{n}.txt").read_text(encoding="utf-8"), json.loads(
        (DATA / f"gold_{n}.json").read_text()
    )


def stats_of(record: dict) -> dict:
    return {k: record.get(k) for k in ("active", "requests", "review_litigation", "legacy")}


def damage_like_pdf(text: str, title: str) -> str:
    """What PDF extraction makes of a report: lines broken every 23 characters, table labels spaced
    out, a running header and a page number on every page, form feeds between pages, full-width digits."""
    spaced = re.sub(r"结果维持|结果纠正|尚未审结|其他结果", lambda m: " ".join(m.group(0)), text)
    lines: list[str] = []
    for para in spaced.split("\n"):
        lines.extend(para[i : i + 23] for i in range(0, len(para), 23))
    pages = [lines[i : i + 40] for i in range(0, len(lines), 40)]
    out = []
    for no, page in enumerate(pages, 1):
        out.append("\n".join([title, *page, f"- {no} -"]))
    return "\f".join(out).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def like_docx(text: str) -> str:
    """Office export: table cells of a row joined by tabs, paragraphs kept."""
    out: list[str] = []
    for line in text.split("\n"):
        if (
            out
            and line.strip()
            and len(line) <= 12
            and out[-1].strip()
            and len(out[-1].split("\t")[-1]) <= 12
        ):
            out[-1] += "\t" + line
        else:
            out.append(line)
    return "\n".join(out)


def make_doc(
    doc_id: str,
    text: str,
    record: dict,
    *,
    kind: str = "html",
    fetched: str = "2021-02-01T00:00:00",
    url: str | None = None,
    checks_ok: bool | None = True,
    **overrides,
) -> DedupDocument:
    fields = dict(
        doc_id=doc_id,
        text=text,
        agency=record.get("agency"),
        year=record.get("year"),
        template=record.get("template"),
        stats=stats_of(record),
        source_kind=kind,
        fetched_at=fetched,
        url=url or f"http://example.gov.cn/{doc_id}.{kind}",
        raw_sha256=hashlib.sha256((kind + text).encode()).hexdigest(),
        checks_ok=checks_ok,
    )
    fields.update(overrides)
    return DedupDocument(**fields)


TITLE = "{agency}{year}年政府信息公开工作年度报告"


def notice(
    doc_id: str,
    agency: str | None,
    year: int | None,
    *,
    fetched: str,
    template: str = "unknown",
    url: str | None = None,
) -> DedupDocument:
    """The record a notice page gets: agency and year from its title, nothing else."""
    title = TITLE.format(agency=agency or "", year=year or "")
    text = f"{title}\n{title}详见附件。\n附件：\n{title}.pdf"
    record = {"agency": agency, "year": year, "template": template,
              "active": None, "requests": None, "review_litigation": None, "legacy": None}
    return make_doc(doc_id, text, record, kind="html", fetched=fetched, checks_ok=None, section_chars=0,
                    url=url or f"http://example.gov.cn/notice/{doc_id}.html")


def twin_of(text: str, record: dict) -> tuple[str, dict]:
    """The same boilerplate filled in by a neighbouring agency (下城区), with its own numbers."""
    twin = copy.deepcopy(record)
    twin["agency"] = "杭州市下城区卫生健康局"
    twin["active"]["licensing"]["decisions"] = 2870
    twin["active"]["penalty"]["decisions"] = 377
    t = text.replace("上城区", "下城区").replace("3121", "2870").replace("412", "377")
    return t, twin


def previous_year(text: str, record: dict) -> tuple[str, dict]:
    """The same agency's report on 2019, written from the 2020 one with new numbers."""
    prev = copy.deepcopy(record)
    prev["year"] = 2019
    prev["active"]["licensing"]["decisions"] = 3959
    prev["active"]["penalty"]["decisions"] = 505
    t = text.replace("2020", "2019").replace("2021", "2020").replace("3121", "3959").replace("412", "505")
    return t, prev


def revised(text: str, record: dict) -> tuple[str, dict]:
    """A corrected edition of the same report: two numbers changed."""
    rev = copy.deepcopy(record)
    rev["active"]["licensing"]["decisions"] = 3221
    rev["active"]["procurement"]["projects"] = 31
    return text.replace("3121", "3221").replace("\n30\n", "\n31\n"), rev
