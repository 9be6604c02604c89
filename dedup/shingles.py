"""Character shingles of a skeleton, hashed to 64-bit integers with numpy (no per-shingle Python work)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dedup.normalise import TEMPLATE_PHRASES, skeleton_codes

_BASE = np.uint64(0x100000001B3)  # odd multiplier of the polynomial hash
_BITS_MASK = np.uint64((1 << 20) - 1)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: spreads the bits of uint64 keys."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
    return x


def shingle_hashes(codes: np.ndarray, k: int) -> np.ndarray:
    """uint64 hashes of every k-character window of a skeleton given as code points (with repeats; one
    hash for a text shorter than k)."""
    if not len(codes):
        return np.empty(0, dtype=np.uint64)
    codes = codes.astype(np.uint64)
    if len(codes) < k:
        k = len(codes)
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h *= _BASE
            h += codes[j : j + n]
    return mix64(h)


@dataclass
class ShingleStats:
    documents: int = 0
    shingles: int = 0
    template_shingles_dropped: int = 0


@dataclass
class ShingleHasher:
    """k-character shingles of skeletons, minus those inside the national template labels.

    Dropping the template shingles matters at scale: every report of a template shares its table
    labels, and keeping them would make unrelated reports LSH candidates of each other.
    """

    k: int = 5
    stop_phrases: tuple[str, ...] = TEMPLATE_PHRASES
    stats: ShingleStats = field(default_factory=ShingleStats)

    def __post_init__(self) -> None:
        stops = [
            shingle_hashes(c, self.k) for c in map(skeleton_codes, self.stop_phrases) if len(c) >= self.k
        ]
        self._stop = np.unique(np.concatenate(stops)) if stops else np.empty(0, dtype=np.uint64)
        self._stop_bits = np.zeros(int(_BITS_MASK) + 1, dtype=bool)  # prefilter on the low 20 bits
        self._stop_bits[(self._stop & _BITS_MASK).astype(np.int64)] = True

    def hashes_many(self, codes_list: list[np.ndarray], block: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """Content shingle hashes of many skeletons at once: (flat uint64 hashes grouped by document, sizes).

        One rolling hash runs over the concatenation of a block of documents (small enough to stay in
        cache); windows that straddle two documents are dropped.
        """
        n = len(codes_list)
        self.stats.documents += n
        flats, sizes = [], []
        for lo in range(0, n, block):
            f, s = self._block(codes_list[lo : lo + block])
            flats.append(f)
            sizes.append(s)
        if not flats:
            return np.empty(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        flat, size = np.concatenate(flats), np.concatenate(sizes)
        self.stats.shingles += len(flat)
        return flat, size

    def _block(self, codes_list: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        k = self.k
        n = len(codes_list)
        # a text shorter than k is one shingle: repeat it up to k characters
        codes_list = [np.resize(c, k) if 0 < len(c) < k else c for c in codes_list]
        lengths = np.fromiter((len(c) for c in codes_list), dtype=np.int64, count=n)
        total = int(lengths.sum())
        if total < k:
            return np.empty(0, dtype=np.uint64), np.zeros(n, dtype=np.int64)
        codes = np.concatenate(codes_list).astype(np.uint64)
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        m = total - k + 1
        h = codes[:m].copy()
        with np.errstate(over="ignore"):
            for j in range(1, k):
                h *= _BASE
                h += codes[j : j + m]
        keep = doc[:m] == doc[k - 1 :]
        h = mix64(h[keep])
        doc = doc[:m][keep]
        if len(self._stop) and len(h):
            maybe = np.flatnonzero(self._stop_bits[(h & _BITS_MASK).astype(np.int64)])
            if len(maybe):
                hm = h[maybe]
                pos = np.searchsorted(self._stop, hm)
                pos[pos == len(self._stop)] = 0
                stop = maybe[self._stop[pos] == hm]
                if len(stop):
                    content = np.ones(len(h), dtype=bool)
                    content[stop] = False
                    before = np.bincount(doc, minlength=n)
                    after = np.bincount(doc[content], minlength=n)
                    only_template = np.flatnonzero((after == 0) & (before > 0))
                    if len(only_template):  # a text made only of template labels keeps them
                        content |= np.isin(doc, only_template)
                    self.stats.template_shingles_dropped += int(len(h) - content.sum())
                    h, doc = h[content], doc[content]
        return h, np.bincount(doc, minlength=n).astype(np.int64)

    def hashes(self, codes: np.ndarray) -> np.ndarray:
        """Content shingle hashes of one skeleton (code points); repeats are kept, MinHash ignores them."""
        if 0 < len(codes) < self.k:
            codes = np.resize(codes, self.k)  # as in `hashes_many`
        h = shingle_hashes(codes, self.k)
        if len(self._stop) and len(h) > 1:
            pos = np.searchsorted(self._stop, h)
            pos[pos == len(self._stop)] = 0
            keep = self._stop[pos] != h
            if keep.any():  # a text made only of template labels keeps them
                self.stats.template_shingles_dropped += int(len(h) - keep.sum())
                h = h[keep]
        self.stats.documents += 1
        self.stats.shingles += len(h)
        return h
