"""The export schema: every column of the corpus, in one fixed order, with its type and its meaning.

Built from the national formats (`extractor.schema`), so the export, the codebook (`storage.codebook`),
the Frictionless `datapackage.json` and the Parquet metadata cannot drift apart. Whatever the content of
an export, it has exactly these columns, in this order, with these types: a column a report's template
lacks is present and null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.schema import (
    ACTIVE_BLOCKS,
    OUTCOME_ROWS,
    REQUEST_COLUMNS,
    REQUEST_ROWS,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
    SECTION_HEADINGS,
    SECTION_KEYS,
)

SCHEMA_VERSION = "1.0"

# Logical types. `list`: a list of strings; `json`: a list of objects (Parquet: list of structs).
TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "list", "json")

NULL_STATISTIC = "null if blank in the report, absent from its text, or not in its template; never a guessed 0"
NULL_NEVER = "never null"
NULL_UNKNOWN = "null when unknown"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the export."""

    name: str
    type: str
    description: str
    group: str
    table: str = ""        # the statutory table (二/三/四, or the pre-2019 统计表)
    row_label: str = ""    # the row label in Chinese, as the template prints it
    column_label: str = ""  # the column header in Chinese
    unit: str = ""
    templates: tuple[str, ...] = ()  # templates whose reports have this cell (empty: all reports)
    null_rule: str = NULL_UNKNOWN
    checks: tuple[str, ...] = ()     # validation identities (report-record.md) that involve the cell
    struct: tuple[tuple[str, str], ...] = field(default=())  # json columns: the objects' keys and types

    @property
    def safe_name(self) -> str:
        return safe_name(self.name)


# Segment abbreviations for names that are valid Stata/R identifiers of at most 32 characters.
_ABBREV = {
    "active": "ac", "requests": "rq", "review_litigation": "rl", "sections": "sec",
    "normative_documents": "normdocs", "other_services": "othsvc", "amount_wan_yuan": "amt_wan",
    "prev_items": "prev", "litigation_direct": "lit_direct", "litigation_after_review": "lit_after",
    "natural_person": "nat", "commercial": "com", "research": "res", "social_welfare": "soc",
    "legal_service": "law", "other_org": "org",
    "carried_over": "carried", "partly_granted": "partly", "denied_state_secret": "den_secret",
    "denied_prohibited": "den_prohib", "denied_three_safeties": "den_3safe",
    "denied_third_party": "den_3rdparty", "denied_internal_affairs": "den_internal",
    "denied_process_info": "den_process", "denied_enforcement_files": "den_enforce",
    "denied_inquiry": "den_inquiry", "unable_not_held": "unab_notheld",
    "unable_needs_creation": "unab_create", "unable_unclear": "unab_unclear",
    "rejected_complaint": "rej_complaint", "rejected_duplicate": "rej_dup",
    "rejected_publication": "rej_pub", "rejected_excessive": "rej_excess",
    "rejected_confirmation": "rej_confirm", "other_overdue_correction": "oth_correction",
    "other_overdue_fee": "oth_fee", "other_other": "oth_other", "carried_forward": "forward",
}


def safe_name(name: str) -> str:
    """A valid R and Stata identifier (letters, digits, underscore; at most 32 characters): dotted
    names joined by underscores, each part abbreviated the same way (`requests.new.natural_person` is
    `rq_new_nat`)."""
    short = "_".join(_ABBREV.get(part, part) for part in name.split("."))
    short = re.sub(r"[^A-Za-z0-9_]", "_", short)
    if not re.match(r"[A-Za-z]", short):
        short = "v" + short
    return short[:32]


_T2 = "二、主动公开政府信息情况"
_T3 = "三、收到和处理政府信息公开申请情况"
_T4 = "四、政府信息公开行政复议、行政诉讼情况"
_UNITS = {"amount_wan_yuan": "万元 (10,000 yuan)", "prev_items": "项 (items)", "change": "项 (items, signed)",
          "projects": "个 (projects)"}


