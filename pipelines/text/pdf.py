"""PDF text: pdfminer.six without its slow layout analysis (characters and ruling lines only; rows
and cells are rebuilt by `layout.assemble`) and with content streams read by one regular expression
(`pdf_content`), pages whose text runs sideways or upside down turned upright, `(cid:NNN)` pages
retried with pdfium, image-only pages OCRed, tables continued across pages joined, page furniture
dropped. Never raises."""

from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

from pipelines.limits import OverCap, bound_pdfminer_streams, limits, note_cut
from pipelines.text.common import failure_message, garbage_ratio, normalize_text
from pipelines.text.layout import Glyph, HRule, Rule, assemble

CID_RETRY_RATIO = 0.02
OCR_MIN_CHARS = 10
OCR_DPI = 300
# What one PDF may cost (a 500-page scanned compilation must not hold a parse worker for an hour);
# the pages left over are recorded as unread, and `nianbao reprocess --kind pdf` with a larger budget
# reads them later. Settings (pipelines.limits), handed to the parse workers with the other caps.
PDF_SECONDS_ENV, OCR_MAX_PAGES_ENV = "NIANBAO_PDF_SECONDS", "NIANBAO_OCR_MAX_PAGES"

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－_\s]*\d{1,4}[-—–－_\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|P\.?\s*\d{1,4}|Page\s+\d+(?:\s*(?:of|/)\s*\d+)?(?:\s*[-—].*)?|\d{1,4}\s*/\s*\d{1,4})\s*$",
    re.IGNORECASE,
)


@dataclass
class PdfText:
    text: str
    extractor: str
    pages: int = 0
    error: str | None = None
    quality: dict = field(default_factory=dict)


@dataclass
class _Page:
    lines: list[str]
    chars: int = 0
    cid: float = 0.0
    images: int = 0
    rules: list[Rule] = field(default_factory=list)
    source: str = "pdfminer"  # cid: share of unreadable output (see common.garbage_ratio)
    hrules: list[HRule] = field(default_factory=list)
    ocr_conf: float | None = None
    ocr_min: float | None = None
    rotation: int = 0  # the direction the text ran in, turned upright for assembly
    unmapped: bool = False  # pdfium's reading had unmapped glyphs (then pdfminer's was tried)


@dataclass
class _Budget:
    """Time and OCR pages one PDF may still use."""

    seconds: float
    ocr_pages: int
    start: float = field(default_factory=time.monotonic)

    @classmethod
    def from_env(cls) -> _Budget:
        """The budget in force (`pipelines.limits.limits`)."""
        caps = limits()
        return cls(caps.pdf_seconds, caps.ocr_max_pages)

    def spent(self) -> bool:
        return time.monotonic() - self.start > self.seconds

    def describe(self) -> str:
        return (
            f"the budget of one PDF ({self.seconds:g} s, {PDF_SECONDS_ENV}; {self.ocr_pages} OCR pages, "
            f"{OCR_MAX_PAGES_ENV}) ran out; raise it and run `nianbao reprocess --kind pdf`"
        )


@dataclass
class _Marks:
    """What one pdfminer page draws, in its device space (y up): characters with the direction
    their baseline runs (0, 90, 180 or 270 degrees), line and rectangle boxes, images."""

    chars: list[tuple[float, float, float, float, str, int]] = field(default_factory=list)
    shapes: list[tuple[float, float, float, float, bool]] = field(default_factory=list)  # (…, is_rect)
    images: int = 0


def _walk(items, marks: _Marks) -> None:
    from pdfminer.layout import LTChar, LTCurve, LTFigure, LTImage, LTLine, LTRect

    for item in items:
        if isinstance(item, LTChar):
            a, b = item.matrix[0], item.matrix[1]
            direction = 0 if a > abs(b) else 180 if -a > abs(b) else 90 if b > 0 else 270
            marks.chars.append((item.x0, item.y0, item.x1, item.y1, item.get_text(), direction))
        elif isinstance(item, LTFigure):
            _walk(item, marks)
        elif isinstance(item, LTImage):
            marks.images += 1
        elif isinstance(item, (LTLine, LTRect, LTCurve)):
            marks.shapes.append((item.x0, item.y0, item.x1, item.y1, isinstance(item, LTRect)))


