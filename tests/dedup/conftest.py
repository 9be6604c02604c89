"""Fixtures for the deduplicator tests: a real report (seed 000, 杭州市上城区卫生健康局 2020) and the copies
and look-alikes built from it the way real sites and text extractors produce them."""

from __future__ import annotations

import copy

import pytest

from tests.support.dedup_documents import damage_like_pdf, like_docx, load_seed, make_doc


@pytest.fixture()
def seed():
    return load_seed("000")


@pytest.fixture()
def report_copies(seed):
    """One report as HTML, PDF and DOCX text, from three URLs."""
    text, record = seed
    pdf_record = copy.deepcopy(record)
    pdf_record["review_litigation"] = None  # the PDF's vertical table header defeated the extractor
    return [
        make_doc("html-1", text, record, kind="html", url="http://www.hzsc.gov.cn/art/2021/1/5/art_1.html"),
        make_doc(
            "pdf-1",
            damage_like_pdf(text, "杭州市上城区卫生健康局2020年政府信息公开工作年度报告"),
            pdf_record,
            kind="pdf",
            fetched="2021-02-02T00:00:00",
            url="http://www.hzsc.gov.cn/attach/2021/report.pdf",
            checks_ok=None,
        ),
        make_doc(
            "docx-1",
            like_docx(text),
            record,
            kind="docx",
            fetched="2021-02-03T00:00:00",
            url="http://wjw.hzsc.gov.cn/xxgk/2020nb.docx",
        ),
    ]