def _active_columns() -> list[Column]:
    found: dict[tuple[str, str], dict] = {}
    for template, blocks in ACTIVE_BLOCKS.items():
        for block in blocks:
            for row, row_label in block.rows:
                for fld, header in block.fields:
                    entry = found.setdefault((row, fld), {"templates": [], "rows": [], "headers": [],
                                                          "item": block.item})
                    entry["templates"].append(template)
                    if row_label not in entry["rows"]:
                        entry["rows"].append(row_label)
                    if header not in entry["headers"]:
                        entry["headers"].append(header)
    columns = []
    for (row, fld), entry in found.items():
        columns.append(Column(
            f"active.{row}.{fld}", "number",
            f"Table 二 (第二十条第{entry['item']}项), row {row}, field {fld}.",
            "active", f"{_T2}·第二十条第{entry['item']}项", " / ".join(entry["rows"]), " / ".join(entry["headers"]),
            _UNITS.get(fld, "件 (count)"), tuple(entry["templates"]), NULL_STATISTIC,
        ))
    columns.append(Column(
        "active.extra", "json", "Rows a report adds to a block of table 二 that its template does not define.",
        "active", _T2, "(rows not in the template)", "", "", ("2019", "2021"),
        "an empty list when the report adds no row; null when the report has no table 二",
        struct=(("block", "string"), ("label", "string"), ("values", "numbers")),
    ))
    return columns


def _request_checks(row: str, col: str) -> tuple[str, ...]:
    out = []
    if row in ("new", "carried_over", "total", "carried_forward"):
        out.append(f"requests.balance.{col}")
    if row == "total" or any(row in rows for rows in OUTCOME_ROWS.values()) or row == "other":
        out.append(f"requests.total_row.{col}")
    out.append(f"requests.total_column.{row}")
    return tuple(out)


def _request_columns() -> list[Column]:
    labels: dict[str, tuple[str, str]] = {}
    templates: dict[str, list[str]] = {}
    order: list[str] = []
    for template in ("2019", "2021"):
        for key, group, label in REQUEST_ROWS[template]:
            labels.setdefault(key, (group, label))
            templates.setdefault(key, []).append(template)
            if key not in order:
                order.append(key)
    # a 2021 record also carries `other`, the total of （六）其他处理 (report-record.md)
    templates["other"] = ["2019", "2021"]
    order.remove("other")
    order.insert(order.index("other_overdue_correction"), "other")
    columns = []
    for row in order:
        group, label = labels[row]
        row_label = f"{group} {label}".strip() if group else label
        for col, header in REQUEST_COLUMNS:
            header_full = header if col != "other_org" else "其他（法人或其他组织）"
            columns.append(Column(
                f"requests.{row}.{col}", "number",
                f"Table 三, row {row}, applicant column {col}.",
                "requests", _T3, row_label, header_full, "件 (requests)", tuple(templates[row]),
                NULL_STATISTIC, _request_checks(row, col),
            ))
    return columns


def _review_columns() -> list[Column]:
    columns = []
    for group, group_label in REVIEW_GROUPS:
        label = group_label if group == "review" else f"行政诉讼·{group_label}"
        for fld, header in REVIEW_FIELDS:
            columns.append(Column(
                f"review_litigation.{group}.{fld}", "number", f"Table 四, group {group}, {fld}.",
                "review_litigation", _T4, label, header, "件 (cases)", ("2019", "2021"), NULL_STATISTIC,
                (f"review_litigation.{group}",),
            ))
    return columns


def _section_columns() -> list[Column]:
    return [
        Column(f"sections.{key}", "string", f"Free text of section {heading[:2]} ({key}).", "sections",
               heading, null_rule="null when the report has no such section", templates=("2019", "2021"))
        for key, heading in zip(SECTION_KEYS, SECTION_HEADINGS, strict=True)
    ]