def _text_rotation(marks: _Marks) -> int:
    """The direction most of the page's characters run in, when it is not left to right: a
    landscape table printed sideways on a portrait page, or a page upside down."""
    counts = Counter(map(itemgetter(5), marks.chars))
    direction, n = counts.most_common(1)[0] if counts else (0, 0)
    return direction if n > 0.5 * len(marks.chars) else 0


def _rotate_box(
    x0: float, y0: float, x1: float, y1: float, rotation: int
) -> tuple[float, float, float, float]:
    """A box turned by -`rotation` degrees, so that text running in that direction runs left to right."""
    if rotation == 90:
        return y0, -x1, y1, -x0
    if rotation == 180:
        return -x1, -y1, -x0, -y0
    if rotation == 270:
        return -y1, x0, -y0, x1
    return x0, y0, x1, y1


def _oriented(marks: _Marks, rotation: int, height: float) -> tuple[list[Glyph], list[Rule], list[HRule]]:
    """Glyphs and ruling lines in a top-down frame (y = `height` - y) in which text turned by
    `rotation` reads left to right."""
    rules: list[Rule] = []
    hrules: list[HRule] = []
    if rotation:
        boxes = [(*_rotate_box(x0, y0, x1, y1, rotation), text, d) for x0, y0, x1, y1, text, d in marks.chars]
        shapes = [
            (*_rotate_box(x0, y0, x1, y1, rotation), is_rect) for x0, y0, x1, y1, is_rect in marks.shapes
        ]
    else:
        boxes, shapes = marks.chars, marks.shapes
    chars = [Glyph(x0, x1, height - y1, height - y0, text) for x0, y0, x1, y1, text, _d in boxes]
    for x0, y0, x1, y1, is_rect in shapes:
        w, h = x1 - x0, y1 - y0
        if w <= 2.5 and h > 4:
            rules.append(Rule((x0 + x1) / 2, height - y1, height - y0))
        elif h <= 2.5 and w > 4:
            hrules.append(HRule(height - (y0 + y1) / 2, x0, x1))
        elif is_rect and w > 2.5 and h > 2.5:
            rules.append(Rule(x0, height - y1, height - y0))
            rules.append(Rule(x1, height - y1, height - y0))
            hrules.append(HRule(height - y1, x0, x1))
            hrules.append(HRule(height - y0, x0, x1))
    return chars, rules, hrules


