"""Each dedup step on its own: normaliser, agency names, shingles, MinHash, LSH index, statistics."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.canonical import CanonicalKey, source_rank
from dedup.decide import ReportFacts, SameReportDecider, StatVector
from dedup.index import LSHIndex
from dedup.minhash import EMPTY, MinHasher
from dedup.normalise import TextNormaliser, skeleton, skeleton_codes
from dedup.shingles import ShingleHasher
from dedup.store import Column
from extractor.agency import agencies_compatible, normalise_agency


def test_skeleton_table_matches_nfkc_reference():
    text = "２０２０年（一）予以公开 ABC\u3000结 果 维 持；①⑩㈠ 丽\uf9e6"
    assert skeleton_codes(text).tobytes().decode("utf-32-le") == skeleton(text)
    assert skeleton("（一）予以公开 2,765万元") == "一予以公开2765万元"


def test_page_furniture_removed_but_table_values_kept():
    n = TextNormaliser()
    text = "报告标题\n正文一\n3\n12\n第 1 页 共 2 页\n报告标题\n正文二\n0\n\f报告标题\n正文三\n- 3 -"
    out = n.strip_furniture(text)
    assert out.split("\n") == ["报告标题", "正文一", "3", "12", "正文二", "0", "正文三"]
    assert n.stats.page_number_lines == 2 and n.stats.furniture_lines == 2
    # a text with no pages keeps its bare numbers and repeated labels
    assert n.normalise("规章\n0\n0\n0\n规章\n0") == "规章000规章0"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("区卫健委", "上城区卫生健康委员会", True),
        ("上城区卫生健康局", "杭州市上城区卫生健康局", True),
        ("卫生健康局", "上城区卫生健康局", True),
        ("上城区卫生健康局", "下城区卫生健康局", False),
        ("市卫生健康委员会", "上城区卫生健康委员会", False),
        ("杭州市卫生健康委员会", "杭州市上城区卫生健康委员会", False),
        ("上城区人民政府", "上城区人民政府办公室", False),
        ("区政府办", "上城区人民政府办公室", True),
    ],
)
def test_agency_compatibility(a, b, same):
    na, nb = normalise_agency(a), normalise_agency(b)
    assert agencies_compatible(na, nb) is same
    assert agencies_compatible(nb, na) is same


def test_agency_named_in_text():
    a, b = normalise_agency("上城区卫生健康局"), normalise_agency("上城区卫生健康局（上城区中医药管理局）")
    assert not agencies_compatible(a, b)
    assert agencies_compatible(a, b, "上城区卫生健康局上城区中医药管理局2020年政府信息公开工作年度报告")


def test_batched_shingles_equal_one_by_one():
    sh = ShingleHasher()
    texts = ["上城区卫生健康局全年主动公开政府信息3637条", "短文", "", "行政许可", "吴忠市卫生健康委员会" * 3]
    codes = [skeleton_codes(t) for t in texts]
    flat, sizes = sh.hashes_many(codes, block=2)
    parts = np.split(flat, np.cumsum(sizes)[:-1])
    for c, got in zip(codes, parts, strict=True):
        assert sorted(got.tolist()) == sorted(sh.hashes(c).tolist())
    assert sizes[2] == 0 and sizes[1] == 1
    # "行政许可" alone is a template label: kept rather than leaving the text empty
    assert sizes[3] == 1


def test_minhash_equals_reference_and_estimates_jaccard():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**63, 3000, dtype=np.uint64)
    other = np.concatenate([base[:2000], rng.integers(0, 2**63, 1000, dtype=np.uint64)])  # J = 0.5
    mh = MinHasher(num_perm=128, seed=5)
    sigs = mh.signatures([base, other, base[:3], np.empty(0, dtype=np.uint64)])
    # reference: per bin minimum, one shingle at a time
    from dedup.shingles import mix64

    h = mix64(base ^ mh._salt)
    ref = np.full(128, EMPTY, dtype=np.uint32)
    for bin_, val in zip((h >> np.uint64(57)).tolist(), (h & np.uint64(0xFFFFFFFE)).tolist(), strict=True):
        ref[bin_] = min(ref[bin_], val)
    assert (sigs[0] == ref).all()
    est = (sigs[0] == sigs[1]).mean()
    assert 0.38 < est < 0.62
    assert (sigs[2] != EMPTY).all() and mh.stats.densified == 1  # 3 shingles, 128 bins: densified
    assert (sigs[3] == EMPTY).all()


def test_lsh_candidates_same_before_and_after_merge():
    rng = np.random.default_rng(1)
    sigs = rng.integers(0, 2**32 - 1, (50, 128), dtype=np.uint64).astype(np.uint32)
    sigs[7] = sigs[3]
    sigs[9, :64] = sigs[3, :64]
    index = LSHIndex(bands=32, rows=4)
    keys = index.keys(sigs)
    for i in range(len(sigs)):
        if i != 3:
            index.add(i, keys[i])

    def ask():
        lo, hi = index.locate(keys[3:4])
        ids, counts = index.candidates(keys[3], lo[0], hi[0])
        return dict(zip(ids.tolist(), counts.tolist(), strict=True))

    before = ask()
    index.merge()
    assert index.sorted_keys.shape == (32, 49) and not index._recent
    assert ask() == before == {7: 32, 9: 16}


def test_stat_vectors_contradict_only_on_shared_fields():
    a = StatVector.of({"requests": {"new": {"total": 5, "natural_person": 5}}, "review_litigation": None})
    b = StatVector.of({"requests": {"new": {"total": 5, "natural_person": None, "commercial": 0}}})
    c = StatVector.of({"requests": {"new": {"total": 6}}})
    assert len(a) == 2 and len(b) == 2
    assert not a.contradicts(b) and a.compare(b) == (1, 0)
    assert a.contradicts(c)
    assert len(a.union(b)) == 3
    assert not StatVector.of(None).contradicts(a)


def test_decider_rules():
    d = SameReportDecider()
    x = ReportFacts("上城区卫生健康局", 2020, "2019")
    assert d.same_report(x, ReportFacts("区卫生健康局", 2020, "2019"), 0.8)
    assert not d.same_report(x, ReportFacts("上城区卫生健康局", 2019, "2019"), 0.99)
    assert not d.same_report(x, ReportFacts("上城区卫生健康局", 2020, "2021"), 0.99)
    assert not d.same_report(x, ReportFacts("上城区卫生健康局", 2020, "2019"), 0.3)
    # one side unknown: only very close texts, and only when the text names the agency
    no_agency = ReportFacts(None, 2020, None)
    assert not d.same_report(no_agency, x, 0.8, "上城区卫生健康局2020年报告")
    assert d.same_report(no_agency, x, 0.95, "上城区卫生健康局2020年报告")
    assert not d.same_report(no_agency, x, 0.99, "下城区卫生健康局2020年报告")  # a twin without agency
    assert not d.same_report(x, no_agency, 0.99, "上城区卫生健康局2020年报告")  # cannot read the other text
    assert d.same_report(x, ReportFacts("上城区卫生健康局", None, "2019"), 0.95)
    assert not d.same_report(x, ReportFacts("上城区卫生健康局", None, "2019"), 0.85)


def test_canonical_order():
    html = CanonicalKey.of(40, 2, source_rank("html"), "2021-02-01", "b")
    pdf = CanonicalKey.of(40, 2, source_rank("pdf"), "2021-01-01", "a")
    fuller_pdf = CanonicalKey.of(41, 2, source_rank("pdf"), "2021-01-01", "a")
    failing = CanonicalKey.of(40, 0, source_rank("html"), "2021-01-01", "a")
    assert sorted([pdf, failing, fuller_pdf, html]) == [fuller_pdf, html, pdf, failing]
    assert source_rank("ocr") < source_rank("pdf") < source_rank("html")


@pytest.mark.parametrize("n_base", [0, 3])
@pytest.mark.parametrize("n_tail", [0, 2])
@pytest.mark.parametrize("width", [None, 4])
def test_column_take_any_rows(n_base, n_tail, width):
    """take() of no rows, base rows, tail rows or both, whatever holds rows: a memory-mapped base, an
    in-memory tail of appends."""
    shape = (n_base,) if width is None else (n_base, width)
    col = Column(np.int32, width, base=np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape))
    for k in range(n_tail):
        col.append(100 + k)
    full = col.array()
    for rows in ([], [0], [n_base + n_tail - 1], list(range(n_base + n_tail))):
        if any(r < 0 or r >= len(col) for r in rows):
            continue
        got = col.take(np.array(rows, dtype=np.int64))
        assert got.shape == full[rows].shape and (got == full[rows]).all()
