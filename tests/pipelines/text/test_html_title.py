"""A page's title is the document's own, not the portal's name (logo <h1>, site suffix in <title>)."""

from __future__ import annotations

import pytest

from pipelines.text.html import extract_html

REPORT = "某局2020年政府信息公开工作年度报告"


@pytest.mark.parametrize(("html", "title"), [
    # the portal's logo is the first <h1>; <title> carries the site name as a suffix
    (f"<html><head><title>{REPORT}_某区人民政府</title></head><body><h1 class='logo'>某区人民政府</h1>"
     f"<div><h1>{REPORT}</h1><p>正文</p></div></body></html>", REPORT),
    # <title> is only the site's name; the article's heading is the second <h1>
    ("<html><head><title>某区人民政府</title></head><body><h1>某区人民政府</h1><h1>某局2020年报</h1><p>x</p>"
     "</body></html>", "某局2020年报"),
    # no heading: <title> less the part the SiteName meta names
    ("<html><head><title>某局2020年年报 - 某区人民政府门户网站</title>"
     "<meta name='SiteName' content='某区人民政府门户网站'></head><body><p>x</p></body></html>", "某局2020年年报"),
    # only the logo heading, no meta: the longer part of the title
    ("<html><head><title>某局2020年年报_某区政府</title></head><body><h1>某区政府</h1><p>x</p></body></html>",
     "某局2020年年报"),
    # a hyphen inside the title is no separator
    ("<html><head><title>2019-2020年度报告</title></head><body><p>x</p></body></html>", "2019-2020年度报告"),
    # what the CMS declares wins
    (f"<html><head><meta name='ArticleTitle' content='{REPORT}'><title>x_y</title></head><body><h1>y</h1>"
     "</body></html>", REPORT),
])
def test_title_is_the_documents_own(html: str, title: str) -> None:
    assert extract_html(html).title == title
