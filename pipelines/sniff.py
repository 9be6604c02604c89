"""Decide what a stored body is (HTML, PDF, DOCX, DOC, WPS, ...) from its bytes, and name attachments.

Magic bytes decide first; the HTTP headers and the URL's extension only break ties that the bytes
leave open (an OLE file could be DOC or WPS; bytes with no signature could be HTML or plain text).
"""

from __future__ import annotations

import io
import re
import zipfile
from email.message import Message
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

KINDS = ("html", "pdf", "docx", "doc", "wps", "xls", "xlsx", "txt", "ofd", "zip", "image", "other")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|p|script|style|link|span|h[1-6]|center|form|br|a\s)",
    re.IGNORECASE | re.DOTALL,
)
_HTML_ANYWHERE = re.compile(rb"<(?:html|body|div|table|p|br|meta|title)\b[^>]*>", re.IGNORECASE)
_EXT_KIND = {
    "htm": "html", "html": "html", "shtml": "html", "jhtml": "html", "xhtml": "html", "jsp": "html",
    "asp": "html", "aspx": "html", "php": "html",
    "pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "xls": "xls", "et": "xls", "xlsx": "xlsx",
    "txt": "txt", "ofd": "ofd", "zip": "zip", "rtf": "doc",
    "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "tif": "image", "tiff": "image",
    "bmp": "image", "webp": "image",
}


def _ext(name: str | None) -> str | None:
    if not name:
        return None
    base = name.rsplit("/", 1)[-1]
    if "." not in base:
        return None
    return base.rsplit(".", 1)[-1].strip().lower() or None


