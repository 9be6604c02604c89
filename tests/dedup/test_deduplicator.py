"""Known-answer tests of the deduplicator on a real report and its copies and look-alikes."""

from __future__ import annotations

import random

from dedup import Deduplicator, MatchKind
from tests.support.dedup_documents import load_seed, make_doc, notice, previous_year, revised, twin_of


def test_html_pdf_docx_copies_are_one_report(report_copies):
    dd = Deduplicator.open(None)
    got = dd.add_many(report_copies)
    assert len({a.cluster_id for a in got}) == 1
    assert {a.version for a in got} == {1}
    # the DOCX differs only in white space (tabs between cells): same normalised text
    assert [a.match for a in got] == [MatchKind.NEW, MatchKind.NEAR, MatchKind.TEXT]
    cluster = got[0].cluster_id
    # HTML with full statistics and passing checks beats the PDF (fewer fields) and the DOCX (worse source)
    assert dd.canonical(cluster) == "html-1"
    assert sum(a.is_canonical for a in got) == 1
    copies = dd.copies(cluster)
    assert {(c.doc_id, c.url, c.raw_sha256) for c in copies} == {
        (d.doc_id, d.url, d.raw_sha256) for d in report_copies
    }


def test_pdf_damage_is_normalised_away(report_copies):
    dd = Deduplicator.open(None)
    html, pdf, _ = report_copies
    skel_html, skel_pdf = dd.normaliser.normalise(html.text), dd.normaliser.normalise(pdf.text)
    # page numbers, form feeds, broken lines, spaced labels and full-width digits are gone; the running
    # header is kept once (it is the title)
    assert skel_pdf == "杭州市上城区卫生健康局2020年政府信息公开工作年度报告" + skel_html
    assert dd.normaliser.stats.page_number_lines >= 3
    assert dd.normaliser.stats.furniture_lines >= 2
    assert dd.add_many([html, pdf])[1].similarity >= 0.9


def test_exact_copies(seed):
    text, record = seed
    a = make_doc("a", text, record)
    b = make_doc("b", text, record, url="http://mirror.example.cn/a.html")  # same bytes, other URL
    c = make_doc("c", "  " + text.replace("\n", "\n\n") + "\n[SITESERVER_PAGE]\n", record, raw_sha256="other")
    got = Deduplicator.open(None).add_many([a, b, c])
    assert [g.match for g in got] == [MatchKind.NEW, MatchKind.RAW, MatchKind.TEXT]
    assert len({g.cluster_id for g in got}) == 1


def test_boilerplate_twins_from_two_agencies_are_two_reports(seed):
    text, record = seed
    t2, r2 = twin_of(text, record)
    dd = Deduplicator.open(None)
    got = dd.add_many([make_doc("sc", text, record), make_doc("xc", t2, r2)])
    assert got[0].cluster_id != got[1].cluster_id
    assert dd.decider.stats.rejected_agency >= 1  # the LSH did propose the twin; the decision refused it


def test_one_agency_two_years_are_two_reports(seed):
    text, record = seed
    t19, r19 = previous_year(text, record)
    dd = Deduplicator.open(None)
    got = dd.add_many([make_doc("y2019", t19, r19, fetched="2020-02-01"), make_doc("y2020", text, record)])
    assert got[0].cluster_id != got[1].cluster_id
    assert dd.decider.stats.rejected_year >= 1


def test_revised_report_is_a_second_version(seed, report_copies):
    text, record = seed
    t2, r2 = revised(text, record)
    dd = Deduplicator.open(None)
    dd.add_many(report_copies)
    rev = dd.add(make_doc("rev", t2, r2, fetched="2021-06-01T00:00:00"))
    first = dd.assignment("html-1")
    assert rev.cluster_id == first.cluster_id
    assert (rev.version, rev.match, rev.is_canonical) == (2, MatchKind.REVISION, True)
    assert first.version == 1 and first.is_canonical
    assert dd.versions(rev.cluster_id) == [1, 2]
    assert dd.canonical(rev.cluster_id) == "rev"
    assert dd.canonical(rev.cluster_id, version=1) == "html-1"
    assert len(dd.copies(rev.cluster_id)) == 4
    # a copy of the revision joins version 2, not version 1
    pdf = make_doc("rev-pdf", t2.replace("\n", "\n\n"), r2, kind="pdf", raw_sha256="x", fetched="2021-06-02")
    assert dd.add(pdf).version == 2


def test_different_agency_spellings_same_report(seed, report_copies):
    text, record = seed
    html, pdf, _ = report_copies
    short = make_doc("short", pdf.text, {**record, "agency": "区卫健局"}, kind="pdf", raw_sha256="y")
    got = Deduplicator.open(None).add_many([html, short])
    assert got[0].cluster_id == got[1].cluster_id


def test_unrelated_reports_are_apart(seed):
    text, record = seed
    t1, r1 = load_seed("001")
    got = Deduplicator.open(None).add_many([make_doc("a", text, record), make_doc("b", t1, r1)])
    assert got[0].cluster_id != got[1].cluster_id


def _corpus(seed, report_copies):
    text, record = seed
    docs = list(report_copies)
    for fn, name in ((twin_of, "twin"), (previous_year, "prev"), (revised, "rev")):
        t, r = fn(text, record)
        docs.append(make_doc(name, t, r, fetched="2021-03-01"))
    t1, r1 = load_seed("001")
    docs.append(make_doc("wz", t1, r1))
    # notice pages (stubs): one before the 2019 report, one after 吴忠's
    docs.append(notice("n-prev", record["agency"], 2019, fetched="2021-01-01"))
    docs.append(notice("n-wz", r1["agency"], r1["year"], fetched="2021-04-01"))
    return docs