def _base_columns() -> list[Column]:
    C = Column
    return [
        C("report_key", "string",
          "Stable key of the report: year, a hash of the canonical copy's normalised agency and the version "
          "(`2020-3f9a0c1d2e-v1`); survives re-processing and dedup reruns. Reports without agency or year: "
          "`x-` and the raw hash of the canonical copy. A suffix of that hash is added when two reports "
          "would share a key.", "identity", null_rule=NULL_NEVER),
        C("report_id", "integer", "Database row id of the canonical copy (not stable across databases).",
          "identity", null_rule=NULL_NEVER),
        C("cluster_id", "string", "Dedup cluster (all copies and versions of one agency's report of one year); "
          "null before `nianbao dedup`.", "identity"),
        C("version", "integer", "Version of the report within its cluster (a revised report with different "
              "numbers is a new version); null before dedup.", "identity"),
        C("is_report", "boolean", "Whether the document is an annual report at all.", "record",
          null_rule=NULL_NEVER),
        C("agency", "string", "The publishing agency as the report names itself (fullest form found).", "record"),
        C("year", "integer", "The year the report covers (not the year it was published).", "record",
          unit="year"),
        C("template", "string", "National format the tables follow: 2019, 2021, pre2019 or unknown.", "record",
          null_rule=NULL_NEVER),
        C("published", "date", "Date the report is signed or published, when the text gives one.", "record"),
        C("title", "string", "The report's title (the document's own title, or the link text of an attachment).",
          "record"),
        C("region", "string", "Region given with the seed the report was found from (seeds CSV).", "region"),
        C("province_code", "string", "行政区划代码 (6 digits) of the province of the agency's area.", "region"),
        C("province", "string", "Name of the province.", "region"),
        C("city_code", "string", "行政区划代码 of the prefecture-level city.", "region"),
        C("city", "string", "Name of the prefecture-level city.", "region"),
        C("county_code", "string", "行政区划代码 of the county-level area (区/县/县级市/旗).", "region"),
        C("county", "string", "Name of the county-level area.", "region"),
        C("region_basis", "string",
          "Where the codes come from: `agency` (the agency's name), `seed` (the seed's region), "
          "`historical` (a name renamed or merged since; the code it had in the report's year), or null "
          "when no area could be placed.", "region"),
        C("source_url", "string", "URL of the canonical copy.", "provenance", null_rule=NULL_NEVER),
        C("copies", "list", "Every URL carrying the same report (all copies and pages).", "provenance",
          null_rule=NULL_NEVER),
        C("fetched_at", "datetime", "When the canonical copy was fetched (UTC).", "provenance"),
        C("raw_sha256", "string", "SHA-256 of the raw bytes of the canonical copy (raw store key).",
          "provenance", null_rule=NULL_NEVER),
        C("document_kind", "string", "html, pdf, doc, docx, wps, xls, xlsx, image or txt.", "provenance",
          null_rule=NULL_NEVER),
        C("removed_at", "datetime", "When the report was found gone from its site (null: still online).",
          "provenance", null_rule="null while the report is online"),
        C("pages", "integer", "Pages of the document (PDF pages, pages of a split article).", "quality",
          unit="pages"),
        C("ocr_pages", "integer", "Pages read by OCR (scans).", "quality", unit="pages",
          null_rule="0 when no page was OCRed; null when unknown"),
        C("ocr_confidence", "number", "Mean Tesseract confidence of the OCRed pages (0-100).", "quality",
          null_rule="null when no page was OCRed"),
        C("unread_pages", "integer", "Pages left unread when the PDF's time budget ran out.", "quality",
          unit="pages", null_rule="0 when every page was read"),
        C("cjk_ratio", "number", "Share of CJK characters in the text.", "quality"),
        C("document_error", "string", "Error recorded while reading the document (encrypted, truncated …).",
          "quality", null_rule="null when none"),
        C("checks_total", "integer", "Validation identities that could be evaluated on the record.", "checks",
          null_rule=NULL_NEVER),
        C("checks_failed", "integer", "Validation identities that fail (the report is inconsistent).",
          "checks", null_rule=NULL_NEVER),
        C("failed_checks", "list", "Names of the failing identities.", "checks", null_rule=NULL_NEVER),
        C("checks", "json", "Every evaluated identity: name, ok, detail.", "checks", null_rule=NULL_NEVER,
          struct=(("name", "string"), ("ok", "boolean"), ("detail", "string"))),
    ]


def _legacy_column() -> Column:
    return Column(
        "legacy", "json",
        "Pre-2019 政府信息公开情况统计表, one entry per row: label, parent, unit, value (labels NFKC-normalised).",
        "legacy", "政府信息公开情况统计表", "(one entry per row)", "统计指标 / 单位 / 统计数", "as printed",
        ("pre2019",), "null for reports of templates 2019 and 2021; a null value: the cell is blank or ——",
        struct=(("label", "string"), ("parent", "string"), ("unit", "string"), ("value", "number")),
    )


def build_columns() -> tuple[Column, ...]:
    columns = (_base_columns() + _active_columns() + _request_columns() + _review_columns()
               + [_legacy_column()] + _section_columns())
    return tuple(columns)


COLUMNS: tuple[Column, ...] = build_columns()
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
