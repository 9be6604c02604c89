"""200 generated HTML pages in UTF-8, GBK, GB18030 and Big5, each with a right, wrong or missing
declaration (HTTP header and/or <meta>), must decode without a single wrong character."""

from __future__ import annotations

import random

import pytest

from pipelines.decode import decode_html, detect_encoding, normalize_label
from pipelines.textify import textify
from tests.support.spec import SHARED

SEEDS = SHARED / "seeds"
FALLBACK = (
    "根据《中华人民共和国政府信息公开条例》规定，现将本机关2020年政府信息公开工作年度报告如下。"
    "全年主动公开政府信息共3637条，其中行政许可公开信息3121条，比上年度减少838条；行政处罚公开信息412条。"
    "收到政府信息公开申请44件，其中网上申请42件、信函申请2件，均已按期答复。存在的主要问题是公开内容不够全面，"
    "下一步将进一步完善主动公开目录，加强政策解读和回应关切，提升政务公开工作的质量和实效。"
)
GB18030_ONLY = "䶮𠮷㐀€"  # four-byte GB18030 characters (not in GBK)
ENCODINGS = ("utf-8", "gbk", "gb18030", "big5")
WRONG = {"utf-8": ["gb2312", "gbk", "big5", "iso-8859-1"], "gbk": ["utf-8", "big5", "iso-8859-1", "gb2312"],
         "gb18030": ["utf-8", "big5", "gb2312", "windows-1252"], "big5": ["gb2312", "utf-8", "gbk", "iso-8859-1"]}


def _corpus() -> str:
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    return "\n".join(f.read_text(encoding="utf-8") for f in files) or FALLBACK * 20


def _encodable(text: str, encoding: str) -> str:
    return "".join(c for c in text if c.encode(encoding, "ignore") or c == "")


def _pages():
    rng = random.Random(20240117)
    corpus = _corpus().replace("\r", "")
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    cases = []
    for i in range(200):
        encoding = ENCODINGS[i % 4]
        start = rng.randrange(0, max(1, len(corpus) - 800))
        snippet = corpus[start: start + rng.randrange(120, 800)]
        if encoding == "big5":
            snippet = s2t.convert(snippet)
        if encoding == "gb18030":
            pos = rng.randrange(0, len(snippet))
            snippet = snippet[:pos] + GB18030_ONLY + snippet[pos:]
        snippet = _encodable(snippet, encoding)
        paragraphs = "".join(f"<p>{line}</p>\n" for line in snippet.split("\n") if line.strip())
        mode = ("right", "wrong", "missing")[i % 3]
        where = ("meta", "header", "both")[(i // 3) % 3]
        label = {"right": {"utf-8": "utf-8", "gbk": "gb2312", "gb18030": "gb18030", "big5": "big5"}[encoding],
                 "wrong": WRONG[encoding][(i // 9) % 4], "missing": None}[mode]
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={label}">' if label and where != "header" else ""
        header_label = WRONG[encoding][(i // 9 + 1) % 4] if mode == "wrong" and where == "both" else label
        content_type = f"text/html; charset={header_label}" if header_label and where != "meta" else "text/html"
        html = f"<html><head>{meta}<title>第{i}页</title></head><body><div id=zoom>\n{paragraphs}</div></body></html>"
        html = _encodable(html, encoding)
        cases.append(pytest.param(html, encoding, content_type, id=f"{i:03d}-{encoding}-{mode}-{where}"))
    return cases


PAGES = _pages()


def test_two_hundred_pages_generated():
    assert len(PAGES) == 200
    assert {p.values[1] for p in PAGES} == set(ENCODINGS)


@pytest.mark.parametrize(("html", "encoding", "content_type"), PAGES)
def test_generated_page_decodes_exactly(html, encoding, content_type):
    body = html.encode(encoding)
    text, decision = decode_html(body, content_type)
    assert text == html, (decision, [(a, b) for a, b in zip(text, html, strict=False) if a != b][:5])
    assert "\ufffd" not in text and decision.replacement_ratio == 0
    if encoding in ("gbk", "gb18030"):
        assert decision.encoding == "gb18030"  # every GB label is decoded as its superset


def test_mixed_page_records_replacement_ratio():
    good = "<html><head><meta charset=gbk></head><body><p>" + FALLBACK + "</p>"
    body = good.encode("gbk") + "<p>另一段用UTF-8编码的文字</p>".encode() + b"\xff\xfe\x80</body></html>"
    decision = detect_encoding(body, "text/html")
    assert decision.replacement_ratio > 0
    doc = textify(body, url="http://x.gov.cn/mixed.html", content_type="text/html")
    assert doc.error and "mixed encoding" in doc.error
    assert doc.encoding_evidence["replacement_ratio"] == decision.replacement_ratio
    assert "主动公开政府信息共3637条" in doc.text  # the decodable majority survives


def test_bom_wins_over_header_and_meta():
    html = "<html><head><meta charset=gbk></head><body><p>年度报告</p></body></html>"
    decision = detect_encoding(b"\xef\xbb\xbf" + html.encode(), "text/html; charset=big5")
    assert decision.encoding == "utf-8" and decision.source == "bom"
    text, _ = decode_html(b"\xef\xbb\xbf" + html.encode(), "text/html; charset=big5")
    assert text == html


@pytest.mark.parametrize(
    ("label", "codec"),
    [("GB2312", "gb18030"), ("gbk", "gb18030"), ("x-gbk", "gb18030"), ("GB_2312-80", "gb18030"), ("cp936", "gb18030"),
     ("UTF8", "utf-8"), ("Big5", "big5"), ("latin1", "iso8859-1"), ("nonsense-charset", None)],
)
def test_label_normalisation(label, codec):
    assert normalize_label(label) == codec


def test_malformed_meta_tags_are_read():
    for tag in ("<META HTTP-EQUIV=Content-Type CONTENT='text/html;charset=GBK'>", '<meta charset = "gb2312" / >',
                "<meta content=\"text/html; charset=gb2312\" http-equiv=\"Content-Type\">"):
        body = f"<html><head>{tag}</head><body>政务公开</body></html>".encode("gbk")
        decision = detect_encoding(body, None)
        assert decision.source == "meta" and decision.encoding == "gb18030", tag
