from pipelines.siteserver import strip_siteserver_markers
from pipelines.textify import DocumentText, join_pages, textify


def test_markers_removed_in_all_forms():
    html = '一<p><span style="background:yellow">[SITESERVER_PAGE]</span></p>二[SITESERVER_PAGE]三&#91;SITESERVER_PAGE&#93;四'
    out = strip_siteserver_markers(html)
    assert "SITESERVER" not in out
    assert out.replace("<p></p>", "") == "一二三四"


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


def _page(n: int, body: str):
    from pipelines.parse import PageBody

    html = f"<html><head><title>某局年报</title></head><body><div class='content'><p>{body}</p><p>{'正文内容。' * 20}</p></div></body></html>"
    return PageBody(html.encode(), f"http://x/c/346{'_' + str(n) if n > 1 else ''}.html", "text/html; charset=utf-8",
                    None, None, n)


def test_parse_pages_joins_in_order_and_records_pages_and_missing_ones():
    from pipelines.parse import parse_body, parse_pages

    pages = [_page(1, "第一页[SITESERVER_PAGE]"), _page(2, "第二页")]
    parsed = parse_pages(pages, missing=[{"page": 3, "url": "http://x/c/346_3.html", "error": "HTTPError: HTTP 404"}],
                         with_report=False)
    text = parsed.text
    assert text.text.index("第一页") < text.text.index("第二页") and "SITESERVER" not in text.text
    assert text.quality["page_urls"] == [p.url for p in pages] and text.quality["page_numbers"] == [1, 2]
    assert text.quality["missing_pages"][0]["page"] == 3
    assert "page 3 missing" in text.error and "404" in text.error
    # one page and nothing missing: exactly what parse_body gives
    one = parse_pages([pages[0]], with_report=False).text
    assert one == parse_body(pages[0].body, url=pages[0].url, content_type=pages[0].content_type,
                             content_disposition=None, with_report=False).text


def test_joined_key_and_article_pages():
    from datetime import UTC, datetime

    from pipelines.documents import article_pages, joined_content_key
    from pipelines.items import FetchedResponse

    def item(url: str, status: int, page: int, error: str | None = None) -> FetchedResponse:
        return FetchedResponse(url=url, final_url=url, status=status, headers={}, body=b"x", page=page, error=error,
                               fetched_at=datetime.now(UTC), sha256="ab" * 32 if status == 200 else None, kind="html")

    first = item("http://x/c/1.html", 200, 1)
    first.parts = [item("http://x/c/1_2.html", 200, 2), item("http://x/c/1_3.html", 404, 3, "HTTPError: HTTP 404")]
    pages, missing = article_pages(first)
    assert [p.page for p in pages] == [1, 2]
    assert missing == [{"page": 3, "url": "http://x/c/1_3.html", "error": "HTTPError: HTTP 404"}]
    assert joined_content_key(["a", "b"]) != joined_content_key(["b", "a"])  # order matters
    assert joined_content_key(["a"]) != "a" and len(joined_content_key(["a", "b"])) == 64


def test_demo_split_keeps_the_last_table_on_the_last_page():
    from demo_site.templates import split_sections

    blocks = ["<h2>一</h2><p/>", "<h2>二</h2><table/>", "<h2>三</h2><table/>", "<h2>四</h2><table/>",
              "<h2>五</h2><p/>", "<h2>六</h2><p/>"]
    pages = split_sections(blocks, 3)
    assert [len(p) for p in pages] == [2, 1, 3] and pages[2][0].startswith("<h2>四")
    assert sum(pages, []) == blocks
    assert split_sections(blocks, 1) == [blocks]
