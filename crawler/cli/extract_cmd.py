"""`nianbao extract PATH...`: print the report record of each file (issue: the report extractor)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crawler.cli.app import app

TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
BINARY_SUFFIXES = {".pdf", ".docx", ".doc", ".wps", ".ofd", ".xls", ".xlsx"}
MAX_FILE_BYTES = 100 * 2**20  # as DOWNLOAD_MAXSIZE: nothing larger is ever fetched


class ExtractError(Exception):
    """A file that cannot be turned into text; the message names the file."""


def decode_bytes(body: bytes, *, html: bool) -> str:
    """Text of a .txt/.html body in whatever encoding it came in."""
    try:
        from pipelines.decode import decode_body, detect_encoding
    except ImportError:  # the decode pipeline is optional for this command
        return _fallback_decode(body)
    decision = detect_encoding(body, "text/html" if html else "text/plain")
    return decode_body(body, decision)


def _fallback_decode(body: bytes) -> str:
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    import chardet

    guess = (chardet.detect(body[:65536]).get("encoding") or "gb18030").lower()
    if guess in ("gb2312", "gbk", "ascii", "windows-1252", "iso-8859-1"):
        guess = "gb18030"
    try:
        return body.decode(guess, "replace")
    except LookupError:
        return body.decode("gb18030", "replace")


def read_document(path: Path) -> tuple[str | None, str | None, str | None]:
    """(text, html, title) of one input file; raises ExtractError naming the file."""
    try:
        if not path.is_file():  # a FIFO or a device would block or never end
            what = "a folder" if path.is_dir() else "missing" if not path.exists() else "not a regular file"
            raise ExtractError(f"{path}: {what}")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ExtractError(f"{path}: {size / 2**20:,.0f} MB is more than {MAX_FILE_BYTES // 2**20} MB "
                               f"(the crawl's DOWNLOAD_MAXSIZE)")
        body = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return None, decode_bytes(body, html=True), None
    if suffix in BINARY_SUFFIXES:
        try:
            from pipelines.textify import textify
        except ImportError as exc:
            raise ExtractError(f"{path}: {suffix} files need pipelines.textify, which is not available") from exc
        doc = textify(body, url=str(path))
        if not (doc.text or "").strip() and not getattr(doc, "html", None):
            reason = getattr(doc, "error", None) or "no text could be extracted"
            raise ExtractError(f"{path}: {reason}")
        return doc.text or None, getattr(doc, "html", None), getattr(doc, "title", None)
    text = decode_bytes(body, html=False)
    if suffix not in TEXT_SUFFIXES and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return None, text, None
    return text, None, None


def extract_path(path: Path, *, url: str | None = None, title: str | None = None, site_name: str | None = None,
                 agency: str | None = None, published: str | None = None) -> dict:
    """The record of one file. The keywords give it the context a crawl would have: the document's
    `url`, its `title` (as the list anchor or the page named it), the portal's `site_name`, the seed's
    `agency` and a `published` date from the page. HTML files add their own meta tags; a file with
    none of these is read from its body alone."""
    from extractor import extract_report

    text, html, own_title = read_document(path)
    return extract_report(text, html=html, title=title or own_title, url=url, site_name=site_name,
                          seed_agency=agency, anchor=title if own_title else None, pub_date=published)


def _summary(path: Path, record: dict) -> str:
    failing = sum(1 for c in record.get("checks") or [] if not c.get("ok"))
    return (
        f"{path}: template={record['template']} year={record['year']} agency={record['agency']} "
        f"published={record['published']} checks={len(record.get('checks') or [])} failing={failing}"
    )


@app.command("extract")
def extract(
    paths: list[Path] = typer.Argument(..., help="Report files: .txt, .md, .html/.htm, .pdf, .docx, .doc, .wps."),
    as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON (JSON Lines for several inputs)."),
    url: str | None = typer.Option(None, "--url", help="The URL the file was fetched from (context, as in a crawl)."),
    title: str | None = typer.Option(None, "--title", help="The document's title, e.g. the list anchor text."),
    site_name: str | None = typer.Option(None, "--site-name", help="The portal's name (completes 区公安分局, 我局 ...)."),
    agency: str | None = typer.Option(None, "--agency", help="The seed's agency (completes short forms, never overrides)."),
    published: str | None = typer.Option(None, "--published", help="The page's publication date (fallback only)."),
) -> None:
    """Extract the annual-report record from each file and print it as JSON.

    The options give a file parsed offline the context a crawl has; HTML files add their meta tags
    (SiteName, ArticleTitle, PubDate); a text file without any works from its body alone."""
    from pipelines.limits import Limits
    from pipelines.parse import ParsePool, WorkerDied

    # Each file is read in a parse worker under the caps the environment sets (NIANBAO_PARSE_MEMORY_MB ...),
    # as in a crawl: a bomb gets MemoryError, and a native library that aborts (pdfium, ONNX Runtime) costs
    # that file, not the run.
    pool = ParsePool(1, limits=Limits.from_env(), retries=0)
    context = {"url": url, "title": title, "site_name": site_name, "agency": agency, "published": published}
    failed = False
    try:
        for path in paths:
            try:
                record = pool.submit(extract_path, path, **context).result()
            except ExtractError as exc:
                typer.echo(f"error: {exc}", err=True)
                failed = True
                continue
            except WorkerDied:
                typer.echo(f"error: {path}: the parse worker died on it (out of memory, or a crash in a native "
                           "library); raise NIANBAO_PARSE_MEMORY_MB to try again", err=True)
                failed = True
                continue
            except Exception as exc:  # noqa: BLE001 - one bad file never ends the others with a traceback
                typer.echo(f"error: {path}: the extractor failed ({type(exc).__name__}: {exc})", err=True)
                failed = True
                continue
            _print(path, record, as_json)
    finally:
        pool.shutdown()
    if failed:
        raise typer.Exit(code=1)


def _print(path: Path, record: dict, as_json: bool) -> None:
    if not record["is_report"]:
        typer.echo(f"warning: {path}: not a 政府信息公开工作年度报告 (template unknown)", err=True)
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False))
    else:
        typer.echo(_summary(path, record))
