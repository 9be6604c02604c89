"""Office documents: DOCX (python-docx, tables kept), DOC and WPS (antiword, catdoc, LibreOffice
headless when installed), XLS (xlrd) and XLSX (openpyxl), OFD (text objects of the page XML)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OfficeText:
    text: str
    extractor: str
    error: str | None = None
    title: str | None = None
    quality: dict = field(default_factory=dict)


def extract_office(kind: str, body: bytes) -> OfficeText:
    return OfficeText("", "none", f"{kind}: not implemented yet")
