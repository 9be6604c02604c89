"""Sub-sites of the demo portal, one per CMS platform, generated from `[[subsite]]` entries.

Each sub-site has a home page, a 政府信息公开年报 column whose reports span the entry's years, a
法定主动公开 list of distractors (预算/决算, 绩效自评, 法治政府建设年度报告, 工作要点, 指南, 统计公报,
工作总结), built the way its platform builds them (sites.md):

* `trs`: GBK pages, `index.html` / `index_N.html` lists paginated by `createPageHTML(...)`,
  `<yyyymm>/t<yyyymmdd>_<id>.html` articles, `P0….pdf` attachments.
* `hanweb`: `/col/colNNN/index.html` whose list is an XML datastore (first group only) and
  `module/web/jpage/dataproxy.jsp` POSTs for the rest; `/art/y/m/d/art_C_N.html`; attachments via
  `downfile.jsp` answered with a 302 to `/attach/0/…`; `;jsessionid=` in links.
* `siteserver`: `/channels/NN.html`, `NN_2.html` (共N页), `/contents/NN/MMM.html`, a multi-page
  content `MMM_2.html`; the report of `split_year` split over `split_pages` pages `MMM.html`,
  `MMM_2.html` … (上一页/1/2/3/下一页 at the bottom), its truth URL page 1.
* `json`: a 政府信息公开平台 column that is an empty shell filled from `/api/column/N?page=K` (JSON);
  attachments from `download.jsp?fileid=` as `application/octet-stream` with a Content-Disposition name.
* `generic`: `list.jsp?page=N` (共N页), `show.jsp?id=N`, PDF viewer links (`viewer.html?file=`),
  iframes, attachment names percent-encoded Chinese.

Reports before 2019 follow the pre-2019 统计表 format, 2019–2020 the 2019 template, later ones the
2021 template; every third year is published as a PDF only (notice page + attachment). An entry's
`missing` years have no report, and `published` ({"year" = "YYYY-MM-DD"}) overrides the publication
date of a year's report (gaps and late reports on purpose, for `nianbao coverage`).
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any
from urllib.parse import quote

DISTRACTORS = (
    ("{year}年部门预算公开", "budget"),
    ("{year}年度部门决算公开", "final"),
    ("{year}年度部门整体支出绩效自评报告", "perf"),
    ("{year}年法治政府建设年度报告", "law"),
    ("{year}年政务公开工作要点", "points"),
    ("{name}政府信息公开指南", "guide"),
    ("{year}年国民经济和社会发展统计公报", "stats"),
    ("{year}年工作总结和{next}年工作计划", "summary"),
)
_DISTRACTOR_BODY = {
    "budget": ["根据预算法有关规定，现将{name}{year}年部门预算公开如下。", "一、部门基本情况。", "二、收支预算总体情况：收入预算合计1862.37万元。"],
    "final": ["现将{name}{year}年度部门决算公开如下。", "一、部门职责。", "二、收入支出决算总体情况说明。"],
    "perf": ["根据财政部门要求，{name}对{year}年度部门整体支出开展了绩效自评。", "一、总体情况。", "二、绩效目标完成情况。"],
    "law": ["{year}年，{name}深入学习贯彻习近平法治思想，现将法治政府建设情况报告如下。", "一、总体情况", "二、主要举措和成效", "三、存在的问题", "四、下一步工作安排"],
    "points": ["为深入贯彻《中华人民共和国政府信息公开条例》，做好{year}年政务公开工作，制定本要点。", "一、加强政策解读。", "二、推进重点领域信息公开。"],
    "guide": ["为了更好地提供政府信息公开服务，编制本指南。", "一、主动公开。", "二、依申请公开。", "三、监督方式。"],
    "stats": ["{year}年，全区经济运行总体平稳。", "一、综合。全年地区生产总值128.6亿元。", "二、农业。"],
    "summary": ["{year}年，{name}在区委、区政府的坚强领导下，圆满完成各项工作任务。", "一、{year}年工作总结。", "二、{next}年工作计划。"],
}


def template_for(year: int) -> str:
    return "pre2019" if year < 2019 else ("2019" if year < 2021 else "2021")


def report_title(agency: str, year: int, style: int) -> str:
    """The title variants real sites use (sites.md §0)."""
    return (
        f"{agency}{year}年政府信息公开工作年度报告",
        f"{agency}{year}年度政府信息公开年报",
        f"{agency}{year}年度政府信息公开工作报告",
        f"{agency}关于{year}年政府信息公开工作情况的报告",
    )[style % 4] if year >= 2019 else (
        f"{agency}{year}年政府信息公开工作年度报告",
        f"{agency}{year}年政府信息公开年度报告",
        f"{agency}政府信息公开工作年度报告（{year}年度）",
    )[style % 3]


def make_record(template: str, agency: str, year: int, published: str) -> dict[str, Any]:
    """A complete report record of `template` for agency and year (numbers reproducible)."""
    from demo_site.seeds import load_seed

    rng = random.Random(f"{agency}-{year}")
    if template == "pre2019":
        record = copy.deepcopy(load_seed("002_491099f9f0af2def").gold)
        for row in record.get("legacy") or []:
            if isinstance(row.get("value"), int):
                row["value"] = rng.randint(0, 300)
    elif template == "2019":
        record = copy.deepcopy(load_seed("000_2a8c75b2ee657948").gold)
    else:
        from extractor.schema import REQUEST_COLUMN_KEYS, empty_active, empty_requests, empty_review

        record = {"template": "2021", "active": empty_active("2021"), "requests": empty_requests("2021"),
                  "review_litigation": empty_review(), "legacy": None}
        for key, row in record["active"].items():
            if key != "extra":
                for field in row:
                    row[field] = rng.randint(0, 40)
        for values in record["requests"].values():
            for col in REQUEST_COLUMN_KEYS:
                values[col] = 0
        for values in record["review_litigation"].values():
            for field in values:
                values[field] = 0
    record.update(agency=agency, year=year, template=template, published=published, is_report=True)
    return record


def prose(agency: str, year: int) -> dict[str, list[str]]:
    return {
        "overview": [f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，不断健全工作机制，"
                     f"全面推进决策、执行、管理、服务、结果公开，政府信息公开工作取得新成效。",
                     f"（一）主动公开。全年主动公开政府信息{180 + year % 50}条。"],
        "problems": [f"{year}年政府信息公开工作还存在公开内容不够全面、解读不够深入等问题。下一步将加强培训。"],
        "other": ["本机关未收取信息处理费。无其他需要报告的事项。"],
    }


class _Builder:
    def __init__(self, entry: dict[str, Any], ids: list[int]) -> None:
        self.e = entry
        self.prefix = entry["prefix"].rstrip("/")
        self.agency = entry["agency"]
        self.encoding = entry.get("encoding", "utf-8")
        self.ids = ids
        self.pages: list[dict[str, Any]] = []
        self.behaviours: list[dict[str, Any]] = []
        self.endpoints: list[dict[str, Any]] = []  # scripted lists' APIs (demo_site.scripted)
        self.gates: list[dict[str, str]] = []  # JavaScript cookie challenges in front of a prefix

    def next_id(self) -> int:
        self.ids[0] += 1
        return self.ids[0]

    def page(self, **d: Any) -> dict[str, Any]:
        d.setdefault("date", "2021-01-01")
        d.setdefault("site_name", self.agency)
        d.setdefault("platform", self.e["platform"])
        if self.encoding != "utf-8" and d.get("template") not in ("gen_pdf", "json_list", "hanweb_dataproxy", "script"):
            d.setdefault("encoding", self.encoding)
            d.setdefault("meta_charset", "gb2312")
        self.pages.append(d)
        return d

    def channel(self, links: list[list[str]], **extra: Any) -> dict[str, Any]:
        """The sub-site's home (`<prefix>/index.html`): a channel page linking its lists."""
        return self.page(path=f"{self.prefix}/index.html", kind="channel", template="channel", title=self.agency,
                         **extra, links=links)

    def years(self) -> list[int]:
        """The entry's years, newest first, less its `missing` years (reports never published)."""
        a, b = self.e["years"]
        missing = set(self.e.get("missing", []))
        return [y for y in range(b, a - 1, -1) if y not in missing]


