"""The fixture corpus (tests/fixtures/reports): every document extracts to its gold record, 100%."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support.records import misses
from tests.support.spec import assert_spec_scores_100, extract_fixture, fixture_document

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
GOLDS = sorted(CORPUS.glob("*.json"))


def test_corpus_is_big_and_varied():
    assert len(GOLDS) >= 40
    golds = [json.loads(g.read_text(encoding="utf-8")) for g in GOLDS]
    templates = Counter(g["template"] for g in golds)
    assert templates["2019"] >= 8 and templates["2021"] >= 8 and templates["pre2019"] >= 5
    assert sum(1 for g in golds if g["is_report"] is False) >= 3
    styles = Counter()
    for gold in GOLDS:
        for style in ("cells_per_line", "tabs", "pipes", "markdown", "page_broken", "html"):
            if f"_{style}" in gold.stem or (style == "html" and fixture_document(gold).suffix == ".html"):
                styles[style] += 1
    assert all(styles[s] >= 3 for s in ("cells_per_line", "tabs", "pipes", "markdown", "page_broken", "html")), styles


@pytest.mark.parametrize("gold_path", GOLDS, ids=[g.stem for g in GOLDS])
def test_document_extracts_to_its_gold(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    out = extract_fixture(fixture_document(gold_path))
    assert misses(gold, out) == []


def test_corpus_scores_100_percent_with_the_spec_scorer(tmp_path):
    assert_spec_scores_100(GOLDS, lambda g: extract_fixture(fixture_document(g)), tmp_path)


def test_broken_identities_are_flagged_not_fixed():
    out = extract_fixture(CORPUS / "hand_broken_identities_2021.txt")
    failing = {c["name"] for c in out["checks"] if not c["ok"]}
    assert "review_litigation.review" in failing
    assert "requests.balance.natural_person" in failing
    assert "requests.total_column.total" in failing
    gold = json.loads((CORPUS / "hand_broken_identities_2021.json").read_text(encoding="utf-8"))
    assert out["review_litigation"]["review"]["total"] == gold["review_litigation"]["review"]["total"] == 99
    passing = {c["name"] for c in out["checks"] if c["ok"]}
    assert "requests.balance.commercial" in passing


def test_cut_off_table_gives_nulls_not_zeros():
    out = extract_fixture(CORPUS / "hand_cut_off_table_2019.txt")
    assert set(out["requests"]["total"].values()) == {None}
    assert set(out["review_litigation"]["review"].values()) == {None}
    assert None not in out["requests"]["denied_internal_affairs"].values()
    assert not any(c["name"].startswith("requests.balance") for c in out["checks"])


def test_corpus_files_are_what_the_builder_makes():
    """The committed corpus matches build_corpus.py (regenerate it after changing demo_site/render.py)."""
    from tests.fixtures.reports.build_corpus import hand_made, synthetic

    built = synthetic() + hand_made()
    assert len(built) == len(GOLDS)
    for name, suffix, doc, gold in built:
        assert (CORPUS / f"{name}.{suffix}").read_text(encoding="utf-8") == doc, name
        assert json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8")) == gold, name
