"""Text extraction per document kind: HTML (`html`), PDF (`pdf`), Office (`office`), OCR (`ocr`).

`layout` rebuilds text lines and table rows from positioned glyphs (PDF characters, OCR words), so
that every extractor emits the same text form: one line per table row, cells separated by tabs.
"""
