"""Focused discovery of 政府信息公开工作年度报告: where to go next, and what a page is.

* `urls`: canonical URLs (session ids, tracking parameters, fragments), viewer unwrapping, traps.
* `scoring`: how promising a link is (anchor text, `title`, URL tokens) and the follow policy.
* `adapters`: the CMS platforms (TRS, Hanweb, SiteServer, JSON platforms, generic pagers) as small
  classes that recognise a page and generate the requests its JavaScript would make.
* `context`: what a page says about itself (title, breadcrumbs, site name) for classification.
* `siteserver`: split articles (`346.html`, `346_2.html` …): which later pages make one article.

Links, anchors and URLs recur on every page of a site, so scores, report-title checks and canonical
URLs are remembered (`functools.lru_cache`) rather than computed again per response.
"""
