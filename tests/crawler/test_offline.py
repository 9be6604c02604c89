"""A crawl contacts only the hosts it was given: nothing fetched from elsewhere on the way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SPLIT = """
import logging
logging.basicConfig(level=logging.WARNING)
import crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.http import Request, Response
mw = CookiesMiddleware()
request = Request("http://www.example.gov.cn/xxgk/")
response = Response("http://www.example.gov.cn/xxgk/", headers={"Set-Cookie": "a=1; Domain=gov.cn"})
mw.process_response(request, response)
follow = Request("http://other.gov.cn/")
mw.process_request(follow)
print("cookie:", follow.headers.get("Cookie"))
"""


def test_the_public_suffix_list_is_not_downloaded(tmp_path: Path) -> None:
    """Scrapy's cookie middleware asks tldextract whether `gov.cn` is a public suffix: with an empty
    cache, tldextract would fetch publicsuffix.org. It answers from its bundled list instead (a
    cookie set for all of gov.cn is refused) and nothing is logged about a download."""
    env = {k: v for k, v in os.environ.items() if k != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"}
    env["TLDEXTRACT_CACHE"] = str(tmp_path / "tldextract")  # empty: no earlier download to reuse
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", SPLIT], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    assert "cookie: None" in done.stdout, done.stdout + done.stderr
    assert "Public Suffix List" not in done.stderr and "Traceback" not in done.stderr, done.stderr