class _DebugOff:
    """A pdfminer module logger whose `debug` does nothing; everything else goes to the real logger."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def debug(self, *args: object, **kwargs: object) -> None:
        pass

    def __getattr__(self, name: str) -> object:
        return getattr(self._logger, name)


def _quiet_pdfminer_debug() -> None:
    """pdfminer's parsers and CMaps call `log.debug` thousands of times per page (several per cent
    of the PDF time even when DEBUG is off). When DEBUG is not enabled for its loggers as the worker
    starts, those calls are bound to a no-op; warnings and errors still reach the real loggers."""
    import pdfminer.cmapdb
    import pdfminer.pdfinterp
    import pdfminer.pdfparser
    import pdfminer.psparser

    for module in (pdfminer.psparser, pdfminer.pdfinterp, pdfminer.pdfparser, pdfminer.cmapdb):
        log = module.log
        if isinstance(log, logging.Logger) and not log.isEnabledFor(logging.DEBUG):
            module.log = _DebugOff(log)  # type: ignore[assignment]


def _compiled_loops():
    """`pdf_chars.compiled` (None where the C loops were not built, or a test switched them off)."""
    from pipelines.text import pdf_chars

    return pdf_chars.compiled


def _page_from_marks(marks: _Marks, height: float, source: str) -> _Page:
    """One page's lines from what it draws: turned upright when its text runs sideways or upside
    down, rows and cells rebuilt by `layout.assemble`."""
    rotation = _text_rotation(marks)
    compiled = _compiled_loops() if rotation == 0 and source == "pdfium" else None
    if compiled is not None:  # the same objects, built in C
        chars, rules, hrules = compiled.orient_upright(marks.chars, marks.shapes, height, Glyph, Rule, HRule)
    else:
        chars, rules, hrules = _oriented(marks, rotation, height)
    lines = assemble(chars, rules, hrules)
    return _Page(
        lines,
        len(chars),
        garbage_ratio("\n".join(lines)),
        marks.images,
        rules,
        source,
        hrules=hrules,
        rotation=rotation,
    )


def _pdfium_pages(pdf, errors: list[str], budget: _Budget) -> list[_Page]:
    """Every page read by pdfium (`pdf_chars`); a page pdfium cannot load is "failed"."""
    from pipelines.text.pdf_chars import read_page

    pages: list[_Page] = []
    for i in range(len(pdf)):
        if budget.spent():  # the rest stay unread (counted, not parsed)
            pages.extend(_Page([], 0, 0.0, 0, [], "unread") for _ in range(i, len(pdf)))
            break
        try:
            marks = _Marks()
            height = read_page(pdf, i, marks)
            pages.append(_page_from_marks(marks, height, "pdfium"))
        except Exception as exc:  # noqa: BLE001
            errors.append(f"page {i + 1}: pdfium failed ({type(exc).__name__}: {exc})")
            pages.append(_Page([], 0, 0.0, 0, [], "failed"))
    return pages


_DEFLATE_MAX_RATIO = 1032  # deflate cannot unpack one byte into more than about 1032
_INFLATE_STEP = 8192  # compressed bytes per step: at most about 8 MB of output held at once


def _stream_over_cap(body: bytes) -> bool:
    """Does a stream of this PDF unpack to more than NIANBAO_MAX_UNPACKED_MB? One pass over the file
    for the keyword: every `stream` at a line end opens a span, every `endstream` closes the spans
    open (so a stream hidden in what looked like one is checked too), and only spans long enough to
    exceed the cap at deflate's largest ratio are inflated (a step at a time, never held). A normal
    PDF costs the scan; a large embedded font its inflation (11 ms for a 4.4 MB TrueType font with
    ISA-L, which pdfium inflates again)."""
    from pipelines.limits import limits

    cap = limits().unpacked_bytes
    shortest = cap // _DEFLATE_MAX_RATIO
    view = memoryview(body)
    spans: list[int] = []  # where the data of each open span starts
    at = body.find(b"stream")
    while at >= 0:
        if at >= 3 and body.startswith(b"end", at - 3):  # `endstream`: the open spans end here
            end = at - 3
            if any(end - start > shortest and _inflates_past(view[start:end], cap) for start in spans):
                return True
            spans = []
        elif body.startswith(b"\r\n", at + 6):  # `stream` then CRLF or LF
            spans.append(at + 8)
        elif body.startswith(b"\n", at + 6):
            spans.append(at + 7)
        at = body.find(b"stream", at + 6)
    return any(len(body) - start > shortest and _inflates_past(view[start:], cap) for start in spans)


def _inflater():
    """A zlib decompressor and its error class: ISA-L's when installed (`isal`, the same output
    about 1.8x faster: a 4.4 MB embedded font in 11 ms instead of 20), else the standard library's."""
    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal is a dependency; a build without it still works
        import zlib

        return zlib.decompressobj(), zlib.error
    return isal_zlib.decompressobj(), isal_zlib.error


def _inflates_past(data: memoryview, cap: int) -> bool:
    """Whether Flate `data` unpacks to more than `cap` bytes (data that is not Flate does not)."""
    (inflater, error), total = _inflater(), 0
    try:
        for at in range(0, len(data), _INFLATE_STEP):
            # bytes after the end of the Flate data are left in `unused_data`
            total += len(inflater.decompress(data[at : at + _INFLATE_STEP]))
            if total > cap:
                return True
            if inflater.eof:
                return False
    except error:
        return False  # not Flate (or not readable as such): pdfium decodes it as it would anyway
    return False


