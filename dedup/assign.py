"""The dedup policy: where a new document goes (cluster, version) and which copy is canonical.

One document at a time, first answer wins:
1. exact layer: the same raw bytes, then the same normalised text (`_exact`);
2. near layer and 3. same-report decision: LSH candidates, most similar first; the first that is the same
   report gives its agreeing version, or a new version when the statistics differ (`_near`);
4. links: a stub joins the one report found on its page (`_join_by_pointer`);
5. keys: a stub and the report of its (agency, year) (`_join_by_key`); a full report found on a
   stub-only cluster's page adopts it (`_adopt_by_pointer`);
6. otherwise a new cluster.
After it is recorded, a full report takes over the stubs of the pages it was found on (`_rehome_stubs`).
The state it reads and writes is a `state.DedupIndex`.

Stubs (`decide.is_stub`: a notice page naming agency and year, no statistics, no body) are matched by
(agency, year) through `keys.ReportKeyIndex`: a stub joins the one full report of its (agency, year); a
full report whose (agency, year) has only a stub adopts the stub's cluster, so its id stays valid.

Before that, links (`DedupDocument.urls`/`found_on`, through two `keys.ReportKeyIndex` of URL keys):
a bodyless record (a stub, or a notice whose agency or year is unknown) and the one full report found on
its page are one report, when `decide.pointer_compatible`. A stub joins that report's cluster; a full
report found on a stub-only cluster's page adopts it; a stub placed earlier (alone with others, or by
key) moves to the report once it arrives. A page on which reports of several clusters were found joins
none of them (its stub stays alone, its (agency, year) is not one report's). Only bodyless records
point: a report found on another report's page is never merged by the link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dedup.canonical import CanonicalChooser
from dedup.decide import (
    ReportFacts,
    SameReportDecider,
    StatVector,
    is_bodyless,
    is_stub,
    pointer_compatible,
)
from dedup.document import DedupDocument, MatchKind
from dedup.features import FeatureBatch
from dedup.keys import report_key
from dedup.normalise import LazySkeleton
from dedup.state import TEMPLATES, DedupIndex, DocRow, Placement, url_keys
from extractor.agency import agencies_compatible, normalise_agency


@dataclass(slots=True)
class Incoming:
    """A document being assigned, with its features and what the policy derives from them."""

    doc: DedupDocument
    facts: ReportFacts
    stats: StatVector
    signature: np.ndarray
    band_keys: np.ndarray
    text_chars: int  # characters of normalised text
    text_hash: int
    text: LazySkeleton
    stub: bool  # bodyless: no statistics, next to no text
    keyed: bool  # a stub naming agency and year (`decide.is_stub`): may join by key
    own_urls: list[int]  # a stub's URL keys (the pages it is)
    pages: list[int]  # a full report's: the URL keys of the pages it was found on


class Assigner:
    """Places each new document in a `DedupIndex` and keeps each version's canonical copy."""

    def __init__(
        self, index: DedupIndex, decider: SameReportDecider, max_candidates: int, stub_max_chars: int
    ) -> None:
        self.index = index
        self.decider = decider
        self.chooser = CanonicalChooser()
        self.max_candidates = max_candidates
        self.stub_max_chars = stub_max_chars

    def assign(self, doc: DedupDocument, batch: FeatureBatch, j: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Place document `j` of a feature batch (`lo`, `hi`: its LSH ranges) and record it."""
        new = self._incoming(doc, batch, j)
        self.decider.stats.stubs += new.stub
        lone = False  # a stub of a page on which several reports were found: joins none by key either
        placement = self._exact(new) or self._near(new, lo, hi)
        if placement is None and new.stub:
            placement, lone = self._join_by_pointer(new)
        if placement is None and not lone:
            placement = self._join_by_key(new)
        if placement is None and new.pages:
            placement = self._adopt_by_pointer(new)
        if placement is None:
            cluster = self.index.clusters.new_cluster(new.facts.agency, doc.year, doc.doc_id)
            placement = Placement(self.index.clusters.new_version(cluster), MatchKind.NEW)
        row = self._record(new, placement)
        if not (new.stub and (lone or placement.match is MatchKind.POINTER)):
            self._register_key(new, placement)
        if new.stub:
            self.index.register_stub(row, new.own_urls)
        elif new.pages:
            self.index.register_found_on(row, new.pages)
            self._rehome_stubs(row, new.pages)

    def _incoming(self, doc: DedupDocument, batch: FeatureBatch, j: int) -> Incoming:
        """The document with its features (row `j` of the batch), facts and stub and link status."""
        facts = ReportFacts(
            normalise_agency(doc.agency),
            doc.year or None,
            doc.template if doc.template in TEMPLATES else "unknown",
        )
        stats, chars = batch.stats[j], int(batch.length[j])
        stub = is_bodyless(len(stats), chars, doc.section_chars, self.stub_max_chars)
        return Incoming(
            doc=doc,
            facts=facts,
            stats=stats,
            signature=batch.sigs[j],
            band_keys=batch.keys[j],
            text_chars=chars,
            text_hash=int(batch.text_hash[j]),
            text=LazySkeleton(doc.text),
            stub=stub,
            keyed=stub and is_stub(facts, len(stats), chars, doc.section_chars, self.stub_max_chars),
            own_urls=url_keys(doc.urls or (doc.url,)) if stub else [],
            pages=url_keys(doc.found_on) if not stub else [],
        )

    def _record(self, new: Incoming, placement: Placement) -> int:
        """Record the document's row in the index; it becomes its version's canonical copy if best."""
        row = self.index.append(
            DocRow(
                doc=new.doc,
                facts=new.facts,
                stats=new.stats,
                stub=new.stub,
                signature=new.signature,
                band_keys=new.band_keys,
                text_hash=new.text_hash,
                has_text=new.text_chars > 0,
                placement=placement,
            )
        )
        self._crown_if_best(row, placement.version)
        return row

    def _register_key(self, new: Incoming, placement: Placement) -> None:
        """File the recorded document's cluster under its (agency, year), unless the row it matched has
        the same (registered already)."""
        rows, (agency, year) = self.index.rows, (new.facts.agency, new.facts.year)
        aid = rows.agency_ids.get(agency) if agency else None
        if aid is None or not year:
            return
        key = report_key(aid, year)
        if placement.matched >= 0 and rows.report_key(placement.matched) == key:
            return
        self.index.keys.register(key, self.index.clusters.version_cluster[placement.version])

    # ---------------------------------------------------------------- canonical copy
    def _crown_if_best(self, row: int, version: int) -> None:
        """`row` becomes the version's canonical copy if it beats the current one."""
        clusters, rows = self.index.clusters, self.index.rows
        best = clusters.canonical[version]
        if best < 0 or self.chooser.better(rows.canonical_key(row), rows.canonical_key(best)):
            clusters.canonical[version] = row

    def _move(self, row: int, placement: Placement) -> None:
        """Move a bodyless row (no statistics) to another version; the version it leaves gets the best of
        the rows left as canonical copy (none: -1)."""
        clusters, rows = self.index.clusters, self.index.rows
        old = self.index.detach(row)
        if clusters.canonical[old] == row:
            clusters.canonical[old] = min(clusters.rows[old], key=rows.canonical_key, default=-1)
        self.index.attach(row, placement)
        self._crown_if_best(row, placement.version)

    # ---------------------------------------------------------------- 1-3. text
    def _exact(self, new: Incoming) -> Placement | None:
        """The same raw bytes, or the same normalised text of the same report."""
        rows = self.index.rows
        raw = rows.by_sha.get(new.doc.raw_sha256) if new.doc.raw_sha256 else None
        if raw is not None:
            return Placement(rows.version(raw), MatchKind.RAW, raw, 1.0)
        t = rows.by_text.get(new.text_hash) if new.text_chars else None
        if t is not None and self.decider.same_report(new.facts, rows.facts(t), 1.0, new.text):
            return Placement(rows.version(t), MatchKind.TEXT, t, 1.0)
        return None

    def _near(self, new: Incoming, lo: np.ndarray, hi: np.ndarray) -> Placement | None:
        """The most similar candidate that is the same report: its agreeing version, or a new version."""
        if not new.text_chars:
            return None
        rows = self.index.rows
        for row, similarity in self._candidates(new, lo, hi):
            if not self.decider.same_report(new.facts, rows.facts(row), similarity, new.text):
                continue
            version = self._agreeing_version(new.stats, row)
            if version is not None:
                return Placement(version, MatchKind.NEAR, row, similarity)
            if self.decider.partial(new.facts, rows.facts(row)):
                continue  # numbers differ and agency or year is unknown: not enough to merge
            self.decider.stats.new_version += 1
            version = self.index.clusters.new_version(self.index.cluster_of_row(row))
            return Placement(version, MatchKind.REVISION, row, similarity)
        return None

    def _candidates(self, new: Incoming, lo: np.ndarray, hi: np.ndarray) -> Iterator[tuple[int, float]]:
        """(row, similarity) of the LSH candidates similar enough and of a year that may match, most
        similar first (at most `max_candidates` looked at)."""
        index = self.index
        ids, counts = index.lsh.candidates(new.band_keys, lo, hi)
        if len(ids) > self.max_candidates:
            index.lsh.stats.capped += 1
            ids = ids[np.argsort(-counts, kind="stable")[: self.max_candidates]]
        if not len(ids):
            return
        sims = (index.rows.signatures.take(ids) == new.signature[None, :]).mean(axis=1)
        keep = sims >= self.decider.near_threshold
        keep[keep] = self.decider.years_may_match(new.facts.year, index.rows.columns["year"].take(ids[keep]))
        ids, sims = ids[keep], sims[keep]
        for k in np.lexsort((ids, -sims)).tolist():
            yield int(ids[k]), float(sims[k])

    def _agreeing_version(self, stats: StatVector, row: int) -> int | None:
        """The version of `row`'s cluster whose statistics agree with `stats`: `row`'s own first."""
        clusters = self.index.clusters
        first = self.index.rows.version(row)
        for v in [first] + [v for v in clusters.versions[clusters.version_cluster[first]] if v != first]:
            if self.decider.same_version(stats, clusters.stats[v]):
                return v
        return None

    # ---------------------------------------------------------------- 4-5. links and keys
    def _latest(self, cluster: int, match: MatchKind) -> Placement:
        """The cluster's latest version, matched with its canonical row."""
        version = self.index.clusters.latest(cluster)
        return Placement(version, match, self.index.clusters.canonical[version])

    def _join_by_pointer(self, new: Incoming) -> tuple[Placement | None, bool]:
        """(where a stub joins through the one report found on its page, or None; whether reports of
        several clusters were found on it)."""
        clusters = self.index.clusters_found_on(new.own_urls)
        if len(clusters) > 1:
            self.decider.stats.pointer_ambiguous += 1
            return None, True
        if not clusters:
            return None, False
        found = self._latest(clusters[0], MatchKind.POINTER)
        if not pointer_compatible(new.facts, self.index.rows.facts(found.matched)):
            self.decider.stats.pointer_rejected += 1
            return None, False
        self.decider.stats.pointer_joined += 1
        return found, False

    def _adopt_by_pointer(self, new: Incoming) -> Placement | None:
        """The one stub-only cluster whose stub this full report was found on, when nothing else was found
        on that stub's page; else None."""
        index = self.index
        candidates: dict[int, int] = {}
        for r in index.stubs_at(new.pages):
            c = index.cluster_of_row(r)
            if not index.clusters.full[c] and index.clusters.has_rows(c):
                if index.clusters_found_on(index.urls_of_stub(r)):
                    continue  # its page carries another report already (the stub stayed alone)
                candidates.setdefault(c, r)
        if len(candidates) > 1:
            self.decider.stats.pointer_ambiguous += 1
            return None
        if not candidates:
            return None
        ((c, r),) = candidates.items()
        if not pointer_compatible(index.rows.facts(r), new.facts):
            self.decider.stats.pointer_rejected += 1
            return None
        self.decider.stats.pointer_joined += 1
        return self._latest(c, MatchKind.POINTER)

    def _rehome_stubs(self, row: int, pages: list[int]) -> None:
        """After full report `row` (found on `pages`) is placed: the stubs of those pages that sit elsewhere
        move to it when it is the one report found on their page, or, when their page now carries several
        reports, leave the report they sat with for a cluster of their own."""
        index, stats = self.index, self.decider.stats
        cluster = index.cluster_of_row(row)
        version = index.rows.version(row)
        for r in index.stubs_at(pages):
            here = index.cluster_of_row(r)
            pointed = index.clusters_found_on(index.urls_of_stub(r))
            if len(pointed) == 1 and here != cluster:
                if pointer_compatible(index.rows.facts(r), index.rows.facts(row)):
                    self._move(r, Placement(version, MatchKind.POINTER, row))
                    stats.pointer_moved += 1
                else:
                    stats.pointer_rejected += 1
            elif len(pointed) > 1 and index.clusters.full[here]:
                stats.pointer_ambiguous += 1
                alone = index.clusters.new_cluster(
                    index.rows.facts(r).agency, index.rows.year(r), index.rows.doc_ids[r] + "#alone"
                )
                self._move(r, Placement(index.clusters.new_version(alone), MatchKind.NEW))

    def _join_by_key(self, new: Incoming) -> Placement | None:
        """Where a document joins by its (agency, year) alone, if anywhere.

        A stub (`keyed`) joins the one full cluster of its key (or, with none, the one stub cluster); a
        full document adopts the stub cluster when its key has no full cluster. Several candidates: no
        join. Clusters left empty, or whose canonical copy no longer names that (agency, year) (a stub
        registered them, then moved to the report its page announces), are not candidates."""
        facts, index = new.facts, self.index
        aid = index.rows.agency_ids.get(facts.agency) if facts.agency else None
        if aid is None or not facts.year or (new.stub and not new.keyed):
            return None
        clusters = [c for c in index.keys.lookup(report_key(aid, facts.year)) if self._key_holds(c, facts)]
        if not clusters:
            return None
        full = [c for c in clusters if index.clusters.full[c]]
        if full and not new.keyed:
            return None  # another text of an (agency, year) that has a full report: near layer said no
        pool = full or clusters
        if len(pool) > 1:
            self.decider.stats.key_ambiguous += 1
            return None
        found = self._latest(pool[0], MatchKind.KEY)
        if not self.decider.same_key_report(facts, index.rows.facts(found.matched)):
            return None
        return found

    def _key_holds(self, cluster: int, facts: ReportFacts) -> bool:
        """Whether the cluster (still) holds a report of this (agency, year): its canonical copy's."""
        clusters = self.index.clusters
        if not clusters.has_rows(cluster):
            return False
        canon = self.index.rows.facts(clusters.canonical[clusters.latest(cluster)])
        return (not canon.year or canon.year == facts.year) and (
            not canon.agency or agencies_compatible(canon.agency, facts.agency)
        )
