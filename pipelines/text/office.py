"""Office documents: DOCX (python-docx, tables kept with merged cells), DOC and WPS (LibreOffice
headless when installed, converted to DOCX; otherwise antiword, then catdoc), XLS (xlrd), XLSX
(openpyxl) and OFD (text objects of the page XML). Tables come out as rows of tab-separated cells,
like every other extractor's."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.limits import OverCap, limits, note_cut
from pipelines.text.common import clean_cell

SOFFICE_TIMEOUT = 180
TOOL_TIMEOUT = 60
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class OfficeText:
    text: str
    extractor: str
    error: str | None = None
    title: str | None = None
    quality: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- DOCX
def _para_text(p) -> str:
    parts: list[str] = []
    for node in p.iter():
        tag = node.tag
        if tag == W + "t" and node.text:
            parts.append(node.text)
        elif tag == W + "tab":
            parts.append("\t")
        elif tag in (W + "br", W + "cr"):
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    return clean_cell(" ".join(_para_text(p) for p in tc.iter(W + "p"))).replace("\t", " ")


def _span(value: str | None, default: int, cap: int) -> int:
    """A gridSpan / gridBefore count, at most `cap` (a hostile 1e8 would be a 100-million-cell row)."""
    try:
        n = max(0, int(value if value is not None else default))
    except ValueError:
        return default
    if n > cap:
        note_cut(f"a table row spans {n:,} columns; cut to {cap:,} (NIANBAO_MAX_TABLE_COLUMNS)")
        return cap
    return n


def _docx_table(tbl) -> list[str]:
    """A Word table as a full grid: gridSpan and vMerge expanded, merged text in the first slot."""
    cap = limits()
    grid: list[list[str]] = []
    n_cells = 0
    for tr in tbl.iterchildren(W + "tr"):
        if len(grid) >= cap.table_rows or n_cells >= cap.table_cells:
            note_cut(f"table cut at {len(grid):,} rows / {n_cells:,} cells "
                     f"(NIANBAO_MAX_TABLE_ROWS, NIANBAO_MAX_TABLE_CELLS)")
            break
        row: list[str] = []
        skip = tr.find(f"{W}trPr/{W}gridBefore")
        if skip is not None:
            row.extend([""] * _span(skip.get(W + "val"), 0, cap.table_columns))
        for tc in tr.iterchildren(W + "tc", W + "sdt"):
            cells = [tc] if tc.tag == W + "tc" else list(tc.iter(W + "tc"))
            for cell in cells:
                props = cell.find(W + "tcPr")
                span = 1
                continued = False
                if props is not None:
                    gs = props.find(W + "gridSpan")
                    if gs is not None:
                        span = max(1, _span(gs.get(W + "val"), 1, cap.table_columns))
                    vm = props.find(W + "vMerge")
                    if vm is not None and vm.get(W + "val", "continue") != "restart":
                        continued = True
                if len(row) + span > cap.table_columns:
                    note_cut(f"a table row cut to {cap.table_columns:,} cells (NIANBAO_MAX_TABLE_COLUMNS)")
                    span = max(1, cap.table_columns - len(row))
                    if len(row) >= cap.table_columns:
                        break
                row.append("" if continued else _cell_text(cell))
                row.extend([""] * (span - 1))
        if len(row) > cap.table_columns:
            note_cut(f"a table row of {len(row):,} cells cut to {cap.table_columns:,} (NIANBAO_MAX_TABLE_COLUMNS)")
            del row[cap.table_columns:]
        n_cells += len(row)
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    out = []
    for r in grid:
        r = r + [""] * (width - len(r))
        if any(r):
            out.append("\t".join(r))
    return out


def check_unpacked(body: bytes, kind: str) -> None:
    """Refuse a zip container (DOCX, XLSX, OFD) one of whose parts unpacks beyond NIANBAO_MAX_UNPACKED_MB
    (zipfile never returns more than a member's declared size, so the declared sizes bound the work)."""
    cap = limits().unpacked_bytes
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        for info in zf.infolist():
            if info.file_size > cap:
                raise OverCap(f"{kind}: part {info.filename} unpacks to {info.file_size / 2**20:,.0f} MB, over "
                              f"{cap // 2**20} MB (NIANBAO_MAX_UNPACKED_MB); not read")


def docx_text(body: bytes) -> str:
    import docx

    check_unpacked(body, "docx")
    document = docx.Document(io.BytesIO(body))
    lines: list[str] = []

    def walk(parent, depth: int = 0) -> None:
        if depth > limits().nesting:
            note_cut(f"content controls nested deeper than {limits().nesting} levels not read (NIANBAO_MAX_NESTING)")
            return
        for child in parent.iterchildren():
            if child.tag == W + "p":
                lines.append(_para_text(child))
            elif child.tag == W + "tbl":
                lines.append("")
                lines.extend(_docx_table(child))
                lines.append("")
            elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
                walk(child if child.tag != W + "sdt" else (child.find(W + "sdtContent") or child), depth + 1)

    walk(document.element.body)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- DOC / WPS
def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_convert(body: bytes, src_ext: str, target: str) -> bytes:
    """Convert with LibreOffice headless, in a private profile so parallel workers do not collide."""
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        src = Path(tmp) / f"in.{src_ext}"
        src.write_bytes(body)
        outdir = Path(tmp) / "out"
        proc = subprocess.run(
            [exe, f"-env:UserInstallation=file://{Path(tmp) / 'profile'}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(outdir), str(src)],
            capture_output=True, timeout=SOFFICE_TIMEOUT, env={**os.environ, "HOME": tmp},
        )
        produced = list(outdir.iterdir()) if outdir.exists() else []
        if not produced:
            raise RuntimeError(f"LibreOffice could not convert it (exit {proc.returncode}: "
                               f"{proc.stderr.decode('utf-8', 'replace').strip()[:200]})")
        return produced[0].read_bytes()


def _run(cmd: list[str], body: bytes, suffix: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(body)
        f.flush()
        proc = subprocess.run(cmd + [f.name], capture_output=True, timeout=TOOL_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip()[:200] or f"exit {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


_ANTIWORD_ROW = re.compile(r"^\|(.*)\|\s*$")


def antiword_text(body: bytes) -> str:
    """antiword's text, with its `|cell |cell |` table rows turned into tab-separated cells."""
    if shutil.which("antiword") is None:
        raise RuntimeError("antiword is not installed")
    raw = _run(["antiword", "-w", "0", "-m", "UTF-8.txt"], body, ".doc")
    out = []
    for line in raw.splitlines():
        m = _ANTIWORD_ROW.match(line)
        out.append("\t".join(c.strip() for c in m.group(1).split("|")) if m else line)
    return "\n".join(out)


def catdoc_text(body: bytes) -> str:
    if shutil.which("catdoc") is None:
        raise RuntimeError("catdoc is not installed")
    return _run(["catdoc", "-d", "utf-8", "-w"], body, ".doc")


def word_binary_text(kind: str, body: bytes) -> tuple[str, str, list[str]]:
    """(text, extractor, problems) of a DOC or WPS file, best tool first."""
    problems: list[str] = []
    if body.lstrip()[:5] == b"{\\rtf":
        pass  # RTF saved as .doc: only LibreOffice and catdoc read it
    if soffice_path():
        try:
            return docx_text(soffice_convert(body, kind, "docx:MS Word 2007 XML")), "soffice+python-docx", problems
        except Exception as exc:  # noqa: BLE001
            problems.append(f"LibreOffice failed ({exc})")
    for name, fn in (("antiword", antiword_text), ("catdoc", catdoc_text)):
        try:
            text = fn(body)
            if text.strip():
                return text, name, problems
            problems.append(f"{name} found no text")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{name} failed ({exc})")
    return "", "none", problems


# ---------------------------------------------------------------------------------------- XLS/XLSX
def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_cell(str(value)).replace("\t", " ")


def _sheet_lines(title: str, rows: Iterable[Iterable[object]]) -> list[str]:
    """A sheet as its title, then one tab-separated line per non-empty row, then a blank line (at most
    NIANBAO_MAX_TABLE_ROWS rows and NIANBAO_MAX_TABLE_COLUMNS cells a row are read)."""
    cap = limits()
    lines = [title]
    for n, row in enumerate(rows):
        if n >= cap.table_rows:
            note_cut(f"sheet {title}: cut at {cap.table_rows:,} rows (NIANBAO_MAX_TABLE_ROWS)")
            break
        cells = [_fmt(v) for _, v in zip(range(cap.table_columns), row, strict=False)]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            lines.append("\t".join(cells))
    lines.append("")
    return lines


def xlsx_text(body: bytes) -> str:
    import openpyxl

    check_unpacked(body, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(body), read_only=False, data_only=True)
    lines: list[str] = []
    cap = limits()
    for ws in wb.worksheets:
        if ws.max_row > cap.table_rows or ws.max_column > cap.table_columns:
            note_cut(f"sheet {ws.title}: {ws.max_row:,} rows x {ws.max_column:,} columns read as at most "
                     f"{cap.table_rows:,} x {cap.table_columns:,} (NIANBAO_MAX_TABLE_ROWS, NIANBAO_MAX_TABLE_COLUMNS)")
        rows = ws.iter_rows(max_row=min(ws.max_row, cap.table_rows), max_col=min(ws.max_column, cap.table_columns),
                            values_only=True)
        lines += _sheet_lines(ws.title, rows)
    return "\n".join(lines)


def xls_text(body: bytes) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=body)
    lines: list[str] = []
    for sheet in book.sheets():
        cols = min(sheet.ncols, limits().table_columns)
        lines += _sheet_lines(sheet.name, (sheet.row_values(r, 0, cols) for r in range(sheet.nrows)))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- OFD
def ofd_text(body: bytes) -> str:
    """Text objects of every OFD page, grouped into lines by their y position."""
    from lxml import etree

    from pipelines.text.layout import Glyph, assemble

    check_unpacked(body, "ofd")
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        pages = sorted(
            (n for n in zf.namelist() if re.search(r"Pages/Page_?\d+/Content\.xml$", n, re.IGNORECASE)),
            key=lambda n: int(re.search(r"Page_?(\d+)", n).group(1)),
        )
        out: list[str] = []
        for name in pages:
            root = etree.fromstring(zf.read(name))
            glyphs = []
            for obj in root.iter("{*}TextObject"):
                bx = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4]]
                size = float(obj.get("Size") or bx[3] or 3)
                for code in obj.iter("{*}TextCode"):
                    text = code.text or ""
                    x = bx[0] + float(code.get("X") or 0)
                    y = bx[1] + float(code.get("Y") or 0)
                    glyphs.append(Glyph(x, x + size * max(1, len(text)), y - size, y, text))
            out.extend(assemble(glyphs))
            out.append("")
    return "\n".join(out)


def extract_office(kind: str, body: bytes) -> OfficeText:
    """Text of a DOCX/DOC/WPS/XLS/XLSX/OFD body; failures are recorded in `error`."""
    try:
        if kind == "docx":
            return OfficeText(docx_text(body), "python-docx")
        if kind in ("doc", "wps"):
            text, extractor, problems = word_binary_text(kind, body)
            error = None if text.strip() else f"{kind}: no text extracted ({'; '.join(problems)})"
            return OfficeText(text, extractor, error, quality={"problems": problems} if problems else {})
        if kind == "xlsx":
            return OfficeText(xlsx_text(body), "openpyxl")
        if kind == "xls":
            return OfficeText(xls_text(body), "xlrd")
        if kind == "ofd":
            return OfficeText(ofd_text(body), "ofd-xml")
    except OverCap as exc:
        note_cut(str(exc))
        return OfficeText("", "none", str(exc))
    except MemoryError:
        raise  # textify names the memory cap
    except Exception as exc:  # noqa: BLE001 - never raise on a bad document
        return OfficeText("", "none", f"corrupt {kind.upper()}: {type(exc).__name__}: {exc}")
    return OfficeText("", "none", f"unsupported office kind {kind!r}")
