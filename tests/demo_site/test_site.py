"""The demo site: every described page is served as described, and the truth is reachable from /."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from lxml import html as lxml_html

import demo_site
from demo_site.seeds import SITESERVER_PAGE, load_seed, seed_ids, split_sections
from demo_site.site import load_site

SITE = load_site()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return fetch_final(url, headers)[:3]


def fetch_final(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, str]:
    """Status, headers, body and the URL after redirects (relative links resolve against it)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read(), r.url
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read(), url


def charset_of(content_type: str) -> str | None:
    m = re.search(r"charset=([\w-]+)", content_type)
    return m.group(1) if m else None


def html_links(base: str, body: bytes, encoding: str) -> list[str]:
    doc = lxml_html.fromstring(body.decode(encoding))
    out = []
    for el in doc.iter("a"):
        h = el.get("href")
        if h and not h.startswith(("javascript:", "mailto:")):
            out.append(urldefrag(urljoin(base, h))[0])
    return out


@pytest.mark.parametrize("path", sorted(SITE.pages))
def test_every_page_is_served_as_described(demo_server, path: str) -> None:
    page = SITE.pages[path]
    gate = next((g for g in SITE.gates if path.startswith(g["prefix"])), None)
    if gate is not None:  # behind a JavaScript cookie challenge: the challenge first, the page with its cookie
        status, _, body = fetch(demo_server.url(path))
        assert status == 200 and b"document.cookie" in body and page.title.encode() not in body
    cookie = {"Cookie": f"{gate['cookie']}={gate['value']}"} if gate else None
    status, headers, body = fetch(demo_server.url(path), cookie)
    assert status == 200
    ctype = headers["Content-Type"]
    if page.template in ("pdf_report", "gen_pdf"):
        assert ctype == page.extra.get("content_type", "application/pdf")
        assert body.startswith(b"%PDF-")
    elif page.kind == "api":
        assert ctype.startswith("application/json") and body.lstrip().startswith(b"{")
    elif page.kind == "script":
        assert ctype.startswith("application/javascript") and b"<html" not in body
    elif page.kind == "text":
        assert ctype.startswith(("text/plain", "text/css"))
    else:
        assert ctype.startswith("text/html")
        assert charset_of(ctype) == (page.encoding if page.header_charset else None)
        text = body.decode("gb18030" if page.encoding.lower() in ("gbk", "gb2312") else page.encoding)
        assert f"<title>{page.title}" in text
        assert f'<meta charset="{page.declared_charset}">' in text
        assert "网站标识码" in text and SITE.settings["icp"] in text
        if page.path != "/":
            assert "当前位置" in text


def test_gbk_page_declares_gb2312_and_needs_gb18030(demo_server) -> None:
    gbk = [p for p in SITE.pages.values() if p.encoding == "gbk" and not p.header_charset]
    assert len(gbk) == 1
    page = gbk[0]
    status, headers, body = fetch(demo_server.url(page.path))
    assert status == 200 and headers["Content-Type"] == "text/html"  # no charset in the header
    assert b'<meta charset="gb2312">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 镕 is outside GB2312: decoding as declared fails
    text = body.decode("gb18030")
    assert "镕" in text
    assert load_seed(page.seed).agency in text


def test_report_pages_have_real_tables_and_prose(demo_server) -> None:
    seed_pages = [p for p in SITE.pages.values()
                  if p.kind == "report" and p.template != "report_attachment" and p.seed]
    assert len(seed_pages) >= 4
    for page in seed_pages:
        seed = load_seed(page.seed)
        _, _, body = fetch(demo_server.url(page.path))
        doc = lxml_html.fromstring(body.decode("gb18030" if page.encoding == "gbk" else "utf-8"))
        tables = doc.xpath("//div[@id='zoom']//table")
        if seed.template == "pre2019":
            assert len(tables) == 1
            text = tables[0].text_content()
            assert "统计指标" in text and "政务微信公开政府信息数" in text
        else:
            assert len(tables) == 3
            assert "第二十条第（五）项" in tables[0].text_content()
            assert "（七）总计" in tables[1].text_content() or "(七)总计" in tables[1].text_content()
            assert doc.xpath("//div[@id='zoom']//*[@rowspan or @colspan]"), "merged cells expected"
        zoom = doc.xpath("//div[@id='zoom']")[0].text_content()
        assert seed.prose["overview"][1][:15] in zoom


def test_siteserver_page_leaks_its_page_marker(demo_server) -> None:
    pages = [p for p in SITE.pages.values() if p.template == "report_siteserver"]
    assert pages
    _, _, body = fetch(demo_server.url(pages[0].path))
    assert body.decode("utf-8").count(SITESERVER_PAGE) == 2
    assert b"background-color:#ffff00" in body


def test_trs_list_paginates_by_script_and_plain_link(demo_server) -> None:
    _, _, first = fetch(demo_server.url("/zwgk/xxgk/zfxxgknb/index.html"))
    text = first.decode("utf-8")
    assert 'createPageHTML(2, 0, "index", "html");' in text
    assert '<a href="./index_1.html">下一页</a>' in text
    _, _, second = fetch(demo_server.url("/zwgk/xxgk/zfxxgknb/index_1.html"))
    assert 'createPageHTML(2, 1, "index", "html");' in second.decode("utf-8")
    assert "下一页" not in second.decode("utf-8").split('<span class="page-links">')[1]
    items = re.findall(r'href="(\./202101/t\d{8}_\d+\.html)"', text)
    assert len(items) == 3


