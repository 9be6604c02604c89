"""The deduplicator: exact layer, near layer, same-report decision, canonical choice, persistence.

    dd = Deduplicator.open(path)          # or Deduplicator.open(None) for an in-memory index
    assignments = dd.add_many(docs)       # incremental; a known doc_id changes nothing
    dd.cluster_of(doc_id); dd.canonical(cluster_id); dd.copies(cluster_id)
    dd.save()

Documents of one `add_many` call are processed in (fetched_at, doc_id) order, so the same documents
give the same clusters, versions and ids however the caller orders them.

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

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from dedup import store
from dedup.canonical import CanonicalChooser, CanonicalKey, checks_rank, source_rank
from dedup.decide import (
    EMPTY_STATS,
    ReportFacts,
    SameReportDecider,
    StatVector,
    is_bodyless,
    is_stub,
    pointer_compatible,
)
from dedup.document import Assignment, Copy, DedupDocument, MatchKind
from dedup.features import FeatureBatch, FeatureExtractor, compute_in_worker
from dedup.index import LSHIndex
from dedup.keys import ReportKeyIndex, report_key, url_key
from dedup.normalise import LazySkeleton
from extractor.agency import agencies_compatible, normalise_agency

TEMPLATES = (None, "2019", "2021", "pre2019", "unknown")
MATCHES = tuple(MatchKind)


@dataclass(frozen=True)
class DedupParams:
    shingle_k: int = 5
    num_perm: int = 128
    bands: int = 32
    rows: int = 4
    seed: int = 1
    near_threshold: float = 0.5
    strict_threshold: float = 0.9
    max_candidates: int = 200
    chunk: int = 2048
    stub_max_chars: int = 500  # a stub has fewer characters of normalised text (and of sections) than this


@dataclass
class _Features:
    codes: np.ndarray
    text_hash: int
    sig: np.ndarray
    keys: np.ndarray


class Deduplicator:
    def __init__(
        self, path: Path | str | None = None, params: DedupParams | None = None, workers: int = 0
    ) -> None:
        """`workers` > 0 computes document features in that many processes, overlapped with assignment."""
        self.path = Path(path) if path is not None else None
        self.params = p = params or DedupParams()
        self.features = FeatureExtractor(p.shingle_k, p.num_perm, p.seed, p.bands, p.rows)
        self.normaliser, self.shingler, self.minhasher = (
            self.features.normaliser,
            self.features.shingler,
            self.features.minhasher,
        )
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self.index = LSHIndex(bands=p.bands, rows=p.rows)
        self.keys = ReportKeyIndex()
        self.stub_urls = ReportKeyIndex()  # URL key of a bodyless record -> its row
        self.found_on = ReportKeyIndex()  # URL key of a page a full report was found on -> its row
        self._row_urls: dict[int, list[int]] | None = None  # bodyless row -> its URL keys (built lazily)
        self.decider = SameReportDecider(near_threshold=p.near_threshold, strict_threshold=p.strict_threshold)
        self.chooser = CanonicalChooser()
        # per document (row)
        self._sigs = store.Column(np.uint32, p.num_perm)
        self._cols = {
            name: store.Column(dtype)
            for name, dtype in (
                ("version", np.int32),
                ("agency", np.int32),
                ("year", np.int32),
                ("template", np.int8),
                ("n_stats", np.int32),
                ("checks", np.int8),
                ("source", np.int8),
                ("match", np.int8),
                ("matched", np.int64),
                ("similarity", np.float32),
                ("text_hash", np.int64),
                ("stub", np.int8),
            )
        }
        self._doc_ids: list[str] = []
        self._urls: list[str] = []
        self._shas: list[str] = []
        self._fetched: list[str] = []
        self._kinds: list[str] = []
        self._by_doc: dict[str, int] = {}
        self._by_sha: dict[str, int] = {}
        self._by_text: dict[int, int] = {}
        self._agencies: list[str] = []
        self._agency_ids: dict[str, int] = {}
        # per cluster and per version
        self._cluster_ids: list[str] = []
        self._cluster_by_id: dict[str, int] = {}
        self._cluster_versions: list[list[int]] = []
        self._cluster_full = store.Column(np.int8)  # 1 when the cluster holds a document that is no stub
        self._version_cluster: list[int] = []
        self._version_number: list[int] = []
        self._version_canonical: list[int] = []
        self._version_stats: list[StatVector] = []
        self._version_rows: list[list[int]] = []

    # ---------------------------------------------------------------- opening and saving
    @classmethod
    def open(
        cls, path: Path | str | None, params: DedupParams | None = None, workers: int = 0
    ) -> Deduplicator:
        """Open the index stored under `path` (created on first save), or an in-memory one for None."""
        if path is None:
            return cls(None, params, workers)
        root = Path(path)
        gen = store.current_generation(root)
        if gen is None:
            return cls(root, params, workers)
        meta = store.read_json(gen / "meta.json")
        if meta.get("format") != store.FORMAT:
            raise store.IndexFormatError(
                f"dedup index {gen}: format {meta.get('format')}, expected {store.FORMAT} "
                "(rebuild it: nianbao dedup --rebuild)"
            )
        saved = DedupParams(**meta["params"])
        if params is not None and params != saved:
            raise ValueError(f"dedup index {root} was built with {saved}, not {params}")
        dd = cls(root, saved, workers)
        dd._load(gen, meta)
        return dd

    def close(self) -> None:
        """Stop the feature worker processes, if any."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def save(self) -> Path:
        """Write the index to a new generation under `path` and switch to it atomically."""
        if self.path is None:
            raise ValueError("in-memory deduplicator: open it with a path to save")
        self.index.merge()
        self.keys.merge()
        self.stub_urls.merge()
        self.found_on.merge()
        gen = store.new_generation(self.path)
        n = len(self._doc_ids)
        np.save(gen / "signatures.npy", self._sigs.array())
        np.savez(gen / "rows.npz", **{name: col.array() for name, col in self._cols.items()})
        store.write_table(
            gen / "rows.parquet",
            {
                "doc_id": self._doc_ids,
                "url": self._urls,
                "raw_sha256": self._shas,
                "fetched_at": self._fetched,
                "source_kind": self._kinds,
            },
        )
        np.save(gen / "lsh_keys.npy", self.index.sorted_keys)
        np.save(gen / "lsh_ids.npy", self.index.sorted_ids)
        store.write_table(gen / "clusters.parquet", {"cluster_id": self._cluster_ids})
        np.save(gen / "cluster_full.npy", self._cluster_full.array())
        np.save(gen / "report_keys.npy", self.keys.sorted_keys)
        np.save(gen / "report_clusters.npy", self.keys.sorted_clusters)
        np.save(gen / "stub_url_keys.npy", self.stub_urls.sorted_keys)
        np.save(gen / "stub_url_rows.npy", self.stub_urls.sorted_clusters)
        np.save(gen / "found_on_keys.npy", self.found_on.sorted_keys)
        np.save(gen / "found_on_rows.npy", self.found_on.sorted_clusters)
        lengths = np.fromiter(
            (len(s) for s in self._version_stats), dtype=np.int64, count=len(self._version_stats)
        )
        np.savez(
            gen / "versions.npz",
            cluster=np.asarray(self._version_cluster, dtype=np.int64),
            number=np.asarray(self._version_number, dtype=np.int64),
            canonical=np.asarray(self._version_canonical, dtype=np.int64),
            stats_len=lengths,
            stats_keys=np.concatenate([s.keys for s in self._version_stats] or [np.empty(0, np.uint64)]),
            stats_values=np.concatenate([s.values for s in self._version_stats] or [np.empty(0)]),
        )
        store.write_json(
            gen / "meta.json",
            {
                "format": store.FORMAT,
                "params": asdict(self.params),
                "documents": n,
                "clusters": len(self._cluster_ids),
                "versions": len(self._version_cluster),
                "agencies": self._agencies,
            },
        )
        store.commit_generation(self.path, gen)
        return gen

    def _load(self, gen: Path, meta: dict) -> None:
        n = meta["documents"]
        sigs = store.load_npy(gen / "signatures.npy", mmap=True)
        if len(sigs) != n:
            raise ValueError(f"dedup index {gen}: {len(sigs)} signatures for {n} documents")
        self._sigs = store.Column(np.uint32, self.params.num_perm, base=sigs)
        with np.load(gen / "rows.npz") as rows:
            for name, col in self._cols.items():
                self._cols[name] = store.Column(col.dtype, base=rows[name])
        strings = store.read_table(gen / "rows.parquet")
        self._doc_ids, self._urls, self._shas = strings["doc_id"], strings["url"], strings["raw_sha256"]
        self._fetched, self._kinds = strings["fetched_at"], strings["source_kind"]
        self._by_doc = {d: i for i, d in enumerate(self._doc_ids)}
        self._by_sha = {}
        for i, sha in enumerate(self._shas):
            self._by_sha.setdefault(sha, i)
        self._by_text = {}
        for i, h in enumerate(self._cols["text_hash"].array().tolist()):
            self._by_text.setdefault(h, i)
        self._agencies = list(meta["agencies"])
        self._agency_ids = {a: i for i, a in enumerate(self._agencies)}
        self.index.sorted_keys = store.load_npy(gen / "lsh_keys.npy", mmap=True)
        self.index.sorted_ids = store.load_npy(gen / "lsh_ids.npy", mmap=True)
        self._cluster_ids = store.read_table(gen / "clusters.parquet")["cluster_id"]
        self._cluster_by_id = {c: i for i, c in enumerate(self._cluster_ids)}
        self._cluster_full = store.Column(np.int8, base=store.load_npy(gen / "cluster_full.npy", mmap=False))
        self.keys.sorted_keys = store.load_npy(gen / "report_keys.npy", mmap=True)
        self.keys.sorted_clusters = store.load_npy(gen / "report_clusters.npy", mmap=True)
        self.stub_urls.sorted_keys = store.load_npy(gen / "stub_url_keys.npy", mmap=True)
        self.stub_urls.sorted_clusters = store.load_npy(gen / "stub_url_rows.npy", mmap=True)
        self.found_on.sorted_keys = store.load_npy(gen / "found_on_keys.npy", mmap=True)
        self.found_on.sorted_clusters = store.load_npy(gen / "found_on_rows.npy", mmap=True)
        with np.load(gen / "versions.npz") as v:
            self._version_cluster = v["cluster"].tolist()
            self._version_number = v["number"].tolist()
            self._version_canonical = v["canonical"].tolist()
            bounds = np.concatenate([[0], np.cumsum(v["stats_len"])])
            keys, values = v["stats_keys"], v["stats_values"]
            self._version_stats = [
                StatVector(keys[a:b], values[a:b]) if b > a else EMPTY_STATS
                for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
            ]
        self._cluster_versions = [[] for _ in self._cluster_ids]
        for vi, c in enumerate(self._version_cluster):
            self._cluster_versions[c].append(vi)
        self._version_rows = [[] for _ in self._version_cluster]
        for row, vi in enumerate(self._cols["version"].array().tolist()):
            self._version_rows[vi].append(row)

    # ---------------------------------------------------------------- adding
    def add(self, doc: DedupDocument) -> Assignment:
        return self.add_many([doc])[0]

    def add_many(self, docs: Iterable[DedupDocument]) -> list[Assignment]:
        """Assign each document (known doc_ids are left as they are); answers in the order given."""
        docs = list(docs)
        order = sorted(range(len(docs)), key=lambda i: (docs[i].fetched_at or "", docs[i].doc_id))
        todo: list[DedupDocument] = []
        queued: set[str] = set()
        for i in order:
            d = docs[i]
            if d.doc_id not in self._by_doc and d.doc_id not in queued:
                queued.add(d.doc_id)
                todo.append(d)
        size = self.params.chunk
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        for chunk, batch in zip(chunks, self._feature_batches(chunks), strict=True):
            lo, hi = self.index.locate(batch.keys)
            for j, d in enumerate(chunk):
                self._assign(d, batch, j, lo[j], hi[j])
            self.index.maybe_merge()
        return [self.assignment(d.doc_id) for d in docs]

    def _feature_batches(self, chunks: list[list[DedupDocument]]) -> Iterator[FeatureBatch]:
        """Features of each chunk, in order; with workers, later chunks are computed meanwhile."""
        if not self.workers or len(chunks) < 2:
            for chunk in chunks:
                yield self.features([d.text for d in chunk], [d.stats for d in chunk])
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("forkserver"))
        p = self.params
        config = (p.shingle_k, p.num_perm, p.seed, p.bands, p.rows)
        pending = deque()
        for i in range(len(chunks)):
            while len(pending) <= self.workers and i + len(pending) < len(chunks):
                c = chunks[i + len(pending)]
                pending.append(
                    self._pool.submit(compute_in_worker, config, [d.text for d in c], [d.stats for d in c])
                )
            batch, step_stats = pending.popleft().result()
            self.features.add_step_stats(step_stats)
            yield batch

    def _facts(self, row: int) -> ReportFacts:
        a = int(self._cols["agency"][row])
        y = int(self._cols["year"][row])
        return ReportFacts(
            self._agencies[a] if a >= 0 else None, y or None, TEMPLATES[int(self._cols["template"][row])]
        )

    def _assign(
        self, doc: DedupDocument, batch: FeatureBatch, j: int, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        agency = normalise_agency(doc.agency)
        facts = ReportFacts(
            agency, doc.year or None, doc.template if doc.template in TEMPLATES else "unknown"
        )
        stats = batch.stats[j]
        sig, keys, length, thash = batch.sigs[j], batch.keys[j], int(batch.length[j]), int(batch.text_hash[j])
        text = LazySkeleton(doc.text)
        stub = is_bodyless(len(stats), length, doc.section_chars, self.params.stub_max_chars)
        keyed = stub and is_stub(facts, len(stats), length, doc.section_chars, self.params.stub_max_chars)
        self.decider.stats.stubs += stub
        version = None
        match, matched, sim = MatchKind.NEW, -1, float("nan")
        # 1. exact layer: same raw bytes, then same normalised text
        raw = self._by_sha.get(doc.raw_sha256) if doc.raw_sha256 else None
        if raw is not None:
            version, match, matched, sim = int(self._cols["version"][raw]), MatchKind.RAW, raw, 1.0
        elif (
            length
            and (t := self._by_text.get(thash)) is not None
            and self.decider.same_report(facts, self._facts(t), 1.0, text)
        ):
            version, match, matched, sim = int(self._cols["version"][t]), MatchKind.TEXT, t, 1.0
        # 2. near layer, 3. same-report decision
        if version is None and length:
            ids, counts = self.index.candidates(keys, lo, hi)
            if len(ids) > self.params.max_candidates:
                self.index.stats.capped += 1
                ids = ids[np.argsort(-counts, kind="stable")[: self.params.max_candidates]]
            if len(ids):
                sims = (self._sigs.take(ids) == sig[None, :]).mean(axis=1)
                keep = sims >= self.params.near_threshold
                keep[keep] = self.decider.years_may_match(facts.year, self._cols["year"].take(ids[keep]))
                ids, sims = ids[keep], sims[keep]
                for k in np.lexsort((ids, -sims)).tolist():
                    row, s = int(ids[k]), float(sims[k])
                    if not self.decider.same_report(facts, self._facts(row), s, text):
                        continue
                    cluster = self._version_cluster[int(self._cols["version"][row])]
                    first = int(self._cols["version"][row])
                    for v in [first] + [v for v in self._cluster_versions[cluster] if v != first]:
                        if self.decider.same_version(stats, self._version_stats[v]):
                            version, match = v, MatchKind.NEAR
                            break
                    else:
                        if self.decider.partial(facts, self._facts(row)):
                            continue  # numbers differ and agency or year is unknown: not enough to merge
                        version, match = self._new_version(cluster), MatchKind.REVISION
                        self.decider.stats.new_version += 1
                    matched, sim = row, s
                    break
        # 4. links: a stub and the report found on its page; 5. a stub and the report of its (agency, year)
        own_urls = self._url_keys(doc.urls or (doc.url,)) if stub else []
        pages = self._url_keys(doc.found_on) if not stub else []
        lone = False  # a stub of a page on which several reports were found: joins none by key either
        if version is None and stub:
            found, lone = self._join_by_pointer(facts, own_urls)
            if found is not None:
                version, matched = found
                match = MatchKind.POINTER
        if version is None and not lone and (found := self._join_by_key(facts, keyed, stub)) is not None:
            version, matched = found
            match = MatchKind.KEY
        if version is None and pages and (found := self._adopt_by_pointer(facts, pages)) is not None:
            version, matched = found
            match = MatchKind.POINTER
        if version is None:
            version = self._new_version(self._new_cluster(agency, doc.year, doc.doc_id))
        register = not (stub and (lone or match is MatchKind.POINTER))
        row = self._append(
            doc, sig, keys, length, thash, facts, stats, version, match, matched, sim, stub, register
        )
        if stub:
            for k in own_urls:
                self.stub_urls.register(k, row)
            if self._row_urls is not None:
                self._row_urls[row] = own_urls
        elif pages:
            for k in pages:
                self.found_on.register(k, row)
            self._rehome_stubs(row, pages)

    # ---------------------------------------------------------------- links
    @staticmethod
    def _url_keys(urls: Iterable[str]) -> list[int]:
        return sorted({url_key(u) for u in urls if u})

    def _has_rows(self, cluster: int) -> bool:
        """Whether the cluster holds a document (a stub's cluster empties when the stub moves to its report)."""
        return any(self._version_rows[v] for v in self._cluster_versions[cluster])

    def _cluster_of_row(self, row: int) -> int:
        return self._version_cluster[int(self._cols["version"][row])]

    def _pointed_clusters(self, own_urls: list[int]) -> list[int]:
        """The clusters of the full reports found on any of these URLs, ascending."""
        return sorted({self._cluster_of_row(r) for k in own_urls for r in self.found_on.lookup(k)})

    def _stub_rows(self, pages: list[int]) -> list[int]:
        return sorted({r for k in pages for r in self.stub_urls.lookup(k)})

    def _urls_of_row(self, row: int) -> list[int]:
        """The URL keys a bodyless row was registered under."""
        if self._row_urls is None:
            self.stub_urls.merge()
            self._row_urls = {}
            for k, r in zip(
                self.stub_urls.sorted_keys.tolist(), self.stub_urls.sorted_clusters.tolist(), strict=True
            ):
                self._row_urls.setdefault(r, []).append(k)
        return self._row_urls.get(row, [])

    def _join_by_pointer(self, facts: ReportFacts, own_urls: list[int]) -> tuple[tuple[int, int] | None, bool]:
        """((version, its canonical row) a stub joins through the one report found on its page, or None;
        whether reports of several clusters were found on it)."""
        clusters = self._pointed_clusters(own_urls)
        if len(clusters) > 1:
            self.decider.stats.pointer_ambiguous += 1
            return None, True
        if not clusters:
            return None, False
        version = self._cluster_versions[clusters[0]][-1]
        row = self._version_canonical[version]
        if not pointer_compatible(facts, self._facts(row)):
            self.decider.stats.pointer_rejected += 1
            return None, False
        self.decider.stats.pointer_joined += 1
        return (version, row), False

    def _adopt_by_pointer(self, facts: ReportFacts, pages: list[int]) -> tuple[int, int] | None:
        """(version, its canonical row) of the one stub-only cluster whose stub this full report was
        found on, when nothing else was found on that stub's page; else None."""
        candidates: dict[int, int] = {}
        for r in self._stub_rows(pages):
            c = self._cluster_of_row(r)
            if not self._cluster_full[c] and self._has_rows(c):
                if self._pointed_clusters(self._urls_of_row(r)):
                    continue  # its page carries another report already (the stub stayed alone)
                candidates.setdefault(c, r)
        if len(candidates) > 1:
            self.decider.stats.pointer_ambiguous += 1
            return None
        if not candidates:
            return None
        (c, r), = candidates.items()
        if not pointer_compatible(self._facts(r), facts):
            self.decider.stats.pointer_rejected += 1
            return None
        self.decider.stats.pointer_joined += 1
        version = self._cluster_versions[c][-1]
        return version, self._version_canonical[version]

    def _rehome_stubs(self, row: int, pages: list[int]) -> None:
        """After full report `row` (found on `pages`) is placed: the stubs of those pages that sit elsewhere
        move to it when it is the one report found on their page, or, when their page now carries several
        reports, leave the report they sat with for a cluster of their own."""
        cluster = self._cluster_of_row(row)
        version = int(self._cols["version"][row])
        for r in self._stub_rows(pages):
            here = self._cluster_of_row(r)
            pointed = self._pointed_clusters(self._urls_of_row(r))
            if len(pointed) == 1 and here != cluster:
                if pointer_compatible(self._facts(r), self._facts(row)):
                    self._move(r, version, row)
                    self.decider.stats.pointer_moved += 1
                else:
                    self.decider.stats.pointer_rejected += 1
            elif len(pointed) > 1 and self._cluster_full[here]:
                self.decider.stats.pointer_ambiguous += 1
                a, y = self._facts(r).agency, int(self._cols["year"][r]) or None
                fresh = self._new_version(self._new_cluster(a, y, self._doc_ids[r] + "#alone"))
                self._move(r, fresh, -1, MatchKind.NEW)

    def _move(self, row: int, version: int, matched: int, match: MatchKind = MatchKind.POINTER) -> None:
        """Move a bodyless row (no statistics) to `version`."""
        old = int(self._cols["version"][row])
        self._version_rows[old].remove(row)
        if self._version_canonical[old] == row:  # the best of those left (none: -1)
            self._version_canonical[old] = min(self._version_rows[old], key=self._key, default=-1)
        c = self._cols
        c["version"][row] = version
        c["match"][row] = MATCHES.index(match)
        c["matched"][row] = matched
        c["similarity"][row] = float("nan")
        self._place(row, version)

    def _place(self, row: int, version: int) -> None:
        """Count `row` in `version` (and its cluster); it becomes the version's canonical copy if best."""
        self._version_rows[version].append(row)
        best = self._version_canonical[version]
        if best < 0 or self.chooser.better(self._key(row), self._key(best)):
            self._version_canonical[version] = row

    def _join_by_key(self, facts: ReportFacts, keyed: bool, stub: bool) -> tuple[int, int] | None:
        """(version, its canonical row) a document joins by its (agency, year) alone, if any.

        A stub (`keyed`) joins the one full cluster of its key (or, with none, the one stub cluster); a
        full document adopts the stub cluster when its key has no full cluster. Several candidates: no
        join. Clusters left empty, or whose canonical copy no longer names that (agency, year) (a stub
        registered them, then moved to the report its page announces), are not candidates."""
        aid = self._agency_ids.get(facts.agency) if facts.agency else None
        if aid is None or not facts.year or (stub and not keyed):
            return None
        clusters = [c for c in self.keys.lookup(report_key(aid, facts.year)) if self._key_holds(c, facts)]
        if not clusters:
            return None
        full = [c for c in clusters if self._cluster_full[c]]
        if full and not keyed:
            return None  # another text of an (agency, year) that has a full report: near layer said no
        pool = full or clusters
        if len(pool) > 1:
            self.decider.stats.key_ambiguous += 1
            return None
        version = self._cluster_versions[pool[0]][-1]
        row = self._version_canonical[version]
        if not self.decider.same_key_report(facts, self._facts(row)):
            return None
        return version, row

    def _key_holds(self, cluster: int, facts: ReportFacts) -> bool:
        """Whether the cluster (still) holds a report of this (agency, year): its canonical copy's."""
        if not self._has_rows(cluster):
            return False
        canon = self._facts(self._version_canonical[self._cluster_versions[cluster][-1]])
        return (not canon.year or canon.year == facts.year) and (
            not canon.agency or agencies_compatible(canon.agency, facts.agency)
        )

    def _new_cluster(self, agency: str | None, year: int | None, doc_id: str) -> int:
        key = f"{agency or ''}|{year or ''}|{doc_id}".encode()
        cid = "r" + hashlib.blake2b(key, digest_size=8).hexdigest()
        self._cluster_ids.append(cid)
        self._cluster_by_id[cid] = len(self._cluster_ids) - 1
        self._cluster_versions.append([])
        self._cluster_full.append(0)
        return len(self._cluster_ids) - 1

    def _new_version(self, cluster: int) -> int:
        v = len(self._version_cluster)
        self._version_cluster.append(cluster)
        self._version_number.append(len(self._cluster_versions[cluster]) + 1)
        self._version_canonical.append(-1)
        self._version_stats.append(EMPTY_STATS)
        self._version_rows.append([])
        self._cluster_versions[cluster].append(v)
        return v

    def _append(
        self, doc, sig, keys, length, thash, facts, stats, version, match, matched, sim, stub, register=True
    ) -> int:
        row = len(self._doc_ids)
        agency = -1
        if facts.agency:
            agency = self._agency_ids.setdefault(facts.agency, len(self._agencies))
            if agency == len(self._agencies):
                self._agencies.append(facts.agency)
        c = self._cols
        for name, value in (
            ("version", version),
            ("agency", agency),
            ("year", facts.year or 0),
            ("template", TEMPLATES.index(facts.template)),
            ("n_stats", len(stats)),
            ("checks", checks_rank(doc.checks_ok)),
            ("source", source_rank(doc.source_kind)),
            ("match", MATCHES.index(match)),
            ("matched", matched),
            ("similarity", sim),
            ("text_hash", thash),
            ("stub", stub),
        ):
            c[name].append(value)
        self._sigs.append(sig)
        self._doc_ids.append(doc.doc_id)
        self._urls.append(doc.url)
        self._shas.append(doc.raw_sha256)
        self._fetched.append(doc.fetched_at)
        self._kinds.append(doc.source_kind)
        self._by_doc[doc.doc_id] = row
        if doc.raw_sha256:
            self._by_sha.setdefault(doc.raw_sha256, row)
        if length:
            self._by_text.setdefault(thash, row)
            self.index.add(row, keys)
        cluster = self._version_cluster[version]
        if not stub and not self._cluster_full[cluster]:
            self._cluster_full[cluster] = 1
        if register and agency >= 0 and facts.year and not (
            matched >= 0 and c["agency"][matched] == agency and c["year"][matched] == facts.year
        ):  # a match of the same agency and year is registered already
            self.keys.register(report_key(agency, facts.year), cluster)
        self._version_stats[version] = self._version_stats[version].union(stats)
        self._place(row, version)
        return row

    def _key(self, row: int) -> CanonicalKey:
        c = self._cols
        return CanonicalKey.of(
            int(c["n_stats"][row]),
            int(c["checks"][row]),
            int(c["source"][row]),
            self._fetched[row],
            self._doc_ids[row],
            bool(c["stub"][row]),
        )

    # ---------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._doc_ids)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._by_doc

    def _row(self, doc_id: str) -> int:
        try:
            return self._by_doc[doc_id]
        except KeyError:
            raise KeyError(f"document {doc_id!r} is not in the dedup index") from None

    def assignment(self, doc_id: str) -> Assignment:
        row = self._row(doc_id)
        c = self._cols
        v = int(c["version"][row])
        matched = int(c["matched"][row])
        sim = float(c["similarity"][row])
        return Assignment(
            doc_id=doc_id,
            cluster_id=self._cluster_ids[self._version_cluster[v]],
            version=self._version_number[v],
            is_canonical=self._version_canonical[v] == row,
            match=MATCHES[int(c["match"][row])],
            matched_doc_id=self._doc_ids[matched] if matched >= 0 else None,
            similarity=None if sim != sim else round(sim, 4),
        )

    def assignments(self) -> Iterator[Assignment]:
        for doc_id in self._doc_ids:
            yield self.assignment(doc_id)

    def cluster_of(self, doc_id: str) -> str:
        return self.assignment(doc_id).cluster_id

    def clusters(self) -> list[str]:
        """Every cluster holding a document (a stub's cluster empties when the stub moves to its report)."""
        return [cid for c, cid in enumerate(self._cluster_ids) if self._has_rows(c)]

    def _cluster(self, cluster_id: str) -> int:
        c = self._cluster_by_id.get(cluster_id)
        if c is None or not self._has_rows(c):
            raise KeyError(f"cluster {cluster_id!r} is not in the dedup index")
        return c

    def versions(self, cluster_id: str) -> list[int]:
        return [self._version_number[v] for v in self._cluster_versions[self._cluster(cluster_id)]]

    def canonical(self, cluster_id: str, version: int | None = None) -> str:
        """doc_id of the canonical copy of a version (default: the latest version)."""
        vs = self._cluster_versions[self._cluster(cluster_id)]
        v = vs[-1] if version is None else vs[version - 1]
        return self._doc_ids[self._version_canonical[v]]

    def copies(self, cluster_id: str) -> list[Copy]:
        out = []
        for v in self._cluster_versions[self._cluster(cluster_id)]:
            for row in self._version_rows[v]:
                out.append(
                    Copy(
                        self._doc_ids[row],
                        self._urls[row],
                        self._shas[row],
                        self._version_number[v],
                        self._version_canonical[v] == row,
                        self._kinds[row],
                        self._fetched[row],
                    )
                )
        return out

    def stats(self) -> dict[str, dict]:
        """Counters of every step (normalise, shingles, minhash, index, decide, canonical)."""
        return {
            "normalise": asdict(self.normaliser.stats),
            "shingles": asdict(self.shingler.stats),
            "minhash": asdict(self.minhasher.stats),
            "index": asdict(self.index.stats),
            "keys": asdict(self.keys.stats),
            "decide": asdict(self.decider.stats),
            "canonical": {"replaced": self.chooser.replaced},
            "totals": {
                "documents": len(self),
                "clusters": sum(1 for c in range(len(self._cluster_ids)) if self._has_rows(c)),
                "versions": sum(1 for rows in self._version_rows if rows),
            },
        }
