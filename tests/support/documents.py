"""Generate test documents (HTML in several encodings, text PDFs, scanned PDFs, DOCX, DOC/WPS) from a
report text whose table rows are tab-separated cells. Everything is built at test time."""

from __future__ import annotations

import io
import re
import shutil

import pytest

FONT = "STSong-Light"


def register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def blocks(text: str) -> list[tuple[str, list]]:
    """Split a report text into ("p", line) and ("table", rows) blocks; consecutive lines holding tabs
    form one table."""
    out: list[tuple[str, list]] = []
    for line in text.splitlines():
        if "\t" in line:
            cells = line.split("\t")
            if out and out[-1][0] == "table":
                out[-1][1].append(cells)
            else:
                out.append(("table", [cells]))
        elif line.strip():
            out.append(("p", [line.strip()]))
    return out


def wrap_lines(text: str, width: float, size: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ""
    for ch in text:
        if stringWidth(cur + ch, FONT, size) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines or [""]


def text_pdf(text: str, *, rows_per_page: int | None = None, page_numbers: bool = True,
             header: str | None = None) -> bytes:
    """A text PDF (CID font STSong-Light): paragraphs wrapped, tables drawn as ruled grids; long cell
    text wraps inside its cell as in real reports. `rows_per_page` forces page breaks inside
    tables (the next page repeats the table's first row, as real reports do)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    register_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    left, right, top, bottom = 50, width - 50, height - 60, 60
    state = {"y": top, "page": 1}

    def new_page():
        if page_numbers:
            c.setFont(FONT, 9)
            c.drawCentredString(width / 2, 30, f"- {state['page']} -")
        c.showPage()
        state["page"] += 1
        state["y"] = top
        if header:
            c.setFont(FONT, 9)
            c.drawString(left, height - 40, header)

    if header:
        c.setFont(FONT, 9)
        c.drawString(left, height - 40, header)
    for kind, data in blocks(text):
        if kind == "p":
            for line in wrap_lines(data[0], right - left, 11):
                if state["y"] < bottom + 14:
                    new_page()
                c.setFont(FONT, 11)
                c.drawString(left, state["y"], line)
                state["y"] -= 16
            continue
        rows = data
        ncols = max(len(r) for r in rows)
        label_cols = max(1, min(3, ncols - 1))
        weights = [3.0 if i < label_cols and ncols > 4 else 1.0 for i in range(ncols)]
        total = sum(weights)
        xs = [left]
        for w in weights:
            xs.append(xs[-1] + (right - left) * w / total)
        row_h = 16
        state["y"] -= 4
        in_page = 0
        for ri, row in enumerate(rows):
            if state["y"] - row_h < bottom or (rows_per_page and in_page >= rows_per_page):
                new_page()
                in_page = 0
                rows_to_draw = [rows[0], row] if ri > 0 else [row]
            else:
                rows_to_draw = [row]
            for r in rows_to_draw:
                size = 7.5
                wrapped = [wrap_lines(cell, xs[ci + 1] - xs[ci] - 4, size) if cell else [] for ci, cell in enumerate(r)]
                n_lines = max([len(w) for w in wrapped] + [1])
                row_h = n_lines * (size + 2) + 5
                if state["y"] - row_h < bottom:
                    new_page()
                y_top = state["y"]
                y_bot = y_top - row_h
                c.setLineWidth(0.5)
                c.line(xs[0], y_top, xs[-1], y_top)
                c.line(xs[0], y_bot, xs[-1], y_bot)
                for x in xs:
                    c.line(x, y_top, x, y_bot)
                c.setFont(FONT, size)
                for ci, cell_lines in enumerate(wrapped):
                    for li, text_line in enumerate(cell_lines):
                        c.drawString(xs[ci] + 2, y_top - 3 - (li + 1) * (size + 2) + 2, text_line)
                state["y"] = y_bot
                in_page += 1
        state["y"] -= 12
    if page_numbers:
        c.setFont(FONT, 9)
        c.drawCentredString(width / 2, 30, f"- {state['page']} -")
    c.save()
    return buf.getvalue()


def turned_pdf(pdf: bytes, rotation: int) -> bytes:
    """The PDF with every page turned by `rotation` degrees clockwise (its /Rotate), content unchanged."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    for i in range(len(doc)):
        doc[i].set_rotation(rotation)
    buf = io.BytesIO()
    doc.save(buf)
    doc.close()
    return buf.getvalue()


def scanned_pdf(pdf: bytes, dpi: int = 200) -> bytes:
    """The PDF rendered to page images (pdfium) and wrapped again as an image-only PDF."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    images: list[Image.Image] = []
    for i in range(len(doc)):
        page = doc[i]
        images.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
        page.close()
    doc.close()
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def pdftoppm_jpegs(pdf: bytes, dpi: int, workdir: str, *, first: int | None = None,
                   last: int | None = None) -> list[bytes]:
    """Grey JPEG page images of a PDF as poppler's `pdftoppm -gray -jpeg` renders them, as a scanner
    would deliver them; made in `workdir` (a temporary folder) and read back."""
    import os
    import subprocess
    from pathlib import Path

    src = Path(workdir) / "source.pdf"
    src.write_bytes(pdf)
    prefix = Path(workdir) / f"page{dpi}"
    cmd = ["pdftoppm", "-r", str(dpi), "-gray", "-jpeg"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    subprocess.run([*cmd, str(src), str(prefix)], check=True, capture_output=True, timeout=300)
    files = sorted(Path(workdir).glob(f"{prefix.name}-*.jpg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    out = [p.read_bytes() for p in files]
    for p in [*files, src]:
        os.unlink(p)
    return out


def jpeg_pdf(jpegs: list[bytes], dpi: float) -> bytes:
    """An image-only PDF holding the JPEG bytes as they are (DCTDecode, no re-encoding), one page per
    image, each page sized so that its image is `dpi` dots per inch: what a scanner's PDF export is."""
    from PIL import Image

    objects: list[bytes] = []
    kids = []
    for jpeg in jpegs:
        with Image.open(io.BytesIO(jpeg)) as im:
            width, height, mode = im.width, im.height, im.mode
        space = "/DeviceGray" if mode == "L" else "/DeviceRGB"
        w_pt, h_pt = width * 72.0 / dpi, height * 72.0 / dpi
        base = 3 + len(objects)
        page, image, content = base, base + 1, base + 2
        kids.append(f"{page} 0 R")
        draw = f"q {w_pt:.2f} 0 0 {h_pt:.2f} 0 0 cm /Im0 Do Q".encode()
        objects.append((f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.2f} {h_pt:.2f}] "
                        f"/Resources << /XObject << /Im0 {image} 0 R >> >> /Contents {content} 0 R >>").encode())
        objects.append((f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} "
                        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n").encode()
                       + jpeg + b"\nendstream")
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode(), *objects]
    buf = io.BytesIO()
    buf.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(buf.tell())
        buf.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = buf.tell()
    buf.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        buf.write(f"{off:010d} 00000 n \n".encode())
    buf.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return buf.getvalue()


