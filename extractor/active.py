"""Table 二 (主动公开政府信息情况): the blocks of 第二十条, rows matched by their labels."""

from __future__ import annotations

import re

from extractor.normalise import parse_value, squash, to_wan_yuan
from extractor.requests import is_label_like
from extractor.schema import ACTIVE_BLOCKS, empty_active
from extractor.tables import HEADER, Document, fit, logical_rows, unglue

_LABELS: dict[str, str] = {
    "规章": "rules",
    "规范性文件": "normative_documents",
    "行政规范性文件": "normative_documents",
    "行政许可": "licensing",
    "其他对外管理服务事项": "other_services",
    "对外管理服务事项": "other_services",
    "行政处罚": "penalty",
    "行政强制": "coercion",
    "行政事业性收费": "fees",
    "政府集中采购": "procurement",
}
_PHRASES = re.compile(
    r"(?P<other_services>对外管理服务)|(?P<normative_documents>规范性文件)|(?P<rules>^规章)|"
    r"(?P<licensing>^行政许可)|(?P<penalty>^行政处罚)|(?P<coercion>^行政强制)|(?P<fees>事业[性型]收费)|"
    r"(?P<procurement>集中采购)"
)
_PAREN = re.compile(r"\([^()]*\)")
_BLOCK = re.compile(r"第二十条第?\(?([一二三四五六七八九十]+)\)?项")
_HEADER = re.compile(r"信息内容|数量|件数|金额|本年|上一年|增/减|增减|第二十条|单位:")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+[.、])")
_IN_YUAN = re.compile(r"\(元\)|单位:元|\(单位:元\)")


def glued_flag(name: str, cells: list[str]) -> dict:
    """A `checks` entry for value cells glued together that split in more than one way (left null)."""
    return {"name": f"cells.glued.{name}", "ok": False,
            "detail": "digits glued together without a separator split in more than one way; left null"}


def strip_notes(label: str) -> str:
    """The label without bracketed notes (nested brackets too); NFKC brackets expected."""
    prev = None
    while prev != label:
        prev, label = label, _PAREN.sub("", label)
    return label


class ActiveTable:
    """Reads table 二 of a 2019 or 2021 report into the `active` object."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.block: str | None = None
        self.cells: dict[str, list[str]] = {}
        self.extra: list[tuple[str, str, list[str]]] = []
        self.procurement_in_yuan = False
        self.fees_in_yuan = False
        self.flags: list[dict] = []
        self.fields = {key: block.fields for block in ACTIVE_BLOCKS[template] for key, _ in block.rows}

    def classify(self, cell: str) -> tuple[str, object]:
        ok, _, _ = parse_value(cell)
        if ok:
            return "value", None
        s = squash(cell)
        m = _BLOCK.search(s)
        if m:
            return "header", f"（{m.group(1)}）"
        # filling instructions in brackets (（设区的市…提供相关数据）, （指2019年事项数）, （…如-8）)
        # are not part of the label, and their numbers are not data
        core = strip_notes(s)
        if _HEADER.search(core):
            if _IN_YUAN.search(s) and "采购" in s:
                self.procurement_in_yuan = True
            if _IN_YUAN.search(s) and "收费" in s:  # 本年收费金额（单位：元）
                self.fees_in_yuan = True
            return "header", None
        bare = _NUMBERING.sub("", core).rstrip(":")
        key = _LABELS.get(bare)
        if key is None and len(bare) <= 16:
            m = _PHRASES.search(bare)
            if m:
                key = m.lastgroup
        if key is not None:
            return "label", key
        if self.block and bare and is_label_like(core) and len(bare) <= 20:
            return "label", "extra:" + bare
        return "text", None

    def read(self, doc: Document, start: int, end: int) -> None:
        for row in logical_rows(doc, start, end, self.classify):
            key, vals = row.key, row.values
            if key == HEADER:
                self.block = vals[0]
                continue
            if key.startswith("extra:"):
                if self.block:
                    self.extra.append((self.block, key[6:], vals))
                continue
            if key in self.fields and key not in self.cells:
                self.cells[key] = vals

    @property
    def found(self) -> int:
        return len(self.cells)

    def record(self) -> dict:
        out = empty_active(self.template)
        for key, vals in self.cells.items():
            fields = self.fields[key]
            vals, ambiguous = unglue(vals, len(fields))
            if ambiguous:
                self.flags.append(glued_flag(f"active.{key}", vals))
            row = fit(vals, len(fields))
            for (name, _), cell in zip(fields, row, strict=True):
                _, value, unit = parse_value(cell)
                if name == "amount_wan_yuan":
                    in_yuan = self.procurement_in_yuan if key == "procurement" else self.fees_in_yuan
                    value = to_wan_yuan(value, unit, in_yuan)
                out[key][name] = value
        for block, label, vals in self.extra:
            values = [parse_value(c)[1] for c in vals if parse_value(c)[0]]
            while values and values[-1] is None and len(values) > 1:
                values.pop()
            if any(v is not None for v in values):
                out["extra"].append({"block": block, "label": label, "values": values})
        return out
