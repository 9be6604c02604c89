"""Fetching: spiders, discovery rules, downloader middlewares and the `nianbao` CLI."""

import os

# Scrapy's cookie middleware splits domains with tldextract, which by default downloads the public
# suffix list from publicsuffix.org (and, offline, logs a traceback before falling back). A crawl
# contacts only the hosts it was given: the list bundled with tldextract is used instead. An
# operator who wants the live list sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
