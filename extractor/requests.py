"""Table 三 (收到和处理政府信息公开申请情况): `RequestsTable` rows by key phrases (formats.md §6.9)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from extractor.normalise import parse_value, squash
from extractor.schema import REQUEST_COLUMN_KEYS, REQUEST_ROW_KEYS, empty_requests
from extractor.tables import HEADER, Document, LogicalRow, fit, identity_score, logical_rows, unglue

# Order matters: the first pattern that matches a label cell wins.
_ROW_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("other_overdue_correction", r"逾期不补正|无正当理由逾期|申请人无正当"),
        ("other_overdue_fee", r"缴纳费用|逾期未按|收费通知|申请人逾期"),
        ("new", r"本年新收|新收.{0,6}申请"),
        ("carried_over", r"上年结转"),
        ("carried_forward", r"结转下年|下年度继续|转下年度"),
        ("partly_granted", r"部分公开"),
        ("denied_state_secret", r"国家秘"),
        ("denied_prohibited", r"禁止公开|其他法律行政法规|其他法律"),
        ("denied_three_safeties", r"三安全|一稳定"),
        ("denied_third_party", r"第三方"),
        ("denied_internal_affairs", r"内部事务|内容事务|三类内"),
        ("denied_process_info", r"过程性|四类过"),
        ("denied_enforcement_files", r"执法案"),
        ("denied_inquiry", r"查询事项|行政查询"),
        ("unable_not_held", r"不掌握"),
        ("unable_needs_creation", r"另行制作|没有现成"),
        ("unable_unclear", r"仍不明确|补正后"),
        ("rejected_complaint", r"信访|举报投诉"),
        ("rejected_duplicate", r"重复"),
        ("rejected_publication", r"出版物|要求提供"),
        ("rejected_excessive", r"大量反复|无正当理由"),
        ("rejected_confirmation", r"确认或重新|重新出具|要求行政机关"),
        ("other", r"其他处理"),
        ("granted", r"(?<!不)予以公开"),
        ("total", r"^(?:\(七\)|七[、.])总计"),
    )
)
_HEADER_WORDS = re.compile(r"勾稽|申请人情况|自然人|法人或其他组织|商业企业|科研机构|社会公益组织|法律服务机构")
_PAREN = re.compile(r"\([^()]*\)?")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+[.、])")


def is_label_like(s: str) -> bool:
    """A short table label, not a sentence of prose."""
    core = _PAREN.sub("", s)
    return 0 < len(core) <= 40 and "。" not in core and ";" not in core


_ANY_ROW = re.compile("|".join(f"(?P<{key}>{p.pattern})" for key, p in _ROW_PATTERNS if key != "total"))
_TOTAL = _ROW_PATTERNS[-1][1]


@lru_cache(maxsize=1 << 15)
def classify_cell(cell: str) -> tuple[str, str | None]:
    """Context-free reading of a cell: value, header, text, label (with its row key), or context
    (a bare 总计/其他 whose meaning depends on the row before)."""
    if parse_value(cell)[0]:
        return "value", None
    s = squash(cell)
    if _HEADER_WORDS.search(s):
        return "header", None
    if not is_label_like(s):
        return "text", None
    bare = _NUMBERING.sub("", s)
    if bare in ("总计", "合计"):
        return "context", "total"
    if bare in ("其他", "其它") or (bare.startswith("其他") and len(bare) <= 6 and "处理" not in bare):
        return "context", "other_other"
    if _TOTAL.search(s):
        return "label", "total"
    key = None
    for m in _ANY_ROW.finditer(s):  # the last label phrase is the most specific (merged label cells)
        key = m.lastgroup
    if key is not None:
        return "label", key
    return "text", None


@dataclass(slots=True)
class RequestsTable:
    """Collects the rows of table 三 as raw value cells, then fits them to the seven columns."""

    template: str
    cells: dict[str, list[str]] = field(default_factory=dict)
    exact: dict[str, bool] = field(default_factory=dict)
    last_key: str | None = None
    layout: dict[str, int] = field(default_factory=dict)
    hints: dict[str, int | None] = field(default_factory=dict)
    flags: list[dict] = field(default_factory=list)

    def classify(self, cell: str) -> tuple[str, object]:
        kind, key = classify_cell(cell)
        if kind == "context":
            if key == "total" and self.last_key in ("other", "other_other", "other_overdue_fee",
                                                    "other_overdue_correction"):
                return self._hit("total")
            if key == "other_other" and self.last_key in ("other_overdue_fee", "other_overdue_correction", "other"):
                return self._hit("other_other")
            return "header", None
        if kind == "label":
            self.last_key = key
        return kind, key

    def _hit(self, key: str) -> tuple[str, object]:
        self.last_key = key
        return "label", key

    def _header(self, cells: list[str]) -> None:
        squashed = [squash(c) for c in cells]
        if any("勾稽" in c or "申请人情况" in c for c in squashed):
            self.layout = {}
        for j, c in enumerate(squashed):
            if c == "自然人":
                self.layout["natural_person"] = j
                self.layout["width"] = len(cells)
            elif c == "总计":
                self.layout["total"] = j

    def read(self, doc: Document, start: int, end: int) -> None:
        for row in logical_rows(doc, start, end, self.classify, self._header):
            if row.key == HEADER or row.key in self.cells:
                continue
            self.cells[row.key] = row.values
            self.exact[row.key] = row.exact
            self.hints[row.key] = self._hint(row)

    def _hint(self, row: LogicalRow) -> int | None:
        """The window of the row's values that the header's columns point at, if they apply."""
        first = self.layout.get("natural_person")
        if first is None or row.offset < 0 or row.width != self.layout.get("width"):
            return None
        total = self.layout.get("total")
        if total is not None and total != first + 6:
            return None
        hint = first - row.offset
        return hint if hint >= 0 else None

    def _row(self, key: str) -> dict:
        """The seven columns of one row (null when the row was not found)."""
        vals = self.cells.get(key)
        if vals is None:
            return dict.fromkeys(REQUEST_COLUMN_KEYS)
        vals, ambiguous = unglue(vals, 7, _row_score)
        if ambiguous and not any(f["name"] == f"cells.glued.requests.{key}" for f in self.flags):
            self.flags.append({"name": f"cells.glued.requests.{key}", "ok": False,
                               "detail": "digits glued together without a separator split in more than one way; left null"})
        row = vals[-7:] if self.exact.get(key) and len(vals) >= 7 else fit(vals, 7, _row_score, self.hints.get(key), tail_total=True)
        return {col: parse_value(c)[1] for col, c in zip(REQUEST_COLUMN_KEYS, row, strict=True)}

    @property
    def found(self) -> int:
        return len(self.cells)

    def record(self) -> dict:
        """The `requests` object: every template row, seven columns, null where not given."""
        out = empty_requests(self.template)
        for key in self.cells:
            if key in out:
                out[key] = self._row(key)
        sub_keys = ("other_overdue_correction", "other_overdue_fee", "other_other")
        if "other" not in self.cells and any(k in self.cells for k in sub_keys):
            # （六） given only by its sub-rows (the 2021 layout, also in reports mixing the formats)
            subs = [self._row(k) for k in sub_keys]
            for col in REQUEST_COLUMN_KEYS:
                parts = [s[col] for s in subs if s[col] is not None]
                out["other"][col] = sum(parts) if parts else None
        return {k: out[k] for k in REQUEST_ROW_KEYS[self.template]}


def _row_score(cells: list[str]) -> int:
    """Identity of the applicant columns: 总计 = the sum of the six others."""
    return identity_score(cells[:6], cells[6])
