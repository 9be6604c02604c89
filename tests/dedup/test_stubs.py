"""Stubs: a notice page ("……年度报告详见附件。") names agency and year but carries no statistics and no
body; it is one report with the full record of the same (agency, year), when that is unambiguous."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from dedup import Deduplicator, DedupParams, MatchKind
from dedup.canonical import CanonicalKey, source_rank
from dedup.decide import ReportFacts, is_stub
from dedup.keys import ReportKeyIndex, report_key
from tests.support.dedup_documents import load_seed, make_doc, notice, previous_year, twin_of


@pytest.fixture()
def pdf(report_copies):
    return report_copies[1]  # 杭州市上城区卫生健康局 2020, PDF text, statistics but no checks


def _stub_of(pdf, fetched: str):
    return notice("notice", pdf.agency, pdf.year, fetched=fetched)


@pytest.mark.parametrize("notice_first", [True, False])
def test_notice_and_its_pdf_are_one_report(pdf, notice_first):
    stub = _stub_of(pdf, "2021-02-01T00:00:00" if notice_first else "2021-03-01T00:00:00")
    dd = Deduplicator.open(None)
    got = {a.doc_id: a for a in dd.add_many([pdf, stub])}
    cluster = got["pdf-1"].cluster_id
    assert got["notice"].cluster_id == cluster
    assert dd.clusters() == [cluster]
    # the later of the two is attached by (agency, year); the cluster keeps the earlier one's id
    later = "pdf-1" if notice_first else "notice"
    assert got[later].match is MatchKind.KEY
    assert dd.canonical(cluster) == "pdf-1"  # the full record, though the notice is HTML
    assert {c.url for c in dd.copies(cluster)} == {pdf.url, stub.url}
    assert dd.stats()["decide"]["stubs"] == 1 and dd.stats()["decide"]["key_joined"] == 1


def test_stub_definition(pdf):
    facts = ReportFacts("上城区卫生健康局", 2020, "unknown")
    assert is_stub(facts, 0, 60, 0, 500)
    assert not is_stub(facts, 1, 60, 0, 500)  # one statistic is a record
    assert not is_stub(facts, 0, 500, None, 500)  # a body (tables not parsed) is a record
    assert not is_stub(facts, 0, 60, 800, 500)  # section text is a body
    assert not is_stub(ReportFacts(None, 2020, None), 0, 60, 0, 500)  # agency unknown
    assert not is_stub(ReportFacts("上城区卫生健康局", None, None), 0, 60, 0, 500)  # year unknown
    # the full PDF with no statistics parsed still beats its notice page as the canonical copy
    body = CanonicalKey.of(0, 1, source_rank("pdf"), "2021-03-01", "b")
    stub = CanonicalKey.of(0, 1, source_rank("html"), "2021-01-01", "a", stub=True)
    assert body < stub


def test_pdf_without_statistics_is_canonical_over_the_notice(pdf):
    blank = make_doc("pdf-0", pdf.text, {"agency": pdf.agency, "year": pdf.year, "template": "2019"},
                     kind="pdf", fetched="2021-03-01", checks_ok=None)
    stub = _stub_of(pdf, "2021-01-01")
    dd = Deduplicator.open(None)
    got = dd.add_many([stub, blank])
    assert got[0].cluster_id == got[1].cluster_id
    assert dd.canonical(got[0].cluster_id) == "pdf-0"


def test_two_agencies_stubs_of_one_year_stay_apart(seed):
    text, record = seed
    t2, r2 = twin_of(text, record)
    docs = [make_doc("sc", text, record), make_doc("xc", t2, r2),
            notice("n-sc", record["agency"], 2020, fetched="2021-03-01"),
            notice("n-xc", r2["agency"], 2020, fetched="2021-03-01")]
    got = {a.doc_id: a.cluster_id for a in Deduplicator.open(None).add_many(docs)}
    assert got["n-sc"] == got["sc"] and got["n-xc"] == got["xc"] and got["sc"] != got["xc"]
    # without the full reports the two notices still stay apart
    alone = Deduplicator.open(None).add_many(docs[2:])
    assert alone[0].cluster_id != alone[1].cluster_id


def test_stub_of_another_year_stays_apart(seed):
    text, record = seed
    stub = notice("n-2019", record["agency"], 2019, fetched="2020-02-01")
    got = Deduplicator.open(None).add_many([stub, make_doc("y2020", text, record)])
    assert got[0].cluster_id != got[1].cluster_id


def test_ambiguous_key_unknown_facts_and_templates_do_not_merge(seed):
    text, record = seed
    other_text, _ = load_seed("001")  # a second, unrelated full text under the same agency and year
    a, b = make_doc("a", text, record), make_doc("b", other_text, record, fetched="2021-02-02")
    dd = Deduplicator.open(None)
    got = {x.doc_id: x.cluster_id for x in dd.add_many([a, b])}
    assert got["a"] != got["b"]
    stub = dd.add(notice("n", record["agency"], 2020, fetched="2021-03-01"))
    assert stub.cluster_id not in got.values() and stub.match is MatchKind.NEW
    assert dd.stats()["decide"]["key_ambiguous"] == 1
    # a stub whose year (or agency) is unknown is not matched by key
    no_year = dd.add(notice("n-no-year", record["agency"], None, fetched="2021-03-02"))
    single = Deduplicator.open(None)
    single.add(a)
    assert single.add(notice("n-none", None, 2020, fetched="2021-03-02")).match is MatchKind.NEW
    assert no_year.match is MatchKind.NEW
    # a notice whose template contradicts the report's
    wrong = single.add(notice("n-2021", record["agency"], 2020, fetched="2021-03-03", template="2021"))
    assert wrong.cluster_id != single.cluster_of("a")
    assert single.stats()["decide"]["key_rejected"] == 1


def test_two_notices_of_one_report_join_each_other_then_the_pdf(pdf):
    n1 = notice("n1", pdf.agency, pdf.year, fetched="2021-01-01", url="http://a.gov.cn/n1.html")
    n2 = notice("n2", pdf.agency, pdf.year, fetched="2021-01-02", url="http://b.gov.cn/n2.html")
    n2 = replace(n2, text="上城区卫生健康局2020年度政府信息公开年报，请点击在线阅读。", raw_sha256="other")
    got = Deduplicator.open(None).add_many([n1, n2, pdf])
    assert len({a.cluster_id for a in got}) == 1
    assert [a.match for a in got] == [MatchKind.NEW, MatchKind.KEY, MatchKind.KEY]


def test_shuffled_order_and_readd_change_nothing(seed, report_copies):
    text, record = seed
    t19, r19 = previous_year(text, record)
    t2, r2 = twin_of(text, record)
    docs = [*report_copies, make_doc("y2019", t19, r19, fetched="2020-02-01"), make_doc("twin", t2, r2),
            notice("n2020", record["agency"], 2020, fetched="2021-01-20"),
            notice("n2019", record["agency"], 2019, fetched="2020-03-01"),
            notice("n-twin", r2["agency"], 2020, fetched="2021-05-01")]
    first = Deduplicator.open(None).add_many(docs)
    by = {a.doc_id: a.cluster_id for a in first}
    assert by["n2020"] == by["html-1"] and by["n2019"] == by["y2019"] and by["n-twin"] == by["twin"]
    assert len(set(by.values())) == 3
    for seed_ in (1, 2, 3):
        shuffled = docs[:]
        random.Random(seed_).shuffle(shuffled)
        dd = Deduplicator.open(None)
        again = dd.add_many(shuffled)
        assert {a.doc_id: a for a in again} == {a.doc_id: a for a in first}
        assert dd.add_many(docs) == [dd.assignment(d.doc_id) for d in docs]
        assert len(dd.clusters()) == 3


def test_key_index_survives_save_and_reopen(tmp_path, pdf, seed):
    text, record = seed
    dd = Deduplicator.open(tmp_path / "dedup")
    stub = dd.add(_stub_of(pdf, "2021-01-01"))
    dd.add(make_doc("other", load_seed("001")[0], load_seed("001")[1]))
    dd.save()
    reopened = Deduplicator.open(tmp_path / "dedup")
    assert len(reopened.index.keys) == 2 and isinstance(reopened.index.keys.sorted_keys, np.memmap)
    adopted = reopened.add(pdf)  # found through the memory-mapped key index
    assert (adopted.cluster_id, adopted.match) == (stub.cluster_id, MatchKind.KEY)
    assert reopened.canonical(stub.cluster_id) == "pdf-1"
    reopened.save()
    third = Deduplicator.open(tmp_path / "dedup")
    late = third.add(notice("late", record["agency"], 2020, fetched="2021-06-01"))
    assert late.cluster_id == stub.cluster_id  # the cluster is full now: a later notice joins it
    assert third.assignment("notice") == reopened.assignment("notice")
    # an index of the previous format asks for a rebuild
    meta = next((tmp_path / "dedup").glob("gen-*")) / "meta.json"
    meta.write_text(meta.read_text().replace('"format": 3', '"format": 2'))
    with pytest.raises(ValueError, match="--rebuild"):
        Deduplicator.open(tmp_path / "dedup")


def test_report_key_index_merges_and_keeps_every_pair():
    idx = ReportKeyIndex(merge_min=3)
    pairs = [(report_key(a, y), c) for c, (a, y) in enumerate([(0, 2020), (1, 2020), (0, 2019), (0, 2020)])]
    for key, cluster in pairs:
        idx.register(key, cluster)
    idx.register(pairs[0][0], 0)  # known already: nothing added
    assert idx.stats.merges == 1 and len(idx) == 4
    assert idx.lookup(report_key(0, 2020)) == [0, 3]
    assert idx.lookup(report_key(1, 2020)) == [1] and idx.lookup(report_key(1, 2019)) == []
    idx.register(report_key(0, 2020), 9)
    assert idx.lookup(report_key(0, 2020)) == [0, 3, 9]


def test_stub_params_are_saved(tmp_path):
    dd = Deduplicator.open(tmp_path / "d", DedupParams(stub_max_chars=300))
    dd.save()
    assert Deduplicator.open(tmp_path / "d").params.stub_max_chars == 300
