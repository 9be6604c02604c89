"""Deduplicator: merges the copies of one annual report (same agency and year) across URLs and formats.

Steps, each a small class with its own counters: `normalise.TextNormaliser` (page furniture out,
skeleton text), `shingles.ShingleHasher` (character 5-grams minus template labels), `minhash.MinHasher`
(one-permutation MinHash), `index.LSHIndex` (band index), `decide.SameReportDecider` (agency, year,
template, statistics; `is_stub` for notice pages with no statistics and no body),
`keys.ReportKeyIndex` ((agency, year) → clusters, which attaches stubs to their report),
`canonical.CanonicalChooser`. `deduplicator.Deduplicator` computes the features and runs the policy
(`assign.Assigner`: cluster, version, canonical copy) over the state (`state.DedupIndex`: rows, clusters
and lookups), which `store` persists. `service.run_dedup` dedups a stored corpus and writes the answers
back to its reports.
"""

from dedup.deduplicator import Deduplicator, DedupParams
from dedup.document import Assignment, Copy, DedupDocument, MatchKind

__all__ = ["Assignment", "Copy", "DedupDocument", "DedupParams", "Deduplicator", "MatchKind"]
