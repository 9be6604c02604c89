"""Table 四 (行政复议、行政诉讼): the 15 numbers of the data row, read by position.

The header is not read (PDF text interleaves its vertical labels, formats.md §6.5): the data row is
the longest run of value cells in the table, fitted to 15 columns.
"""

from __future__ import annotations

from extractor.normalise import parse_value
from extractor.schema import REVIEW_FIELDS, REVIEW_GROUPS, empty_review
from extractor.tables import Document, fit, identity_score

_WIDTH = len(REVIEW_GROUPS) * len(REVIEW_FIELDS)


def _score(cells: list[str]) -> int:
    """Identities of the three groups: 总计 = 维持 + 纠正 + 其他 + 尚未审结."""
    return sum(identity_score(cells[g * 5 : g * 5 + 4], cells[g * 5 + 4]) for g in range(len(REVIEW_GROUPS)))


def data_cells(doc: Document, start: int, end: int) -> tuple[list[str], bool] | None:
    """The value cells of table 四's data row, and whether they come from an exact grid."""
    best: list[str] = []
    best_exact = False
    run: list[str] = []
    for i in range(start, min(end, len(doc.rows))):
        row = doc.rows[i]
        cells = row.cells
        if not cells:
            continue
        if row.exact or (doc.multi and len(cells) > 1):
            if len(run) > len(best):
                best, best_exact = run, False
            run = []
            last_text = -1
            numbers = 0
            for j, cell in enumerate(cells):
                ok, value, _ = parse_value(cell)
                if not ok:
                    last_text = j
                elif value is not None:
                    numbers += 1
            vals = cells[last_text + 1 :]
            if numbers and len(vals) >= len(best) and len(vals) >= 3:
                best, best_exact = vals, row.exact
            continue
        for cell in cells:
            if parse_value(cell)[0]:
                run.append(cell)
            else:
                if len(run) > len(best):
                    best, best_exact = run, False
                run = []
    if len(run) > len(best):
        best, best_exact = run, False
    if not any(parse_value(c)[1] is not None for c in best):
        return None
    return best, best_exact


def read_review(doc: Document, start: int, end: int) -> dict | None:
    """The `review_litigation` object, or None when the table has no data row."""
    found = data_cells(doc, start, end)
    out = empty_review()
    if found is None:
        return out
    cells, exact = found
    row = cells[-_WIDTH:] if exact and len(cells) >= _WIDTH else fit(cells, _WIDTH, _score)
    values = iter(parse_value(c)[1] for c in row)
    for group, _ in REVIEW_GROUPS:
        for key, _ in REVIEW_FIELDS:
            out[group][key] = next(values)
    return out
