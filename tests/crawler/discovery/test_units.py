"""Unit tests: URL canonicalisation and traps, link scores, CMS adapters, classification, anti-bot."""

from __future__ import annotations

import json

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.antibot import challenge_reason
from crawler.discovery.adapters import (
    GenericPagerAdapter,
    HanwebAdapter,
    JsonListAdapter,
    JsonPlatformAdapter,
    SiteServerAdapter,
    TrsAdapter,
)
from crawler.discovery.context import page_context
from crawler.discovery.scoring import score_link
from crawler.discovery.urls import canonical_url, trap_reason, unwrap_viewer
from extractor.classify import classify, clean_agency, parse_report_title


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url))


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(("url", "expected"), [
    ("http://a.gov.cn/col/col1/index.html;jsessionid=8F3A2C?x=1#top", "http://a.gov.cn/col/col1/index.html?x=1"),
    ("http://A.gov.cn/list.jsp?utm_source=wx&page=2&spm=a.b", "http://a.gov.cn/list.jsp?page=2"),
    ("http://a.gov.cn/public/column/601?type=3&action=detail", "http://a.gov.cn/public/column/601?action=detail&type=3"),
    ("http://a.gov.cn/pdfjs/web/viewer.html?file=%2Fupload%2F2021%2Fa.pdf#page=1", "http://a.gov.cn/upload/2021/a.pdf"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_viewer_with_relative_file_resolves_against_the_viewer() -> None:
    assert unwrap_viewer("http://a.gov.cn/js/pdfjs/web/viewer.html?file=../../files/r.pdf") == "http://a.gov.cn/js/files/r.pdf"


@pytest.mark.parametrize("url", [
    "http://a.gov.cn/hdjl/calendar.jsp?date=2021-03",
    "http://a.gov.cn/a/b/a/b/a/b/x.html",
    "http://a.gov.cn/list?sort=asc&page=2",
    "http://a.gov.cn/" + "x" * 500,
])
def test_traps(url: str) -> None:
    assert trap_reason(url)


def test_not_traps() -> None:
    assert trap_reason("http://a.gov.cn/zwgk/zfxxgknb/202101/t20210129_8848198.html") is None
    assert trap_reason("http://a.gov.cn/module/xxgk/xxgkAnnualReport.jsp?fbtime=2017&area=1") is None


# ---------------------------------------------------------------- scores


def test_scores_order_links() -> None:
    report = score_link("http://a/zwgk/202101/t1.html", "XX局2020年政府信息公开工作年度报告")
    column = score_link("http://a/zwgk/zfxxgknb/index.html", "政府信息公开年报")
    xxgk = score_link("http://a/xxgk/index.html", "信息公开")
    news = score_link("http://a/xwzx/index.html", "新闻中心")
    budget = score_link("http://a/x/t2.html", "XX局2021年部门预算公开")
    assert report.report_like and report.score > column.score > xxgk.score > 0
    assert news.score < 0 and budget.score <= 0
    assert score_link("http://a/zwgk/zfxxgknb/", None).score > 0  # URL alone
    assert score_link("http://a/module/download/downfile.jsp?f=1.pdf", "2019年年报.pdf").report_like


# ---------------------------------------------------------------- classification


@pytest.mark.parametrize(("title", "agency", "year"), [
    ("2020年政府信息公开工作年度报告", None, 2020),
    ("XX局2019年度政府信息公开年报", "XX局", 2019),
    ("关于2018年政府信息公开工作情况的报告", None, 2018),
    ("云溪区教育局政府信息公开工作年度报告（2016年度）", "云溪区教育局", 2016),
    ("云溪区财政局2015年政府信息公开情况统计表", "云溪区财政局", 2015),
    ("莱州市卫生健康局2020年政府信息公开工作年度报告（PDF版）", "莱州市卫生健康局", 2020),
])
def test_report_titles(title: str, agency: str | None, year: int) -> None:
    match = parse_report_title(title)
    assert match is not None and match.agency == agency and match.year == year


@pytest.mark.parametrize("title", [
    "2021年云溪区人民政府工作报告", "云溪区卫生健康局2021年部门预算公开", "2020年度部门决算公开",
    "云溪区2020年度部门整体支出绩效自评报告", "云溪区2020年法治政府建设年度报告", "2021年政务公开工作要点",
    "云溪区人民政府政府信息公开指南", "2020年国民经济和社会发展统计公报", "2020年工作总结和2021年工作计划",
    "我区各部门完成2020年政府信息公开工作年度报告发布工作", "关于做好2020年政府信息公开工作年度报告编制工作的通知",
    "政府信息公开年报",
])
def test_not_report_titles(title: str) -> None:
    assert parse_report_title(title) is None


def test_clean_agency_cuts_sentence_fragments() -> None:
    assert clean_agency("上城区卫生健康局高度重视") == "上城区卫生健康局"
    assert clean_agency("云溪区人民政府") == "云溪区人民政府"
    assert clean_agency("高度重视") is None


REPORT_RECORD = {"is_report": True, "agency": "云溪区人民政府", "year": 2020, "template": "2019",
                 "active": {"rules": {}}, "requests": {}, "sections": {"overview": "x", "active": "y"}}


def test_title_agency_beats_the_portal_name_and_news_is_rejected() -> None:
    d = classify(REPORT_RECORD, titles=["殷都区卫健委2018年政府信息公开工作年度报告"], url="http://a/x.html")
    assert (d.is_report, d.agency, d.year) == (True, "殷都区卫健委", 2018)
    news = {**REPORT_RECORD, "template": "unknown", "active": None, "requests": None}
    d = classify(news, titles=["我区各部门完成2020年政府信息公开工作年度报告发布工作"], url="http://a/xwzx/1.html")
    assert not d.is_report
    d = classify(news, titles=["政府信息公开年报"], url="http://a/list.html", context={"report_links": 6})
    assert not d.is_report


def test_agency_falls_back_to_publisher_then_seed() -> None:
    notice = {"is_report": True, "agency": "云溪区人民政府", "year": None, "template": "unknown"}
    d = classify(notice, titles=["2021年政府信息公开工作年度报告"], url="u", context={"publisher": "云溪区教育体育局"})
    assert (d.agency, d.year) == ("云溪区教育体育局", 2021)
    d = classify({**notice, "agency": None}, titles=["2021年政府信息公开工作年度报告"], url="u", seed_agency="某某局")
    assert d.agency == "某某局"


def test_extractor_agency_on_a_realistic_page() -> None:
    """What the extractor says about a report whose title names no agency (body: heading + signature)."""
    from demo_site.platforms import make_record, prose
    from demo_site.render import render_report_html
    from extractor import extract_report

    record = make_record("2021", "云溪区教育体育局", 2022, "2023-01-20")
    page = render_report_html({**record, "sections": {k: "\n".join(v) for k, v in prose("云溪区教育体育局", 2022).items()}})
    out = extract_report(None, html=page.replace("<title>", "<title>2022年政府信息公开工作年度报告_"),
                         title="2022年政府信息公开工作年度报告")
    assert out["is_report"] and out["year"] == 2022
    assert out["agency"] == "云溪区教育体育局"


def test_page_context_reads_crumbs_publisher_and_site_name() -> None:
    sel = Selector(text="""<html><head><title>t_云溪区</title><meta name="SiteName" content="云溪区人民政府"></head><body>
    <div class="position">当前位置：<a>首页</a> &gt; <a>新闻中心</a> &gt; 正文</div>
    <table class="xxgk-info"><tr><th>发布机构：</th><td>云溪区财政局</td></tr></table>
    <h1>标题</h1><a title="XX局2019年政府信息公开工作年度报告">x</a></body></html>""")
    ctx = page_context(sel)
    assert ctx["site_name"] == "云溪区人民政府" and ctx["publisher"] == "云溪区财政局"
    assert ctx["is_news"] and ctx["report_links"] == 1 and ctx["h1"] == "标题"


def test_page_context_reads_nested_crumbs_once_in_document_order() -> None:
    # what `//*[contains(@class,'crumb') or …]//text()` selects: a marked element inside another marked one
    # adds no text twice, comments add none, and an id naming `position` marks crumbs too
    sel = Selector(text="""<html><body><div class="crumb">首页<span class="location">&gt;政务公开<!-- 注释 -->
    </span>&gt;年报</div><p id="nav-position">&gt;云溪区教育局</p><div class="source-info"><span class="info">
    来源：</span>云溪区教育局</div></body></html>""")
    ctx = page_context(sel)
    assert ctx["crumbs"] == ["首页", "政务公开", "年报", "云溪区教育局"]
    assert ctx["breadcrumb_agency"] == "云溪区教育局" and ctx["publisher"] == "云溪区教育局"


def test_report_titles_and_link_scores_are_remembered() -> None:
    from crawler.discovery.scoring import report_like

    report_like.cache_clear()
    assert report_like("XX局2019年政府信息公开工作年度报告") and not report_like("新闻中心")
    assert report_like("新闻中心") is False and report_like.cache_info().hits == 1
    first = score_link("http://a/zwgk/zfxxgknb/index.html", "政府信息公开年报")
    assert score_link("http://a/zwgk/zfxxgknb/index.html", "政府信息公开年报") is first


# ---------------------------------------------------------------- adapters


def test_trs_pages_from_create_page_html() -> None:
    r = html("http://a/zwgk/nb/index.html", '<script>createPageHTML(4, 0, "index", "html");</script>')
    urls = [q.url for q in TrsAdapter().requests(r)]
    assert urls == ["http://a/zwgk/nb/index_1.html", "http://a/zwgk/nb/index_2.html", "http://a/zwgk/nb/index_3.html"]
    six = html("http://a/l/index_2.html", '<script>createPageHTML("page_div",3,2,"index","shtml",45);</script>')
    assert [q.url for q in TrsAdapter().requests(six)] == ["http://a/l/index.shtml", "http://a/l/index_1.shtml"]


def test_hanweb_records_and_dataproxy_posts() -> None:
    body = """<script type="text/xml"><datastore><recordset>
    <record><![CDATA[<li><a href="/art/2021/1/5/art_1001_1.html" title="2020年年报">x</a></li>]]></record>
    </recordset></datastore></script><script>$('#1').jpage({proxyUrl: '/jyj/module/web/jpage/dataproxy.jsp',
    perPage: 1, totalRecord: 5, webid: '12', columnid: '1001', unitid: '55'});</script>"""
    reqs = list(HanwebAdapter().requests(html("http://a/jyj/col/col1001/index.html", body)))
    assert reqs[0].url == "http://a/art/2021/1/5/art_1001_1.html" and reqs[0].meta["nb_anchor"] == "2020年年报"
    post = reqs[1]
    assert post.method == "POST" and post.url == "http://a/jyj/module/web/jpage/dataproxy.jsp?startrecord=2&endrecord=4&perpage=1"
    assert b"columnid=1001" in post.body and b"unitid=55" in post.body and b"webid=12" in post.body
    assert post.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    xml = XmlResponse(post.url, body=b"<datastore><recordset><record><![CDATA[<a href='/art/2/x.html'>y</a>]]></record>"
                      b"</recordset></datastore>", request=post)
    assert [q.url for q in HanwebAdapter().requests(xml)] == ["http://a/art/2/x.html"]


def test_siteserver_channel_and_content_pages() -> None:
    r = html("http://a/wsjkj/channels/21.html", "共3页 <a href='21_2.html'>下一页</a>")
    assert [q.url for q in SiteServerAdapter().requests(r)] == ["http://a/wsjkj/channels/21_2.html", "http://a/wsjkj/channels/21_3.html"]
    c = html("http://a/contents/12/345.html", "<a href='345_2.html'>2</a>")
    assert [q.url for q in SiteServerAdapter().requests(c)] == ["http://a/contents/12/345_2.html"]


def test_json_platform_shell_and_list() -> None:
    shell = html("http://a/zfxxgk/index.html", '<html><div id="app" data-api="/zfxxgk/api/column/601?page={page}"></div></html>')
    assert JsonPlatformAdapter().detect(shell)
    assert [q.url for q in JsonPlatformAdapter().requests(shell)] == ["http://a/zfxxgk/api/column/601?page=1"]
    body = json.dumps({"total": 9, "page_size": 4, "articles": [{"title": "2020年年报", "url": "/zfxxgk/content/post_1.html"}]})
    r = TextResponse("http://a/zfxxgk/api/column/601?page=1", body=body.encode(), encoding="utf-8",
                     headers={"Content-Type": "application/json"})
    urls = [q.url for q in JsonListAdapter().requests(r)]
    assert urls == ["http://a/zfxxgk/content/post_1.html", "http://a/zfxxgk/api/column/601?page=2",
                    "http://a/zfxxgk/api/column/601?page=3"]


def test_generic_pager_generates_every_page() -> None:
    r = html("http://a/czj/list.jsp?page=1", "共3页 当前第1页 <a href='/czj/list.jsp?page=2'>下一页</a>")
    assert [q.url for q in GenericPagerAdapter().requests(r)] == [f"http://a/czj/list.jsp?page={n}" for n in (1, 2, 3)]


# ---------------------------------------------------------------- anti-bot


def test_challenges_detected_and_content_not() -> None:
    from demo_site.server import _CHALLENGE_BODY

    assert "412" in challenge_reason(412, {"set-cookie": "FSSBBIl1UgzbN7N80S=x"}, _CHALLENGE_BODY)
    jsl = b'<html><body><script>document.cookie="__jsl_clearance=1|0|x";location.href=location.pathname</script></body></html>'
    assert challenge_reason(200, {"set-cookie": "__jsluid_h=1"}, jsl)
    assert challenge_reason(521, {}, b"") is not None
    page = "<html><body><script>location.href='/m/'</script><p>" + "政府信息公开工作年度报告 " * 50 + "</p></body></html>"
    assert challenge_reason(200, {}, page.encode()) is None
    assert challenge_reason(404, {}, b"<html><body>404</body></html>") is None

