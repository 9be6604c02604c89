"""The unit the deduplicator works on (`DedupDocument`) and what it answers for each (`Assignment`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class DedupDocument:
    """One fetched document, reduced to what deduplication needs.

    `text` is the clean text; `agency`/`year`/`template`/`stats` come from the report record
    (`stats` holds the record's `active`, `requests`, `review_litigation` and `legacy` values);
    `section_chars` is how many characters of section text the record holds (None: not known).
    `urls` are every URL the document was fetched from (requested and final); `found_on` the URLs of the
    pages those fetches were found on (their referrers): a notice page's attachment is found on it.
    """

    doc_id: str
    text: str
    agency: str | None
    year: int | None
    template: str | None
    stats: dict | None
    source_kind: str
    fetched_at: str
    url: str
    raw_sha256: str
    checks_ok: bool | None
    section_chars: int | None = None
    urls: tuple[str, ...] = ()
    found_on: tuple[str, ...] = ()


class MatchKind(StrEnum):
    """How a document was attached to its cluster."""

    NEW = "new"  # first document of a new cluster
    RAW = "raw"  # identical raw bytes to an earlier document
    TEXT = "text"  # identical normalised text
    NEAR = "near"  # near-duplicate text, same agency and year, statistics agree
    REVISION = "revision"  # near-duplicate of the same report whose statistics differ: a new version
    KEY = "key"  # same agency and year, one side a stub (no statistics, no report body), e.g. a notice page
    POINTER = "pointer"  # a stub and the report found on its page (the notice's attachment)


@dataclass(frozen=True)
class Assignment:
    """Where a document belongs.

    `cluster_id` names the real report (one agency, one year); `version` numbers its revisions from 1;
    `is_canonical` says whether this document is the chosen copy of its version (it can change when a
    better copy arrives later; `Deduplicator.assignment(doc_id)` always answers with the current state).
    """

    doc_id: str
    cluster_id: str
    version: int
    is_canonical: bool
    match: MatchKind
    matched_doc_id: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Copy:
    """One copy of a report: enough to find the document and its raw bytes again."""

    doc_id: str
    url: str
    raw_sha256: str
    version: int
    is_canonical: bool
    source_kind: str
    fetched_at: str
