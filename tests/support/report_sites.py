"""Small demo-site descriptions for incremental and distributed crawl tests (demo_site.site.Site)."""

from __future__ import annotations

from typing import Any

from demo_site.site import Site

AGENCIES = ["测试县人民政府", "测试县教育局", "测试县财政局", "测试县卫生健康局", "测试县交通运输局", "测试县民政局"]


def report_page(path: str, agency: str, year: int, *, date: str | None = None, title: str | None = None,
                attachment: str | None = None) -> dict[str, Any]:
    published = date or f"{year + 1}-01-20"
    page: dict[str, Any] = {
        "path": path, "kind": "report", "template": "gen_report", "report": True, "primary": True,
        "title": title or f"{agency}{year}年政府信息公开工作年度报告", "date": published,
        "gen": {"template": "2021" if year >= 2020 else "2019", "agency": agency, "year": year,
                "published": published, "report_key": f"{agency}-{year}"},
    }
    if attachment:
        page["attachments"] = [[f"{agency}{year}年报（PDF）", attachment]]
    return page


def pdf_page(path: str, agency: str, year: int) -> dict[str, Any]:
    published = f"{year + 1}-01-20"
    return {"path": path, "kind": "attachment", "template": "gen_pdf", "title": f"{agency}{year}年报",
            "date": published, "gen": {"template": "2021", "agency": agency, "year": year,
                                       "published": published, "report_key": f"{agency}-{year}-pdf"}}


def report_site(name: str = "测试县人民政府", reports: list[dict[str, Any]] | None = None,
                extra_pages: list[dict[str, Any]] | None = None, list_size: int = 0) -> Site:
    """Home → 年报 column (one or more list pages) → report pages (and their attachments)."""
    reports = reports if reports is not None else [
        report_page(f"/xxgk/nb/t{year}_{i}.html", agency, year)
        for i, agency in enumerate(AGENCIES[:2]) for year in (2022, 2023)
    ]
    report_paths = [r["path"] for r in reports if r["kind"] in ("report", "article")]
    size = list_size or max(1, len(report_paths))
    chunks = [report_paths[i:i + size] for i in range(0, len(report_paths), size)] or [[]]
    lists = []
    for index, chunk in enumerate(chunks):
        path = "/xxgk/nb/index.html" if index == 0 else f"/xxgk/nb/index_{index}.html"
        lists.append({"path": path, "kind": "list", "template": "list", "title": "政府信息公开年报",
                      "date": "2024-01-20", "items": chunk, "page_count": len(chunks), "page_index": index})
    pages = [
        {"path": "/", "kind": "home", "template": "home", "title": f"{name}门户网站", "date": "2024-01-01",
         "links": [["政府信息公开年报", "/xxgk/nb/index.html"]]},
        {"path": "/robots.txt", "kind": "text", "template": "robots", "title": "robots", "date": "2024-01-01"},
        *lists, *reports, *(extra_pages or []),
    ]
    return Site({"site": {"name": name, "host_name": "www.ceshi.gov.cn", "nav": [["首页", "/"]],
                          "list_page_size": size}, "page": pages})
