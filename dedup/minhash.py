"""MinHash signatures of shingle sets by one-permutation hashing, vectorised over a batch of documents.

One-permutation hashing (Li, Owen & Zhang 2012) hashes each shingle once: the top bits of its
(already mixed) 64-bit hash choose one of `num_perm` bins, the low 32 bits are its value, and the
signature holds each bin's minimum. Two documents agree on a bin with probability equal to their
Jaccard similarity, exactly like classic k-permutation MinHash, at 1/k of its cost. Empty bins (short
texts) are filled by rotation densification (Shrivastava & Li 2014) so every bin stays comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.shingles import mix64

EMPTY = np.uint32(0xFFFFFFFF)  # bin value meaning "no shingle fell here"


@dataclass
class MinHashStats:
    documents: int = 0
    batches: int = 0
    empty: int = 0
    densified: int = 0


@dataclass
class MinHasher:
    num_perm: int = 128  # a power of two: bins per signature
    seed: int = 1
    stats: MinHashStats = field(default_factory=MinHashStats)

    def __post_init__(self) -> None:
        bits = self.num_perm.bit_length() - 1
        if self.num_perm < 2 or 1 << bits != self.num_perm:
            raise ValueError(f"num_perm must be a power of two, got {self.num_perm}")
        self._shift = np.uint64(64 - bits)
        self._salt = np.uint64(mix64(np.array([self.seed], dtype=np.uint64))[0])

    def signatures(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        """One row of `num_perm` uint32 per shingle set (all EMPTY for a set without shingles)."""
        sizes = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
        flat = np.concatenate(shingle_sets) if len(shingle_sets) else np.empty(0, dtype=np.uint64)
        return self.signatures_flat(flat, sizes)

    def signatures_flat(self, flat: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Signatures of documents whose shingle hashes lie in `flat`, `sizes[i]` of them for document i.

        Per block of documents the (document, bin) pairs fit in 16 bits, so numpy's radix sort groups them
        and `minimum.reduceat` takes each bin's minimum: linear time, no per-shingle Python.
        """
        n, k = len(sizes), self.num_perm
        out = np.full(n * k, EMPTY, dtype=np.uint32)
        self.stats.documents += n
        self.stats.batches += 1
        if n == 0:
            return out.reshape(0, k)
        ends = np.cumsum(sizes)
        starts = ends - sizes
        block = 65536 // k
        with np.errstate(over="ignore"):
            for lo in range(0, n, block):
                hi = min(n, lo + block)
                seg = flat[starts[lo] : ends[hi - 1]]
                if not len(seg):
                    continue
                seg = mix64(seg ^ self._salt)
                doc = np.repeat(np.arange(hi - lo, dtype=np.uint16), sizes[lo:hi])
                idx = (doc * np.uint16(k)) | (seg >> self._shift).astype(np.uint16)
                order = np.argsort(idx, kind="stable")  # radix sort on uint16
                idx = idx[order]
                values = (seg[order] & np.uint64(0xFFFFFFFE)).astype(np.uint32)  # never EMPTY
                first = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
                out[lo * k + idx[first].astype(np.int64)] = np.minimum.reduceat(values, first)
        out = out.reshape(n, k)
        self.stats.empty += int((sizes == 0).sum())
        holes = np.flatnonzero((out == EMPTY).any(axis=1) & (sizes > 0))
        for row in holes:
            self._densify(out[row])
        self.stats.densified += len(holes)
        return out

    @staticmethod
    def _densify(sig: np.ndarray) -> None:
        """Fill each empty bin from the next non-empty bin to its right (circularly), offset by distance."""
        k = len(sig)
        full = np.flatnonzero(sig != EMPTY)
        empty = np.flatnonzero(sig == EMPTY)
        nxt = np.searchsorted(full, empty) % len(full)
        src = full[nxt]
        dist = (src - empty) % k
        mixed = mix64(sig[src].astype(np.uint64) + dist.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        sig[empty] = (mixed & np.uint64(0xFFFFFFFE)).astype(np.uint32)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature against each row of `others`."""
    if others.ndim == 1:
        others = others[None, :]
    return (others == sig[None, :]).mean(axis=1)
