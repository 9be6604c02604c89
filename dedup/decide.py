"""The same-report decision: near-duplicate text is necessary, not sufficient.

Two documents are one report only when their agencies and years agree (templates too, when both are
known); a document joins an existing *version* of that report only when its statistics do not contradict
the version's. Same agency and year with different numbers is a revised report: a new version.

One exception to "near-duplicate text is necessary": a *stub* (`is_stub`: agency and year known, no
statistics, next to no text, such as a notice page "……年度报告详见附件。" linking the PDF) is one report
with the full record of the same agency and year, when that (agency, year) names exactly one report
(`same_key_report`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from extractor.agency import agencies_compatible, publisher_of

STAT_SECTIONS = ("active", "requests", "review_litigation", "legacy")


_KEY_CACHE: dict[str, int] = {}


def _field_key(path: str) -> int:
    key = _KEY_CACHE.get(path)
    if key is None:
        key = int.from_bytes(hashlib.blake2b(path.encode("utf-8"), digest_size=8).digest(), "little")
        if len(_KEY_CACHE) < 1_000_000:  # field paths repeat across records; legacy labels are open-ended
            _KEY_CACHE[path] = key
    return key


def flatten_stats(value: object, path: str, out: dict[str, float]) -> None:
    """Every non-null number under `value`, keyed by its path (legacy rows and `active.extra` rows by label)."""
    stack = [(path, value)]
    while stack:
        path, value = stack.pop()
        t = type(value)
        if t is int or t is float:
            if value == value:  # not NaN
                out[path] = float(value)
        elif t is dict:
            if "label" in value and "value" in value:  # a legacy row
                stack.append((f"{path}/{value.get('parent')}/{value['label']}", value["value"]))
                continue
            for key, sub in value.items():
                if sub is not None and key not in ("checks", "sections"):
                    stack.append((f"{path}/{key}", sub))
        elif t is list or t is tuple:
            for i, sub in enumerate(value):
                if type(sub) is dict and "label" in sub and "values" in sub:  # active.extra
                    stack.append((f"{path}/{sub.get('block')}/{sub['label']}", sub["values"]))
                elif type(sub) is dict and "label" in sub:
                    stack.append((path, sub))
                elif sub is not None:
                    stack.append((f"{path}/{i}", sub))
        elif isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
            out[path] = float(value)  # numpy scalars, int subclasses


_TUPLE_KEYS: dict[tuple, int] = {}


def _flatten_fast(name: str, section: object, keys: list[int], values: list[float]) -> None:
    """`flatten_stats` for the usual shape (section -> row -> field -> number), with keys cached per
    (section, row, field); anything else goes the general way."""
    if type(section) is not dict:
        if section is not None:
            flat: dict[str, float] = {}
            flatten_stats(section, name, flat)
            keys.extend(map(_field_key, flat))
            values.extend(flat.values())
        return
    cache = _TUPLE_KEYS
    for row, fields in section.items():
        if type(fields) is dict and "label" not in fields:
            for fname, v in fields.items():
                t = type(v)
                if t is int or t is float:
                    if v == v:
                        tk = (name, row, fname)
                        key = cache.get(tk)
                        if key is None:
                            key = cache[tk] = _field_key(f"{name}/{row}/{fname}")
                        keys.append(key)
                        values.append(float(v))
                elif v is not None:
                    flat = {}
                    flatten_stats(v, f"{name}/{row}/{fname}", flat)
                    keys.extend(map(_field_key, flat))
                    values.extend(flat.values())
        elif fields is not None and row not in ("checks", "sections"):
            flat = {}
            flatten_stats(fields, f"{name}/{row}", flat)
            keys.extend(map(_field_key, flat))
            values.extend(flat.values())


@dataclass(frozen=True)
class StatVector:
    """The non-null statistics of a record, as sorted 64-bit field keys and their values."""

    keys: np.ndarray  # uint64, sorted
    values: np.ndarray  # float64

    @classmethod
    def of(cls, stats: dict | None) -> StatVector:
        keys_l: list[int] = []
        values_l: list[float] = []
        if stats:
            sections = [k for k in STAT_SECTIONS if k in stats] or list(stats)
            for name in sections:
                _flatten_fast(name, stats[name], keys_l, values_l)
        if not keys_l:
            return EMPTY_STATS
        keys = np.array(keys_l, dtype=np.uint64)
        values = np.array(values_l, dtype=np.float64)
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], values[order])

    def __len__(self) -> int:
        return len(self.keys)

    def compare(self, other: StatVector) -> tuple[int, int]:
        """(fields both give, fields where they differ)."""
        if not len(self) or not len(other):
            return 0, 0
        common, i, j = np.intersect1d(self.keys, other.keys, assume_unique=True, return_indices=True)
        if not len(common):
            return 0, 0
        return len(common), int((np.abs(self.values[i] - other.values[j]) > 1e-9).sum())

    def contradicts(self, other: StatVector) -> bool:
        return self.compare(other)[1] > 0

    def union(self, other: StatVector) -> StatVector:
        """These values, plus the fields only `other` gives."""
        if not len(other):
            return self
        if not len(self):
            return other
        extra = ~np.isin(other.keys, self.keys, assume_unique=True)
        if not extra.any():
            return self
        keys = np.concatenate([self.keys, other.keys[extra]])
        values = np.concatenate([self.values, other.values[extra]])
        order = np.argsort(keys, kind="stable")
        return StatVector(keys[order], values[order])


EMPTY_STATS = StatVector(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.float64))


@dataclass(frozen=True)
class ReportFacts:
    """What the decision needs to know about one side."""

    agency: str | None  # normalised
    year: int | None
    template: str | None


@dataclass
class DecideStats:
    compared: int = 0
    same_report: int = 0
    rejected_similarity: int = 0
    rejected_year: int = 0
    rejected_agency: int = 0
    rejected_template: int = 0
    rejected_unknown: int = 0
    same_version: int = 0
    new_version: int = 0
    stubs: int = 0
    key_joined: int = 0  # a stub joined the full report of its (agency, year), or a full report adopted a stub
    key_ambiguous: int = 0  # not joined: its (agency, year) holds several full reports
    key_rejected: int = 0  # not joined: template or agency disagree
    pointer_joined: int = 0  # a stub and the one report found on its page joined (either one first)
    pointer_moved: int = 0  # ... by moving a stub placed earlier (by key, or before its pages were known)
    pointer_ambiguous: int = 0  # not joined: reports of several clusters were found on the stub's page
    pointer_rejected: int = 0  # not joined: year, template or agency disagree


KNOWN_TEMPLATES = ("2019", "2021", "pre2019")


def templates_contradict(a: str | None, b: str | None) -> bool:
    """Both templates known (not None, not "unknown") and different: not one report."""
    return a in KNOWN_TEMPLATES and b in KNOWN_TEMPLATES and a != b


def is_bodyless(n_stats: int, text_chars: int, section_chars: int | None, max_chars: int) -> bool:
    """Not one non-null statistic, fewer than `max_chars` characters of normalised text and of record
    section text (section text counts only when known): a notice page, whatever it names. Such a record
    is matched to a report by a link (the report found on its page) even when its agency or year is
    unknown, and never canonical over a report body."""
    return n_stats == 0 and text_chars < max_chars and (section_chars or 0) < max_chars


def is_stub(
    facts: ReportFacts, n_stats: int, text_chars: int, section_chars: int | None, max_chars: int
) -> bool:
    """A stub: agency and year known and `is_bodyless` (matched by (agency, year) too)."""
    return bool(facts.agency) and bool(facts.year) and is_bodyless(n_stats, text_chars, section_chars, max_chars)


def pointer_compatible(stub: ReportFacts, report: ReportFacts) -> bool:
    """Whether a bodyless record and the report found on its page can be one report: years equal when
    both known, templates not contradicting, agencies compatible (either way round, or the stub's is the
    government of the report's area, e.g. the portal that published it) when both known."""
    if stub.year and report.year and stub.year != report.year:
        return False
    if templates_contradict(stub.template, report.template):
        return False
    if not stub.agency or not report.agency:
        return True
    return (
        agencies_compatible(stub.agency, report.agency)
        or agencies_compatible(report.agency, stub.agency)
        or publisher_of(stub.agency, report.agency)
    )


@dataclass
class SameReportDecider:
    """`near_threshold`: least estimated Jaccard similarity for two texts to be copies of one report.
    `strict_threshold`: least similarity when the agency or year of one side is unknown.

    Conservative by design: a document whose agency is unknown joins a report only when its text names
    that report's agency; a document with an agency never joins an earlier one without (its text is not
    kept), so such copies can stay apart, but two agencies are never merged."""

    near_threshold: float = 0.5
    strict_threshold: float = 0.9
    stats: DecideStats = field(default_factory=DecideStats)

    def same_report(
        self, new: ReportFacts, old: ReportFacts, similarity: float, new_text: str | None = None
    ) -> bool:
        s = self.stats
        s.compared += 1
        if similarity < self.near_threshold:
            s.rejected_similarity += 1
            return False
        if new.year is not None and old.year is not None and new.year != old.year:
            s.rejected_year += 1
            return False
        if templates_contradict(new.template, old.template):
            s.rejected_template += 1
            return False
        if new.agency and old.agency and not agencies_compatible(new.agency, old.agency, new_text):
            s.rejected_agency += 1
            return False
        if self.partial(new, old):
            # Agency or year unknown on one side: only very close texts, and a new document without an
            # agency must name the other side's agency in its text (boilerplate twins never merge).
            named = not new.agency and old.agency and new_text is not None and old.agency in new_text
            if similarity < self.strict_threshold or (old.agency and not new.agency and not named):
                s.rejected_unknown += 1
                return False
            if new.agency and not old.agency:  # the other side's text is not kept: cannot check it
                s.rejected_unknown += 1
                return False
        s.same_report += 1
        return True

    @staticmethod
    def partial(new: ReportFacts, old: ReportFacts) -> bool:
        """Whether the agency or the year is unknown on either side. Such a match may join a version
        whose statistics agree, never open a new version (a revision needs both facts known)."""
        return new.year is None or old.year is None or not new.agency or not old.agency

    def same_key_report(self, new: ReportFacts, old: ReportFacts) -> bool:
        """Whether a stub and a report found under the same (agency, year) key are one report: both facts
        known and equal or compatible, templates not contradicting (similarity is not asked)."""
        ok = (
            bool(new.year)
            and new.year == old.year
            and agencies_compatible(new.agency, old.agency)
            and not templates_contradict(new.template, old.template)
        )
        if ok:
            self.stats.key_joined += 1
        else:
            self.stats.key_rejected += 1
        return ok

    def years_may_match(self, year: int | None, years: np.ndarray) -> np.ndarray:
        """Vectorised first cut over candidates' years (0 = unknown): drops the known, different ones."""
        if not year:
            return np.ones(len(years), dtype=bool)
        ok = (years == 0) | (years == year)
        self.stats.compared += len(ok)
        self.stats.rejected_year += int(len(ok) - ok.sum())
        return ok

    def same_version(self, new: StatVector, version: StatVector) -> bool:
        """Statistics that do not contradict (fields only one side gives never contradict)."""
        ok = not new.contradicts(version)
        if ok:
            self.stats.same_version += 1
        return ok
