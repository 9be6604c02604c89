"""An index saved by an earlier nianbao opens and answers as a fresh run over the same documents does,
and goes on from there: the on-disk format (`dedup.store`) is a contract.

`data/index-format3/` was written by the deduplicator as it was before its state and policy were split
(commit b745474) from `saved_corpus()`:

    PYTHONPATH=<that checkout> python tests/dedup/test_index_format.py tests/fixtures/dedup/index-format3

A change of format bumps `store.FORMAT` (a stored index is then rebuilt) and rewrites the fixture.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from dedup import DedupDocument, Deduplicator, MatchKind, store
from tests.support.dedup_documents import (
    damage_like_pdf,
    load_seed,
    make_doc,
    notice,
    previous_year,
    revised,
    twin_of,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dedup" / "index-format3"
PORTAL = "http://www.yunxi.gov.cn/xxgk/2021/notice-edu.html"


def _linked(
    doc: DedupDocument, *, urls: tuple[str, ...] = (), found_on: tuple[str, ...] = ()
) -> DedupDocument:
    return replace(doc, urls=urls or (doc.url,), found_on=found_on, raw_sha256=f"raw-{doc.doc_id}")


def saved_corpus() -> list[DedupDocument]:
    """Copies, a revision, look-alikes, a stub placed by key and a portal notice placed with the portal's
    own report: what the stored index holds."""
    text, record = load_seed("000")
    other_text, other = load_seed("001")
    title = "杭州市上城区卫生健康局2020年政府信息公开工作年度报告"
    return [
        make_doc("html", text, record),
        make_doc("pdf", damage_like_pdf(text, title), record, kind="pdf", fetched="2021-02-02T00:00:00"),
        make_doc("revised", *revised(text, record), fetched="2021-05-01T00:00:00"),
        make_doc("twin", *twin_of(text, record)),
        make_doc("last-year", *previous_year(text, record), fetched="2020-02-01T00:00:00"),
        notice("other-notice", other["agency"], other["year"], fetched="2020-01-01T00:00:00"),
        _linked(
            notice("portal-notice", "云溪区人民政府", 2020, fetched="2021-02-01", url=PORTAL),
            urls=(PORTAL, PORTAL.replace("http://", "https://")),
        ),
        make_doc(
            "portal-gov",
            other_text,
            {**other, "agency": "云溪区人民政府", "year": 2020},
            fetched="2021-01-15",
        ),
    ]


def later_corpus() -> list[DedupDocument]:
    """What arrives after the index was saved: a mirror of a stored copy, the full report of the stored
    stub's (agency, year), and the PDF found on the portal's notice."""
    text, record = load_seed("000")
    other_text, other = load_seed("001")
    edu = {**record, "agency": "云溪区教育局", "year": 2020}
    return [
        make_doc("mirror", text, record, url="http://mirror.example.cn/report.html"),
        make_doc("other", other_text, other, kind="pdf", fetched="2020-03-01T00:00:00"),
        _linked(make_doc("edu-pdf", text, edu, kind="pdf", fetched="2021-02-02"), found_on=(PORTAL,)),
    ]


def test_an_index_saved_before_opens_answers_the_same_and_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "dedup"
    shutil.copytree(FIXTURE, root)
    assert store.read_json(store.current_generation(root) / "meta.json")["format"] == store.FORMAT
    saved = Deduplicator.open(root)
    fresh = Deduplicator.open(None)
    fresh.add_many(saved_corpus())
    assert len(saved) == len(saved_corpus()) and list(saved.assignments()) == list(fresh.assignments())
    assert {c: saved.copies(c) for c in saved.clusters()} == {c: fresh.copies(c) for c in fresh.clusters()}

    later = saved.add_many(later_corpus())
    assert later == fresh.add_many(later_corpus())
    assert [a.match for a in later] == [MatchKind.RAW, MatchKind.KEY, MatchKind.NEW]
    assert saved.assignment("portal-notice").match is MatchKind.POINTER  # moved to the PDF found on it
    saved.save()
    assert list(Deduplicator.open(root).assignments()) == list(fresh.assignments())


if __name__ == "__main__":  # write the fixture with the deduplicator on sys.path
    dd = Deduplicator(Path(sys.argv[1]))
    dd.add_many(saved_corpus())
    dd.save()
