"""The dedup index's state: what is known of every document, cluster and version, and the lookups over
them; saved to and loaded from a `store` generation. No policy here: `assign.Assigner` decides where a
document goes (cluster, version, canonical copy), `DedupIndex` records it.

- `Rows`: one row per document, in the order added (numpy columns, signatures, string columns) and the
  lookups by doc_id, raw hash and normalised-text hash;
- `Clusters`: the clusters (report ids), their versions, each version's rows, canonical row and
  statistics;
- `DedupIndex`: both, with the LSH band index, the (agency, year) key index and the two link indexes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dedup import store
from dedup.canonical import CanonicalKey, checks_rank, source_rank
from dedup.decide import EMPTY_STATS, ReportFacts, StatVector
from dedup.document import DedupDocument, MatchKind
from dedup.index import LSHIndex
from dedup.keys import ReportKeyIndex, report_key, url_key

TEMPLATES = (None, "2019", "2021", "pre2019", "unknown")
MATCHES = tuple(MatchKind)
ROW_COLUMNS = (  # rows.npz
    ("version", np.int32),
    ("agency", np.int32),  # index into the agency names, -1: unknown
    ("year", np.int32),  # 0: unknown
    ("template", np.int8),  # index into TEMPLATES
    ("n_stats", np.int32),
    ("checks", np.int8),  # canonical.checks_rank
    ("source", np.int8),  # canonical.source_rank
    ("match", np.int8),  # index into MATCHES
    ("matched", np.int64),  # the row it matched, -1: none
    ("similarity", np.float32),  # NaN: not compared
    ("text_hash", np.int64),
    ("stub", np.int8),  # 1: bodyless (no statistics, next to no text)
)


@dataclass(slots=True)
class Placement:
    """Where the policy puts a document: a version, how it got there, the row it matched and how closely."""

    version: int
    match: MatchKind
    matched: int = -1
    similarity: float = float("nan")


@dataclass(slots=True)
class DocRow:
    """What the index records of one document: its identifiers (from `doc`; not its text), facts,
    features, and placement."""

    doc: DedupDocument
    facts: ReportFacts  # normalised agency, year, template
    stats: StatVector
    stub: bool
    signature: np.ndarray
    band_keys: np.ndarray
    text_hash: int
    has_text: bool  # a non-empty normalised text: indexed by its text hash and LSH bands
    placement: Placement


class Rows:
    """One row per document: numpy columns, MinHash signatures, string columns, and lookups."""

    def __init__(
        self,
        num_perm: int,
        signatures: np.ndarray | None = None,
        columns: dict[str, np.ndarray] | None = None,
        strings: dict[str, list[str]] | None = None,
        agencies: list[str] | None = None,
    ) -> None:
        columns = columns or {}
        strings = strings or {}
        self.signatures = store.Column(np.uint32, num_perm, base=signatures)
        self.columns = {name: store.Column(dtype, base=columns.get(name)) for name, dtype in ROW_COLUMNS}
        self.doc_ids: list[str] = strings.get("doc_id", [])
        self.urls: list[str] = strings.get("url", [])
        self.shas: list[str] = strings.get("raw_sha256", [])
        self.fetched: list[str] = strings.get("fetched_at", [])
        self.kinds: list[str] = strings.get("source_kind", [])
        self.agencies: list[str] = list(agencies or [])
        self.agency_ids = {a: i for i, a in enumerate(self.agencies)}
        self.by_doc = {d: i for i, d in enumerate(self.doc_ids)}
        self.by_sha: dict[str, int] = {}
        for i, sha in enumerate(self.shas):
            self.by_sha.setdefault(sha, i)
        self.by_text: dict[int, int] = {}
        for i, h in enumerate(self.columns["text_hash"].array().tolist()):
            self.by_text.setdefault(h, i)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def agency_id(self, agency: str | None) -> int:
        """The agency's number (registered on first sight), -1 for None."""
        if not agency:
            return -1
        aid = self.agency_ids.setdefault(agency, len(self.agencies))
        if aid == len(self.agencies):
            self.agencies.append(agency)
        return aid

    def append(self, row: DocRow) -> int:
        """Add the document's row (and its lookups); returns its number."""
        n = len(self.doc_ids)
        doc, facts, placement = row.doc, row.facts, row.placement
        for name, value in (
            ("version", placement.version),
            ("agency", self.agency_id(facts.agency)),
            ("year", facts.year or 0),
            ("template", TEMPLATES.index(facts.template)),
            ("n_stats", len(row.stats)),
            ("checks", checks_rank(doc.checks_ok)),
            ("source", source_rank(doc.source_kind)),
            ("match", MATCHES.index(placement.match)),
            ("matched", placement.matched),
            ("similarity", placement.similarity),
            ("text_hash", row.text_hash),
            ("stub", row.stub),
        ):
            self.columns[name].append(value)
        self.signatures.append(row.signature)
        self.doc_ids.append(doc.doc_id)
        self.urls.append(doc.url)
        self.shas.append(doc.raw_sha256)
        self.fetched.append(doc.fetched_at)
        self.kinds.append(doc.source_kind)
        self.by_doc[doc.doc_id] = n
        if doc.raw_sha256:
            self.by_sha.setdefault(doc.raw_sha256, n)
        if row.has_text:
            self.by_text.setdefault(row.text_hash, n)
        return n

    def version(self, row: int) -> int:
        return int(self.columns["version"][row])

    def year(self, row: int) -> int | None:
        return int(self.columns["year"][row]) or None

    def report_key(self, row: int) -> int | None:
        """The row's (agency, year) key, None when either is unknown."""
        agency, year = int(self.columns["agency"][row]), int(self.columns["year"][row])
        return report_key(agency, year) if agency >= 0 and year else None

    def facts(self, row: int) -> ReportFacts:
        c = self.columns
        a = int(c["agency"][row])
        y = int(c["year"][row])
        return ReportFacts(
            self.agencies[a] if a >= 0 else None, y or None, TEMPLATES[int(c["template"][row])]
        )

    def canonical_key(self, row: int) -> CanonicalKey:
        c = self.columns
        return CanonicalKey.of(
            int(c["n_stats"][row]),
            int(c["checks"][row]),
            int(c["source"][row]),
            self.fetched[row],
            self.doc_ids[row],
            bool(c["stub"][row]),
        )

    def place(self, row: int, placement: Placement) -> None:
        """Record a new placement of an existing row."""
        c = self.columns
        c["version"][row] = placement.version
        c["match"][row] = MATCHES.index(placement.match)
        c["matched"][row] = placement.matched
        c["similarity"][row] = placement.similarity

    def save(self, gen: Path) -> None:
        np.save(gen / "signatures.npy", self.signatures.array())
        np.savez(gen / "rows.npz", **{name: col.array() for name, col in self.columns.items()})
        store.write_table(
            gen / "rows.parquet",
            {
                "doc_id": self.doc_ids,
                "url": self.urls,
                "raw_sha256": self.shas,
                "fetched_at": self.fetched,
                "source_kind": self.kinds,
            },
        )

    @classmethod
    def load(cls, gen: Path, num_perm: int, documents: int, agencies: list[str]) -> Rows:
        signatures = store.load_npy(gen / "signatures.npy", mmap=True)
        if len(signatures) != documents:
            raise ValueError(f"dedup index {gen}: {len(signatures)} signatures for {documents} documents")
        with np.load(gen / "rows.npz") as saved:
            columns = {name: saved[name] for name, _ in ROW_COLUMNS}
        return cls(num_perm, signatures, columns, store.read_table(gen / "rows.parquet"), agencies)


