"""The raw captures as a web archive: WARC 1.1 (warcio), a CDXJ index, optionally a WACZ package.

One `warcinfo` record, then per stored fetch (a URL answered with a body), in fetch order:
* `request`: the GET nianbao sent (request line, Host, Referer when known; the crawler's own headers
  are not stored, so they are not invented);
* `response`: the status line, the response headers nianbao keeps (Content-Type, ETag, Last-Modified,
  Date, Server, Location, Set-Cookie …) and the body exactly as stored in the raw store. The body was
  stored decoded of any transfer or content encoding, so those headers are left out and Content-Length
  is the stored body's;
* `revisit` (profile identical-payload-digest) instead of a response when the same body was already
  archived under another URL or time, pointing at that first response.

The CDXJ index (`<name>.cdxj`) has one line per response and revisit (SURT key, 14-digit timestamp,
JSON with url, mime, status, digest, length, offset, filename), sorted, as pywb and ReplayWeb.page read
it. `--wacz` adds `<name>.wacz` (WACZ 1.1.1: archive/, indexes/index.cdxj, pages/pages.jsonl,
datapackage.json with every file's SHA-256).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.blobs import RawStore
from storage.files import atomic_output
from storage.models import Fetch

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
_DROPPED = {"content-length", "content-encoding", "transfer-encoding"}
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
            302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect",
            308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 410: "Gone", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class WarcResult:
    warc: Path
    index: Path
    responses: int
    revisits: int
    skipped: int
    wacz: Path | None = None


def warc_date(when: datetime) -> str:
    """WARC 1.1 date: UTC, with microseconds when there are any."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


