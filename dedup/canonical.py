"""Which copy of a report version is canonical: the most complete record, from the best source."""

from __future__ import annotations

from dataclasses import dataclass

# Text from HTML beats text from an Office file, which beats text from a PDF, which beats OCR.
SOURCE_RANK: dict[str, int] = {
    "html": 6,
    "htm": 6,
    "docx": 5,
    "txt": 4,
    "md": 4,
    "pdf": 3,
    "doc": 2,
    "wps": 2,
    "xls": 2,
    "xlsx": 2,
    "ocr": 0,
}
UNKNOWN_SOURCE_RANK = 1


def source_rank(kind: str | None) -> int:
    return SOURCE_RANK.get((kind or "").lower(), UNKNOWN_SOURCE_RANK)


def checks_rank(checks_ok: bool | None) -> int:
    """Passing checks beat no checks, which beat failing checks."""
    return 1 if checks_ok is None else (2 if checks_ok else 0)


@dataclass(frozen=True, order=True)
class CanonicalKey:
    """Sorts best first: a report body over a stub (see `decide.is_stub`), more non-null statistics,
    passing checks, better source, earlier fetch, lower id."""

    neg_body: int
    neg_stats: int
    neg_checks: int
    neg_source: int
    fetched_at: str
    doc_id: str

    @classmethod
    def of(
        cls, n_stats: int, checks_ok: int, src_rank: int, fetched_at: str, doc_id: str, stub: bool = False
    ) -> CanonicalKey:
        return cls(-(not stub), -n_stats, -checks_ok, -src_rank, fetched_at, doc_id)


class CanonicalChooser:
    """Keeps the best copy of each version as copies arrive; counts how often the choice changed."""

    def __init__(self) -> None:
        self.replaced = 0

    def better(self, challenger: CanonicalKey, incumbent: CanonicalKey | None) -> bool:
        if incumbent is None or challenger < incumbent:
            if incumbent is not None:
                self.replaced += 1
            return True
        return False
