"""The five real documents of ../shared/realdocs: report or not, agency, year, published and template
as their gold records say (the identity fields of issue 12; table fields are tested elsewhere)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.spec import SHARED

REALDOCS = SHARED / "realdocs"
IDENTITY = ("is_report", "agency", "year", "published", "template")
CASES = {
    "putuo-finance-2024-final-accounts": ".pdf",
    "blank-2021-template": ".docx",
    "pingtan-county-2011": ".html",
    "pingtan-zone-2022": ".html",
    "hongze-2023": ".pdf",
}


def _require_realdocs() -> None:
    if (REALDOCS / "gold").is_dir() and (REALDOCS / "files").is_dir():
        return
    message = f"real documents not found at {REALDOCS} (expected beside the repository)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _params():
    for name, suffix in CASES.items():
        marks = [pytest.mark.slow] if suffix == ".pdf" else []
        yield pytest.param(name, suffix, marks=marks, id=name)


@pytest.mark.parametrize(("name", "suffix"), list(_params()))
def test_identity_fields_match_the_gold(name: str, suffix: str):
    _require_realdocs()
    from crawler.cli.extract_cmd import extract_path

    gold = json.loads((REALDOCS / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    record = extract_path(Path(REALDOCS / "files" / f"{name}{suffix}"))
    for key in IDENTITY:
        if key in gold:
            assert record[key] == gold[key], f"{name}: {key}"
    if not gold["is_report"]:
        assert record["template"] == "unknown"
        assert record["is_report_evidence"] and record["is_report_evidence"][0] not in ("title", "heading")
    else:
        assert record["is_report_evidence"][0] in ("title", "heading")
    if gold.get("published"):
        assert record["published_source"] in ("signature", "page", "meta")
    else:
        assert record["published"] is None and record["published_source"] is None


def test_the_county_report_is_signed_in_chinese_numerals():
    _require_realdocs()
    from crawler.cli.extract_cmd import extract_path

    record = extract_path(REALDOCS / "files" / "pingtan-county-2011.html")
    assert (record["published"], record["published_source"]) == ("2012-02-20", "signature")


def test_the_zone_report_takes_its_date_from_the_page_and_its_agency_from_the_title_not_the_source_line():
    _require_realdocs()
    from crawler.cli.extract_cmd import extract_path

    record = extract_path(REALDOCS / "files" / "pingtan-zone-2022.html")
    assert record["published"] == "2023-02-20" and record["published_source"] in ("page", "meta")
    assert record["agency"] == "平潭综合实验区" and record["agency_source"] == "title"
