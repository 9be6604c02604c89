"""Generate test documents (HTML in several encodings, text PDFs, scanned PDFs, DOCX, DOC/WPS) from a
report text whose table rows are tab-separated cells. Everything is built at test time."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

FONT = "STSong-Light"


def _register_font() -> None:
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


def _wrap(text: str, width: float, size: float) -> list[str]:
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

    _register_font()
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
            for line in _wrap(data[0], right - left, 11):
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
                wrapped = [_wrap(cell, xs[ci + 1] - xs[ci] - 4, size) if cell else [] for ci, cell in enumerate(r)]
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
    """Convert with LibreOffice headless (`target` like "doc:MS Word 97")."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{src_ext}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
             "--outdir", str(Path(tmp) / "out"), str(src)],
            check=True, capture_output=True, timeout=180,
        )
        out = next((Path(tmp) / "out").iterdir())
        return out.read_bytes()