def _read_pages(body: bytes, errors: list[str], budget: _Budget) -> tuple[list[_Page] | None, object]:
    """Every page by pdfium (fast: its C text page does the fonts), and by pdfminer the pages pdfium
    failed on or could not map to Unicode (`(cid:)`-like output), keeping the better reading; all
    pages by pdfminer when pdfium cannot open the file. Returns the pages and the open pdfium document."""
    opening: list[str] = []
    # pdfium inflates streams in C with no cap: a Flate bomb is left to pdfminer's bounded reader
    pdf = None if _stream_over_cap(body) else _open_pdfium(body, opening)
    pages = _pdfium_pages(pdf, errors, budget) if pdf is not None else None
    redo = (
        None
        if pages is None
        else {i for i, p in enumerate(pages) if p.source == "failed" or p.cid > CID_RETRY_RATIO}
    )
    if redo is None or redo:
        mined = _pdfminer_pages(body, errors if pages is None else [], budget, redo)
        if pages is None:
            if not mined:
                errors.extend(opening)
            return mined, None
        for i in sorted(redo):
            page = pages[i]
            page.unmapped = page.source == "pdfium" and page.cid > CID_RETRY_RATIO
            other = mined[i] if mined and i < len(mined) else None
            if other is not None and other.source == "unread":  # the budget ran out before the re-read
                pages[i] = _Page([], 0, 0.0, page.images, [], "unread")
            elif (
                other is not None
                and other.source == "pdfminer"
                and (page.source == "failed" or other.cid <= page.cid)
            ):
                other.unmapped = page.unmapped
                pages[i] = other
    return pages, pdf


def _pdfminer_pages(
    body: bytes, errors: list[str], budget: _Budget, only: set[int] | None = None
) -> list[_Page] | None:
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    from pipelines.text.pdf_content import ContentPageInterpreter

    bound_pdfminer_streams()
    try:
        parser = PDFParser(io.BytesIO(body))
        document = PDFDocument(parser, password="")
    except PDFPasswordIncorrect:
        errors.append("encrypted PDF: a password is required to open it")
        return None
    except PDFEncryptionError as exc:
        errors.append(f"encrypted PDF: unsupported encryption ({exc})")
        return None
    except Exception as exc:  # noqa: BLE001 - any parser failure is recorded, never raised
        errors.append(f"corrupt PDF: pdfminer could not open it ({type(exc).__name__}: {exc})")
        return None
    _quiet_pdfminer_debug()
    rsrc = PDFResourceManager(caching=True)
    device = PDFPageAggregator(rsrc, laparams=None)
    interpreter = ContentPageInterpreter(rsrc, device)
    pages: list[_Page] = []
    try:
        page_iter = PDFPage.create_pages(document)
        for i, page in enumerate(page_iter):
            if budget.spent():  # the rest stay unread (counted, not parsed)
                pages.extend(_Page([], 0, 0.0, 0, [], "unread") for _ in [page, *page_iter])
                break
            if only is not None and i not in only:
                pages.append(_Page([], 0, 0.0, 0, [], "skipped"))
                continue
            try:
                interpreter.process_page(page)
                layout = device.get_result()
                marks = _Marks()
                _walk(layout, marks)
                pages.append(_page_from_marks(marks, layout.height, "pdfminer"))
            except OverCap as exc:  # a decompression bomb: not retried with pdfium or OCR either
                note_cut(f"page {i + 1}: {exc}")
                pages.append(_Page([], 0, 0.0, 0, [], "overcap"))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"page {i + 1}: pdfminer failed ({type(exc).__name__}: {exc})")
                pages.append(_Page([], 0, 0.0, 0, [], "failed"))
    except Exception as exc:  # noqa: BLE001 - a broken page tree: keep the pages read so far
        errors.append(
            f"corrupt PDF: page tree unreadable after {len(pages)} page(s) ({type(exc).__name__}: {exc})"
        )
    return pages


def _open_pdfium(body: bytes, errors: list[str]):
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(body)
    except Exception as exc:  # noqa: BLE001
        msg = str(exc)
        if "password" in msg.lower():
            errors.append("encrypted PDF: a password is required to open it")
        else:
            errors.append(f"corrupt PDF: pdfium could not open it ({msg})")
        return None


def _ocr_page(pdf, index: int, engine: str) -> _Page:
    from pipelines.text.ocr import ocr_upright

    page = pdf[index]
    try:
        image = page.render(scale=OCR_DPI / 72).to_pil()
    finally:
        page.close()
    result = ocr_upright(image, OCR_DPI, engine=engine)
    return _Page(
        result.lines,
        result.words,
        0.0,
        1,
        [],
        result.engine,
        ocr_conf=result.confidence,
        ocr_min=result.min_confidence,
        rotation=result.rotation,
    )