def test_pdf_attachment_linked_with_chinese_anchor_and_opaque_name(demo_server) -> None:
    _, _, body = fetch(demo_server.url("/zwgk/xxgk/zfxxgknb/202101/t20210129_1391204.html"))
    doc = lxml_html.fromstring(body.decode("utf-8"))
    links = [
        (a.text_content(), a.get("href")) for a in doc.iter("a") if (a.get("href") or "").endswith(".pdf")
    ]
    assert len(links) == 1
    text, href = links[0]
    assert "吴忠市卫生健康委员会" in text
    assert re.fullmatch(r"\./P0\d{20}\.pdf", href)


def crawl(base_url: str, max_depth: int) -> dict[str, int]:
    """Breadth-first walk of <a href> links on the site's host: URL -> depth first reached.

    The walk follows links to the pages the site declares (and the declared dead link), never into
    its traps (calendars, link farms, slow pages), which the discovery tests cover."""
    host = urlsplit(base_url).netloc
    depth = {base_url + "/": 0}
    queue = deque([base_url + "/"])
    while queue:
        url = queue.popleft()
        status, headers, body, final = fetch_final(url)
        if status != 200 or not headers.get("Content-Type", "").startswith("text/html"):
            continue
        if depth[url] == max_depth:
            continue
        charset = (
            charset_of(headers["Content-Type"]) or re.search(rb'charset="?([\w-]+)', body).group(1).decode()
        )
        if charset.lower() in ("gb2312", "gbk"):
            charset = "gb18030"
        for link in html_links(final, body, charset):
            parts = urlsplit(link)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            declared = SITE.page(target) is not None or parts.path in SITE.behaviours
            if parts.netloc == host and link not in depth and declared:
                depth[link] = depth[url] + 1
                queue.append(link)
    return depth


def test_every_report_reachable_from_home_within_depth_4(demo_server) -> None:
    depth = crawl(demo_server.base_url, 4)
    truth = demo_site.truth(demo_server.base_url)
    seeded = [r for r in truth.reports if r.seed in seed_ids()]
    assert len(seeded) == 5  # the seed reports are reachable by plain links from the portal
    for report in seeded:
        for url in report.urls:
            assert url in depth and depth[url] <= 4, url
    main_portal = [d for d in truth.non_reports if urlsplit(d.url).path.startswith(("/zwgk/xxgk/", "/xwzx/"))]
    assert main_portal
    for doc in main_portal:
        assert doc.url in depth, doc.url


def test_links_resolve_except_the_declared_dead_link(demo_server) -> None:
    depth = crawl(demo_server.base_url, 99)
    bad = {}
    for url in depth:
        status, _, _ = fetch(url)
        if status != 200:
            bad[urlsplit(url).path] = status
    # every failing link is one the site declares: the dead 2017 column or a trap/behaviour path
    declared = {"/zwgk/xxgk/zfxxgknb/2017/"} | set(SITE.behaviours)
    assert bad.get("/zwgk/xxgk/zfxxgknb/2017/") == 404
    assert set(bad) <= declared, sorted(set(bad) - declared)
    assert demo_server.count("/xxgk/nb/") >= 1  # the moved column answers with a redirect


def test_truth_matches_gold_and_pages() -> None:
    truth = demo_site.truth("http://h")
    seeded = [r for r in truth.reports if r.seed in seed_ids()]
    assert sorted(r.seed for r in seeded) == seed_ids()
    for r in truth.reports:
        assert r.url in r.urls and r.url.startswith("http://h/") and str(r.year) in r.title
    for r in seeded:
        gold = load_seed(r.seed).gold
        assert (r.agency, r.year, r.template) == (gold["agency"], gold["year"], gold["template"])
        assert r.url in r.urls and r.url.startswith("http://h/")
        assert str(r.year) in r.title
    multi = {r.seed: len(r.urls) for r in seeded if len(r.urls) > 1}
    assert multi == {"001_f0dd27b0915ce796": 2, "004_f4ea7d55a816a5a1": 2}
    kinds = {n.kind for n in truth.non_reports}
    assert {"news", "article"} <= kinds
    titles = [n.title for n in truth.non_reports]
    assert any("政府工作报告" in t for t in titles)
    assert any("部门预算" in t for t in titles)
    assert any("政府信息公开指南" in t for t in titles)
    assert any("年度报告" in t for t in titles)  # the news item about the reports


def test_pages_render_deterministically() -> None:
    from demo_site.site import Site

    a, b = load_site(), Site({"site": SITE.settings, "page": [_raw(p) for p in SITE.pages.values()]})
    for path in ("/", "/zwgk/xxgk/zfxxgknb/202101/t20210105_1385126.html"):
        assert a.resource(a.pages[path]).body == b.resource(b.pages[path]).body


def _raw(page) -> dict:
    d = {k: getattr(page, k) for k in ("path", "kind", "template", "title", "date", "seed", "report")}
    d.update(links=list(page.links), items=list(page.items), attachments=list(page.attachments))
    d.update(body=list(page.body), encoding=page.encoding, header_charset=page.header_charset, **page.extra)
    if page.meta_charset is not None:
        d["meta_charset"] = page.meta_charset
    return {k: v for k, v in d.items() if v is not None}


def test_sections_split_on_headings_not_table_rows() -> None:
    text = "一、总体情况\n甲\n三、收到和处理政府信息公开申请情况\n四、结转下年度继续办理\n0\n五、存在的主要问题\n乙\n六、其他需要报告的事项\n无。"
    prose, headings = split_sections(text)
    assert prose["overview"] == ["甲"]
    assert prose["problems"] == ["乙"]
    assert prose["other"] == ["无。"]
    assert "review_litigation" not in prose
    for sid in seed_ids():
        seed = load_seed(sid)
        if seed.template != "pre2019":
            assert {"overview", "problems", "other"} <= set(seed.prose), sid
