"""The quirk fixtures (tests/fixtures/quirks): one report per rendering quirk of real reports, each
extracting to its gold record at 100% (issue 12, points 3 and 5), plus the rules behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor import extract_report
from extractor.requests import _row_score
from extractor.tables import GLUED, unglue
from tests.support.records import misses
from tests.support.spec import assert_spec_scores_100, extract_fixture, fixture_document

QUIRKS = Path(__file__).resolve().parents[1] / "fixtures" / "quirks"
GOLDS = sorted(QUIRKS.glob("*.json"))


def test_fixtures_are_what_the_builder_makes():
    from tests.fixtures.quirks.build_quirks import built

    made = built()
    assert len(made) == len(GOLDS) >= 7
    for name, suffix, doc, gold in made:
        assert (QUIRKS / f"{name}.{suffix}").read_text(encoding="utf-8") == doc, name
        assert json.loads((QUIRKS / f"{name}.json").read_text(encoding="utf-8")) == gold, name


@pytest.mark.parametrize("gold_path", GOLDS, ids=[g.stem for g in GOLDS])
def test_quirk_fixture_extracts_to_its_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    assert misses(gold, extract_fixture(fixture_document(gold_path))) == []


def test_quirk_fixtures_score_100_percent_with_the_spec_scorer(tmp_path):
    assert_spec_scores_100(GOLDS, lambda g: extract_fixture(fixture_document(g)), tmp_path)


def test_ambiguous_glued_cells_are_null_and_flagged():
    out = extract_fixture(QUIRKS / "quirk_glued_cells_2021.txt")
    flagged = {c["name"] for c in out["checks"] if not c["ok"]}
    assert {"cells.glued.active.normative_documents", "cells.glued.requests.new"} <= flagged
    assert out["active"]["rules"] == {"issued": 0, "repealed": 0, "in_force": 0}
    assert set(out["requests"]["new"].values()) == {None}
    assert out["requests"]["granted"]["total"] == 6  # 5100006 cuts only one way


def test_unglue_keeps_only_unique_cuts():
    assert unglue([GLUED + "000"], 3) == (["0", "0", "0"], False)
    assert unglue([GLUED + "100"], 3) == (["1", "0", "0"], False)  # 10|0 would leave a column empty
    assert unglue([GLUED + "2114"], 3) == (["", "", ""], True)
    assert unglue([GLUED + "9", "-2", "57"], 3) == (["9", "-2", "57"], False)
    # several cuts, one where 总计 is the sum of the six others
    cells, ambiguous = unglue([GLUED + "120000012"], 7, _row_score)
    assert (cells, ambiguous) == (["12", "0", "0", "0", "0", "0", "12"], False)
    assert unglue([GLUED + "120000012"], 7) == ([""] * 7, True)


def test_bracketed_instructions_are_not_labels_or_data():
    out = extract_fixture(QUIRKS / "quirk_instruction_labels_2019.txt")
    assert out["active"]["licensing"] == {"prev_items": 9, "change": -2, "decisions": 57}
    assert out["active"]["extra"] == [{"block": "（一）", "label": "其他主动公开文件", "values": [140, 72, 310]}]
    assert all(-8 not in e["values"] for e in out["active"]["extra"])


def test_fees_in_a_yuan_column_are_converted_to_wan_yuan():
    text = (QUIRKS / "quirk_repeated_headers_2021.txt").read_text(encoding="utf-8")
    text = text.replace("本年收费金额（单位：万元）", "本年收费金额（单位：元）").replace("行政事业性收费\t0", "行政事业性收费\t125,000")
    assert extract_report(text)["active"]["fees"] == {"amount_wan_yuan": 12.5}
    kept = text.replace("本年收费金额（单位：元）", "本年收费金额（单位：万元）")
    assert extract_report(kept)["active"]["fees"] == {"amount_wan_yuan": 125000}


def test_a_blank_row_does_not_take_the_values_of_a_numbered_row_with_a_typo():
    text = (QUIRKS / "quirk_repeated_headers_2021.txt").read_text(encoding="utf-8")
    text = text.replace("7.属于行政执法案卷\t0\t0\t0\t0\t0\t0\t0", "7.属于行政执法案卷" + "\t" * 7)
    typo = text.replace("8.属于行政查询事项", "8.属于行政查洵事宜")
    out = extract_report(typo)["requests"]
    assert set(out["denied_enforcement_files"].values()) == {None}
    # a label wrapped over two lines still gets the values on its second line
    wrapped = text.replace("7.属于行政执法案卷" + "\t" * 7, "7.属于行政执法案" + "\t" * 7 + "\n卷\t1\t0\t0\t0\t0\t0\t1")
    assert extract_report(wrapped)["requests"]["denied_enforcement_files"]["total"] == 1
