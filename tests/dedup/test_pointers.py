"""Links: a notice page (a stub, whatever agency it names) and the report found on it are one report.

The crawl records the page each document was found on (`found_on`, the fetch's referrer); a report whose
page is a stub's URL is the attachment that stub announces."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest

from dedup import DedupDocument, Deduplicator, MatchKind
from dedup.keys import canonical_url, url_key
from extractor.agency import publisher_of
from tests.support.dedup_documents import load_seed, make_doc, notice

SITE = "http://www.yunxi.gov.cn"
NOTICE = f"{SITE}/xxgk/2021/notice-edu.html"


def full(doc_id: str, seed: str, agency: str, year: int, *, found_on: str | None = None,
         kind: str = "pdf", fetched: str = "2021-02-02") -> DedupDocument:
    text, record = load_seed(seed)
    record = {**record, "agency": agency, "year": year}
    url = f"{SITE}/att/{doc_id}.{kind}"
    return make_doc(doc_id, text, record, kind=kind, fetched=fetched, url=url, urls=(url,),
                    found_on=(found_on,) if found_on else (), raw_sha256=f"raw-{doc_id}")


def stub(doc_id: str, agency: str | None, year: int | None, url: str, fetched: str = "2021-02-01",
         text: str | None = None) -> DedupDocument:
    d = notice(doc_id, agency, year, fetched=fetched, url=url)
    return replace(d, urls=(url, url.replace("http://", "https://")), raw_sha256=f"raw-{doc_id}",
                   text=text or d.text)


def portal_case() -> list[DedupDocument]:
    """A county portal's notice (agency: the portal's name) of its education bureau's PDF, and the
    county government's own report of the same year."""
    return [
        stub("notice", "云溪区人民政府", 2020, NOTICE,
             text="云溪区教育局关于公布2020年度信息公开年报的公告\n发布机构：云溪区人民政府\n在线阅读：jyj-nb.pdf"),
        full("edu-pdf", "000", "云溪区教育局", 2020, found_on=NOTICE),
        full("gov", "001", "云溪区人民政府", 2020, kind="html", fetched="2021-01-15"),
    ]


def partition(dd: Deduplicator) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for a in dd.assignments():
        groups.setdefault(a.cluster_id, set()).add(a.doc_id)
    assert sorted(groups) == sorted(dd.clusters())
    return {frozenset(g) for g in groups.values()}


def one_by_one(docs: list[DedupDocument]) -> Deduplicator:
    dd = Deduplicator.open(None)
    for d in docs:
        dd.add(d)
    return dd


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_portal_notice_joins_the_pdf_found_on_it_not_the_portals_own_report(order):
    docs = portal_case()
    want = {frozenset({"notice", "edu-pdf"}), frozenset({"gov"})}
    dd = one_by_one([docs[i] for i in order])  # each document its own batch: any arrival order
    assert partition(dd) == want
    cluster = dd.cluster_of("edu-pdf")
    assert dd.canonical(cluster) == "edu-pdf"
    assert {c.url for c in dd.copies(cluster)} == {NOTICE, f"{SITE}/att/edu-pdf.pdf"}
    assert dd.stats()["decide"]["pointer_joined"] + dd.stats()["decide"]["pointer_moved"] == 1
    assert dd.canonical(dd.cluster_of("gov")) == "gov"
    # one batch: sorted by fetch time, so the answers do not depend on the order given
    batch = Deduplicator.open(None)
    got = batch.add_many([docs[i] for i in order])
    assert partition(batch) == want
    # the government's report came first and took the notice by key; the PDF moved it
    assert {a.doc_id: a.match for a in got}["notice"] is MatchKind.POINTER
    # a later notice of the government's own report joins that report by key, not the PDF
    late = dd.add(notice("gov-notice", "云溪区人民政府", 2020, fetched="2021-06-01"))
    assert (late.cluster_id, late.match) == (dd.cluster_of("gov"), MatchKind.KEY)


@pytest.mark.parametrize("stub_first", [True, False])
def test_notice_with_unknown_agency_and_its_pdf(stub_first):
    page = "http://czj.example.gov.cn/n/2020-123.html"
    s = stub("anon", None, 2019, page, fetched="2020-03-01" if stub_first else "2020-04-01")
    pdf = full("pdf", "001", "乙县财政局", 2019, found_on=page, fetched="2020-03-02")
    dd = Deduplicator.open(None)
    got = {a.doc_id: a for a in dd.add_many([s, pdf])}
    assert got["anon"].cluster_id == got["pdf"].cluster_id
    assert got["pdf" if stub_first else "anon"].match is MatchKind.POINTER
    assert dd.canonical(got["pdf"].cluster_id) == "pdf"
    # no agency and no year on the notice: the link alone joins it
    bare = Deduplicator.open(None).add_many([stub("bare", None, None, page), pdf])
    assert bare[0].cluster_id == bare[1].cluster_id


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_a_page_with_two_reports_merges_nothing(order):
    page = "http://jq.example.gov.cn/xxgk/ndbg.html"
    docs = [
        stub("page", "甲区人民政府", 2021, page),
        full("a", "000", "甲区教育局", 2021, found_on=page),
        full("b", "001", "甲区民政局", 2021, found_on=page, fetched="2021-02-03"),
    ]
    dd = one_by_one([docs[i] for i in order])
    assert partition(dd) == {frozenset({"page"}), frozenset({"a"}), frozenset({"b"})}
    assert dd.stats()["decide"]["pointer_ambiguous"] >= 1


