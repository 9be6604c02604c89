"""LSH band index over MinHash signatures, compact enough for millions of documents.

Each band of `rows` signature values is hashed to one uint64 key. Keys live in per-band sorted numpy
arrays (searched with `np.searchsorted`, loadable as memory maps) plus a small dict of recent additions;
the dict is merged into the arrays once it grows past a fraction of them, so adding stays incremental
and amortised O(log n) per key without ever rebuilding from the signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dedup.shingles import mix64

_P = np.uint64(0x9E3779B97F4A7C15)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 keys; key j hashes signature columns j*rows .. j*rows+rows-1 and the band number."""
    n = sigs.shape[0]
    if sigs.shape[1] < bands * rows:
        raise ValueError(f"signature of {sigs.shape[1]} values is too short for {bands}x{rows} bands")
    cols = sigs[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    acc = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), (n, bands)).copy()
    with np.errstate(over="ignore"):
        for r in range(rows):
            acc = mix64(acc * _P + cols[:, :, r])
    return acc


@dataclass
class IndexStats:
    added: int = 0
    queries: int = 0
    candidates: int = 0
    capped: int = 0
    merges: int = 0


@dataclass
class LSHIndex:
    bands: int = 32
    rows: int = 4
    merge_fraction: float = 0.1  # merge the recent dict when it holds this share of the sorted entries
    merge_min: int = 200_000  # ... and at least this many (band, doc) entries
    stats: IndexStats = field(default_factory=IndexStats)

    def __post_init__(self) -> None:
        self.sorted_keys = np.empty((self.bands, 0), dtype=np.uint64)
        self.sorted_ids = np.empty((self.bands, 0), dtype=np.uint32)
        self._recent: dict[int, int | list[int]] = {}  # key -> doc, or docs when several
        self._recent_ids: list[int] = []
        self._recent_keys: list[np.ndarray] = []

    def __len__(self) -> int:
        return self.sorted_keys.shape[1] + len(self._recent_ids)

    def keys(self, sigs: np.ndarray) -> np.ndarray:
        return band_keys(sigs, self.bands, self.rows)

    def locate(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For a batch of key rows (n, bands): the [lo, hi) ranges in the sorted arrays, per band."""
        lo = np.empty(keys.shape, dtype=np.int64)
        hi = np.empty(keys.shape, dtype=np.int64)
        for j in range(self.bands):
            lo[:, j] = np.searchsorted(self.sorted_keys[j], keys[:, j], side="left")
            hi[:, j] = np.searchsorted(self.sorted_keys[j], keys[:, j], side="right")
        return lo, hi

    def candidates(self, keys: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distinct ids sharing a band with one key row, and how many bands each shares."""
        self.stats.queries += 1
        parts = [self.sorted_ids[j, lo[j] : hi[j]] for j in np.flatnonzero(hi > lo)]
        recent = self._recent
        if recent:
            hits: list[int] = []
            for key in keys.tolist():
                hit = recent.get(key)
                if hit is not None:
                    if type(hit) is int:
                        hits.append(hit)
                    else:
                        hits.extend(hit)
            if hits:
                parts.append(np.asarray(hits, dtype=np.uint32))
        if not parts:
            return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
        ids, counts = np.unique(np.concatenate(parts), return_counts=True)
        self.stats.candidates += len(ids)
        return ids, counts

    def add(self, doc: int, keys: np.ndarray) -> None:
        """Index one document's key row (visible to the next query at once)."""
        recent = self._recent
        for key in keys.tolist():
            hit = recent.get(key)
            if hit is None:
                recent[key] = doc
            elif type(hit) is int:
                recent[key] = [hit, doc]
            else:
                hit.append(doc)
        self._recent_ids.append(doc)
        self._recent_keys.append(keys)
        self.stats.added += 1

    def maybe_merge(self) -> bool:
        entries = len(self._recent_ids) * self.bands
        if entries and entries >= max(self.merge_min, self.merge_fraction * self.sorted_keys.size):
            self.merge()
            return True
        return False

    def merge(self) -> None:
        """Move the recent additions into the sorted arrays."""
        if not self._recent_ids:
            return
        new_keys = np.vstack(self._recent_keys).T  # (bands, m)
        new_ids = np.asarray(self._recent_ids, dtype=np.uint32)
        m_old = self.sorted_keys.shape[1]
        keys = np.empty((self.bands, m_old + len(new_ids)), dtype=np.uint64)
        ids = np.empty_like(keys, dtype=np.uint32)
        for j in range(self.bands):
            k = np.concatenate([self.sorted_keys[j], new_keys[j]])
            i = np.concatenate([self.sorted_ids[j], new_ids])
            order = np.argsort(k, kind="stable")
            keys[j] = k[order]
            ids[j] = i[order]
        self.sorted_keys, self.sorted_ids = keys, ids
        self._recent.clear()
        self._recent_ids.clear()
        self._recent_keys.clear()
        self.stats.merges += 1
