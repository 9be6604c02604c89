"""One stored body in, one clean UTF-8 text out (`textify`), with the record of how it was made.

Routing is by magic bytes (`sniff_kind`), never by URL or Content-Type alone. `textify` never raises
on bad input: a corrupt, encrypted or truncated file, or a wrong charset, gives a `DocumentText` with
`error` naming what failed, and whatever text could be recovered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipelines.decode import EncodingDecision, decode_body, detect_encoding, replacement_ratio
from pipelines.limits import collect_cuts, limits, note_cut, note_memory_error
from pipelines.siteserver import strip_siteserver_markers
from pipelines.sniff import sniff_kind
from pipelines.text.common import failure_message, mojibake_reason, normalize_text, quality

# Bump when textify's output changes for the same bytes: stored Documents made by an older version
# are re-made by the crawl pipeline and by `nianbao reprocess`.
TEXTIFY_VERSION = "6"  # 6: PDF characters and rules read by pdfium (pdf_chars); 5: scans read by RapidOCR (NIANBAO_OCR_ENGINE) and PDF table cells merged over columns
# stay one cell, double cell borders one column edge; 3: turned pages read upright
IMAGE_DPI = 200.0  # assumed resolution of an image attachment that does not state one


@dataclass
class DocumentText:
    kind: str
    text: str
    html: str | None = None
    title: str | None = None
    published: str | None = None
    encoding: str | None = None
    encoding_evidence: dict | None = None
    extractor: str = "none"
    quality: dict = field(default_factory=dict)
    error: str | None = None


def _encoding_fields(decision: EncodingDecision) -> tuple[str, dict]:
    evidence = dict(decision.evidence)
    evidence["source"] = decision.source
    evidence["replacement_ratio"] = decision.replacement_ratio
    return decision.encoding, evidence


def _finish(doc: DocumentText, extra_quality: dict | None = None) -> DocumentText:
    cap = limits().text_chars
    if len(doc.text or "") > cap * 2:  # cut before normalising: a bomb's text is not copied again
        doc.text = doc.text[: cap * 2]
    doc.text = normalize_text(strip_siteserver_markers(doc.text or ""))
    if len(doc.text) > cap:
        note_cut(f"text cut to {cap:,} of {len(doc.text):,}+ characters (NIANBAO_MAX_TEXT_CHARS)")
        doc.text = doc.text[:cap]
    q = quality(doc.text)
    q.update(extra_quality or {})
    q.update({k: v for k, v in doc.quality.items() if k not in q})
    q.setdefault("ocr_confidence", None)
    q.setdefault("pages", 1 if doc.kind in ("html", "txt") else q.get("pages"))
    doc.quality = q
    return doc


def _html(body: bytes, url: str, content_type: str | None) -> DocumentText:
    from pipelines.text.html import extract_html

    decision = detect_encoding(body, content_type)
    html = decode_body(body, decision)
    enc, evidence = _encoding_fields(decision)
    result = extract_html(html, url)
    error = "; ".join(result.notes) if not result.text.strip() and result.notes else None
    if decision.replacement_ratio > 0:
        error = (error + "; " if error else "") + (
            f"mixed encoding: {decision.replacement_ratio:.2%} of non-ASCII characters undecodable as {enc}"
        )
    doc = DocumentText(
        kind="html", text=result.text, html=strip_siteserver_markers(html), title=result.title,
        published=result.published, encoding=enc, encoding_evidence=evidence, extractor=result.extractor,
        quality={"tables": result.tables}, error=error,
    )
    return _finish(doc, {"replacement_ratio": replacement_ratio(result.text)})


def _txt(body: bytes, content_type: str | None) -> DocumentText:
    decision = detect_encoding(body, content_type)
    text = decode_body(body, decision)
    enc, evidence = _encoding_fields(decision)
    error = f"mixed encoding: {decision.replacement_ratio:.2%} undecodable" if decision.replacement_ratio else None
    return _finish(DocumentText("txt", text, encoding=enc, encoding_evidence=evidence, extractor="decode",
                                error=error))


def _pdf(body: bytes) -> DocumentText:
    from pipelines.text.pdf import extract_pdf

    result = extract_pdf(body)
    return _finish(DocumentText("pdf", result.text, extractor=result.extractor, quality=dict(result.quality),
                                error=result.error))


def _office(kind: str, body: bytes) -> DocumentText:
    from pipelines.text import office

    result = office.extract_office(kind, body)
    error = result.error or (None if (result.text or "").strip() else f"{kind}: no text in the document")
    if kind in ("doc", "wps") and (why := mojibake_reason(result.text or "")):
        # a damaged or foreign OLE file that a converter read as raw text: not the document's text
        error = f"{kind}: the extracted text is not readable text ({why}; {result.extractor}); not kept"
        result.quality["mojibake_chars"] = len(result.text)
        result.text = ""
    return _finish(DocumentText(kind, result.text, extractor=result.extractor, quality=dict(result.quality),
                                error=error, title=result.title))


def _image(body: bytes) -> DocumentText:
    from pipelines.text.ocr import missing_engine_message, ocr_engine, ocr_upright

    engine = ocr_engine()
    if engine is None:
        return _finish(DocumentText("image", "", extractor="none", error=f"image: {missing_engine_message()}"))
    try:
        import io

        from PIL import Image

        image = Image.open(io.BytesIO(body))
        dpi = float((image.info.get("dpi") or (IMAGE_DPI, IMAGE_DPI))[0]) or IMAGE_DPI
        result = ocr_upright(image, dpi, engine=engine)
    except Exception as exc:  # noqa: BLE001
        return _finish(DocumentText("image", "", extractor=engine, error=f"image: OCR failed ({failure_message(exc)})"))
    quality = {"ocr_confidence": result.confidence, "ocr_confidence_min": result.min_confidence,
               "ocr_engine": result.engine, "ocr_pages": 1, "pages": 1,
               "ocr_page_confidence": [{"page": 1, "engine": result.engine, "mean": result.confidence,
                                        "min": result.min_confidence}]}
    if result.rotation:
        quality["turned_pages"] = 1
    return _finish(DocumentText("image", "\n".join(result.lines), extractor=result.engine, quality=quality))


def textify(body: bytes, *, url: str = "", content_type: str | None = None,
            content_disposition: str | None = None) -> DocumentText:
    """Text of one stored body, whatever its kind. Work cut by a cap (pipelines.limits) is listed in
    `quality["cut"]` and named in `error`."""
    with collect_cuts() as cuts:
        doc = _textify(body or b"", url, content_type, content_disposition)
    if cuts:
        doc.quality["cut"] = [what for what, _lost in cuts]
        doc.error = "; ".join(filter(None, [doc.error, *(w for w, lost in cuts if lost and w not in (doc.error or ""))])) or None
    return doc


def _textify(body: bytes, url: str, content_type: str | None, content_disposition: str | None) -> DocumentText:
    kind = sniff_kind(body, content_type=content_type, url=url, content_disposition=content_disposition)
    try:
        if kind == "html":
            return _html(body, url, content_type)
        if kind == "txt":
            return _txt(body, content_type)
        if kind == "pdf":
            return _pdf(body)
        if kind in ("docx", "doc", "wps", "xls", "xlsx", "ofd"):
            return _office(kind, body)
        if kind == "image":
            return _image(body)
    except MemoryError:
        note_memory_error()
        return _finish(DocumentText(kind, "", extractor="none", error=(
            f"{kind}: reading it needed more memory than the parse worker may use (NIANBAO_PARSE_MEMORY_MB)")))
    except Exception as exc:  # noqa: BLE001 - textify never raises on bad input
        return _finish(DocumentText(kind, "", extractor="none", error=f"{kind}: extraction failed ({type(exc).__name__}: {exc})"))
    what = "empty body" if not body else f"unsupported kind {kind!r}"
    return _finish(DocumentText(kind, "", extractor="none", error=what))


_BODY = re.compile(r"<body\b[^>]*>(.*?)(?:</body\s*>|$)", re.IGNORECASE | re.DOTALL)


def merge_html(pages: list[str]) -> str:
    """One HTML document holding the bodies of `pages` in order (head and title from the first)."""
    first = pages[0]
    m = _BODY.search(first)
    if not m:
        return "\n".join(pages)
    inners = []
    for page in pages:
        mb = _BODY.search(page)
        inners.append(mb.group(1) if mb else page)
    return first[: m.start(1)] + "\n".join(inners) + "</body></html>"


def join_pages(parts: list[DocumentText]) -> DocumentText:
    """The pages of one split article (SiteServer `_2, _3 ...`, flipbook pages) as one document, in the
    order given. The first page supplies title and date; quality figures are recomputed."""
    if not parts:
        return _finish(DocumentText("other", "", error="no pages to join"))
    first = parts[0]
    text = "\n\n".join(p.text.strip("\n") for p in parts if p.text and p.text.strip())
    htmls = [p.html for p in parts if p.html]
    errors = [f"page {i + 1}: {p.error}" for i, p in enumerate(parts) if p.error]
    extractors = list(dict.fromkeys(p.extractor for p in parts))
    doc = replace(
        first,
        text=text,
        html=merge_html(htmls) if htmls else None,
        title=first.title or next((p.title for p in parts if p.title), None),
        published=first.published or next((p.published for p in parts if p.published), None),
        extractor="+".join(extractors),
        quality={"pages": len(parts)},
        error="; ".join(errors) or None,
    )
    return _finish(doc)
