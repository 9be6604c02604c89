"""The demo site's PDF attachments: real PDFs whose text extraction gives the report back."""

from __future__ import annotations

import io
import urllib.request

import pytest
from pdfminer.high_level import extract_text

from demo_site.pdf import render_report_pdf
from demo_site.seeds import load_seed
from demo_site.site import load_site

PDFS = [p for p in load_site().pages.values() if p.template == "pdf_report"]


def test_site_has_pdf_attachments() -> None:
    assert len(PDFS) >= 2
    assert all(p.path.rsplit("/", 1)[-1].startswith("P0") for p in PDFS)


@pytest.mark.parametrize("page", PDFS, ids=lambda p: p.path)
def test_pdf_served_and_extractable(demo_server, page) -> None:
    with urllib.request.urlopen(demo_server.url(page.path), timeout=30) as r:
        body = r.read()
    assert body.startswith(b"%PDF")
    text = extract_text(io.BytesIO(body))
    seed = load_seed(page.seed)
    assert seed.agency in text
    assert f"{seed.year}年" in text
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # one table row per line, cells separated by spaces
    penalty = next(ln for ln in lines if ln.startswith("行政处罚"))
    values = seed.gold["active"]["penalty"]
    assert penalty.split() == ["行政处罚", *(str(values[k]) for k in ("prev_items", "change", "decisions"))]
    assert any(ln.startswith("（七）总计") for ln in lines)


def test_pdf_is_deterministic() -> None:
    seed = load_seed("001_f0dd27b0915ce796")
    a = render_report_pdf(seed.gold, seed.prose, "标题", seed.headings)
    b = render_report_pdf(seed.gold, seed.prose, "标题", seed.headings)
    assert a == b