def test_year_disagreement_and_reports_found_on_reports_are_not_merged():
    page = "http://x.example.gov.cn/n.html"
    for first in (True, False):
        s = stub("n2019", "丙市教育局", 2019, page, fetched="2020-01-01" if first else "2021-09-01")
        pdf = full("p2020", "000", "丙市教育局", 2020, found_on=page)
        dd = Deduplicator.open(None)
        got = dd.add_many([s, pdf])
        assert got[0].cluster_id != got[1].cluster_id
        assert dd.stats()["decide"]["pointer_rejected"] >= 1
    # report A's HTML links report B's PDF of another year: both full, the link is not evidence
    a = full("a2019", "001", "丙市教育局", 2019, kind="html", fetched="2020-02-01")
    b = full("b2020", "000", "丙市教育局", 2020, found_on=a.url)
    got = Deduplicator.open(None).add_many([a, b])
    assert got[0].cluster_id != got[1].cluster_id and got[1].match is MatchKind.NEW
    # a stub of another agency (not the area's government) is not joined by the link
    other = stub("other", "丁县人民政府", 2020, NOTICE)
    got = Deduplicator.open(None).add_many([other, full("edu", "000", "云溪区教育局", 2020, found_on=NOTICE)])
    assert got[0].cluster_id != got[1].cluster_id


def test_pointer_indexes_survive_save_and_reopen(tmp_path):
    notice_, pdf, gov = portal_case()
    dd = Deduplicator.open(tmp_path / "dedup")
    first = dd.add_many([notice_, gov])  # the government's report adopts the notice by key
    assert first[0].cluster_id == first[1].cluster_id
    dd.save()
    reopened = Deduplicator.open(tmp_path / "dedup")
    assert isinstance(reopened.index.stub_urls.sorted_keys, np.memmap) and len(reopened.index.stub_urls) == 1  # http = https
    moved = reopened.add(pdf)  # the notice leaves the government's report for the PDF found on it
    assert reopened.cluster_of("notice") == moved.cluster_id != reopened.cluster_of("gov")
    assert reopened.cluster_of("gov") == first[1].cluster_id  # the id written to the database stays valid
    assert reopened.assignment("notice").match is MatchKind.POINTER
    reopened.save()
    third = Deduplicator.open(tmp_path / "dedup")
    assert partition(third) == partition(reopened)
    assert [third.assignment(d.doc_id) for d in portal_case()] == [
        reopened.assignment(d.doc_id) for d in portal_case()
    ]
    assert len(third.index.found_on) == 1
    # an unrelated stub-only cluster emptied by a move is no cluster any more
    fourth = Deduplicator.open(None)
    fourth.add(stub("lone", None, 2020, NOTICE))
    fourth.add(replace(pdf, found_on=()))
    fourth.add(full("mirror", "000", "云溪区教育局", 2020, found_on=NOTICE, fetched="2021-03-01"))
    assert partition(fourth) == {frozenset({"lone", "edu-pdf", "mirror"})}
    assert fourth.stats()["totals"]["clusters"] == 1


def test_shuffled_batches_give_the_same_clusters():
    page2 = "http://jq.example.gov.cn/xxgk/ndbg.html"
    anon = "http://czj.example.gov.cn/n/2020-123.html"
    docs = [
        *portal_case(),
        stub("page", "甲区人民政府", 2021, page2, fetched="2021-05-01"),
        full("a", "000", "甲区教育局", 2021, found_on=page2, fetched="2021-05-02"),
        full("b", "001", "甲区民政局", 2021, found_on=page2, fetched="2021-05-03"),
        stub("anon", None, 2019, anon, fetched="2020-03-01"),
        full("fin", "001", "乙县财政局", 2019, found_on=anon, fetched="2020-03-02"),
        notice("key-notice", "甲区民政局", 2021, fetched="2021-05-04"),
    ]
    first = Deduplicator.open(None)
    answers = first.add_many(docs)
    want = partition(first)
    assert want == {
        frozenset({"notice", "edu-pdf"}), frozenset({"gov"}), frozenset({"page"}), frozenset({"a"}),
        frozenset({"b", "key-notice"}), frozenset({"anon", "fin"}),
    }
    for seed in range(6):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        same = Deduplicator.open(None)
        assert same.add_many(shuffled) == [answers[docs.index(d)] for d in shuffled]
        cut = random.Random(seed).randrange(1, len(docs))
        split = Deduplicator.open(None)
        split.add_many(shuffled[:cut])
        split.add_many(shuffled[cut:])
        assert partition(split) == want, (seed, cut)
        assert partition(one_by_one(shuffled)) == want, seed


def test_canonical_url_and_publisher():
    assert canonical_url("HTTPS://WWW.Yunxi.gov.cn:443/a/b.html#top") == "www.yunxi.gov.cn/a/b.html"
    assert canonical_url("http://www.yunxi.gov.cn") == "www.yunxi.gov.cn/"
    assert canonical_url("http://h.gov.cn:8080/x?id=1") == "h.gov.cn:8080/x?id=1"
    assert url_key("http://www.yunxi.gov.cn/a") == url_key("https://www.yunxi.gov.cn/a")
    assert url_key("http://www.yunxi.gov.cn/a?id=1") != url_key("http://www.yunxi.gov.cn/a?id=2")
    assert publisher_of("云溪区人民政府", "云溪区教育局")
    assert publisher_of("岳阳市云溪区人民政府", "云溪区教育局")
    assert not publisher_of("云溪区人民政府", "丁县教育局")
    assert not publisher_of("云溪区教育局", "云溪区人民政府")
    assert not publisher_of("人民政府", "云溪区教育局")