def surt(url: str) -> str:
    """Sort-friendly URI Reordering Transform: `http://www.a.gov.cn/x?y` → `cn,gov,a)/x?y`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    is_ip = host.replace(".", "").isdigit() or ":" in host
    key = host if is_ip else ",".join(reversed(host.split(".")))
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = parts.path or "/"
    return (key + ")" + path + (f"?{parts.query}" if parts.query else "")).lower()


def _http_headers(fetch: Fetch, body: bytes) -> Any:
    from warcio.statusandheaders import StatusAndHeaders

    headers = []
    for name, value in (fetch.headers or {}).items():
        if name.lower() in _DROPPED:
            continue
        for item in value if isinstance(value, list) else [value]:
            headers.append((name.title(), str(item)))
    headers.append(("Content-Length", str(len(body))))
    status = fetch.status or 200
    return StatusAndHeaders(f"{status} {_REASONS.get(status, 'Unknown')}", headers, protocol="HTTP/1.1")


def _request_headers(fetch: Fetch) -> Any:
    from warcio.statusandheaders import StatusAndHeaders

    parts = urlsplit(fetch.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    if fetch.referrer:
        headers.append(("Referer", fetch.referrer))
    return StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)


def _sha1_b32(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def write_warc(session: Session, raw: RawStore, out: str | os.PathLike[str], *, wacz: bool = False) -> WarcResult:
    """Archive every stored fetch with a body; returns the counts and the files written."""
    from warcio.warcwriter import WARCWriter

    out = Path(out)
    fetches = session.scalars(
        select(Fetch).where(Fetch.sha256.is_not(None), Fetch.status.is_not(None))
        .order_by(Fetch.fetched_at, Fetch.id)
    ).all()
    first_seen: dict[str, tuple[str, str]] = {}
    responses = revisits = skipped = 0
    with atomic_output(out) as tmp, open(tmp, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        info = {"software": "nianbao", "format": "WARC File Format 1.1",
                "description": "raw captures of 政府信息公开工作年度报告 crawls; payloads byte-exact from the "
                               "raw store, HTTP header blocks rebuilt from the headers kept"}
        writer.write_record(writer.create_warcinfo_record(out.name, info))
        for fetch in fetches:
            try:
                body = raw.get(fetch.sha256)
            except (FileNotFoundError, OSError):
                skipped += 1
                continue
            date = warc_date(fetch.fetched_at)
            request = writer.create_warc_record(
                fetch.url, "request", payload=io.BytesIO(b""), length=0,
                http_headers=_request_headers(fetch), warc_headers_dict={"WARC-Date": date})
            http = _http_headers(fetch, body)
            if fetch.sha256 in first_seen:
                uri, when = first_seen[fetch.sha256]
                record = writer.create_revisit_record(
                    fetch.url, _sha1_b32(body), uri, when, http_headers=http,
                    warc_headers_dict={"WARC-Date": date, "WARC-Profile": REVISIT_PROFILE})
                revisits += 1
            else:
                record = writer.create_warc_record(
                    fetch.url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
                    warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": _sha1_b32(body)})
                first_seen[fetch.sha256] = (fetch.url, date)
                responses += 1
            writer.write_record(request)
            writer.write_record(record)
    index = out.with_suffix("").with_suffix(".cdxj") if out.name.endswith(".warc.gz") else out.with_suffix(".cdxj")
    lines = cdxj_lines(out)
    index.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    result = WarcResult(out, index, responses, revisits, skipped)
    if wacz:
        result.wacz = write_wacz(out, session)
    return result


def cdxj_lines(warc: Path, filename: str | None = None) -> list[str]:
    """The sorted CDXJ lines of a WARC's responses and revisits."""
    from warcio.archiveiterator import ArchiveIterator

    lines = []
    with warc.open("rb") as handle:
        records = ArchiveIterator(handle)
        for record in records:
            if record.rec_type not in ("response", "revisit"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            date = record.rec_headers.get_header("WARC-Date")
            stamp = "".join(ch for ch in date if ch.isdigit())[:14]
            http = record.http_headers
            entry = {"url": url, "mime": (http.get_header("Content-Type") or "").split(";")[0].strip() or "unk",
                     "status": http.get_statuscode(), "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                     "offset": records.get_record_offset(), "filename": filename or warc.name}
            if record.rec_type == "revisit":
                entry["mime"] = "warc/revisit"
            record.content_stream().read()
            entry["length"] = records.get_record_length()
            lines.append(f"{surt(url)} {stamp} {json.dumps(entry, ensure_ascii=False)}")
    return sorted(lines)


def _file_entry(name: str, data: bytes) -> dict[str, Any]:
    return {"name": Path(name).name, "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data)}


def write_wacz(warc: Path, session: Session) -> Path:
    """A WACZ 1.1.1 package of the WARC: archive, index (filenames relative to archive/), pages."""
    target = warc.parent / (warc.name.split(".warc")[0] + ".wacz")
    warc_bytes = warc.read_bytes()
    cdxj = "".join(line + "\n" for line in cdxj_lines(warc, filename=warc.name)).encode("utf-8")
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for url, fetched_at, content_type, headers in session.execute(
            select(Fetch.url, Fetch.fetched_at, Fetch.content_type, Fetch.headers)
            .where(Fetch.status == 200, Fetch.sha256.is_not(None)).order_by(Fetch.fetched_at, Fetch.id)):
        if (content_type or (headers or {}).get("content-type") or "").startswith("text/html"):
            pages.append(json.dumps({"url": url, "ts": warc_date(fetched_at)}, ensure_ascii=False))
    pages_bytes = ("\n".join(pages) + "\n").encode("utf-8")
    files = {f"archive/{warc.name}": warc_bytes, "indexes/index.cdxj": cdxj, "pages/pages.jsonl": pages_bytes}
    package = {"profile": "data-package", "wacz_version": "1.1.1", "title": warc.name,
               "software": "nianbao", "created": warc_date(datetime.now(UTC).replace(microsecond=0)),
               "resources": [_file_entry(name, data) for name, data in files.items()]}
    with atomic_output(target) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, data in files.items():
            compress = zipfile.ZIP_STORED if name.startswith("archive/") else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
        archive.writestr("datapackage.json", json.dumps(package, ensure_ascii=False, indent=2),
                         compress_type=zipfile.ZIP_DEFLATED)
    return target
