"""A bundled, data-driven county 政务公开 portal built from the seed reports, served locally.

`load_site()` reads the description (data/site.toml), `serve()` starts a local server, `truth()` says
which URLs hold annual reports (and which documents are not reports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from demo_site.seeds import load_seed
from demo_site.site import Page, Site, load_site

__all__ = ["ExpectedReport", "NonReport", "Truth", "load_site", "perfect_paths", "serve", "truth"]

# Kinds of page that are documents (as opposed to navigation: home, channels, lists).
DOCUMENT_KINDS = frozenset({"report", "attachment", "news", "article", "stub"})


@dataclass(frozen=True)
class ExpectedReport:
    """One annual report on the site: `url` is its primary copy, `urls` every copy (page, PDF)."""

    seed: str
    url: str
    urls: tuple[str, ...]
    agency: str
    year: int
    template: str
    published: str | None
    title: str


@dataclass(frozen=True)
class NonReport:
    url: str
    title: str
    kind: str


@dataclass(frozen=True)
class Truth:
    reports: list[ExpectedReport] = field(default_factory=list)
    non_reports: list[NonReport] = field(default_factory=list)

    def report_for(self, url: str) -> ExpectedReport | None:
        return next((r for r in self.reports if url in r.urls), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reports": [asdict(r) for r in self.reports],
            "non_reports": [asdict(n) for n in self.non_reports],
        }


def _report_key(page: Page) -> str | None:
    """The key of the report a page is a copy of (its seed or generated report); None for other pages."""
    if not page.report:
        return None
    return page.seed or (page.extra.get("gen") or {}).get("report_key")


def truth(base_url: str = "", site: Site | None = None) -> Truth:
    """The expected annual reports and the non-report documents, URLs prefixed with `base_url`."""
    site = site or load_site()
    base = base_url.rstrip("/")
    non_reports = [NonReport(base + page.path, page.title, page.kind) for page in site.pages.values()
                   if not _report_key(page) and page.kind in DOCUMENT_KINDS]
    reports = []
    for key, pages in sorted(_reports_by_key(site).items()):
        primary = next((p for p in pages if p.primary), pages[0])
        gold = load_seed(primary.seed).gold if primary.seed else primary.extra["gen"]
        urls = [base + p.path for p in pages] + [base + a for p in pages for a in p.extra.get("aliases", [])]
        urls += [base + part for p in pages for part in p.extra.get("parts", [])]  # later pages of a split report
        reports.append(
            ExpectedReport(
                seed=key,
                url=base + primary.path,
                urls=tuple(urls),
                agency=gold["agency"],
                year=gold["year"],
                template=gold["template"],
                published=gold.get("published"),
                title=primary.title,
            )
        )
    return Truth(reports, non_reports)


def perfect_paths(site: Site | None = None) -> set[str]:
    """The pages a perfect crawler fetches: every report's primary copy (and the redirect hop to
    it) plus the pages on a shortest path from the home page to it (see demo_site.graph)."""
    from demo_site.graph import shortest_paths

    site = site or load_site()
    parents = shortest_paths(site)
    needed: set[str] = set()
    for pages in _reports_by_key(site).values():
        primary = next((p for p in pages if p.primary), pages[0])
        node: str | None = primary.path
        if node not in parents:
            raise ValueError(f"demo site: report {primary.path} is not reachable from /")
        while node is not None:
            needed.add(node)
            node = parents[node]
        needed.update(primary.extra.get("aliases", []))
        needed.update(primary.extra.get("parts", []))
    return needed


def _reports_by_key(site: Site) -> dict[str, list[Page]]:
    out: dict[str, list[Page]] = {}
    for page in site.pages.values():
        key = _report_key(page)
        if key:
            out.setdefault(key, []).append(page)
    return out


def serve(host: str = "127.0.0.1", port: int = 0, site: Site | None = None):  # noqa: ANN201
    """Start the demo server in a background thread; see demo_site.server.serve."""
    from demo_site.server import serve as _serve

    return _serve(host=host, port=port, site=site)
