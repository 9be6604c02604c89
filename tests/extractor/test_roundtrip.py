"""Property tests: a random record, rendered in every way the reports arrive, extracts back to itself."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo_site.render import (
    TEXT_STYLES,
    render_html_tables,
    render_report_html,
    render_report_text,
    render_text,
)
from extractor import extract_report
from extractor.schema import REQUEST_COLUMN_KEYS, empty_active, empty_requests, empty_review
from tests.support.records import AGENCIES, LEGACY_ROWS, comparable

SETTINGS = settings(max_examples=int(os.environ.get("NIANBAO_HYPOTHESIS_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

counts = st.integers(min_value=0, max_value=99_999)
changes = st.integers(min_value=-9_999, max_value=9_999)
money = st.one_of(st.integers(min_value=0, max_value=999_999),
                  st.decimals(min_value=0, max_value=99_999, places=2).map(float))


@st.composite
def records(draw, template: str, nulls: bool = False) -> dict:
    """A filled-in record of `template` (with `nulls`, any cell may also be blank)."""

    def cell(strategy):
        if nulls and draw(st.booleans()) and draw(st.booleans()):
            return None
        return draw(strategy)

    years = {"2019": (2019, 2020), "2021": (2021, 2025), "pre2019": (2009, 2018)}[template]
    year = draw(st.integers(*years))
    record = {
        "is_report": True,
        "agency": draw(st.sampled_from(AGENCIES)),
        "year": year,
        "template": template,
        "published": draw(st.one_of(st.none(), st.dates().filter(lambda d: d.year == year + 1).map(str)))
        if draw(st.booleans()) else f"{year + 1}-01-{draw(st.integers(1, 28)):02d}",
        "active": None,
        "requests": None,
        "review_litigation": None,
        "legacy": None,
    }
    if template == "pre2019":
        record["legacy"] = [
            {"label": label, "parent": parent, "unit": unit, "value": cell(counts)}
            for label, parent, unit in LEGACY_ROWS
        ]
        return record
    active = empty_active(template)
    for key, row in active.items():
        if key == "extra":
            continue
        for field in row:
            row[field] = cell(changes if field == "change" else money if field == "amount_wan_yuan" else counts)
    requests = empty_requests(template)
    for key, row in requests.items():
        if key == "other" and template == "2021":
            continue
        for col in REQUEST_COLUMN_KEYS:
            row[col] = cell(counts)
    if template == "2021":
        for col in REQUEST_COLUMN_KEYS:
            parts = [requests[k][col] for k in ("other_overdue_correction", "other_overdue_fee", "other_other")
                     if requests[k][col] is not None]
            requests["other"][col] = sum(parts) if parts else None
    review = empty_review()
    for group in review.values():
        for field in group:
            group[field] = cell(counts)
    record.update(active=active, requests=requests, review_litigation=review)
    return record


def _all_renderings(record: dict):
    for style in TEXT_STYLES:
        yield style, extract_report(render_report_text(record, style))
    yield "html", extract_report(html=render_report_html(record))
    yield "html+text", extract_report(render_report_text(record, "cells_per_line"), html=render_report_html(record))


@SETTINGS
@given(records("2019"))
def test_2019_record_survives_every_rendering(record):
    for style, out in _all_renderings(record):
        assert comparable(out) == record, style


@SETTINGS
@given(records("2021"))
def test_2021_record_survives_every_rendering(record):
    for style, out in _all_renderings(record):
        assert comparable(out) == record, style


@SETTINGS
@given(records("pre2019"))
def test_pre2019_record_survives_every_rendering(record):
    for style, out in _all_renderings(record):
        assert comparable(out) == record, style


@SETTINGS
@given(st.sampled_from(["2019", "2021"]).flatmap(lambda t: records(t, nulls=True)))
def test_blank_cells_come_back_null_from_html_tables(record):
    """With real <table> markup every cell has its column, so blanks anywhere stay null, never 0."""
    out = extract_report(html=render_report_html(record))
    assert comparable(out) == record


@SETTINGS
@given(records("pre2019", nulls=True))
def test_blank_legacy_values_come_back_null_in_text(record):
    for style in ("tabs", "pipes", "cells_per_line"):
        assert comparable(extract_report(render_report_text(record, style))) == record, style


@SETTINGS
@given(st.sampled_from(["2019", "2021"]).flatmap(records))
def test_tables_alone_carry_the_statistics(record):
    """render_text / render_html_tables (tables section only) still give every statistic back."""
    for out in [extract_report(render_text(record, s)) for s in TEXT_STYLES] + [
        extract_report(html=render_html_tables(record))
    ]:
        assert out["template"] == record["template"]
        assert out["active"] == record["active"]
        assert out["requests"] == record["requests"]
        assert out["review_litigation"] == record["review_litigation"]


@SETTINGS
@given(st.sampled_from(["2019", "2021"]).flatmap(records))
def test_checks_follow_the_identities(record):
    out = extract_report(render_report_text(record, "tabs"))
    checks = {c["name"]: c["ok"] for c in out["checks"]}
    req = record["requests"]
    for col in REQUEST_COLUMN_KEYS:
        balance = req["new"][col] + req["carried_over"][col] == req["total"][col] + req["carried_forward"][col]
        assert checks[f"requests.balance.{col}"] is balance
    for row, values in req.items():
        assert checks[f"requests.total_column.{row}"] is (values["total"] == sum(values[c] for c in REQUEST_COLUMN_KEYS[:6]))
    for group, values in record["review_litigation"].items():
        parts = values["maintained"] + values["corrected"] + values["other"] + values["pending"]
        assert checks[f"review_litigation.{group}"] is (values["total"] == parts)


@SETTINGS
@given(
    st.sampled_from(["2019", "2021", "pre2019"]).flatmap(records),
    st.sampled_from(TEXT_STYLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.text(max_size=8)), max_size=6),
)
def test_damaged_text_never_raises_and_stays_a_record(record, style, cuts):
    """Lines cut out and junk pasted in anywhere: the output is still a well-formed, JSON-able record."""
    import json

    text = render_report_text(record, style)
    for at, length, junk in cuts:
        at %= len(text) + 1
        text = text[:at] + junk + text[at + length :]
    out = extract_report(text)
    assert json.loads(json.dumps(out)) == out
    assert out["template"] in ("2019", "2021", "pre2019", "unknown")
    if out["template"] in ("2019", "2021"):
        assert len(out["review_litigation"]) == 3 and all(len(row) == 7 for row in out["requests"].values())
    if not out["is_report"]:
        assert out["active"] is out["requests"] is out["legacy"] is None


@SETTINGS
@given(st.text(max_size=400), st.text(max_size=400))
def test_arbitrary_input_never_raises(text, html):
    assert extract_report(text)["checks"] is not None
    assert isinstance(extract_report(html=html)["is_report"], bool)