def _report(b: _Builder, year: int, html_path: str, *, pdf_path: str | None = None, pdf_href: str | None = None,
            embed: str = "link", alias: str | None = None, title: str | None = None,
            pdf_extra: dict[str, Any] | None = None, agency: str | None = None) -> None:
    """A report page for `year` (HTML report, or notice + PDF attachment when pdf_path is given)."""
    template = template_for(year)
    day = 5 + (year * 7) % 23
    date = f"{year + 1}-0{1 + year % 3}-{day:02d}"
    date = b.e.get("published", {}).get(str(year), date)  # an entry's own dates (late reports)
    agency = agency or b.agency
    title = title or report_title(agency, year, year)
    gen = {"report_key": f"{b.prefix}-{agency}-{year}", "agency": agency, "year": year, "template": template,
           "published": date}
    if pdf_path is None:
        b.page(path=html_path, kind="report", template="gen_report", title=title, date=date, report=True,
               primary=True, gen=gen)
        return
    b.page(path=html_path, kind="report", template="gen_notice", title=title, date=date, report=True,
           gen=gen, attachments=[[title + ".pdf", pdf_href or pdf_path]], embed=embed)
    pdf = {"path": pdf_path, "kind": "attachment", "template": "gen_pdf", "title": title, "date": date,
           "report": True, "primary": True, "gen": gen, **(pdf_extra or {})}
    if alias:
        pdf["aliases"] = [alias]
    b.page(**pdf)


