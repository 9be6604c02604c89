"""(agency, year) → clusters: which clusters hold a document of a given normalised agency and year.

Used to attach *stubs* (a notice page whose record names agency and year but carries no statistics and
no report body, e.g. "……年度报告详见附件。") to the full report they announce, whose text is nothing like
theirs. Built like `index.LSHIndex`: a sorted (key, cluster) pair of numpy arrays, memory-mappable on
load, plus a small dict of recent additions merged in once it grows past a fraction of the arrays, so
adding stays incremental and a million clusters cost 12 bytes each.

The same class, keyed by `url_key`, maps links to documents (row numbers in the `cluster` column): the
URLs of stubs, and the pages full reports were found on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

YEAR_BITS = 16


def report_key(agency_id: int, year: int) -> int:
    """One uint64-sized key for a (normalised agency id, year) pair; both must be known."""
    return (agency_id << YEAR_BITS) | (year & ((1 << YEAR_BITS) - 1))


def canonical_url(url: str) -> str:
    """A URL as a link key: no scheme (http and https copies are one page), host lower case without a
    default port, no fragment, an empty path as ``/``; path and query as given."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return url.strip()
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path or '/'}{query}"


def url_key(url: str) -> int:
    """A 64-bit key of `canonical_url(url)`, for a `ReportKeyIndex` of links."""
    return int.from_bytes(hashlib.blake2b(canonical_url(url).encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class KeyStats:
    lookups: int = 0
    registered: int = 0
    merges: int = 0


@dataclass
class ReportKeyIndex:
    merge_fraction: float = 0.1  # merge the recent dict when it holds this share of the sorted pairs
    merge_min: int = 100_000  # ... and at least this many pairs
    stats: KeyStats = field(default_factory=KeyStats)

    def __post_init__(self) -> None:
        self.sorted_keys = np.empty(0, dtype=np.uint64)
        self.sorted_clusters = np.empty(0, dtype=np.uint32)
        self._recent: dict[int, list[int]] = {}
        self._n_recent = 0

    def __len__(self) -> int:
        return len(self.sorted_keys) + self._n_recent

    def lookup(self, key: int) -> list[int]:
        """The clusters registered under `key`, ascending."""
        self.stats.lookups += 1
        out: list[int] = []
        if len(self.sorted_keys):
            k = np.uint64(key)
            lo = int(np.searchsorted(self.sorted_keys, k, side="left"))
            if lo < len(self.sorted_keys) and self.sorted_keys[lo] == k:
                hi = int(np.searchsorted(self.sorted_keys, k, side="right"))
                out = self.sorted_clusters[lo:hi].tolist()
        recent = self._recent.get(key)
        if recent:
            out = sorted(out + recent) if out else sorted(recent)
        return out

    def register(self, key: int, cluster: int, known: list[int] | None = None) -> None:
        """Record that `cluster` holds a document with `key` (`known`: the lookup's answer, if at hand)."""
        if cluster in (self.lookup(key) if known is None else known):
            return
        self._recent.setdefault(key, []).append(cluster)
        self._n_recent += 1
        self.stats.registered += 1
        if self._n_recent >= max(self.merge_min, self.merge_fraction * len(self.sorted_keys)):
            self.merge()

    def merge(self) -> None:
        """Move the recent additions into the sorted arrays."""
        if not self._n_recent:
            return
        keys = np.fromiter(
            (k for k, cs in self._recent.items() for _ in cs), dtype=np.uint64, count=self._n_recent
        )
        clusters = np.fromiter(
            (c for cs in self._recent.values() for c in cs), dtype=np.uint32, count=self._n_recent
        )
        keys = np.concatenate([self.sorted_keys, keys])
        clusters = np.concatenate([self.sorted_clusters, clusters])
        order = np.lexsort((clusters, keys))
        self.sorted_keys, self.sorted_clusters = keys[order], clusters[order]
        self._recent.clear()
        self._n_recent = 0
        self.stats.merges += 1