class Clusters:
    """The clusters (one per report) and their versions: each version's rows, canonical row, statistics."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.by_id: dict[str, int] = {}
        self.versions: list[list[int]] = []  # cluster -> its versions, oldest first
        self.full = store.Column(np.int8)  # 1 when the cluster holds a document that is no stub
        self.version_cluster: list[int] = []
        self.version_number: list[int] = []
        self.canonical: list[int] = []  # version -> its canonical row, -1: none
        self.stats: list[StatVector] = []  # version -> the union of its rows' statistics
        self.rows: list[list[int]] = []  # version -> its rows

    def new_cluster(self, agency: str | None, year: int | None, doc_id: str) -> int:
        """A new cluster, named after the (agency, year) and the document that opened it."""
        key = f"{agency or ''}|{year or ''}|{doc_id}".encode()
        cid = "r" + hashlib.blake2b(key, digest_size=8).hexdigest()
        self.ids.append(cid)
        self.by_id[cid] = len(self.ids) - 1
        self.versions.append([])
        self.full.append(0)
        return len(self.ids) - 1

    def new_version(self, cluster: int) -> int:
        v = len(self.version_cluster)
        self.version_cluster.append(cluster)
        self.version_number.append(len(self.versions[cluster]) + 1)
        self.canonical.append(-1)
        self.stats.append(EMPTY_STATS)
        self.rows.append([])
        self.versions[cluster].append(v)
        return v

    def latest(self, cluster: int) -> int:
        return self.versions[cluster][-1]

    def has_rows(self, cluster: int) -> bool:
        """Whether the cluster holds a document (a stub's cluster empties when the stub moves to its report)."""
        return any(self.rows[v] for v in self.versions[cluster])

    def save(self, gen: Path) -> None:
        store.write_table(gen / "clusters.parquet", {"cluster_id": self.ids})
        np.save(gen / "cluster_full.npy", self.full.array())
        lengths = np.fromiter((len(s) for s in self.stats), dtype=np.int64, count=len(self.stats))
        np.savez(
            gen / "versions.npz",
            cluster=np.asarray(self.version_cluster, dtype=np.int64),
            number=np.asarray(self.version_number, dtype=np.int64),
            canonical=np.asarray(self.canonical, dtype=np.int64),
            stats_len=lengths,
            stats_keys=np.concatenate([s.keys for s in self.stats] or [np.empty(0, np.uint64)]),
            stats_values=np.concatenate([s.values for s in self.stats] or [np.empty(0)]),
        )

    @classmethod
    def load(cls, gen: Path, row_versions: list[int]) -> Clusters:
        """The clusters saved in `gen`; `row_versions` is each row's version."""
        out = cls()
        out.ids = store.read_table(gen / "clusters.parquet")["cluster_id"]
        out.by_id = {c: i for i, c in enumerate(out.ids)}
        out.full = store.Column(np.int8, base=store.load_npy(gen / "cluster_full.npy", mmap=False))
        with np.load(gen / "versions.npz") as v:
            out.version_cluster = v["cluster"].tolist()
            out.version_number = v["number"].tolist()
            out.canonical = v["canonical"].tolist()
            bounds = np.concatenate([[0], np.cumsum(v["stats_len"])])
            keys, values = v["stats_keys"], v["stats_values"]
            out.stats = [
                StatVector(keys[a:b], values[a:b]) if b > a else EMPTY_STATS
                for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
            ]
        out.versions = [[] for _ in out.ids]
        for vi, c in enumerate(out.version_cluster):
            out.versions[c].append(vi)
        out.rows = [[] for _ in out.version_cluster]
        for row, vi in enumerate(row_versions):
            out.rows[vi].append(row)
        return out


def url_keys(urls: Iterable[str]) -> list[int]:
    """The distinct link keys of these URLs, ascending."""
    return sorted({url_key(u) for u in urls if u})


class DedupIndex:
    """Rows, clusters and the lookups over them (LSH bands, (agency, year) keys, links); saved whole."""

    def __init__(self, num_perm: int, bands: int, rows: int) -> None:
        self.rows = Rows(num_perm)
        self.clusters = Clusters()
        self.lsh = LSHIndex(bands=bands, rows=rows)
        self.keys = ReportKeyIndex()  # (agency, year) key -> cluster
        self.stub_urls = ReportKeyIndex()  # URL key of a bodyless record -> its row
        self.found_on = ReportKeyIndex()  # URL key of a page a full report was found on -> its row
        self._stub_url_keys: dict[int, list[int]] | None = None  # bodyless row -> its URL keys (lazily)

    def __len__(self) -> int:
        return len(self.rows)

    # ---------------------------------------------------------------- recording
    def append(self, row: DocRow) -> int:
        """Record a document where its placement says: its row, its lookups, its version's rows and
        statistics, its cluster's fullness. Returns the row number."""
        n = self.rows.append(row)
        if row.has_text:
            self.lsh.add(n, row.band_keys)
        version = row.placement.version
        cluster = self.clusters.version_cluster[version]
        if not row.stub and not self.clusters.full[cluster]:
            self.clusters.full[cluster] = 1
        self.clusters.stats[version] = self.clusters.stats[version].union(row.stats)
        self.clusters.rows[version].append(n)
        return n

    def detach(self, row: int) -> int:
        """Take a row out of its version (to place it again); returns that version."""
        version = self.rows.version(row)
        self.clusters.rows[version].remove(row)
        return version

    def attach(self, row: int, placement: Placement) -> None:
        """Put a detached row in its new placement."""
        self.rows.place(row, placement)
        self.clusters.rows[placement.version].append(row)

    def register_stub(self, row: int, urls: list[int]) -> None:
        """A bodyless row, under the URL keys it was fetched from."""
        for k in urls:
            self.stub_urls.register(k, row)
        if self._stub_url_keys is not None:
            self._stub_url_keys[row] = urls

    def register_found_on(self, row: int, pages: list[int]) -> None:
        """A full report, under the URL keys of the pages it was found on."""
        for k in pages:
            self.found_on.register(k, row)

    # ---------------------------------------------------------------- reading
    def cluster_of_row(self, row: int) -> int:
        return self.clusters.version_cluster[self.rows.version(row)]

    def clusters_found_on(self, urls: list[int]) -> list[int]:
        """The clusters of the full reports found on any of these URLs, ascending."""
        return sorted({self.cluster_of_row(r) for k in urls for r in self.found_on.lookup(k)})

    def stubs_at(self, pages: list[int]) -> list[int]:
        """The bodyless rows fetched from any of these URLs, ascending."""
        return sorted({r for k in pages for r in self.stub_urls.lookup(k)})

    def urls_of_stub(self, row: int) -> list[int]:
        """The URL keys a bodyless row was registered under."""
        if self._stub_url_keys is None:
            self.stub_urls.merge()
            self._stub_url_keys = {}
            for k, r in zip(
                self.stub_urls.sorted_keys.tolist(), self.stub_urls.sorted_clusters.tolist(), strict=True
            ):
                self._stub_url_keys.setdefault(r, []).append(k)
        return self._stub_url_keys.get(row, [])

    # ---------------------------------------------------------------- persistence
    def _key_indexes(self) -> list[tuple[ReportKeyIndex, str, str]]:
        """Each key index with the files of its keys and its values."""
        return [
            (self.keys, "report_keys.npy", "report_clusters.npy"),
            (self.stub_urls, "stub_url_keys.npy", "stub_url_rows.npy"),
            (self.found_on, "found_on_keys.npy", "found_on_rows.npy"),
        ]

    def save(self, root: Path, params: dict) -> Path:
        """Write a new generation under `root` (with `params` in its meta) and switch to it atomically."""
        for lookup in (self.lsh, self.keys, self.stub_urls, self.found_on):
            lookup.merge()
        gen = store.new_generation(root)
        self.rows.save(gen)
        self.clusters.save(gen)
        np.save(gen / "lsh_keys.npy", self.lsh.sorted_keys)
        np.save(gen / "lsh_ids.npy", self.lsh.sorted_ids)
        for lookup, keys_file, values_file in self._key_indexes():
            np.save(gen / keys_file, lookup.sorted_keys)
            np.save(gen / values_file, lookup.sorted_clusters)
        store.write_json(
            gen / "meta.json",
            {
                "format": store.FORMAT,
                "params": params,
                "documents": len(self.rows),
                "clusters": len(self.clusters.ids),
                "versions": len(self.clusters.version_cluster),
                "agencies": self.rows.agencies,
            },
        )
        store.commit_generation(root, gen)
        return gen

    @classmethod
    def load(cls, gen: Path, meta: dict, num_perm: int, bands: int, rows: int) -> DedupIndex:
        """The index saved in generation `gen` (whose meta.json is `meta`)."""
        index = cls(num_perm, bands, rows)
        index.rows = Rows.load(gen, num_perm, meta["documents"], meta["agencies"])
        index.clusters = Clusters.load(gen, index.rows.columns["version"].array().tolist())
        index.lsh.sorted_keys = store.load_npy(gen / "lsh_keys.npy", mmap=True)
        index.lsh.sorted_ids = store.load_npy(gen / "lsh_ids.npy", mmap=True)
        for lookup, keys_file, values_file in index._key_indexes():
            lookup.sorted_keys = store.load_npy(gen / keys_file, mmap=True)
            lookup.sorted_clusters = store.load_npy(gen / values_file, mmap=True)
        return index


def stored_generation(root: Path) -> tuple[Path, dict] | None:
    """The live generation under `root` and its meta, or None when nothing was saved there yet.

    Raises `store.IndexFormatError` for an index written in another format."""
    gen = store.current_generation(root)
    if gen is None:
        return None
    meta = store.read_json(gen / "meta.json")
    if meta.get("format") != store.FORMAT:
        raise store.IndexFormatError(
            f"dedup index {gen}: format {meta.get('format')}, expected {store.FORMAT} "
            "(rebuild it: nianbao dedup --rebuild)"
        )
    return gen, meta
