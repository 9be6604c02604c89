"""The validation identities of report-record.md: evaluated where all their cells are non-null.

A failing identity is reported, never fixed: the report itself is inconsistent.
"""

from __future__ import annotations

from extractor.schema import OUTCOME_ROWS, REQUEST_COLUMN_KEYS, REVIEW_FIELDS

_EPS = 1e-6


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _check(name: str, left: float, right: float, left_text: str, right_text: str) -> dict:
    ok = abs(left - right) < _EPS
    return {
        "name": name,
        "ok": ok,
        "detail": f"{left_text} = {_fmt(left)} {'==' if ok else '!='} {right_text} = {_fmt(right)}",
    }


def requests_checks(requests: dict, template: str) -> list[dict]:
    out: list[dict] = []
    cols = REQUEST_COLUMN_KEYS
    if all(k in requests for k in ("new", "carried_over", "total", "carried_forward")):
        for col in cols:
            a, b = requests["new"][col], requests["carried_over"][col]
            c, d = requests["total"][col], requests["carried_forward"][col]
            if None not in (a, b, c, d):
                out.append(_check(f"requests.balance.{col}", a + b, c + d, "new + carried_over",
                                  "total + carried_forward"))
    outcome = list(OUTCOME_ROWS.get(template, ()))
    if template == "2021":
        subs = ("other_overdue_correction", "other_overdue_fee", "other_other")
        if any(requests[s][c] is None for s in subs for c in cols):
            outcome = [k for k in outcome if k not in subs] + ["other"]
    if "total" in requests and outcome:
        for col in cols:
            parts = [requests[k][col] for k in outcome if k in requests]
            total = requests["total"][col]
            if total is not None and len(parts) == len(outcome) and None not in parts:
                out.append(_check(f"requests.total_row.{col}", total, sum(parts), "total", "sum of outcome rows"))
    for row, values in requests.items():
        parts = [values[c] for c in cols[:6]]
        if values["total"] is not None and None not in parts:
            out.append(_check(f"requests.total_column.{row}", values["total"], sum(parts), "total",
                              "sum of applicant columns"))
    return out


def review_checks(review: dict) -> list[dict]:
    out: list[dict] = []
    fields = [f for f, _ in REVIEW_FIELDS][:4]
    for group, values in review.items():
        parts = [values[f] for f in fields]
        if values["total"] is not None and None not in parts:
            out.append(_check(f"review_litigation.{group}", values["total"], sum(parts), "total",
                              "maintained + corrected + other + pending"))
    return out


def run_checks(record: dict) -> list[dict]:
    """All evaluable identities of a record."""
    out: list[dict] = []
    if record.get("requests"):
        out.extend(requests_checks(record["requests"], record.get("template") or ""))
    if record.get("review_litigation"):
        out.extend(review_checks(record["review_litigation"]))
    return out
