from pipelines.decode import decode_html, detect_encoding
from pipelines.textify import textify
from tests.support.documents import text_pdf

PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某局2020年政府信息公开工作年度报告</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开</a></div>
<div class="position">当前位置：首页 &gt; 政务公开 &gt; 年报</div>
<div class="article"><h1>某局2020年政府信息公开工作年度报告</h1>
<div class="info">发布时间：2021-01-25 来源：某局 字号：[ 大 中 小 ] 【打印】【关闭】</div>
<p>根据《中华人民共和国政府信息公开条例》规定，现将本局2020年政府信息公开工作报告如下。</p>
<h3>二、主动公开政府信息情况</h3>
<table border="1"><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年新<br>制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>规范性文件</td><td>3</td><td>&nbsp;</td><td>5</td></tr></table>
<p>[SITESERVER_PAGE]</p><h3>六、其他需要报告的事项</h3><p>无。</p></div>
<div class="footer">版权所有：某局 京ICP备12345678号 网站标识码：1100000001</div></body></html>"""


def test_html_gbk_page_with_utf8_header_lie():
    doc = textify(PAGE.encode("gbk"), url="http://x.gov.cn/a/1.html", content_type="text/html; charset=UTF-8")
    assert doc.kind == "html" and doc.error is None
    assert doc.encoding == "gb18030" and doc.encoding_evidence["source"] == "meta"
    assert "规范性文件\t3\t\t5" in doc.text
    assert "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量" in doc.text
    assert "二、主动公开政府信息情况" in doc.text and "无。" in doc.text
    for furniture in ("当前位置", "字号", "打印", "ICP", "网站标识码", "SITESERVER", "首页"):
        assert furniture not in doc.text, furniture
    assert doc.published == "2021-01-25"
    assert doc.title == "某局2020年政府信息公开工作年度报告"
    assert doc.html and "<table" in doc.html
    assert doc.quality["replacement_ratio"] == 0 and doc.quality["cjk_ratio"] > 0.5


def test_decode_html_returns_text_and_decision():
    text, decision = decode_html("<p>年度报告</p>".encode(), "text/html; charset=gbk")
    assert text == "<p>年度报告</p>" and decision.encoding == "utf-8" and decision.source == "detected"
    assert detect_encoding(b"\xef\xbb\xbf<p>x</p>", "text/html; charset=gbk").source == "bom"


def test_pdf_text_with_table_rows():
    text = "一、总体情况\n全年主动公开政府信息共3637条。\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t0\t0\t0\n规范性文件\t3\t\t0"
    doc = textify(text_pdf(text), url="http://x/a.html", content_type="text/html")
    assert doc.kind == "pdf" and doc.extractor == "pdfium" and doc.error is None
    assert "规范性文件\t3\t\t0" in doc.text
    assert "全年主动公开政府信息共3637条。" in doc.text
    assert "- 1 -" not in doc.text


def test_bad_inputs_never_raise():
    for body in (b"", b"%PDF-1.4\n garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, b"PK\x03\x04xx"):
        doc = textify(body, url="http://x/a.pdf")
        assert doc.error, body[:10]


LAYOUT_PAGE = """<html><head><meta charset=gbk><title>关于2017年度政府信息公开情况的报告</title>
<meta name="PubDate" content="2018-03-14 09:30"></head><body>
<table width="100%"><tr><td><img src=logo.png></td><td><a href=/>首页</a> | <a href=/x>信息公开</a></td></tr></table>
<table width="1000" align="center"><tr><td width="200" class="left-menu"><ul><li><a>机构职能</a></li><li><a>年度报告</a></li></ul></td>
<td width="800"><table width="100%"><tr><td class="title" align="center">关于2017年度政府信息公开情况的报告</td></tr>
<tr><td><div class="TRS_Editor"><p class="MsoNormal">一、概述</p><p class="MsoNormal">2017年，我区认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息297条，依申请公开1条。</p>
<table class="MsoNormalTable" border="1"><tr><td><p class="MsoNormal"><span>统计指标</span></p></td><td><p>单位</p></td><td><p>统计数</p></td></tr>
<tr><td><p>一、主动公开情况</p></td><td><p>——</p></td><td><p>——</p></td></tr>
<tr><td><p>（一）主动公开政府信息数</p><p>（不同渠道和方式公开相同信息计1条）</p></td><td><p>条</p></td><td><p>297</p></td></tr></table>
<p>二、存在的主要问题</p><p>主要问题是公开内容不够全面。</p></div></td></tr></table></td></tr></table>
<table width=1000><tr><td>版权所有：某某区人民政府 ICP备05001234号</td></tr></table></body></html>"""


def test_layout_tables_word_html_and_link_bars():
    doc = textify(LAYOUT_PAGE.encode("gbk"), url="http://122.137.242.24:8080/pub/ndbg/201803/t20180314_407316.html")
    lines = doc.text.splitlines()
    assert lines[0] == "关于2017年度政府信息公开情况的报告"
    assert "统计指标\t单位\t统计数" in lines
    assert "（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）\t条\t297" in lines
    assert "一、主动公开情况\t——\t——" in lines
    for furniture in ("首页", "机构职能", "版权所有", "ICP"):
        assert furniture not in doc.text
    assert doc.published == "2018-03-14" and doc.error is None
