"""Adapters that read what a page declares: Hanweb `jpage` configurations and JSON platforms' scripts.

The markup is written for these tests after the shapes real platforms use (several releases each);
numbers, names and paths are made up.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from crawler.discovery.adapters import (
    HanwebAdapter,
    JsonListAdapter,
    JsonPlatformAdapter,
    ScriptFileAdapter,
    adapter_requests,
)
from crawler.discovery.scripts import Expr, api_calls, page_variables, parse_object, resolve


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8", request=Request(url))


def answer(request: Request, data: object) -> TextResponse:
    return TextResponse(request.url, body=json.dumps(data, ensure_ascii=False).encode(), encoding="utf-8",
                        headers={"Content-Type": "application/json"}, request=request)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# ---------------------------------------------------------------- reading scripts


def test_object_literals_and_variables_resolve() -> None:
    obj = parse_object("{url: base + '/list', 'data': {columnId: columnId, page: 1, size: 10}, done: function(){ }}")
    assert obj["url"] == Expr("base + '/list'") and obj["data"]["page"] == 1 and obj["data"]["columnId"] == Expr("columnId")
    names = page_variables('<input type="hidden" id="cid" value="88"><script>var base = "/gk", columnId = "71";'
                           "window.SITE = {code: 'yx'}; var page = 1; page++;</script>")
    assert resolve(obj, names)["url"] == "/gk/list"
    assert resolve(Expr("columnId"), names) == "71" and resolve(Expr("SITE.code"), names) == "yx"
    assert resolve(Expr("$('#cid').val()"), names) == "88"
    assert resolve(Expr("`${base}/x?c=${columnId}`"), names) == "/gk/x?c=71"
    assert resolve(Expr("unknownThing"), names) is None


# ---------------------------------------------------------------- Hanweb jpage


def test_hanweb_jpage_with_ajax_param_and_no_total_probes_the_first_group() -> None:
    """A column page carrying only the jpage call: no record set, no total (the case that was missed)."""
    page = html("http://h.gov.cn/col/col3301/index.html", """<div id="div3301"></div>
    <script>$(function(){ $('#div3301').jpage({ proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: 10,
      groupSize: 2, ajaxParam: { col: 1, appid: 1, webid: 41, path: '/', columnid: 3301, sourceContentType: 1,
      unitid: 90211, webname: '某某县人民政府', permissiontype: 0 }, barPosition: 'bottom' }); });</script>""")
    probe, = HanwebAdapter().requests(page)
    assert probe.method == "POST" and query(probe.url) == {"startrecord": "1", "endrecord": "20", "perpage": "10"}
    form = dict(parse_qsl(probe.body.decode()))
    assert form["columnid"] == "3301" and form["unitid"] == "90211" and form["webid"] == "41"
    assert form["webname"] == "某某县人民政府"
    xml = XmlResponse(probe.url, request=probe, body=(
        "<datastore><totalrecord>47</totalrecord><recordset>"
        "<record><![CDATA[<li><a href='/art/2024/2/1/art_3301_5.html' title='2023年政府信息公开工作年度报告'>x</a></li>]]></record>"
        "</recordset></datastore>").encode())
    out = list(HanwebAdapter().requests(xml))
    assert out[0].url == "http://h.gov.cn/art/2024/2/1/art_3301_5.html"
    assert [query(r.url)["startrecord"] + "-" + query(r.url)["endrecord"] for r in out[1:]] == ["21-40", "41-47"]
    assert all(r.method == "POST" and dict(parse_qsl(r.body.decode()))["unitid"] == "90211" for r in out[1:])
    # a later group's answer generates nothing more
    later = XmlResponse(out[1].url, request=out[1], body=b"<datastore><totalrecord>47</totalrecord></datastore>")
    assert list(HanwebAdapter().requests(later)) == []


def test_hanweb_older_release_with_total_and_shown_records() -> None:
    page = html("http://h.gov.cn/col/col12/index.html", """<script type="text/xml"><datastore><recordset>
    <record><![CDATA[<a href="/art/1.html">a</a>]]></record><record><![CDATA[<a href="/art/2.html">b</a>]]></record>
    </recordset></datastore></script><script>$('#12').jpage({dataStore: dataStore, proxyUrl: 'module/web/jpage/dataproxy.jsp',
    perPage: 2, totalRecord: 9, webid: '5', columnid: '12', unitid: '7'});</script>""")
    out = list(HanwebAdapter().requests(page))
    assert [r.url for r in out[:2]] == ["http://h.gov.cn/art/1.html", "http://h.gov.cn/art/2.html"]
    assert [query(r.url)["startrecord"] for r in out[2:]] == ["3", "9"]  # groups of 3 pages of 2


def test_hanweb_proxy_parameters_in_the_url_and_page_size_from_a_variable() -> None:
    page = html("http://z.gov.cn/col/col55/index.html", """<script>var pageSize = 20;
    $('#list').jpage({ proxyUrl: '/module/jpage/dataproxy.jsp?webid=3&columnid=55&unitid=9', perPage: pageSize });
    </script>""")
    probe, = HanwebAdapter().requests(page)
    assert probe.url == "http://z.gov.cn/module/jpage/dataproxy.jsp?startrecord=1&endrecord=60&perpage=20"
    form = dict(parse_qsl(probe.body.decode()))
    assert (form["webid"], form["columnid"], form["unitid"]) == ("3", "55", "9")


def test_hanweb_probe_is_left_out_without_declarations() -> None:
    page = html("http://h.gov.cn/col/col3301/index.html", "<script>$('#d').jpage({proxyUrl: "
                "'/module/web/jpage/dataproxy.jsp', perPage: 10});</script>")
    assert list(HanwebAdapter().requests(page, declared=False)) == []


# ---------------------------------------------------------------- JSON platforms


def test_ajax_get_with_data_variables_defined_elsewhere_pages_by_total() -> None:
    """`$.ajax({url, data: {columnId: columnId, …}})` with `columnId` set in another script block."""
    page = html("http://j.gov.cn/xxgk/nb/index.html", """<div id="list"></div>
    <script>var ctx = ""; var page = 1, pageSize = 10;
    function load(){ $.ajax({ url: ctx + '/xxgk/api/list', type: 'get', dataType: 'json',
      data: { columnId: columnId, page: page, pageSize: pageSize }, success: function(res){ render(res); } }); }
    $(load);</script><div class="foot"></div><script>var columnId = "2207";</script>""")
    first, = [r for r in JsonPlatformAdapter().requests(page)]
    assert first.method == "GET" and urlsplit(first.url).path == "/xxgk/api/list"
    assert query(first.url) == {"columnId": "2207", "page": "1", "pageSize": "10"}
    data = {"code": 0, "data": {"total": 23, "list": [
        {"title": "某局2023年政府信息公开工作年度报告", "url": "/xxgk/nb/content/post_9.html"}]}}
    out = list(JsonListAdapter().requests(answer(first, data)))
    assert out[0].url == "http://j.gov.cn/xxgk/nb/content/post_9.html"
    assert out[0].meta["nb_anchor"].endswith("年度报告")
    assert [query(r.url)["page"] for r in out[1:]] == ["2", "3"]
    assert all(query(r.url)["columnId"] == "2207" for r in out[1:])


def test_fetch_post_json_body_with_detail_pattern_pages_until_empty() -> None:
    page = html("http://f.gov.cn/gk/nb.html", """<ul id="rows"></ul><script>
    window.GK = { channel: 'nb', api: '/gk/api/articles' };
    async function load(pageNo) {
      const res = await fetch(GK.api, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ channelCode: GK.channel, pageNo: 1, pageSize: 5 }) });
      const json = await res.json();
      json.data.records.forEach(function (r) {
        rows.innerHTML += '<li><a href="' + '/gk/detail.html?id=' + r.id + '">' + r.title + '</a></li>'; });
    }
    load(1);</script>""")
    first, = JsonPlatformAdapter().requests(page)
    assert first.method == "POST" and first.url == "http://f.gov.cn/gk/api/articles"
    assert json.loads(first.body) == {"channelCode": "nb", "pageNo": 1, "pageSize": 5}
    assert first.headers[b"Content-Type"].startswith(b"application/json")
    out = list(JsonListAdapter().requests(answer(first, {"data": {"records": [
        {"id": 71, "title": "2022年政府信息公开工作年度报告", "category": {"id": 3, "title": "年报"}}]}})))
    assert out[0].url == "http://f.gov.cn/gk/detail.html?id=71"
    assert len(out) == 2 and json.loads(out[1].body)["pageNo"] == 2 and out[1].method == "POST"
    empty = list(JsonListAdapter().requests(answer(out[1], {"data": {"records": []}})))
    assert empty == []


def test_jquery_post_form_with_hidden_input_and_curpage() -> None:
    page = html("http://p.gov.cn/info/list.jsp", """<input type="hidden" id="catId" value="C19">
    <script>$.post('/info/queryList.do', {catId: $('#catId').val(), curPage: 1, rows: 15}, function(d){ show(d); });</script>""")
    first, = JsonPlatformAdapter().requests(page)
    assert first.method == "POST" and dict(parse_qsl(first.body.decode())) == {"catId": "C19", "curPage": "1", "rows": "15"}
    out = list(JsonListAdapter().requests(answer(first, {"rows": [{"title": "t", "link": "/info/1.html"}],
                                                         "totalCount": 31})))
    assert [dict(parse_qsl(r.body.decode()))["curPage"] for r in out[1:]] == ["2", "3"]


def test_axios_get_with_params_from_page_zero() -> None:
    page = html("http://a.gov.cn/zwgk/", """<script>const col = 'A1';
    axios.get('/open/api/doc/list', { params: { pageIndex: 0, size: 20, column: col } }).then(r => draw(r.data));</script>""")
    first, = JsonPlatformAdapter().requests(page)
    assert query(first.url) == {"pageIndex": "0", "size": "20", "column": "A1"}
    out = list(JsonListAdapter().requests(answer(first, {"content": [{"name": "x", "href": "/open/doc/1"}],
                                                         "totalPages": 3})))
    assert [query(r.url)["pageIndex"] for r in out[1:]] == ["1", "2"]


def test_widgets_that_are_not_lists_are_ignored() -> None:
    calls = list(api_calls("$.ajax({url: '/stat/visit.do', data: {id: 3}}); $.getJSON('/weather/now');"
                           "$.get('/static/tpl.html'); fetch('/js/app.js');"))
    assert calls == []


def test_script_file_calls_resolve_against_the_page() -> None:
    js = b"""const API = 'api/reports'; export async function load(p) {
      const r = await fetch(`${API}?page=${p}&size=8`); return r.json(); }
    function link(item) { return '#/'; } function url(item) { return 'articles/' + item.id + '.html'; }
    load(1);"""
    request = Request("http://s.gov.cn/spa/app.js", meta={"nb_script_of": {"url": "http://s.gov.cn/spa/", "names": {}}})
    response = TextResponse(request.url, body=js, encoding="utf-8", request=request,
                            headers={"Content-Type": "application/javascript"})
    assert ScriptFileAdapter().detect(response)
    first, = ScriptFileAdapter().requests(response)
    assert first.url == "http://s.gov.cn/spa/api/reports?page=1&size=8"
    out = list(JsonListAdapter().requests(answer(first, {"items": [{"id": 5, "name": "2021年年报"}], "total": 8})))
    assert [r.url for r in out] == ["http://s.gov.cn/spa/articles/5.html"]
    # without declarations (the browser-only mode) a script file asks for nothing
    assert [name for name, _ in adapter_requests(response, declared=False)] == []


def test_each_page_of_a_post_list_is_its_own_exchange() -> None:
    from crawler.discovery.adapters import api_request
    from pipelines.items import exchange_url

    spec = {"url": "http://f.gov.cn/gk/api/articles", "method": "POST", "json": True, "params": {"pageNo": 1},
            "page_key": "pageNo"}
    one, two = api_request(spec, 1), api_request(spec, 2)
    assert one.url == two.url and exchange_url(one) != exchange_url(two)
    assert exchange_url(one).startswith("http://f.gov.cn/gk/api/articles#post=")
    assert exchange_url(Request("http://a/x.html")) == "http://a/x.html"
