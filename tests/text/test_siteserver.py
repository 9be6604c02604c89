from pipelines.siteserver import siteserver_page_urls, strip_siteserver_markers
from pipelines.textify import DocumentText, join_pages, textify


def test_markers_removed_in_all_forms():
    html = '一<p><span style="background:yellow">[SITESERVER_PAGE]</span></p>二[SITESERVER_PAGE]三&#91;SITESERVER_PAGE&#93;四'
    out = strip_siteserver_markers(html)
    assert "SITESERVER" not in out
    assert out.replace("<p></p>", "") == "一二三四"


def test_page_urls_in_order_with_gaps_filled():
    html = '<a href="346_2.html">2</a> <a href="/contents/12/346_4.html">末页</a> <a href="347_2.html">other</a>'
    assert siteserver_page_urls(html, "http://x.gov.cn/contents/12/346.html") == [
        "http://x.gov.cn/contents/12/346_2.html",
        "http://x.gov.cn/contents/12/346_3.html",
        "http://x.gov.cn/contents/12/346_4.html",
    ]
    assert siteserver_page_urls('<a href="346.html">上一页</a>', "http://x/c/346_2.html") == []
    assert siteserver_page_urls("<p>no links</p>", "http://x/c/346.html") == []


def test_join_pages_keeps_order_and_strips_markers():
    pages = []
    for i, body in enumerate(["一、总体情况 第一页[SITESERVER_PAGE]", "二、主动公开 第二页", "三、申请 第三页"]):
        html = f"<html><body><div class='content'><p>{body}</p><p>{'正文内容。' * 20}</p></div></body></html>"
        pages.append(textify(html.encode(), url=f"http://x/c/346{'_' + str(i + 1) if i else ''}.html"))
    joined = join_pages(pages)
    assert joined.text.index("第一页") < joined.text.index("第二页") < joined.text.index("第三页")
    assert "SITESERVER" not in joined.text
    assert joined.quality["pages"] == 3
    assert join_pages([]).error
    assert isinstance(join_pages([DocumentText("html", "x")]), DocumentText)
