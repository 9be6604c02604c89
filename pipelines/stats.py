"""Names of the crawl's stats counters that the pipelines and the spider share."""

from __future__ import annotations

PREFIX = "nianbao/hosts/"  # per-host figures: nianbao/hosts/<host>/<figure> (crawler.health reads them)


def host_stat(host: str, figure: str) -> str:
    """The stats key of one per-host figure."""
    return f"{PREFIX}{host}/{figure}"
