"""The deduplicator: features of each batch, then the policy (`assign.Assigner`) over the state
(`state.DedupIndex`), which is saved and loaded as a whole.

    dd = Deduplicator.open(path)          # or Deduplicator.open(None) for an in-memory index
    assignments = dd.add_many(docs)       # incremental; a known doc_id changes nothing
    dd.cluster_of(doc_id); dd.canonical(cluster_id); dd.copies(cluster_id)
    dd.save()

Documents of one `add_many` call are processed in (fetched_at, doc_id) order, so the same documents
give the same clusters, versions and ids however the caller orders them.

Where a document goes (cluster, version, canonical copy; stubs and links) is `assign`'s to say.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

from dedup.assign import Assigner
from dedup.decide import SameReportDecider
from dedup.document import Assignment, Copy, DedupDocument
from dedup.features import FeatureBatch, FeatureExtractor, compute_in_worker
from dedup.state import MATCHES, DedupIndex, stored_generation


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


class Deduplicator:
    """Assigns documents to reports (clusters), versions and canonical copies; see the module docstring."""

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
        self.decider = SameReportDecider(near_threshold=p.near_threshold, strict_threshold=p.strict_threshold)
        self._use(DedupIndex(p.num_perm, p.bands, p.rows))

    def _use(self, index: DedupIndex) -> None:
        """Work on `index`: the state the policy reads and writes."""
        self.index = index
        self.assigner = Assigner(index, self.decider, self.params.max_candidates, self.params.stub_max_chars)
        self.chooser = self.assigner.chooser

    # ---------------------------------------------------------------- opening and saving
    @classmethod
    def open(
        cls, path: Path | str | None, params: DedupParams | None = None, workers: int = 0
    ) -> Deduplicator:
        """Open the index stored under `path` (created on first save), or an in-memory one for None."""
        if path is None:
            return cls(None, params, workers)
        root = Path(path)
        stored = stored_generation(root)
        if stored is None:
            return cls(root, params, workers)
        gen, meta = stored
        saved = DedupParams(**meta["params"])
        if params is not None and params != saved:
            raise ValueError(f"dedup index {root} was built with {saved}, not {params}")
        dd = cls(root, saved, workers)
        dd._use(DedupIndex.load(gen, meta, saved.num_perm, saved.bands, saved.rows))
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
        return self.index.save(self.path, asdict(self.params))

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
            if d.doc_id not in self and d.doc_id not in queued:
                queued.add(d.doc_id)
                todo.append(d)
        size = self.params.chunk
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        lsh = self.index.lsh
        for chunk, batch in zip(chunks, self._feature_batches(chunks), strict=True):
            lo, hi = lsh.locate(batch.keys)
            for j, d in enumerate(chunk):
                self.assigner.assign(d, batch, j, lo[j], hi[j])
            lsh.maybe_merge()
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

    # ---------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.index.rows.by_doc

    def _row(self, doc_id: str) -> int:
        try:
            return self.index.rows.by_doc[doc_id]
        except KeyError:
            raise KeyError(f"document {doc_id!r} is not in the dedup index") from None

    def assignment(self, doc_id: str) -> Assignment:
        row = self._row(doc_id)
        rows, clusters = self.index.rows, self.index.clusters
        c = rows.columns
        v = int(c["version"][row])
        matched = int(c["matched"][row])
        sim = float(c["similarity"][row])
        return Assignment(
            doc_id=doc_id,
            cluster_id=clusters.ids[clusters.version_cluster[v]],
            version=clusters.version_number[v],
            is_canonical=clusters.canonical[v] == row,
            match=MATCHES[int(c["match"][row])],
            matched_doc_id=rows.doc_ids[matched] if matched >= 0 else None,
            similarity=None if sim != sim else round(sim, 4),
        )

    def assignments(self) -> Iterator[Assignment]:
        for doc_id in self.index.rows.doc_ids:
            yield self.assignment(doc_id)

    def cluster_of(self, doc_id: str) -> str:
        return self.assignment(doc_id).cluster_id

    def clusters(self) -> list[str]:
        """Every cluster holding a document (a stub's cluster empties when the stub moves to its report)."""
        clusters = self.index.clusters
        return [cid for c, cid in enumerate(clusters.ids) if clusters.has_rows(c)]

    def _cluster(self, cluster_id: str) -> int:
        clusters = self.index.clusters
        c = clusters.by_id.get(cluster_id)
        if c is None or not clusters.has_rows(c):
            raise KeyError(f"cluster {cluster_id!r} is not in the dedup index")
        return c

    def versions(self, cluster_id: str) -> list[int]:
        clusters = self.index.clusters
        return [clusters.version_number[v] for v in clusters.versions[self._cluster(cluster_id)]]

    def canonical(self, cluster_id: str, version: int | None = None) -> str:
        """doc_id of the canonical copy of a version (default: the latest version)."""
        clusters = self.index.clusters
        vs = clusters.versions[self._cluster(cluster_id)]
        v = vs[-1] if version is None else vs[version - 1]
        return self.index.rows.doc_ids[clusters.canonical[v]]

    def copies(self, cluster_id: str) -> list[Copy]:
        rows, clusters = self.index.rows, self.index.clusters
        return [
            Copy(
                rows.doc_ids[row],
                rows.urls[row],
                rows.shas[row],
                clusters.version_number[v],
                clusters.canonical[v] == row,
                rows.kinds[row],
                rows.fetched[row],
            )
            for v in clusters.versions[self._cluster(cluster_id)]
            for row in clusters.rows[v]
        ]

    def stats(self) -> dict[str, dict]:
        """Counters of every step (normalise, shingles, minhash, index, decide, canonical)."""
        clusters = self.index.clusters
        return {
            "normalise": asdict(self.normaliser.stats),
            "shingles": asdict(self.shingler.stats),
            "minhash": asdict(self.minhasher.stats),
            "index": asdict(self.index.lsh.stats),
            "keys": asdict(self.index.keys.stats),
            "decide": asdict(self.decider.stats),
            "canonical": {"replaced": self.chooser.replaced},
            "totals": {
                "documents": len(self),
                "clusters": sum(1 for c in range(len(clusters.ids)) if clusters.has_rows(c)),
                "versions": sum(1 for rows in clusters.rows if rows),
            },
        }
