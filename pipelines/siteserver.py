"""SiteServer CMS: the `[SITESERVER_PAGE]` page-break marker its split articles leave in the text.

Which pages make one article is discovery's business (`crawler.discovery.siteserver`)."""

from __future__ import annotations

import re

MARKER = "[SITESERVER_PAGE]"
_MARK = r"(?:\[|&#91;|&#x5b;|&lsqb;|&lbrack;)\s*SITESERVER_PAGE\s*(?:\]|&#93;|&#x5d;|&rsqb;|&rbrack;)"
# The marker alone, or wrapped in the <span>/<p>/<div> the editors put around it.
_MARKER_RE = re.compile(
    r"(?:<(p|span|div|strong|font)\b[^>]*>\s*(?:&nbsp;|\s)*)?" + _MARK + r"(?(1)(?:&nbsp;|\s)*</\1\s*>)",
    re.IGNORECASE,
)


def strip_siteserver_markers(text: str) -> str:
    """Remove every `[SITESERVER_PAGE]` marker (raw, entity-escaped or wrapped in an empty tag)."""
    if not text:
        return text
    return _MARKER_RE.sub("", text)


def has_marker(text: str) -> bool:
    return bool(text) and re.search(_MARK, text, re.IGNORECASE) is not None