def _split_report(b: _Builder, year: int, path: str, count: int) -> None:
    """An HTML report split by SiteServer's page break into `path`, `path_2` … `path_<count>`."""
    _report(b, year, path)
    first = b.pages[-1]
    parts = [path.replace(".html", f"_{n}.html") for n in range(2, count + 1)]
    pager = [[str(n), p] for n, p in enumerate([path, *parts], start=1)]
    first.update(template="gen_report_pages", page_no=1, page_count=count, parts=parts, links=pager)
    for n, part in enumerate(parts, start=2):
        b.page(path=part, kind="part", template="gen_report_pages", title=first["title"], date=first["date"],
               gen=first["gen"], page_no=n, page_count=count, first=path, links=pager)


def _distractors(b: _Builder, make_path: Any) -> list[str]:
    paths = []
    for i, (pattern, key) in enumerate(DISTRACTORS):
        year = 2018 + i % 5
        title = pattern.format(year=year, next=year + 1, name=b.agency)
        if key not in ("stats", "points", "guide") or i % 2 == 0:
            title = b.agency + title if not title.startswith(b.agency) else title
        body = [p.format(year=year, next=year + 1, name=b.agency) for p in _DISTRACTOR_BODY[key]]
        path = make_path(i, year)
        b.page(path=path, kind="article", template="article", title=title, date=f"{year + 1}-02-1{i}", body=body)
        paths.append(path)
    return paths


def build_trs(b: _Builder) -> None:
    p = b.prefix
    items = []
    for i, year in enumerate(b.years()):
        docid = b.next_id()
        month = f"{year + 1}01"
        path = f"{p}/zfxxgknb/{month}/t{month}{10 + i % 18:02d}_{docid}.html"
        if i % 3 == 2:
            _report(b, year, path, pdf_path=f"{p}/zfxxgknb/{month}/P0{month}{docid}{year}.pdf")
        else:
            _report(b, year, path)
        items.append(path)
    distractors = _distractors(b, lambda i, y: f"{p}/fdzdgknr/{y + 1}02/t{y + 1}021{i}_{b.next_id()}.html")
    items.insert(3, distractors[3])  # a 法治政府建设年度报告 misfiled in the 年报 column
    size = int(b.e.get("page_size", 5))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    for n, chunk in enumerate(chunks):
        b.page(path=f"{p}/zfxxgknb/index.html" if n == 0 else f"{p}/zfxxgknb/index_{n}.html", kind="list",
               template="list", title="政府信息公开年报", page_count=len(chunks), page_index=n, items=chunk)
    b.page(path=f"{p}/fdzdgknr/index.html", kind="list", template="list", title="法定主动公开内容",
           items=[d for d in distractors if d != distractors[3]])
    b.channel([["政府信息公开年报", f"{p}/zfxxgknb/index.html"], ["法定主动公开内容", f"{p}/fdzdgknr/index.html"]])