def _drop_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and running headers/footers (a short line repeated at the top or bottom of
    most pages)."""
    edge: Counter[str] = Counter()
    for lines in pages:
        content = [ln for ln in lines if ln.strip()]
        for ln in set(content[:2] + content[-2:]):
            if "\t" not in ln and len(ln.strip()) <= 40:
                edge[re.sub(r"\d+", "#", ln.strip())] += 1
    running = {k for k, n in edge.items() if len(pages) >= 3 and n >= max(3, 0.6 * len(pages))}
    out = []
    for lines in pages:
        kept = []
        content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(content_idx[:2] + content_idx[-2:])
        for i, ln in enumerate(lines):
            s = ln.strip()
            if i in edges and (_PAGE_NUMBER.match(s) or re.sub(r"\d+", "#", s) in running):
                continue
            kept.append(ln)
        out.append(kept)
    return out


def _norm_row(line: str) -> str:
    return re.sub(r"\s+", "", line)


def _repeats(row: str, header: str) -> bool:
    """Whether a row repeats a header row (loosely, as OCR may misread a character or two; but the
    numbers in both must be the same)."""
    if row == header:
        return True
    from difflib import SequenceMatcher

    return (
        len(row) >= 8
        and re.findall(r"\d+", row) == re.findall(r"\d+", header)
        and SequenceMatcher(None, row, header).ratio() >= 0.85
    )


def join_page_lines(pages: list[list[str]]) -> str:
    """Pages in order; a table that runs over a page break is continued without a break and without
    the header rows the next page repeats."""
    out: list[str] = []
    for lines in pages:
        lines = [ln for ln in lines]
        while lines and not lines[0].strip():
            lines.pop(0)
        prev_rows = []
        for ln in reversed(out):
            if "\t" in ln:
                prev_rows.append(ln)
            elif ln.strip():
                break
        prev_rows.reverse()
        if out and prev_rows and lines and "\t" in lines[0]:
            # continuation: skip rows that repeat the table's own header rows
            # continuation: skip the table's header rows if the new page repeats them (in order)
            header = [_norm_row(r) for r in prev_rows[:6]]
            k = 0
            while (
                k < len(lines)
                and k < len(header)
                and "\t" in lines[k]
                and _repeats(_norm_row(lines[k]), header[k])
            ):
                k += 1
            lines = lines[k:]
            while out and not out[-1].strip():
                out.pop()
            out.extend(lines)
        else:
            if out:
                out.append("")
            out.extend(lines)
    return "\n".join(out)


_NOT_READ = ("unread", "overcap")  # pages left when the budget ran out, or cut as decompression bombs


@dataclass
class _Ocr:
    """OCR of the pages without a usable text layer, within the PDF's budget of time and OCR pages."""

    budget: _Budget
    errors: list[str]
    engine: str | None | bool = False  # False: not looked up yet; None: no engine installed
    tried: int = 0
    pages: list[dict] = field(default_factory=list)  # per OCRed page: number, engine, mean and min confidence

    @staticmethod
    def wanted(page: _Page) -> bool:
        return page.source not in _NOT_READ and (page.chars < OCR_MIN_CHARS or page.cid > 0.3)

    def read(self, pdf, index: int, page: _Page) -> _Page:
        """Page `index` OCRed; `page` itself when there is no engine, OCR fails or reads nothing; an
        "unread" page when the budget has run out."""
        from pipelines.text.ocr import missing_engine_message, ocr_engine

        if self.engine is False:
            self.engine = ocr_engine()
        if self.engine is None:
            self.errors.append(f"page {index + 1}: no text layer and {missing_engine_message()}")
            return page
        if self.tried >= self.budget.ocr_pages or self.budget.spent():
            return _Page([], 0, 0.0, page.images, [], "unread")
        self.tried += 1
        try:
            ocred = _ocr_page(pdf, index, self.engine)
        except Exception as exc:  # noqa: BLE001
            self.errors.append(f"page {index + 1}: OCR failed ({failure_message(exc)})")
            return page
        if not ocred.chars:
            return page
        self.pages.append(
            {"page": index + 1, "engine": ocred.source, "mean": ocred.ocr_conf, "min": ocred.ocr_min}
        )
        return ocred