def test_rerun_and_readd_change_nothing(seed, report_copies):
    docs = _corpus(seed, report_copies)
    dd = Deduplicator.open(None)
    first = dd.add_many(docs)
    before = dd.stats()["totals"]
    assert dd.add_many(docs) == first  # adding the same documents again
    assert dd.stats()["totals"] == before
    shuffled = docs[:]
    random.Random(7).shuffle(shuffled)
    again = Deduplicator.open(None).add_many(shuffled)  # a fresh run in another order
    assert {a.doc_id: a for a in again} == {a.doc_id: a for a in first}
    assert len({a.cluster_id for a in first}) == 4  # the report (2 versions), twin, 2019, 吴忠
    by = {a.doc_id: a for a in first}
    assert by["n-prev"].cluster_id == by["prev"].cluster_id and by["n-wz"].cluster_id == by["wz"].cluster_id


def test_persistence_round_trip_and_incremental_add(tmp_path, seed, report_copies):
    docs = _corpus(seed, report_copies)
    html, pdf, docx = report_copies
    dd = Deduplicator.open(tmp_path / "dedup")
    dd.add_many([d for d in docs if d.doc_id != "docx-1"])
    dd.save()
    want = {a.doc_id: a for a in dd.assignments()}
    dd2 = Deduplicator.open(tmp_path / "dedup")
    assert {a.doc_id: a for a in dd2.assignments()} == want
    assert dd2.clusters() == dd.clusters()
    added = dd2.add(docx)  # matched against the loaded (memory-mapped) index
    assert added.cluster_id == want["html-1"].cluster_id and added.match is MatchKind.TEXT
    dd2.save()
    dd3 = Deduplicator.open(tmp_path / "dedup")
    assert dd3.assignment("docx-1") == dd2.assignment("docx-1")
    assert len(dd3) == len(docs)
    assert len(list((tmp_path / "dedup").glob("gen-*"))) == 1
    # the same run in memory, all at once, agrees with the incremental one
    ref = Deduplicator.open(None)
    ref.add_many([d for d in docs if d.doc_id != "docx-1"])
    ref.add(docx)
    assert {a.doc_id: a for a in ref.assignments()} == {a.doc_id: a for a in dd3.assignments()}


def test_unknown_doc_raises_with_its_id():
    dd = Deduplicator.open(None)
    try:
        dd.assignment("nope")
    except KeyError as e:
        assert "nope" in str(e)
    else:
        raise AssertionError("expected KeyError")


def test_feature_workers_give_the_same_answers(seed, report_copies):
    from dedup import DedupParams

    docs = _corpus(seed, report_copies)
    params = DedupParams(chunk=2)  # several chunks, so the worker pipeline is really used
    ref = Deduplicator.open(None, params).add_many(docs)
    with Deduplicator.open(None, params, workers=1) as dd:
        got = dd.add_many(docs)
        assert dd._pool is not None
        assert dd.normaliser.stats.documents == len(docs)  # counters come back from the worker
    assert got == ref


def test_copy_without_agency_joins_only_its_own_report(seed, report_copies):
    text, record = seed
    html, pdf, _ = report_copies
    t2, r2 = twin_of(text, record)
    twin = make_doc("twin", t2, r2)
    # OCR copies whose extractor found no agency: one of the report, one of the twin
    ocr = make_doc(
        "ocr", pdf.text, {**record, "agency": None}, kind="ocr", raw_sha256="o1", fetched="2021-03-01"
    )
    ocr_twin = make_doc(
        "ocr-twin",
        t2.replace("\n", "\n\n"),
        {**r2, "agency": None},
        kind="ocr",
        raw_sha256="o2",
        fetched="2021-03-01",
    )
    dd = Deduplicator.open(None)
    got = {a.doc_id: a for a in dd.add_many([html, twin, ocr, ocr_twin])}
    assert got["ocr"].cluster_id == got["html-1"].cluster_id
    assert got["ocr-twin"].cluster_id == got["twin"].cluster_id
    assert got["html-1"].cluster_id != got["twin"].cluster_id
    # a copy without a year and with other numbers is not taken for a revision
    t3, r3 = revised(text, record)
    no_year = make_doc("no-year", t3, {**r3, "year": None}, raw_sha256="o3", fetched="2021-07-01")
    assert dd.add(no_year).cluster_id not in {got["html-1"].cluster_id, got["twin"].cluster_id}


def test_growing_corpus_with_only_weak_candidates(tmp_path, seed):
    """A saved index grown in a later run: a document whose LSH candidates all fall below the near
    threshold, after rows were appended to the loaded (memory-mapped) columns, must not crash (`take()`
    on no rows mixed base and tail)."""
    text, record = seed
    t1, r1 = load_seed("001")
    dd = Deduplicator.open(tmp_path / "dedup")
    dd.add(make_doc("a", text, record))
    dd.save()
    grown = Deduplicator.open(tmp_path / "dedup")
    grown.add(make_doc("wz", t1, r1))  # a row in the in-memory tail
    lines = text.split("\n")
    # 40 % of the report and some unrelated text: one LSH candidate ("a"), similarity far below 0.5
    half = "\n".join(lines[: len(lines) * 2 // 5]) + "\n" + t1[::-1][: len(t1) // 4]
    mixed = make_doc("mixed", half, r1 | {"agency": "某县某局"})
    got = grown.add(mixed)
    assert got.match is MatchKind.NEW and got.cluster_id != grown.cluster_of("a")
    grown.save()
    assert len(Deduplicator.open(tmp_path / "dedup")) == 3