def build_hanweb(b: _Builder) -> None:
    p = b.prefix
    col, other = b.e.get("column", 1001), b.e.get("column", 1001) + 1
    records = []
    for i, year in enumerate(b.years()):
        art = b.next_id()
        path = f"{p}/art/{year + 1}/{1 + i % 3}/{5 + i}/art_{col}_{art}.html"
        if i % 3 == 1:
            name = f"{art:08x}{year}.pdf"
            down = f"{p}/module/download/downfile.jsp?classid=0&filename={name}"
            attach = f"{p}/attach/0/{name}"
            b.behaviours.append({"path": down, "status": 302, "redirect": attach})
            # on its own sub-site the title often leaves the agency out
            _report(b, year, path, pdf_path=attach, pdf_href=down, alias=down,
                    title=f"{year}年政府信息公开工作年度报告" if year >= 2019 else None)
            b.pages[-2]["preview"] = attach  # 在线预览 links the file itself
        else:
            _report(b, year, path)
        records.append(path)
    distractors = _distractors(b, lambda i, y: f"{p}/art/{y + 1}/2/{10 + i}/art_{other}_{b.next_id()}.html")
    perpage = int(b.e.get("perpage", 3))
    b.page(path=f"{p}/col/col{col}/index.html", kind="list", template="hanweb_column", title="政府信息公开年报",
           items=records, column=col, perpage=perpage, unitid=b.e.get("unitid", 5501), webid=b.e.get("webid", 12))
    b.page(path=f"{p}/col/col{other}/index.html", kind="list", template="hanweb_column", title="法定主动公开内容",
           items=distractors, column=other, perpage=20, unitid=b.e.get("unitid", 5501), webid=b.e.get("webid", 12))
    b.channel([["政府信息公开年报", f"{p}/col/col{col}/index.html;jsessionid=8F3A2C0D9B1E"],
               ["法定主动公开内容", f"{p}/col/col{other}/index.html;jsessionid=8F3A2C0D9B1E"]])


def build_siteserver(b: _Builder) -> None:
    p = b.prefix
    ch = b.e.get("channel", 21)
    items = []
    for i, year in enumerate(b.years()):
        cid = b.next_id()
        path = f"{p}/contents/{ch}/{cid}.html"
        if i % 3 == 0:
            guid = f"{cid:x}{year}"
            _report(b, year, path, pdf_path=f"{p}/upload/files/{year + 1}/1/{guid}.pdf")
        elif year == b.e.get("split_year"):
            _split_report(b, year, path, int(b.e.get("split_pages", 3)))
        else:
            _report(b, year, path)
        items.append(path)
    distractors = _distractors(b, lambda i, y: f"{p}/contents/{ch + 1}/{b.next_id()}.html")
    guide = distractors[5]
    next(d for d in b.pages if d["path"] == guide)["links"] = [["下一页", guide.replace(".html", "_2.html")]]
    b.page(path=guide.replace(".html", "_2.html"), kind="article", template="article",
           title=f"{b.agency}政府信息公开指南", body=["四、收费标准。不收取费用。", "五、监督方式。"], date="2020-06-01")
    size = int(b.e.get("page_size", 5))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    for n, chunk in enumerate(chunks):
        b.page(path=f"{p}/channels/{ch}.html" if n == 0 else f"{p}/channels/{ch}_{n + 1}.html", kind="list",
               template="siteserver_channel", title="政府信息公开年报", items=chunk, page_count=len(chunks),
               page_index=n, channel=ch)
    b.page(path=f"{p}/channels/{ch + 1}.html", kind="list", template="siteserver_channel", title="法定主动公开内容",
           items=distractors, page_count=1, page_index=0, channel=ch + 1)
    b.channel([["政府信息公开年报", f"{p}/channels/{ch}.html"], ["法定主动公开内容", f"{p}/channels/{ch + 1}.html"]],
              generator="SiteServer CMS")