def _ocr_scans(body: bytes, pages: list[_Page], pdf, ocr: _Ocr):
    """The pages without a usable text layer replaced by their OCR, in order; returns the pdfium
    document, opened here when pdfium did not read the pages."""
    for i, page in enumerate(pages):
        if _Ocr.wanted(page):
            pdf = pdf or _open_pdfium(body, ocr.errors)
            if pdf is not None and i < len(pdf):
                pages[i] = ocr.read(pdf, i, page)
    return pdf


def _unmapped(pages: list[_Page]) -> int:
    """Pages whose first reading had unmapped glyphs (pdfium's, or pdfminer's `(cid:NNN)`)."""
    return sum(
        1
        for page in pages
        if page.source not in _NOT_READ
        and (page.unmapped or (page.source == "pdfminer" and page.cid > CID_RETRY_RATIO))
    )


def _quality(pages: list[_Page], unmapped: int, ocr_pages: list[dict]) -> dict:
    """The audit figures of one PDF (see the README's *PDF text*)."""
    used = Counter(page.source for page in pages if page.source not in _NOT_READ)
    q: dict = {"pages": len(pages), "pages_by_extractor": dict(used)}
    turned = sum(1 for page in pages if page.rotation)
    if turned:
        q["turned_pages"] = turned  # pages whose text ran sideways or upside down, read turned upright
    unread = sum(1 for page in pages if page.source == "unread")
    if unread:
        q["unread_pages"] = unread  # pages left when the PDF's budget ran out
    if unmapped:
        q["unmapped_pages"] = unmapped  # pages where pdfminer gave (cid:NNN) / unmapped glyphs
    if ocr_pages:
        confs = [p["mean"] or 0.0 for p in ocr_pages]
        q["ocr_confidence"] = round(sum(confs) / len(confs), 2)  # mean of the pages' means, 0..100
        q["ocr_confidence_min"] = min(p["min"] or 0.0 for p in ocr_pages)  # the least sure word or box
        q["ocr_pages"] = len(confs)
        q["ocr_engine"] = "+".join(sorted({p["engine"] for p in ocr_pages}))
        q["ocr_page_confidence"] = ocr_pages  # per OCRed page: number, engine, mean and min confidence
    return q


def extract_pdf(body: bytes, *, ocr: bool = True) -> PdfText:
    """Text of one PDF: read (pdfium, pdfminer where it fails), scans OCRed, pages joined. Errors
    (encrypted, corrupt, truncated, unreadable pages, a budget used up) are recorded in `error`,
    with whatever text could be recovered."""
    errors: list[str] = []
    budget = _Budget.from_env()
    if not body or b"%PDF" not in body[:1024]:
        return PdfText("", "none", 0, "not a PDF (no %PDF header)")
    if b"%%EOF" not in body[-2048:]:
        errors.append("truncated PDF: no %%EOF at the end of the file")
    pages, pdf = _read_pages(body, errors, budget)
    if not pages:  # no page could be read: as many failed pages as pdfium counts, for OCR
        pdf = pdf or _open_pdfium(body, errors)
        if pdf is None:
            return PdfText("", "none", 0, "; ".join(dict.fromkeys(errors)) or "unreadable PDF")
        pages = [_Page([], 0, 1.0, 0, [], "failed") for _ in range(len(pdf))]
        if any("encrypted" in e for e in errors):
            errors = [e for e in errors if "encrypted" not in e]
    unmapped = _unmapped(pages)
    scans = _Ocr(budget, errors)
    if ocr:
        pdf = _ocr_scans(body, pages, pdf, scans)
    if pdf is not None:
        pdf.close()
    q = _quality(pages, unmapped, scans.pages)
    if q.get("unread_pages"):
        errors.append(f"{q['unread_pages']} of {len(pages)} pages not read: {budget.describe()}")
    text = normalize_text(join_page_lines(_drop_furniture([p.lines for p in pages])))
    used = q["pages_by_extractor"]
    extractor = "+".join(s for s in ("pdfminer", "pdfium", "rapidocr", "tesseract") if used.get(s)) or "none"
    if not text.strip() and not errors:
        errors.append("no text: the PDF has no text layer that could be read")
    return PdfText(text, extractor, len(pages), "; ".join(dict.fromkeys(errors)) or None, q)
