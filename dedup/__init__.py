"""Deduplicator: merges the copies of one annual report (same agency and year) across URLs and formats.

Steps, each a small class with its own counters: `normalise.TextNormaliser` (page furniture out,
skeleton text), `shingles.ShingleHasher` (character 5-grams minus template labels), `minhash.MinHasher`
(one-permutation MinHash), `index.LSHIndex` (band index), `decide.SameReportDecider` (agency, year,
template, statistics; `is_stub` for notice pages with no statistics and no body),
`keys.ReportKeyIndex` ((agency, year) → clusters, which attaches stubs to their report),
`canonical.CanonicalChooser`; `deduplicator.Deduplicator` runs them and `store` persists the index.
"""

from dedup.deduplicator import Deduplicator, DedupParams
from dedup.document import Assignment, Copy, DedupDocument, MatchKind

__all__ = ["Assignment", "Copy", "DedupDocument", "DedupParams", "Deduplicator", "MatchKind"]