def _url_ext(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    ext = _ext(unquote_to_bytes(parts.path).decode("utf-8", "replace"))
    if ext in _EXT_KIND and _EXT_KIND[ext] != "html":
        return ext
    # download endpoints name the real file in the query (downfile.jsp?filename=abc.pdf)
    for _key, value in parse_qsl(parts.query):
        qext = _ext(value)
        if qext in _EXT_KIND:
            return qext
    return ext


def _zip_kind(body: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            names = zf.namelist()
            content_types = ""
            if "[Content_Types].xml" in names:
                content_types = zf.read("[Content_Types].xml").decode("utf-8", "replace")
            mimetype = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, NotImplementedError):
        names, content_types, mimetype = [], "", ""
        # truncated zip: the central directory is gone, but local headers still name the entries
        names = [m.group(1).decode("utf-8", "replace") for m in re.finditer(rb"PK\x03\x04.{26}([ -~]{1,200}?)(?=[\x00-\x1f\x7f-\xff]|PK)", body[:200000], re.DOTALL)]
    lowered = [n.lower() for n in names]
    if "wordprocessingml" in content_types or any(n.startswith("word/") for n in lowered):
        return "docx"
    if "spreadsheetml" in content_types or any(n.startswith("xl/") for n in lowered):
        return "xlsx"
    if "ofd" in mimetype.lower() or any(n == "ofd.xml" or n.endswith("/ofd.xml") for n in lowered):
        return "ofd"
    return "zip"


def _ole_streams(body: bytes) -> set[str]:
    """Names of the storages/streams in an OLE compound file (read from the directory sectors)."""
    names: set[str] = set()
    if len(body) < 512:
        return names
    try:
        sector_shift = int.from_bytes(body[30:32], "little")
        sector_size = 1 << sector_shift if 7 <= sector_shift <= 16 else 512
        first_dir = int.from_bytes(body[48:52], "little")
        num_fat = int.from_bytes(body[44:48], "little")
        difat = [int.from_bytes(body[76 + 4 * i: 80 + 4 * i], "little") for i in range(109)]
        fat_sectors = [s for s in difat[:num_fat] if s < 0xFFFFFFFA]
        fat: list[int] = []
        for s in fat_sectors:
            off = (s + 1) * sector_size
            chunk = body[off: off + sector_size]
            fat.extend(int.from_bytes(chunk[i: i + 4], "little") for i in range(0, len(chunk) - 3, 4))
        sector, seen = first_dir, set()
        while sector < 0xFFFFFFFA and sector not in seen and len(seen) < 10000:
            seen.add(sector)
            off = (sector + 1) * sector_size
            chunk = body[off: off + sector_size]
            for i in range(0, len(chunk) - 127, 128):
                entry = chunk[i: i + 128]
                length = int.from_bytes(entry[64:66], "little")
                if 2 <= length <= 64:
                    names.add(entry[: length - 2].decode("utf-16-le", "replace"))
            sector = fat[sector] if sector < len(fat) else 0xFFFFFFFE
    except (ValueError, IndexError):
        pass
    if not names:  # damaged directory chain: fall back to scanning for well-known UTF-16 names
        for probe in ("WordDocument", "Workbook", "Book", "WpsContent", "PowerPoint Document"):
            if probe.encode("utf-16-le") in body:
                names.add(probe)
    return names


def _ole_kind(body: bytes, hint_ext: str | None) -> str:
    names = {n.lower() for n in _ole_streams(body)}
    if any(n.startswith("wps") or n == "wpscontent" for n in names):
        return "wps"
    if "worddocument" in names:
        return "wps" if hint_ext == "wps" else "doc"
    if "workbook" in names or "book" in names:
        return "xls"
    if hint_ext in ("doc", "wps", "xls"):
        return _EXT_KIND[hint_ext]
    return "other"


def _looks_like_text(body: bytes) -> bool:
    sample = body[:4096]
    if not sample:
        return False
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls <= len(sample) * 0.01


def sniff_kind(
    body: bytes,
    *,
    content_type: str | None = None,
    url: str | None = None,
    content_disposition: str | None = None,
) -> str:
    """The kind of one stored body: magic bytes first, then Content-Disposition/URL extension, then
    Content-Type. Returns one of `KINDS`."""
    body = body or b""
    name_ext = _ext(attachment_filename(content_disposition, None)) if content_disposition else None
    hint_ext = name_ext or _url_ext(url)
    head = body[:1024]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(body)
        if kind == "zip" and hint_ext in ("docx", "xlsx", "ofd", "wps", "et"):
            return _EXT_KIND.get(hint_ext, "zip") if hint_ext != "wps" else "docx"
        return kind
    if head.startswith(OLE_MAGIC):
        return _ole_kind(body, hint_ext)
    if stripped.startswith(b"{\\rtf"):
        return "wps" if hint_ext == "wps" else "doc"
    if any(head.startswith(m) for m in _IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if _HTML_START.match(head if not head.startswith(b"\xff\xfe") else head.decode("utf-16-le", "ignore").encode()):
        return "html"
    if not body.strip():
        return _EXT_KIND.get(hint_ext or "", "other") if hint_ext in ("txt",) else "other"
    if _looks_like_text(body):
        ct = (content_type or "").lower()
        if "text/plain" in ct or hint_ext == "txt":
            return "txt"
        if "html" in ct or _HTML_ANYWHERE.search(body[:65536]):
            return "html"
        return "txt"
    # unknown binary (no known signature): neither the name nor the header can make it parseable
    return "other"


_CD_EXT = re.compile(r"filename\*\s*=\s*([^;]+)", re.IGNORECASE)
_CD_PLAIN = re.compile(r"""filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]+)""", re.IGNORECASE)


def _repair_text(value: str) -> str:
    """Undo the usual damage to a header value: raw GBK/UTF-8 bytes read as Latin-1, and %-escapes."""
    if "%" in value and re.search(r"%[0-9A-Fa-f]{2}", value):
        value = _decode_bytes(unquote_to_bytes(value))
    if any(0x80 <= ord(c) <= 0xFF for c in value) and all(ord(c) <= 0xFF for c in value):
        value = _decode_bytes(value.encode("latin-1"))
    return value


def _decode_bytes(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030", "big5"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("gb18030", "replace")


def _clean_name(name: str) -> str | None:
    name = name.strip().strip('"').strip()
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def attachment_filename(content_disposition: str | bytes | None, url: str | None) -> str | None:
    """The attachment's file name: RFC 5987 `filename*=`, then `filename=` (raw GBK/UTF-8 bytes or
    %-escaped), then the URL's last path segment or a `filename=`-like query parameter."""
    if isinstance(content_disposition, bytes):
        content_disposition = content_disposition.decode("latin-1")
    if content_disposition:
        m = _CD_EXT.search(content_disposition)
        if m:
            value = m.group(1).strip().strip('"')
            charset, _, rest = value.partition("'")
            _lang, _, encoded = rest.partition("'")
            if encoded:
                raw = unquote_to_bytes(encoded)
                try:
                    name = raw.decode(charset or "utf-8")
                except (LookupError, UnicodeDecodeError):
                    name = _decode_bytes(raw)
                if _clean_name(name):
                    return _clean_name(name)
        m = _CD_PLAIN.search(content_disposition)
        if m:
            value = m.group(1).strip()
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1].replace('\\"', '"')
            if value.startswith("=?") and value.endswith("?="):  # RFC 2047 encoded-word
                msg = Message()
                msg["x"] = value
                from email.header import decode_header, make_header

                value = str(make_header(decode_header(value)))
            name = _clean_name(_repair_text(value))
            if name:
                return name
    if url:
        parts = urlsplit(url)
        for key, value in parse_qsl(parts.query, encoding="latin-1"):
            if key.lower() in ("filename", "file", "name", "fn", "attachname") and _ext(value):
                name = _clean_name(_repair_text(value))
                if name:
                    return name
        segment = parts.path.rsplit("/", 1)[-1]
        if segment:
            name = _clean_name(_decode_bytes(unquote_to_bytes(segment)))
            if name:
                return name
    return None