def build_json(b: _Builder) -> None:
    p = b.prefix
    col = b.e.get("column", 601)
    articles = []
    for unit in [b.agency, *b.e.get("units", [])]:
        years = b.years() if unit == b.agency else [y for y in b.years() if y >= 2021][:4]
        for i, year in enumerate(years):
            post = b.next_id()
            path = f"{p}/content/post_{post}.html"
            if i % 3 == 2:
                fileid = b.next_id()
                title = report_title(unit, year, year)
                name = quote(title + ".pdf", safe="")
                _report(b, year, path, pdf_path=f"{p}/download.jsp?fileid={fileid}", title=title, pdf_extra={
                    "content_type": "application/octet-stream",
                    "headers": {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}}, agency=unit)
            else:
                _report(b, year, path, title=report_title(unit, year, year), agency=unit)
            articles.append(path)
    size = int(b.e.get("page_size", 5))
    chunks = [articles[i:i + size] for i in range(0, len(articles), size)]
    for n, chunk in enumerate(chunks):
        b.page(path=f"{p}/api/column/{col}?page={n + 1}", kind="api", template="json_list", title="api",
               items=chunk, total=len(articles), page_size=size, column=col)
    distractors = _distractors(b, lambda i, y: f"{p}/content/post_{b.next_id()}.html")
    b.page(path=f"{p}/api/column/{col + 1}?page=1", kind="api", template="json_list", title="api",
           items=distractors, total=len(distractors), page_size=len(distractors), column=col + 1)
    b.page(path=f"{p}/index.html", kind="channel", template="json_shell", title="政府信息公开平台", column=col)


def build_generic(b: _Builder) -> None:
    p = b.prefix
    items = []
    embeds = ("viewer", "iframe", "encoded")
    for i, year in enumerate(b.years()):
        sid = b.next_id()
        path = f"{p}/show.jsp?id={sid}"
        if i % 2 == 0:
            title = report_title(b.agency, year, year)
            embed = embeds[(i // 2) % 3]
            pdf = f"{p}/upload/{year + 1}/2/{quote(title)}.pdf" if embed == "encoded" else f"{p}/upload/{year + 1}/2/{sid}.pdf"
            _report(b, year, path, pdf_path=pdf, embed=embed, title=title)
        else:
            _report(b, year, path)
        items.append(path)
    distractors = _distractors(b, lambda i, y: f"{p}/show.jsp?id={b.next_id()}")
    items = items[:4] + distractors[:2] + items[4:]
    size = int(b.e.get("page_size", 6))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    for n, chunk in enumerate(chunks):
        b.page(path=f"{p}/list.jsp?page={n + 1}", kind="list", template="generic_list", title="信息公开年报",
               items=chunk, page_count=len(chunks), page_index=n, base=f"{p}/list.jsp")
    b.page(path=f"{p}/other.jsp?page=1", kind="list", template="generic_list", title="法定主动公开内容",
           items=distractors[2:], page_count=1, page_index=0, base=f"{p}/other.jsp")
    b.channel([["信息公开年报", f"{p}/list.jsp?page=1"], ["法定主动公开内容", f"{p}/other.jsp?page=1"]])


BUILDERS = {"trs": build_trs, "hanweb": build_hanweb, "siteserver": build_siteserver, "json": build_json,
            "generic": build_generic}


def expand(description: dict[str, Any]) -> dict[str, Any]:
    """The description with every `[[subsite]]` turned into pages and behaviours, plus a channel
    page listing the sub-sites (`[site] subsites_path`)."""
    subsites = description.get("subsite") or []
    if not subsites:
        return description
    from demo_site.scripted import BUILDERS as SCRIPTED

    out = {**description, "page": list(description.get("page", [])),
           "behaviour": list(description.get("behaviour", [])), "endpoint": [], "gate": []}
    ids = [int(description.get("site", {}).get("first_id", 2100000))]
    links = []
    for entry in subsites:
        b = _Builder(entry, ids)
        {**BUILDERS, **SCRIPTED}[entry["platform"]](b)
        out["page"] += b.pages
        out["behaviour"] += b.behaviours
        out["endpoint"] += b.endpoints
        out["gate"] += b.gates
        links.append([entry["agency"], entry["prefix"].rstrip("/") + "/index.html"])
    path = description.get("site", {}).get("subsites_path")
    if path:
        out["page"].append({"path": path, "kind": "channel", "template": "channel", "title": "部门信息公开",
                            "date": "2021-03-10", "links": links})
    return out


def json_body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
