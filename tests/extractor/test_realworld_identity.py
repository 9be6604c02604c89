"""Identity of real-world page shapes (issue 12 points 1, 2, 7, 8): one fixture per quirk in
tests/fixtures/realworld/identity (own text, made-up agencies), each with its expected fields and
the context a crawl would pass; and the body-only set in tests/fixtures/realworld/body."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor import extract_report

REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
IDENTITY = REALWORLD / "identity"
BODY = REALWORLD / "body"
CASES = sorted(IDENTITY.glob("*.json"))


def _document(spec: Path) -> Path:
    return next(p for p in IDENTITY.glob(spec.stem + ".*") if p.suffix != ".json")


def extract_case(spec_path: Path) -> tuple[dict, dict]:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    path = _document(spec_path)
    body = path.read_text(encoding="utf-8")
    kwargs = dict(spec["context"])
    record = extract_report(html=body, **kwargs) if path.suffix == ".html" else extract_report(body, **kwargs)
    return spec, record


def test_one_fixture_per_quirk_and_enough_of_them():
    assert len(CASES) >= 20
    quirks = [json.loads(p.read_text(encoding="utf-8"))["quirk"] for p in CASES]
    assert all(quirks) and len(set(quirks)) == len(quirks)


@pytest.mark.parametrize("spec_path", CASES, ids=[p.stem for p in CASES])
def test_quirk_fixture(spec_path: Path):
    spec, record = extract_case(spec_path)
    for key, want in spec["expect"].items():
        assert record[key] == want, f"{spec_path.stem}: {key} (evidence {record['is_report_evidence']})"
    for tag in spec.get("evidence_includes", []):
        assert tag in record["is_report_evidence"], record["is_report_evidence"]
    if not record["is_report"]:
        assert record["template"] == "unknown" and record["requests"] is None and record["legacy"] is None


def test_body_only_set_is_all_right():
    """Every body-only page (no title, no context): report or not, and the agency of each report."""
    expected = json.loads((BODY / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 40 and sum(1 for v in expected.values() if not v["is_report"]) >= 15
    wrong = []
    for name, want in sorted(expected.items()):
        record = extract_report((BODY / f"{name}.txt").read_text(encoding="utf-8"))
        if record["is_report"] != want["is_report"] or (want["is_report"] and record["agency"] != want["agency"]):
            wrong.append(f"{name}: {record['is_report']} {record['agency']!r} {record['is_report_evidence']}")
    assert not wrong, wrong


def test_context_never_overrides_what_the_document_says():
    text = (IDENTITY / "preamble_xian_gongbu.txt").read_text(encoding="utf-8")
    record = extract_report(text, site_name="鹭洲区人民政府", seed_agency="鹭洲区人民政府", pub_date="2022-02-01")
    assert record["agency"] == "鹭洲区城市管理局"
    assert (record["published"], record["published_source"]) == ("2022-02-01", "meta")


def test_a_signed_date_beats_the_page_date():
    text = (IDENTITY / "signed_chinese_numerals.txt").read_text(encoding="utf-8")
    record = extract_report(text, pub_date="2013-04-01 10:00")
    assert (record["published"], record["published_source"]) == ("2013-03-08", "signature")


NIANBAO = Path(sys.executable).with_name("nianbao")


def test_cli_url_title_and_site_name_give_offline_files_the_crawl_context(tmp_path):
    if not NIANBAO.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    page = tmp_path / "page.txt"
    page.write_text((IDENTITY / "short_form_completed_from_site.txt").read_text(encoding="utf-8"), encoding="utf-8")
    bare = subprocess.run([str(NIANBAO), "extract", str(page)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout)["agency"] == "区公安分局"  # the body alone: the short form as written
    args = [str(NIANBAO), "extract", str(page), "--url", "http://www.example.gov.cn/a/1.html",
            "--title", "青溪区公安分局2021年政府信息公开工作年度报告", "--site-name", "青溪区人民政府"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["agency"] == "青溪区公安分局" and record["agency_source"] == "title"
    assert record["is_report"] is True and "title" in record["is_report_evidence"]


def test_the_crawl_never_names_the_portal_for_a_department_report():
    from extractor.classify import classify

    record = extract_report((IDENTITY / "self_reference_portal_not_used.txt").read_text(encoding="utf-8"))
    assert record["agency"] is None and record["agency_self"] == "局"
    portal = classify(record, titles=[None], url="http://x/1.html", context={"site_name": "石门县人民政府"},
                      seed_agency="石门县人民政府")
    assert portal.is_report and portal.agency is None
    seeded = classify(record, titles=[None], url="http://x/1.html", context={"site_name": "石门县人民政府"},
                      seed_agency="石门县林业局")
    assert seeded.agency == "石门县林业局"
    from pipelines.reports import report_values

    assert report_values(record, agency_hint="石门县人民政府")["agency"] is None
    assert report_values(record, agency_hint="石门县林业局")["agency"] == "石门县林业局"


def test_parse_pages_hands_the_crawl_context_to_the_extractor():
    from pipelines.parse import PageBody, parse_pages

    body = (IDENTITY / "short_form_completed_from_site.txt").read_bytes()
    page = PageBody(body, "http://www.example.gov.cn/qxgafj/1.txt", "text/plain; charset=utf-8", None, None)
    assert parse_pages([page]).record["agency"] == "区公安分局"
    record = parse_pages([page], context={"site_name": "青溪区人民政府", "seed_agency": None}).record
    assert record["agency"] == "青溪区公安分局"