def docx_bytes(text: str) -> bytes:
    """A DOCX with paragraphs and real Word tables (python-docx)."""
    import docx

    d = docx.Document()
    for kind, data in blocks(text):
        if kind == "p":
            d.add_paragraph(data[0])
            continue
        ncols = max(len(r) for r in data)
        table = d.add_table(rows=len(data), cols=ncols)
        table.style = "Table Grid"
        for ri, row in enumerate(data):
            for ci in range(ncols):
                table.cell(ri, ci).text = row[ci] if ci < len(row) else ""
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_soffice(data: bytes, src_ext: str, target: str) -> bytes:
    """Convert with LibreOffice headless (`target` like "doc:MS Word 97"); RuntimeError if it cannot."""
    from pipelines.text.office import soffice_convert

    return soffice_convert(data, src_ext, target)


# ------------------------------------------------------------------------------------ HTML portals
PORTAL_HEAD = """<!DOCTYPE html>
<html><head>{meta}<title>{title}_某某区人民政府门户网站</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav li {{ float: left }}</style></head><body>
<div class="top-bar">欢迎访问某某区人民政府门户网站 <a href="/wza">无障碍</a> <a href="/m">手机版</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li></ul></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>
<div class="main"><div class="article">
<div class="article-title"><h1>{title}</h1></div>
<div class="article-info">发布时间：{date} &nbsp; 来源：{agency} &nbsp; 浏览次数：128 &nbsp; 字号：[ <a>大</a> <a>中</a> <a>小</a> ]</div>
<div class="article-content" id="zoom">
"""
PORTAL_TAIL = """</div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="share">分享到：<a>微信</a> <a>微博</a></div>
{pager}
</div></div>
<div class="footer"><p>主办单位：某某区人民政府办公室 &nbsp; 承办单位：某某区大数据中心</p>
<p>版权所有：某某区人民政府 &nbsp; 京ICP备12345678号-1 &nbsp; 京公网安备11010102000001号 &nbsp; 网站标识码：1101010001</p></div>
</body></html>"""


def report_body_html(record: dict) -> str:
    """The inner content (between <body> and </body>, minus the <h1>) of the rendered report."""
    from demo_site.render import render_report_html

    page = render_report_html(record)
    body = page.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return re.sub(r"<h1>.*?</h1>", "", body, count=1, flags=re.DOTALL)


def portal_page(record: dict, inner: str, *, meta: str, pager: str = "") -> str:
    from demo_site.render import render_report_html

    title = re.search(r"<title>(.*?)</title>", render_report_html(record)).group(1)
    date = record.get("published") or "2021-01-20"
    return PORTAL_HEAD.format(meta=meta, title=title, date=date, agency=record.get("agency") or "") + inner + \
        PORTAL_TAIL.format(pager=pager)


