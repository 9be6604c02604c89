"""Per-document features, computed a batch at a time: normalised-text hash, MinHash signature, LSH band
keys and statistics vector. Pure (no index state), so batches can be computed in worker processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from dedup.decide import StatVector
from dedup.index import band_keys
from dedup.minhash import MinHasher
from dedup.normalise import TextNormaliser, text_hash
from dedup.shingles import ShingleHasher


@dataclass
class FeatureBatch:
    text_hash: np.ndarray  # int64 per document
    length: np.ndarray  # skeleton length per document
    sigs: np.ndarray  # (n, num_perm) uint32
    keys: np.ndarray  # (n, bands) uint64
    stats: list[StatVector]


class FeatureExtractor:
    def __init__(self, shingle_k: int, num_perm: int, seed: int, bands: int, rows: int) -> None:
        self.normaliser = TextNormaliser()
        self.shingler = ShingleHasher(k=shingle_k)
        self.minhasher = MinHasher(num_perm=num_perm, seed=seed)
        self.bands, self.rows = bands, rows

    def __call__(self, texts: Sequence[str], stats: Sequence[dict | None]) -> FeatureBatch:
        codes = [self.normaliser.normalise_codes(t or "") for t in texts]
        sigs = self.minhasher.signatures_flat(*self.shingler.hashes_many(codes))
        return FeatureBatch(
            text_hash=np.fromiter((text_hash(c) for c in codes), dtype=np.int64, count=len(codes)),
            length=np.fromiter((len(c) for c in codes), dtype=np.int64, count=len(codes)),
            sigs=sigs,
            keys=band_keys(sigs, self.bands, self.rows),
            stats=[StatVector.of(s) for s in stats],
        )

    def step_stats(self) -> list:
        return [self.normaliser.stats, self.shingler.stats, self.minhasher.stats]

    def take_step_stats(self) -> list:
        """The counters so far, reset to zero (a worker sends them back with each batch)."""
        out = []
        for st in self.step_stats():
            out.append(type(st)(**{f.name: getattr(st, f.name) for f in fields(st)}))
            for f in fields(st):
                setattr(st, f.name, 0)
        return out

    def add_step_stats(self, deltas: list) -> None:
        for st, delta in zip(self.step_stats(), deltas, strict=True):
            for f in fields(st):
                setattr(st, f.name, getattr(st, f.name) + getattr(delta, f.name))


_WORKER: dict[tuple, FeatureExtractor] = {}


def compute_in_worker(config: tuple, texts: list[str], stats: list[dict | None]) -> tuple[FeatureBatch, list]:
    """Worker-process entry point: features of one batch, and the step counters it added."""
    extractor = _WORKER.get(config)
    if extractor is None:
        extractor = _WORKER[config] = FeatureExtractor(*config)
    batch = extractor(texts, stats)
    return batch, extractor.take_step_stats()
