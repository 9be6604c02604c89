"""SiteServer split articles: which pages make one article (`crawler.discovery.siteserver`)."""

from crawler.discovery.siteserver import (
    MAX_ARTICLE_PAGES,
    first_page_of,
    page_number,
    siteserver_page_urls,
    split_article_pages,
)


def test_page_urls_in_order_with_gaps_filled() -> None:
    html = (
        '<a href="346_2.html">2</a> <a href="/contents/12/346_4.html">末页</a> <a href="347_2.html">other</a>'
    )
    assert siteserver_page_urls(html, "http://x.gov.cn/contents/12/346.html") == [
        "http://x.gov.cn/contents/12/346_2.html",
        "http://x.gov.cn/contents/12/346_3.html",
        "http://x.gov.cn/contents/12/346_4.html",
    ]
    assert siteserver_page_urls('<a href="346.html">上一页</a>', "http://x/c/346_2.html") == []
    assert siteserver_page_urls("<p>no links</p>", "http://x/c/346.html") == []


def test_split_article_pages_only_for_page_one_of_an_article() -> None:
    pager = '<a href="346_2.html">2</a> <a href="346_3.html">下一页</a>'
    assert split_article_pages(pager, "http://x/contents/12/346.html") == [
        "http://x/contents/12/346_2.html",
        "http://x/contents/12/346_3.html",
    ]
    assert split_article_pages(pager, "http://x/contents/12/346_2.html") == []  # a later page
    # lists paginate the same way: never joined
    assert split_article_pages('<a href="index_2.html">下一页</a>', "http://x/zfxxgknb/index.html") == []
    assert split_article_pages('<a href="12_2.html">下一页</a>', "http://x/channels/12.html") == []
    # an implausible page count is a list or a trap, not one article
    many = f'<a href="346_{MAX_ARTICLE_PAGES + 5}.html">末页</a>'
    assert split_article_pages(many, "http://x/contents/12/346.html") == []
    assert (page_number("http://x/c/346_3.html"), page_number("http://x/c/346.html")) == (3, 1)


def test_first_page_of_a_later_page() -> None:
    assert first_page_of('<a href="346.html">上一页</a>', "http://x/c/346_2.html") == "http://x/c/346.html"
    assert first_page_of('<a href="/c/346_3.html">3</a>', "http://x/c/346_2.html") == "http://x/c/346.html"
    assert first_page_of('<a href="347.html">other</a>', "http://x/c/346_2.html") is None
    assert first_page_of('<a href="346_2.html">2</a>', "http://x/c/346.html") is None  # page 1 itself
    assert first_page_of('<a href="index.html">1</a>', "http://x/list/index_2.html") is None