def siteserver_pages(record: dict, parts: int = 3) -> list[str]:
    """The report as a SiteServer article split into `parts` pages (346.html, 346_2.html ...), each
    with the pager links and a stray `[SITESERVER_PAGE]` marker, split at block boundaries."""
    inner = report_body_html(record)
    blocks_ = re.findall(r"<(h2|p|table)\b.*?</\1>", inner, flags=re.DOTALL)
    blocks_ = [m.group(0) for m in re.finditer(r"<(h2|p|table)\b.*?</\1>", inner, flags=re.DOTALL)]
    size = -(-len(blocks_) // parts)
    chunks = [blocks_[i * size:(i + 1) * size] for i in range(parts)]
    names = ["346.html"] + [f"346_{i}.html" for i in range(2, parts + 1)]
    pages = []
    for i, chunk in enumerate(chunks):
        links = " ".join(
            f'<a href="{names[j]}">{j + 1}</a>' if j != i else f"<span>{j + 1}</span>" for j in range(parts)
        )
        pager = (f'<div class="pages"><a href="{names[0]}">首页</a> {links} '
                 f'<a href="{names[min(i + 1, parts - 1)]}">下一页</a> <a href="{names[-1]}">末页</a></div>')
        marker = '<p><span style="background-color:yellow">[SITESERVER_PAGE]</span></p>' if i < parts - 1 else ""
        pages.append(portal_page(record, "\n".join(chunk) + marker, meta='<meta charset="utf-8">', pager=pager))
    return pages


# ----------------------------------------------------------------------------------- corpus forms
FORMS = ("html_gbk_lying_meta", "html_utf8_merged", "siteserver_3_pages", "pdf_text", "pdf_split_table",
         "pdf_scanned", "docx", "doc", "wps")
NEEDS_SOFFICE = ("doc", "wps")


def build_form(record: dict, form: str) -> list[tuple[bytes, str, str | None]]:
    """The report in one form as the fetched bodies: [(body, url, content_type)]."""
    from demo_site.render import render_report_text

    text = render_report_text(record, "tabs")
    if form == "html_gbk_lying_meta":
        page = portal_page(record, report_body_html(record), meta='<meta http-equiv="Content-Type" content="text/html; charset=utf-8">')
        return [(page.encode("gbk"), "http://www.example.gov.cn/zwgk/ndbg/202101/t20210120_1.html", "text/html")]
    if form == "html_utf8_merged":
        page = portal_page(record, report_body_html(record), meta="<meta charset=UTF-8>")
        return [(page.encode("utf-8"), "http://www.example.gov.cn/art/2021/1/20/art_1_2.html", "text/html; charset=gb2312")]
    if form == "siteserver_3_pages":
        base = "http://www.example.gov.cn/contents/12/"
        return [(p.encode("utf-8"), base + name, "text/html")
                for p, name in zip(siteserver_pages(record), ("346.html", "346_2.html", "346_3.html"), strict=True)]
    if form == "pdf_text":
        return [(text_pdf(text), "http://www.example.gov.cn/upload/P020210120.pdf", "application/pdf")]
    if form == "pdf_split_table":
        return [(text_pdf(text, rows_per_page=14, header="某某区人民政府信息公开"), "http://x.gov.cn/a.pdf", None)]
    if form == "pdf_scanned":
        return [(scanned_pdf(text_pdf(text), dpi=200), "http://x.gov.cn/scan.pdf", "application/pdf")]
    if form == "docx":
        return [(docx_bytes(text), "http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=1.docx", None)]
    if form == "doc":
        return [(convert_with_soffice(docx_bytes(text), "docx", "doc:MS Word 97"), "http://x.gov.cn/upload/files/2021/1/a.doc", "application/msword")]
    if form == "wps":
        return [(convert_with_soffice(docx_bytes(text), "docx", "doc:MS Word 97"), "http://x.gov.cn/upload/files/2021/1/a.wps", "application/octet-stream")]
    raise ValueError(form)


TABLE = "\n".join(
    ["收到和处理政府信息公开申请情况", "项目\t自然人\t商业企业\t总计"]
    + [
        f"{i}.第{i}类申请的处理结果说明文字较长需要在单元格内换行显示\t{i}\t{i * 2}\t{i * 3}"
        for i in range(1, 31)
    ]
    + ["五、存在的主要问题及改进情况", "无。"]
)


def unmapped_pdf() -> bytes:
    """A PDF whose embedded TrueType font has no usable ToUnicode map: pdfminer emits (cid:NNN)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    try:
        pdfmetrics.registerFont(TTFont("WQYTest", path, subfontIndex=0))
    except Exception:  # noqa: BLE001
        pytest.skip(f"no CJK TrueType font at {path} (fonts-wqy-microhei)")
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("WQYTest", 14)
    c.drawString(60, 760, "政府信息公开工作年度报告")
    c.drawString(60, 730, "本年新收政府信息公开申请数量")
    c.save()
    return buf.getvalue().replace(b"/ToUnicode", b"/ToUnicodX")
